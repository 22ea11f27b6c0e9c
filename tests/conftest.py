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


@pytest.fixture(autouse=True, scope="session")
def _own_content_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The content cache (engine/load/cache.py) of a test run lives in a temporary folder, for
    this process and the `rehab` subprocesses it starts, never in the user's ~/.cache."""
    if "REHAB_CACHE_DIR" not in os.environ:
        os.environ["REHAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("rehab-cache"))
