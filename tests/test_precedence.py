"""Planner precedence and content-as-data, on temporary rule folders (no Python changes)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from engine.cli import app
from engine.load.content import load_content
from engine.plan.pipeline import evaluate, parse_assessment
from tests.conftest import ROOT

BASE = """version: 1
client: {name: Test Runner}
assessed_on: 2026-11-01
findings:
  pelvic_drop: {left_stance_deg: 3.0, right_stance_deg: 9.0}
"""


def make_content(tmp_path: Path, rules: str, extra_exercise: str | None = None) -> tuple[Path, Path]:
    rules_dir, ex_dir = tmp_path / "rules", tmp_path / "exercises"
    rules_dir.mkdir(parents=True)
    for name in ("thresholds.yaml", "references.yaml"):
        shutil.copy(ROOT / "rules" / name, rules_dir / name)
    shutil.copytree(ROOT / "exercises", ex_dir)
    (rules_dir / "test.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
    if extra_exercise is not None:
        (ex_dir / "hop-scotch-drill.yaml").write_text(extra_exercise, encoding="utf-8")
    return rules_dir, ex_dir


def plan_for(tmp_path: Path, rules: str, assessment: str = BASE, extra: str | None = None) -> dict:
    r, e = make_content(tmp_path, rules, extra)
    return evaluate(load_content(r, e), parse_assessment(assessment)).plan.model_dump(mode="json")


RULE = """
  - id: {id}
    description: test rule
    priority: {pri}
    evidence: [bramah-2018]
    when: {{fact: pelvic_drop, as: d, where: {{field: flagged, eq: true}}}}
    then: [{then}]
"""


def rules(*specs: tuple[str, int, str]) -> str:
    return "version: 1\nrules:" + "".join(RULE.format(id=i, pri=p, then=t) for i, p, t in specs)


def test_exclusion_beats_prescription_whatever_the_order(tmp_path: Path) -> None:
    for n, (pe, pp) in enumerate(((10, 500), (500, 10))):
        plan = plan_for(
            tmp_path / str(n),
            rules(
                ("rx", pp, "{prescribe: {exercise: single-leg-squat-mirror, side: {from: d.side}}}"),
                ("no-single-leg-squat", pe, "{exclude: {exercise: single-leg-squat-mirror, reason: not today}}"),
            ),
        )
        # excluded: moves down its ladder to the first allowed level
        assert [(e["id"], e["side"]) for e in plan["exercises"]] == [("hip-hike", "right")]
        assert plan["excluded"][0] == {
            "exercise": "single-leg-squat-mirror",
            "rule": "no-single-leg-squat",
            "reason": "not today",
        }


def test_urgent_referral_removes_every_exercise(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        rules(
            ("rx", 1, "{prescribe: {exercise: wb-glute-med-hold}}"),
            ("refer", 900, "{refer: {urgency: urgent, reason: go now}}"),
        ),
    )
    assert plan["status"] == "refer_urgent" and plan["exercises"] == []
    assert plan["not_included"][0]["exercise"] == "wb-glute-med-hold"


def test_duplicates_merge_keeping_every_reason_and_sides(tmp_path: Path) -> None:
    assessment = BASE.replace("left_stance_deg: 3.0", "left_stance_deg: 9.5")
    plan = plan_for(
        tmp_path,
        rules(
            ("a-rule", 200, "{prescribe: {exercise: wb-glute-med-hold, side: {from: d.side}}}"),
            ("b-rule", 100, "{prescribe: {ladder: pelvic-control, level: 4, side: left}}"),
        ),
        assessment,
    )
    (item,) = plan["exercises"]
    assert (item["id"], item["side"], item["level"]) == ("wb-glute-med-hold", "both", 3)
    assert sorted({b["rule"] for b in item["because"]}) == ["a-rule", "b-rule"]


def test_order_by_priority_then_rule_id(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        rules(
            ("zz", 50, "{prescribe: {exercise: clam}}"),
            ("aa", 50, "{prescribe: {exercise: bridge-double}}"),
            ("first", 10, "{prescribe: {exercise: dead-bug}}"),
        ),
    )
    assert [e["id"] for e in plan["exercises"]] == ["dead-bug", "bridge-double", "clam"]


def test_limit_caps_levels_and_doses(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        rules(
            ("rx", 10, "{prescribe: {exercise: single-leg-squat-mirror, dose: 2}}"),
            ("calm", 5, "{limit: {max_level: 2, max_dose: 1, reason: irritable}}"),
        ),
    )
    (item,) = plan["exercises"]
    assert (item["id"], item["level"], item["dose_step"]) == ("iso-abduction-standing", 2, 1)


def test_new_exercise_and_rule_need_no_python_change(tmp_path: Path) -> None:
    exercise = (ROOT / "exercises" / "pogo-hops.yaml").read_text(encoding="utf-8")
    exercise = exercise.replace("id: pogo-hops", "id: hop-scotch-drill")
    import re

    exercise = re.sub(r"^level: \d+", "level: 5", exercise, flags=re.M)  # top of the plyometric ladder
    plan = plan_for(
        tmp_path, rules(("hop", 10, "{prescribe: {exercise: hop-scotch-drill, side: {from: d.side}}}")), extra=exercise
    )
    assert [e["id"] for e in plan["exercises"]] == ["hop-scotch-drill"]


BROKEN = """version: 1
rules:
  - id: bad-key
    description: x
    evidence: [bramah-2018]
    when: {fact: pelvic_drop}
    then: [{cue: x}]
    colour: red
  - id: unknown-exercise
    description: x
    evidence: [bramah-2018]
    when: {fact: pelvic_drop}
    then: [{prescribe: {exercise: wb-glute-med-hol}}]
  - id: unknown-exercise
    description: duplicate id
    evidence: [bramah-2018]
    when: {fact: pelvic_drop}
    then: [{cue: x}]
  - id: bad-operator
    description: x
    evidence: [bramah-2018]
    when: {fact: pelvic_drop, where: {field: deg, above: 5}}
    then: [{cue: x}]
