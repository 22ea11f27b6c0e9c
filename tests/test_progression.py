"""Progression at review: one client through three reviews, and the progress/history commands."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from engine.load.content import load_content
from engine.plan.pipeline import evaluate, parse_assessment
from engine.plan.progression import default_feedback, progress
from tests.conftest import rehab

ASSESSMENT = """version: 1
client: {name: Søren Ødegård, id: C-7}
assessed_on: 2026-10-01
findings:
  pelvic_drop: {left_stance_deg: 3.0, right_stance_deg: 9.0}
"""


def _hold(plan, ex_id: str):  # type: ignore[no-untyped-def]
    return next(e for e in plan.exercises if e.ladder == "pelvic-control")


def test_three_reviews_green_amber_red() -> None:
    content = load_content()
    plan = evaluate(content, parse_assessment(ASSESSMENT)).plan
    first = _hold(plan, "wb-glute-med-hold")
    # CLINICAL.md §4.5: non-irritable drop starts on the weight-bearing hold (L3), right side only
    assert (first.id, first.side, first.level, first.dose_step) == ("wb-glute-med-hold", "right", 3, 1)

    def review(p, day: int, **each):  # type: ignore[no-untyped-def]
        fb = default_feedback(p, {"each": each}, dt.date(2026, 10, day))
        return progress(content, p, fb)

    green = review(plan, 15, pain_during=1, pain_next_morning=0)
    g = _hold(green, "wb-glute-med-hold")
    # §5.2 green: progress ONE variable one step -> next dose step on the same level
    assert (g.id, g.level, g.dose_step, g.change) == ("wb-glute-med-hold", 3, 2, "harder")
    assert (g.dosage.sets, g.dosage.hold_s) == (4, 20)
    # §4.4 phase 1 control: holds 10-30 s x 3-5
    assert 10 <= g.dosage.hold_s <= 30 and 3 <= g.dosage.sets <= 5
    assert green.revision == 2 and green.previous is not None

    amber = review(green, 29, pain_during=4, pain_next_morning=1)
    a = _hold(amber, "wb-glute-med-hold")
    # §5.2 amber (pain during 3-5): repeat the same dose
    assert (a.id, a.level, a.dose_step, a.change) == ("wb-glute-med-hold", 3, 2, "same")
    assert a.dosage == g.dosage

    red = review(amber, 31, pain_during=7, pain_next_morning=3)
    r = _hold(red, "wb-glute-med-hold")
    # §5.2 red (pain during > 5): drop one ladder level
    assert (r.id, r.level, r.dose_step, r.change) == ("iso-abduction-standing", 2, 1, "easier")
    assert r.red_count == 1 and "above 5" in (r.change_note or "")
    assert [t.rule for t in red.trace if t.rule.startswith("prog-red")] != []
    assert red.revision == 4


FEEDBACK = """version: 1
reported_on: 2026-10-15
exercises:
  - {id: wb-glute-med-hold, side: right, completed: true, pain_during: 1, pain_next_morning: 0, control: good}
"""


def test_progress_and_history_commands(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ASSESSMENT, encoding="utf-8")
    p1 = tmp_path / "plan-1.json"
    assert rehab("plan", str(tmp_path / "a.yaml"), "--json", str(p1)).returncode == 0
    before = p1.read_bytes()
    fb = tmp_path / "fb.yaml"
    fb.write_text(FEEDBACK, encoding="utf-8")
    p2 = tmp_path / "plan-2.json"
    r = rehab("progress", str(p1), str(fb), "--json", str(p2), "-o", str(tmp_path / "h2.pdf"))
    assert r.returncode == 0, r.stderr
    assert p1.read_bytes() == before  # the earlier plan is never changed
    nxt = json.loads(p2.read_text())
    assert nxt["revision"] == 2
    assert nxt["previous"]["sha256"] == hashlib.sha256(before).hexdigest()
    changes = {e["id"]: e["change"] for e in nxt["exercises"]}
    assert changes["wb-glute-med-hold"] == "harder" and set(changes.values()) <= {"harder", "same"}
    assert (tmp_path / "h2.pdf").read_bytes().startswith(b"%PDF")

    # writing over the plan it reads from is refused
    r = rehab("progress", str(p1), str(fb), "--json", str(p1), "--force")
    assert r.returncode == 2 and "input files" in r.stderr and p1.read_bytes() == before

    hist = rehab("history", str(tmp_path))
    assert hist.returncode == 0, hist.stderr
    lines = hist.stdout.splitlines()
    assert "revision 1" in lines[0] and any("revision 2" in ln and "follows plan-1.json" in ln for ln in lines)


def test_feedback_that_does_not_belong_to_the_plan(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ASSESSMENT, encoding="utf-8")
    p1 = tmp_path / "plan-1.json"
    rehab("plan", str(tmp_path / "a.yaml"), "--json", str(p1))
    fb = tmp_path / "fb.yaml"
    fb.write_text(
        FEEDBACK.replace("side: right", "side: left").replace("pain_during: 1", "pain_during: 11"), encoding="utf-8"
    )
    r = rehab("progress", str(p1), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2
    assert "fb.yaml:4:" in r.stderr and "pain_during: must be between 0 and 10" in r.stderr
    fb.write_text(FEEDBACK.replace("side: right", "side: left").replace("wb-glute", "x-glute"), encoding="utf-8")
    r = rehab("progress", str(p1), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "fb.yaml:4:" in r.stderr and "'x-glute-med-hold' is not in this plan" in r.stderr
    fb.write_text(FEEDBACK.replace("side: right", "side: left"), encoding="utf-8")
    r = rehab("progress", str(p1), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "is in the plan for side right, not left" in r.stderr
    assert not (tmp_path / "p2.json").exists()
