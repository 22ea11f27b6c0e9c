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


def test_rules_test_runs_on_past_a_bad_file_and_enforces_coverage(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "assessment" / "broken.test.yaml").write_text("version: 1\ncases: []\n", encoding="utf-8")
    trunk = rules / "assessment" / "trunk.test.yaml"
    trunk.rename(trunk.with_name("trunk.tests.yaml.off"))
    result = runner.invoke(app, ["rules", "test", "--rules", str(rules)])
    assert result.exit_code == 2
    assert "broken.test.yaml:2:" in result.stderr  # the bad file is reported ...
    assert " passed, " in result.stdout  # ... and every other file still ran
    assert "trunk.yaml: has no test file; add trunk.test.yaml" in result.stderr
    assert "fires in no test case" in result.stderr
    check = runner.invoke(app, ["rules", "check", "--rules", str(rules)])
    assert check.exit_code == 2 and "trunk.yaml: has no test file" in check.stderr


def test_a_case_with_a_bad_value_points_at_its_line(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    t = tmp_path / "x.test.yaml"
    t.write_text(
        "version: 1\ncases:\n  - name: a\n    assessment:\n      findings:\n        cadence_spm: 500\n"
        "    status: exercise\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "test", str(t)])
    assert result.exit_code == 2
    assert f"{t}:6: a: case input is invalid: findings.cadence_spm: must be between 120 and 230" in result.stderr


OVERRIDES = """version: 1
overrides:
  - swap: {exercise: band-crab-walk, side: both, with: clam, reason: No band at home.}
  - dose: {exercise: bridge-double, side: both, step: 2, reason: Step 1 too easy.}
  - remove: {exercise: iso-abduction-supine, side: both, reason: Does it at pilates.}
  - add: {exercise: step-down-low, side: right, reason: Wants one-leg work.}
"""


def test_clinician_overrides_are_recorded_and_carried_into_the_review(tmp_path: Path) -> None:
    example = ROOT / "examples" / "gluteal-tendinopathy.yaml"
    ov, plan = tmp_path / "o.yaml", tmp_path / "plan-1.json"
    ov.write_text(OVERRIDES, encoding="utf-8")
    r = rehab("plan", str(example), "--overrides", str(ov), "--json", str(plan))
    assert r.returncode == 2 and "o.yaml:6:" in r.stderr and "give 'despite_exclusion'" in r.stderr
    assert not plan.exists()
    ov.write_text(OVERRIDES.replace("work.}", "work., despite_exclusion: Pain has settled.}"), encoding="utf-8")
    r = rehab("plan", str(example), "--overrides", str(ov), "--json", str(plan))
    assert r.returncode == 0, r.stderr
    assert "warning: step-down-low was added although rule irritability-high-limit excluded it" in r.stderr
    p = json.loads(plan.read_text())
    items = {e["id"]: e for e in p["exercises"]}
    assert set(items) == {"clam", "bridge-double", "step-down-low"}
    assert items["clam"]["because"] == [
        {"rule": "clinician-override", "reason": "No band at home.", "findings": [], "values": {}, "evidence": []}
    ]
    assert (
        items["bridge-double"]["dose_step"] == 2
        and items["bridge-double"]["because"][-1]["rule"] == "clinician-override"
    )
    assert [o["action"] for o in p["overrides"]] == ["swap", "dose", "remove", "add"]
    assert p["overrides"][3]["overrides_exclusion"] == "irritability-high-limit"
    assert {"exercise": "iso-abduction-supine", "rule": "clinician-override", "reason": "Does it at pilates."} in p[
        "not_included"
    ]
    fb = tmp_path / "fb.yaml"
    assert rehab("new", "feedback", "--plan", str(plan), "-o", str(fb)).returncode == 0
    r = rehab("progress", str(plan), str(fb), "--json", str(tmp_path / "plan-2.json"))
    assert r.returncode == 0, r.stderr
    nxt = json.loads((tmp_path / "plan-2.json").read_text())
    assert nxt["overrides"] == p["overrides"]  # carried into the next review
    assert {e["id"] for e in nxt["exercises"]} >= {"step-down-low"}
