"""Shared fixtures and helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def rehab(
    *args: str, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess (the installed `rehab` when present)."""
    exe = Path(sys.executable).with_name("rehab")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine"]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd or ROOT,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


# `make test-fast` runs `-m "not slow"` on two workers. Besides the tests their own files mark
# slow, these are marked here (their files stay as their owners wrote them). CPU seconds measured
# on this project's 2-core VM, children included; `make test` still runs every one of them.
SLOW_IN_FAST = {
    "tests/test_render_speed.py::test_speedups_give_the_same_bytes": "13 s: every example rendered twice",
    "tests/test_rules_fuzz.py::test_what_the_check_accepts_the_engine_runs": "7 s: generated rule sets",
    "tests/test_pdf.py::test_first_visit_reports_have_no_review_sections": "7 s: every example's report",
    "tests/test_rules_wall.py::test_two_plan_processes_never_overwrite_each_other": "5 s: two processes racing",
    "tests/test_robustness.py::test_edited_plan_is_refused_before_progress": "2 s: subprocesses",
    "tests/test_handout_truth.py::test_generated_handouts_are_true": "2 s: generated assessments",
    "tests/test_interop.py::test_garbage_through_the_cli_exits_2_or_writes_a_valid_file": "2 s: generated files",
    "tests/test_pdf.py::test_batch_in_parallel_gives_the_same_bytes": "worker processes",
    "tests/test_pdf.py::test_batch_reports_bad_file_and_writes_the_rest": "worker processes",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid in SLOW_IN_FAST:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _own_content_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The content cache (engine/load/cache.py) of a test run lives in a temporary folder, for
    this process and the `rehab` subprocesses it starts, never in the user's ~/.cache."""
    if "REHAB_CACHE_DIR" not in os.environ:
        os.environ["REHAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("rehab-cache"))