"""


def test_broken_rules_folder_gives_one_message_per_problem(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    r, e = make_content(tmp_path, BROKEN)
    result = runner.invoke(app, ["rules", "check", "--rules", str(r), "--exercises", str(e)])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if "test.yaml" in ln]
    assert any(":8:5: rules[0].colour: unknown key 'colour'" in ln for ln in lines), lines
    assert any("rules[3].when.where.above: unknown key 'above'" in ln for ln in lines), lines
    assert "Traceback" not in result.stderr
    # schema errors first; once fixed, link errors are listed
    fixed = BROKEN.replace("    colour: red\n", "").replace("above: 5", "gt: 5")
    (r / "test.yaml").write_text(fixed, encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", "--rules", str(r), "--exercises", str(e)])
    assert result.exit_code == 2
    assert (
        "test.yaml:12:35: rules[1].then[0].prescribe.exercise: unknown exercise 'wb-glute-med-hol' (did you mean 'wb-glute-med-hold'?)"
        in result.stderr
    )
    assert "test.yaml:13:9: rules[2].id: duplicate rule id 'unknown-exercise'" in result.stderr


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "{field: grade, eq: severe}",
            "'severe' is never a value of 'pelvic_drop.grade' (values: none, mild, moderate, marked)",
        ),
        ("{field: degrees, gt: 5}", "fact 'pelvic_drop' has no field 'degrees' (did you mean 'deg'?)"),
        ("{all: [{field: deg, gt: 9}, {field: deg, lt: 4}]}", "can never be both above 9 and below 4"),
        ("{field: deg, gt: high}", "rules[0].when.where.gt: must be a number (got 'high')"),
    ],
)
def test_rules_check_finds_rules_that_cannot_work(tmp_path: Path, runner, where: str, message: str) -> None:  # type: ignore[no-untyped-def]
    text = f"version: 1\nrules:\n  - id: r\n    description: x\n    evidence: [bramah-2018]\n    when: {{fact: pelvic_drop, where: {where}}}\n    then: [{{cue: x}}]\n"
    r, e = make_content(tmp_path, text)
    result = runner.invoke(app, ["rules", "check", "--rules", str(r), "--exercises", str(e)])
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_unknown_fact_kind_did_you_mean(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    text = "version: 1\nrules:\n  - id: r\n    description: x\n    evidence: [bramah-2018]\n    when: {fact: pelvic_dorp}\n    then: [{cue: x}]\n"
    r, e = make_content(tmp_path, text)
    result = runner.invoke(app, ["rules", "check", "--rules", str(r), "--exercises", str(e)])
    assert "unknown fact 'pelvic_dorp'" in result.stderr and "did you mean 'pelvic_drop'" in result.stderr


def test_cue_leaves_with_its_excluded_prescription(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        rules(
            ("drill", 10, "{prescribe: {exercise: pogo-hops}}, {cue: Land softly.}"),
            ("general", 20, "{cue: Keep your belt line level.}"),
            ("no-impact", 900, "{exclude: {tag: impact, reason: bone stress}}"),
        ),
    )
    assert [c["text"] for c in plan["cues"]] == ["Keep your belt line level."]
    assert plan["exercises"] == []


def test_rules_check_refuses_past_durable_limits(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    body = "version: 1\nrules:\n" + "".join(
        f"  - id: r{i}\n    description: x\n    evidence: [bramah-2018]\n"
        f"    when: {{fact: pelvic_drop, where: {{field: deg, gt: {i / 10}}}}}\n    then: [{{cue: x}}]\n"
        for i in range(70)
    )
    r, e = make_content(tmp_path, body)
    result = runner.invoke(app, ["rules", "check", "--rules", str(r), "--exercises", str(e)])
    assert result.exit_code == 2  # issue 11: an engine limit is an error with a position, not a warning
    assert "tests on 'pelvic_drop' facts can be true at once" in result.stderr
    assert ".yaml:" in result.stderr.split("tests on 'pelvic_drop'")[0]
