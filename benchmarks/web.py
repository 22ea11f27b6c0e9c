"""Web desk figures (not timed tests): preview latency, 50 concurrent plans, memory over 1,000 requests.

.venv/bin/python benchmarks/web.py        # prints a Markdown table; numbers go in README
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.web_helpers import client_for, new_client, seed_form, token  # noqa: E402


def preview_median(n: int = 200) -> tuple[float, float]:
    """Form → plan preview and form → saved plan, in process (content loaded once), medians in ms."""
    with tempfile.TemporaryDirectory() as tmp, client_for(Path(tmp)) as tc:
        folder = new_client(tc)
        t = token(tc)
        data = {**seed_form(), "csrf_token": t}
        for _ in range(10):
            tc.post(f"/c/{folder}/preview", data=data, headers={"HX-Request": "true"})
        times = []
        for _ in range(n):
            start = time.perf_counter()
            r = tc.post(f"/c/{folder}/preview", data=data, headers={"HX-Request": "true"})
            times.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200
        saves = []
        for _ in range(30):
            start = time.perf_counter()
            r = tc.post(f"/c/{folder}/assess", data=data, follow_redirects=False)
            saves.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 303
    return statistics.median(times), statistics.median(saves)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def served(clinic: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("rehab")), "serve", str(clinic), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split(": ", 1)[1].split()[0].rstrip("/")


def concurrent_and_memory() -> dict[str, object]:
    """50 concurrent saves for 50 clients against `rehab serve`; then 1,000 previews and RSS."""
    import httpx2 as httpx

    from engine.app.clinic import Clinic
    from engine.app.planning import plan_assessment
    from engine.web import forms
    from engine.web.core import Engine

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        clinic = Path(tmp)
        proc, base = served(clinic)
        try:
            with httpx.Client(base_url=base) as c:
                for _ in range(100):
                    try:
                        page = c.get("/")
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
                t = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                folders = []
                for i in range(50):
                    r = c.post(
                        "/clients", data={"csrf_token": t, "client.name": f"Runner {i}", "client.id": f"R-{i:03d}"}
                    )
                    folders.append(r.headers["location"].split("/")[2])
                cookies = dict(c.cookies)

            def form_for(i: int) -> dict[str, str]:
                return {
                    **seed_form(),
                    "client.name": f"Runner {i}",
                    "client.id": f"R-{i:03d}",
                    "findings.cadence_spm": str(150 + i),
                    "findings.pelvic_drop.left_stance_deg": f"{(i % 12) + 0.5}",
                    "csrf_token": t,
                }

            results: dict[int, int] = {}
            barrier = threading.Barrier(50)

            def one(i: int) -> None:
                with httpx.Client(base_url=base, cookies=cookies, timeout=120) as cc:
                    barrier.wait()
                    r = cc.post(f"/c/{folders[i]}/assess", data=form_for(i))
                    results[i] = r.status_code

            start = time.perf_counter()
            threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            out["concurrent_s"] = time.perf_counter() - start
            out["concurrent_ok"] = sum(1 for s in results.values() if s == 303)
            # each stored plan is the plan the app layer makes for that client's own form
            engine = Engine()
            mixed = 0
            for i, folder in enumerate(folders):
                data, errors = forms.decode_assessment(forms.FormData(list(form_for(i).items())))
                assert not errors
                expected = plan_assessment(Clinic(), engine.validate_assessment(data)).json
                stored = (clinic / folder / "001-plan.json").read_text(encoding="utf-8")
                mixed += stored != expected
                assert len(list((clinic / folder).glob("*-plan.json"))) == 1
            out["concurrent_mixed"] = mixed

            with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
                data = {**form_for(0)}
                for _ in range(100):
                    c.post(f"/c/{folders[0]}/preview", data=data, headers={"HX-Request": "true"})
                before = rss_kb(proc.pid)
                marks = []
                for k in range(1000):
                    c.post(f"/c/{folders[0]}/preview", data=data, headers={"HX-Request": "true"})
                    if k % 250 == 249:
                        marks.append(rss_kb(proc.pid))
                out["rss_before_kb"] = before
                out["rss_marks_kb"] = marks
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
    return out


def main() -> None:
    preview, save = preview_median()
    figures = concurrent_and_memory()
    print(f"cores: {os.cpu_count()}")
    print("| what | figure |\n|---|---|")
    print(f"| form → plan preview, in process (median of 200) | {preview:.1f} ms |")
    print(f"| form → assessment + plan saved, in process (median of 30) | {save:.1f} ms |")
    print(
        f"| 50 concurrent saves, `rehab serve` | {figures['concurrent_ok']}/50 OK, "
        f"{figures['concurrent_mixed']} mixed up, {figures['concurrent_s']:.2f} s |"
    )
    marks = figures["rss_marks_kb"]
    assert isinstance(marks, list)
    print(
        f"| RSS over 1,000 previews (after 100 warm-up) | {int(figures['rss_before_kb']) // 1024} MB → "  # type: ignore[call-overload]
        + " → ".join(f"{m // 1024} MB" for m in marks)
        + " |"
    )


if __name__ == "__main__":
    main()
