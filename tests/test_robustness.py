"""Regressions from an adversarial review of the command line: no crash, no clobbered file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine.cli import app
from tests.conftest import EXAMPLES, ROOT, rehab

SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
CAUDA = ROOT / "examples" / "cauda-equina-red-flag.yaml"


def test_red_flag_without_a_referral_rule_stops_the_plan(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    bare = tmp_path / "rules"
    bare.mkdir()
    for name in ("references.yaml", "thresholds.yaml"):
        shutil.copy(ROOT / "rules" / name, bare / name)
    check = runner.invoke(app, ["rules", "check", "--rules", str(bare)])
    assert check.exit_code == 0 and "no rule refers the client for red flag(s) saddle_anaesthesia" in check.stderr
    out = tmp_path / "p.json"
    result = runner.invoke(app, ["plan", str(CAUDA), "--rules", str(bare), "--json", str(out)])
    assert result.exit_code == 2 and "saddle_anaesthesia" in result.stderr and not out.exists()


def test_outputs_naming_one_file_twice_are_refused(tmp_path: Path) -> None:
    (tmp_path / "io").mkdir()
    r = rehab(
        "plan",
        str(SEED),
        "--json",
        str(tmp_path / "io" / "q.json"),
        "-o",
        str(tmp_path / "io" / ".." / "io" / "q.json"),
    )
    assert r.returncode == 2 and "same file" in r.stderr and not (tmp_path / "io" / "q.json").exists()
    r = rehab("plan", str(SEED), "--json", "-", "-o", "-")
    assert r.returncode == 2 and "only one output" in r.stderr and r.stdout == ""
    r = rehab("plan", str(SEED), "--json", "/dev/null", "--force")
    assert r.returncode == 2 and "not a regular file" in r.stderr


def test_batch_refuses_colliding_names_and_mixed_options(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES[0], tmp_path / "x.yaml")
    shutil.copy(EXAMPLES[1], tmp_path / "x.report.yaml")
    out = tmp_path / "out"
    out.mkdir()
    r = rehab("plan", str(tmp_path / "x.yaml"), str(tmp_path / "x.report.yaml"), "--out-dir", str(out))
    assert r.returncode == 2 and "x.report.pdf" in r.stderr and list(out.iterdir()) == []
    r = rehab("plan", str(tmp_path / "x.yaml"), "--out-dir", str(out), "-o", str(tmp_path / "a.pdf"))
    assert r.returncode == 2 and "--out-dir" in r.stderr


def test_complex_and_non_word_keys_are_positioned_errors(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    for text, where in (("{? [a, b]: 1}\n", "1:4"), ("version: 1\ntrue: 1\n", "2:1")):
        (tmp_path / "k.yaml").write_text(text)
        result = runner.invoke(app, ["validate", str(tmp_path / "k.yaml")])
        assert result.exit_code == 2 and f"k.yaml:{where}:" in result.stderr, result.stderr


def test_edited_plan_is_refused_before_progress(tmp_path: Path) -> None:
    p1 = tmp_path / "p1.json"
    assert rehab("plan", str(EXAMPLES[3]), "--json", str(p1)).returncode == 0
    plan = json.loads(p1.read_text())
    first = plan["exercises"][0]
    fb = tmp_path / "fb.yaml"
    fb.write_text(
        f"version: 1\nreported_on: 2026-11-24\nexercises:\n  - {{id: {first['id']}, side: {first['side']}, "
        "completed: true, pain_during: 0, pain_next_morning: 0, control: good}\n"
    )
    first["dose_step"] = 99
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(plan, indent=2))
    r = rehab("progress", str(edited), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "dose steps, not 99" in r.stderr and "edited.json:" in r.stderr
    plan["assessed_on"] = "2026-02-30"
    first["dose_step"] = 1
    edited.write_text(json.dumps(plan, indent=2))
    r = rehab("progress", str(edited), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "assessed_on: must be a date" in r.stderr and not (tmp_path / "p2.json").exists()


def test_rule_test_files_with_unknown_names_are_file_errors(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    t = tmp_path / "x.test.yaml"
    t.write_text("version: 1\ncases:\n  - name: a\n    fires: [cpd-flagged-sid]\n    excludes: [{exercise: clams}]\n")
    result = runner.invoke(app, ["rules", "test", str(t)])
    assert result.exit_code == 2
    assert (
        "x.test.yaml:4:13: cases[0].fires[0]: 'cpd-flagged-sid' is not a rule (did you mean 'cpd-flagged-side'?)"
        in result.stderr
    )
    assert "'clams' is not a known exercise (did you mean 'clam'?)" in result.stderr
