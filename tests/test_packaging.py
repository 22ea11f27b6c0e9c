"""The built wheel works on its own: data inside the wheel, found from any directory.

The slow tests build a wheel from this checkout, install it (no dependencies) into a
throw-away venv whose only link to the outside is a ``.pth`` line pointing at the
current environment's site-packages (so the dependencies are importable without a
network download), and run the installed ``rehab`` from a temporary working directory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import EXAMPLES, ROOT

DATA_KINDS = ("rules", "exercises", "templates")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    rehab: Path
    site_packages: Path
    cwd: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*args], cwd=self.cwd, env=_clean_env(), capture_output=True, text=True, timeout=120, check=False
        )


def _clean_env() -> dict[str, str]:
    """No override may point back at the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"} and not k.startswith("REHAB_")
    }
    env["PYTHONNOUSERSITE"] = "1"
    if "REHAB_CACHE_DIR" in os.environ:  # the test run's own content cache, never the user's ~/.cache
        env["REHAB_CACHE_DIR"] = os.environ["REHAB_CACHE_DIR"]
    return env


def _check(proc: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    """Build and install once per module; the whole temporary tree is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="rehab-packaging-") as tmp:
        yield _build_and_install(Path(tmp))


def _build_and_install(base: Path) -> Installed:
    dist = base / "dist"
    # Build the wheel the way a user's `pip install .` does; without hatchling in this
    # environment pip fetches it into an isolated build environment.
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist)]
    if importlib.util.find_spec("hatchling") is not None:
        build.append("--no-build-isolation")
    _check(
        subprocess.run(
            [*build, str(ROOT)], cwd=base, env=_clean_env(), capture_output=True, text=True, timeout=300, check=False
        ),
        "pip wheel",
    )
    (wheel,) = dist.glob("rehab_rules-*.whl")

    venv = base / "venv"
    _check(
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ),
        "venv",
    )
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
            env=_clean_env(),
        ).stdout.strip()
    )
    # Dependencies come from this environment; the venv's own site-packages stays first on
    # sys.path, and .pth files in the appended folder (the editable install) are not run.
    (site / "_outer_deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _check(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(python),
                "install",
                "--quiet",
                "--no-deps",
                "--no-index",
                str(wheel),
            ],
            cwd=base,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        ),
        "pip install wheel",
    )

    cwd = base / "elsewhere"
    cwd.mkdir()
    return Installed(wheel, python, venv / "bin" / "rehab", site.resolve(), cwd)


def _source_files(kind: str) -> set[str]:
    folder = ROOT / kind
    return {
        f"engine/_data/{kind}/{p.relative_to(folder).as_posix()}"
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.slow
def test_wheel_ships_the_data_and_nothing_else(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for kind in DATA_KINDS:
        expected = _source_files(kind)
        assert expected, kind
        assert expected <= names, sorted(expected - names)[:10]
        shipped = {n for n in names if n.startswith(f"engine/_data/{kind}/")}
        assert shipped <= expected, sorted(shipped - expected)[:10]
    assert any(n.startswith("engine/_data/templates/fonts/") and n.endswith(".ttf") for n in names)
    # Schemas, examples and tests are editor/developer aids, not runtime data.
    assert not [n for n in names if n.split("/")[0] in {"schemas", "examples", "tests", "rules"}]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "rehab = engine.cli:main" in zipfile.ZipFile(installed.wheel).read(entry_points).decode()


@pytest.mark.slow
def test_installed_package_uses_its_own_data(installed: Installed) -> None:
    code = (
        "import json, engine, engine.load.resources as r; "
        "print(json.dumps([engine.__file__] + [str(r.data_dir(k)) for k in "
        f"{DATA_KINDS!r}]))"
    )
    paths = json.loads(_check(installed.run(str(installed.python), "-c", code), "import").stdout)
    for path in paths:
        resolved = Path(path).resolve()
        assert resolved.is_relative_to(installed.site_packages), path
        assert not resolved.is_relative_to(ROOT.resolve()), path
    for kind, path in zip(DATA_KINDS, paths[1:], strict=True):
        assert Path(path).parts[-3:] == ("engine", "_data", kind), path
        assert Path(path).is_dir(), path


@pytest.mark.slow
def test_installed_metadata_declares_the_dependencies(installed: Installed) -> None:
    code = "import importlib.metadata as m, json; print(json.dumps(m.requires('rehab-rules')))"
    requires = json.loads(_check(installed.run(str(installed.python), "-c", code), "metadata").stdout)
    runtime = [r for r in requires if "extra ==" not in r]
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert {Requirement(r) for r in runtime} == {Requirement(d) for d in declared["project"]["dependencies"]}


@pytest.mark.slow
def test_installed_rehab_validates_and_plans_from_elsewhere(installed: Installed) -> None:
    rehab = str(installed.rehab)
    out = _check(installed.run(rehab, "validate", *map(str, EXAMPLES)), "rehab validate").stdout
    assert out.count(": OK") == len(EXAMPLES)

    example = ROOT / "examples" / "low-cadence-pfp.yaml"
    proc = _check(installed.run(rehab, "plan", str(example), "--json", "-"), "rehab plan --json -")
    golden = ROOT / "tests" / "golden" / f"{example.stem}.plan.json"
    have, want = json.loads(proc.stdout), json.loads(golden.read_text(encoding="utf-8"))
    # as in test_golden: the plan is the golden one; the content hashes are the source tree's own
    # (any rule or exercise edit changes them, so the golden's copy is not the reference)
    made_with = have.pop("generated_with")
    want.pop("generated_with")
    assert have == want
    from engine.load.content import load_content

    content = load_content()
    assert made_with["rules_sha256"] == content.book.sha256
    assert made_with["exercises_sha256"] == content.library.sha256

    pdf = installed.cwd / "handout.pdf"
    _check(
        installed.run(
            rehab, "plan", str(example), "-o", str(pdf), "--json", str(installed.cwd / "plan.json"), "--force"
        ),
        "rehab plan -o",
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (installed.cwd / "plan.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("command", [("rules", "check"), ("rules", "test"), ("exercises", "list")], ids=" ".join)
def test_installed_rehab_content_commands(installed: Installed, command: tuple[str, ...]) -> None:
    proc = _check(installed.run(str(installed.rehab), *command), " ".join(command))
    assert proc.stdout.strip()


def test_ci_entry_point_runs_make_test_and_fails_on_failure() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.startswith("#")]
    assert "set -euo pipefail" in lines
    assert lines[-1] == "make test"
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ntest: $(STAMP)\n\t$(BIN)/python -m pytest" in makefile
