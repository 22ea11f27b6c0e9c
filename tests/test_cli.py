"""The command line through CliRunner and through a real subprocess."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine import __version__
from engine.cli import app
from tests.conftest import EXAMPLES, ROOT, rehab


def test_version(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"rehab-rules {__version__}"


def test_every_command_help_has_an_example(runner) -> None:  # type: ignore[no-untyped-def]
    commands = [
        ["validate"],
        ["schema"],
        ["plan"],
        ["explain"],
        ["rules", "check"],
        ["rules", "test"],
        ["exercises", "list"],
        ["exercises", "show"],
        ["assess"],
        ["new"],
        ["progress"],
        ["history"],
        ["rules", "facts"],
    ]
    for cmd in commands:
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0, (cmd, result.output)
        assert "Example" in result.stdout, cmd


def test_validate_examples_ok(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["validate", *map(str, EXAMPLES)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(": OK") == len(EXAMPLES)


def test_validate_mixed_files_exit_2(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["validate", str(EXAMPLES[0]), str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "missing.yaml: file not found" in result.stderr
    assert ": OK" in result.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, runpy; sys.argv=['rehab','--help']\n"
        "try:\n    runpy.run_module('engine', run_name='__main__')\nexcept SystemExit: pass\n"
        "bad=[m for m in ('fpdf','durable','durable_rules_engine','engine.evaluate.runtime','engine.render.pdf') if m in sys.modules]\n"
        "print('HEAVY', bad)"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "HEAVY []" in out.stdout


def test_subprocess_validate_from_another_folder(tmp_path: Path) -> None:
    result = rehab("validate", *map(str, EXAMPLES), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\x00\x01binary")
    result = rehab("validate", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yaml: this is a binary file" in result.stderr
    assert "Traceback" not in result.stderr


def test_subprocess_plan_json_to_stdout() -> None:
    result = rehab("plan", str(EXAMPLES[0]), "--json", "-")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["version"] == 1 and plan["assessed_on"]


def test_schema_assessment(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["schema", "assessment"])
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert "pelvic_drop" in json.dumps(schema)


def test_unknown_schema_kind(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["schema", "nonsense"])
    assert result.exit_code == 2 and "unknown format 'nonsense'" in result.stderr
