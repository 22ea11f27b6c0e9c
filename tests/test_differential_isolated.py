"""Run the durable-vs-reference differential test in a child process (see test_differential.py).

A mismatch or any ordinary failure fails this test with the child's output. A SIGSEGV in
durable_rules' C core (seen inside ``retract_facts`` on random rule sets, not reproducible by seed)
is reported as an expected failure naming the defect, so it is visible in every run without
taking the rest of the suite down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_durable_matches_reference_in_a_child_process() -> None:
    env = {**os.environ, "REHAB_DIFF_CHILD": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_differential.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = proc.stdout[-4000:] + proc.stderr[-4000:]
    if proc.returncode in (-signal.SIGSEGV, 128 + signal.SIGSEGV) or "Segmentation fault" in out:
        pytest.xfail("durable_rules C core crashed (SIGSEGV in retract_facts): known engine defect, issue 11")
    assert proc.returncode == 0, out
    assert "1 passed" in proc.stdout, out
