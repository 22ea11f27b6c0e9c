"""`rehab serve` as a process: the address it prints, loopback only, the lazy import, the wheel."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, rehab


def test_help_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, runpy; sys.argv=['rehab','--help']\n"
        "try:\n    runpy.run_module('engine', run_name='__main__')\nexcept SystemExit: pass\n"
        "bad=[m for m in ('fastapi','starlette','uvicorn','jinja2','multipart','engine.web.app') if m in sys.modules]\n"
        "print('WEB', bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "WEB []" in out.stdout
    assert "serve" in out.stdout


def test_non_loopback_is_refused(tmp_path: Path) -> None:
    r = rehab("serve", str(tmp_path), "--host", "0.0.0.0", "--port", "0")
    assert r.returncode == 2
    assert "--allow-remote" in r.stderr and "Traceback" not in r.stderr
    r = rehab("serve", str(tmp_path), "--host", "0.0.0.0", "--port", "0", "--allow-remote")
    assert r.returncode == 2 and "token" in r.stderr
    r = rehab("serve", str(tmp_path / "missing"))
    assert r.returncode == 2 and "clinic folder not found" in r.stderr


def test_serve_prints_its_address_and_answers(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("rehab")
    proc = subprocess.Popen(
        [str(exe), "serve", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"rehab desk for {tmp_path}: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].split()[0]
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    body = resp.read().decode()
                    assert resp.status == 200
                    assert resp.headers["x-frame-options"] == "DENY"
                    assert "server" not in {k.lower() for k in resp.headers}
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.1)
        assert "Clients" in body
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
    assert "GET /" not in out + err  # no access log (URLs name clients)


@pytest.mark.slow
def test_wheel_ships_templates_and_vendored_htmx(tmp_path: Path) -> None:
    import importlib.util

    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-build-isolation")
    r = subprocess.run([*cmd, str(ROOT)], capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("rehab_rules-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("htmx.min.js", "htmx.LICENSE", "VENDORED", "desk.css"):
        assert f"engine/web/static/{name}" in names
    for name in ("base.html", "_assess_form.html", "plan.html", "review.html", "rule_file.html"):
        assert f"engine/web/templates/{name}" in names
