"""Progression at review: one client through three reviews, and the progress/history commands."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from engine.load.content import load_content
from engine.plan.pipeline import evaluate, parse_assessment
from engine.plan.progression import default_feedback, progress


class _Run:
    def __init__(self, result) -> None:  # type: ignore[no-untyped-def]
        self.returncode, self.stdout, self.stderr = result.exit_code, result.stdout, result.stderr


def cli(*args: str) -> _Run:
    """The command line in process (fast); `rehab` runs it as a subprocess where that matters."""
    from typer.testing import CliRunner

    from engine.cli import app

    return _Run(CliRunner().invoke(app, list(args)))


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
    assert cli("plan", str(tmp_path / "a.yaml"), "--json", str(p1)).returncode == 0
    before = p1.read_bytes()
    fb = tmp_path / "fb.yaml"
    fb.write_text(FEEDBACK, encoding="utf-8")
    p2 = tmp_path / "plan-2.json"
    r = cli("progress", str(p1), str(fb), "--json", str(p2), "-o", str(tmp_path / "h2.pdf"))
    assert r.returncode == 0, r.stderr
    assert p1.read_bytes() == before  # the earlier plan is never changed
    nxt = json.loads(p2.read_text())
    assert nxt["revision"] == 2
    assert nxt["previous"]["sha256"] == hashlib.sha256(before).hexdigest()
    changes = {e["id"]: e["change"] for e in nxt["exercises"]}
    assert changes["wb-glute-med-hold"] == "harder" and set(changes.values()) <= {"harder", "same"}
    assert (tmp_path / "h2.pdf").read_bytes().startswith(b"%PDF")

    # writing over the plan it reads from is refused
    r = cli("progress", str(p1), str(fb), "--json", str(p1), "--force")
    assert r.returncode == 2 and "input files" in r.stderr and p1.read_bytes() == before

    hist = cli("history", str(tmp_path))
    assert hist.returncode == 0, hist.stderr
    lines = hist.stdout.splitlines()
    assert "revision 1" in lines[0] and any("revision 2" in ln and "follows plan-1.json" in ln for ln in lines)


def test_feedback_that_does_not_belong_to_the_plan(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ASSESSMENT, encoding="utf-8")
    p1 = tmp_path / "plan-1.json"
    cli("plan", str(tmp_path / "a.yaml"), "--json", str(p1))
    fb = tmp_path / "fb.yaml"
    fb.write_text(
        FEEDBACK.replace("side: right", "side: left").replace("pain_during: 1", "pain_during: 11"), encoding="utf-8"
    )
    r = cli("progress", str(p1), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2
    assert "fb.yaml:4:" in r.stderr and "pain_during: must be between 0 and 10" in r.stderr
    fb.write_text(FEEDBACK.replace("side: right", "side: left").replace("wb-glute", "x-glute"), encoding="utf-8")
    r = cli("progress", str(p1), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "fb.yaml:4:" in r.stderr and "'x-glute-med-hold' is not in this plan" in r.stderr
    fb.write_text(FEEDBACK.replace("side: right", "side: left"), encoding="utf-8")
    r = cli("progress", str(p1), str(fb), "--json", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "is in the plan for side right, not left" in r.stderr
    assert not (tmp_path / "p2.json").exists()


def test_new_red_flag_at_review_runs_the_assessment_red_flag_rules() -> None:
    content = load_content()
    plan = evaluate(content, parse_assessment(ASSESSMENT)).plan
    fb = default_feedback(plan, {"each": {}, "new_red_flags": ["saddle_anaesthesia"]}, dt.date(2026, 10, 15))
    nxt = progress(content, plan, fb)
    assert nxt.status == "refer_urgent" and nxt.exercises == []
    assert nxt.referrals[0].urgency == "emergency"
    assert any("new_red_flags" in line for t in nxt.trace for line in t.fired_on)


def test_review_visit_from_new_feedback_to_refusals(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ASSESSMENT, encoding="utf-8")
    p1, fb, p2 = tmp_path / "plan-1.json", tmp_path / "fb.yaml", tmp_path / "plan-2.json"
    assert cli("plan", str(tmp_path / "a.yaml"), "--json", str(p1)).returncode == 0
    plan = json.loads(p1.read_text())
    r = cli("new", "feedback", "--plan", str(p1), "-o", str(fb))
    assert r.returncode == 0, r.stderr
    text = fb.read_text(encoding="utf-8")
    assert all(f"id: {e['id']}" in text and f"side: {e['side']}" in text for e in plan["exercises"])
    # drop the first exercise's entry and quote the date as spreadsheets do
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("  - id:"))
    lines = [*lines[:first], *lines[first + 6 :]]
    lines = [("reported_on: '2026-10-15'" if ln.startswith("reported_on:") else ln) for ln in lines]
    fb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    skipped = plan["exercises"][0]
    r = cli("validate", str(fb), "--plan", str(p1))
    assert r.returncode == 0 and f"warning: no feedback for {skipped['id']}" in r.stderr
    r = cli("progress", str(p1), str(fb), "--json", str(p2))
    assert r.returncode == 0, r.stderr
    assert f"warning: no feedback for {skipped['id']}" in r.stderr
    nxt = json.loads(p2.read_text())
    assert nxt["warnings"] == [f"no feedback for {skipped['id']} ({skipped['side']}): kept as it was"]
    reviewed = {(x["id"], x["side"]): x for x in nxt["reviewed"]}
    assert reviewed[(skipped["id"], skipped["side"])]["feedback"] is None
    assert all(x["was"]["dosage"] and x["now"]["dosage"] for x in nxt["reviewed"])
    # the same feedback again: on the same plan, and on the plan it made
    r = cli("progress", str(p1), str(fb), "--json", str(tmp_path / "again.json"))
    assert r.returncode == 2 and "already applied" in r.stderr and "plan-2.json" in r.stderr
    r = cli("progress", str(p2), str(fb), "--json", str(tmp_path / "again.json"))
    assert r.returncode == 2 and "already applied" in r.stderr
    # feedback older than the plan
    fb.write_text(fb.read_text().replace("'2026-10-15'", "2026-09-30"), encoding="utf-8")
    r = cli("progress", str(p1), str(fb), "--json", str(tmp_path / "again.json"))
    assert r.returncode == 2 and "feedback older than the plan cannot be applied" in r.stderr
    assert not (tmp_path / "again.json").exists()


def test_history_groups_by_client_id_and_refuses_one_id_for_two_clients(tmp_path: Path) -> None:
    other = ASSESSMENT.replace("Søren Ødegård, id: C-7", "Ada Lovelace, id: C-8")
    for name, text in (("a.yaml", ASSESSMENT), ("b.yaml", other)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert cli("plan", str(tmp_path / name), "--json", str(tmp_path / f"{name}.json")).returncode == 0
    hist = cli("history", str(tmp_path))
    assert hist.returncode == 0, hist.stderr
    blocks = hist.stdout.split("\n\n")
    assert len(blocks) == 2 and "Søren" in blocks[0] and "Ada" in blocks[1]
    (tmp_path / "c.yaml").write_text(other.replace("C-8", "C-7"), encoding="utf-8")
    assert cli("plan", str(tmp_path / "c.yaml"), "--json", str(tmp_path / "c.json")).returncode == 0
    hist = cli("history", str(tmp_path))
    assert hist.returncode == 2 and "client id C-7 is" in hist.stderr and "one id must be one client" in hist.stderr


def test_review_sentences_and_volume_cut_come_from_rules_review_yaml(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import ROOT

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    text = (rules / "review.yaml").read_text(encoding="utf-8")
    (rules / "review.yaml").write_text(text.replace("Keep going as before.", "Carry on as you are."), encoding="utf-8")
    content = load_content(rules, ROOT / "exercises")
    assert content.review.sentences.hold == "Carry on as you are."
    assert (content.review.volume_cut.keep, content.review.volume_cut.of) == (2, 3)
    plan = evaluate(content, parse_assessment(ASSESSMENT)).plan
    nxt = progress(content, plan, default_feedback(plan, {"each": {"pain_during": 4}}, dt.date(2026, 10, 15)))
    assert any(e.change_note == "Carry on as you are." for e in nxt.exercises) or all(
        e.change_note != "Keep going as before." for e in nxt.exercises
    )


# ---------------------------------------------------------------- issue 13: the review in the clinician report
def _report_text(path: Path) -> str:
    """The report's text without any whitespace (table cells wrap; pypdf reads them cell by cell)."""
    from pypdf import PdfReader

    return "".join("".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


def _squash(s: str) -> str:
    return "".join(s.split())


def _dose_at(at: dict) -> str:  # type: ignore[type-arg]
    from engine.render.handout import load_template
    from engine.render.text import dosage_text

    words = load_template()[0].wording.exercises.dose
    return f"{at['id']} L{at['level']} step {at['dose_step']}: {dosage_text(at['dosage'], words)}"


def _first_visit(tmp_path: Path, assessment: Path | None = None) -> Path:
    if assessment is None:
        assessment = tmp_path / "a.yaml"
        assessment.write_text(ASSESSMENT, encoding="utf-8")
    p1 = tmp_path / "plan-1.json"
    r = cli("plan", str(assessment), "--json", str(p1), "--clinician-report", str(tmp_path / "r1.pdf"))
    assert r.returncode == 0, r.stderr
    first = _report_text(tmp_path / "r1.pdf")
    assert not any(_squash(h) in first for h in ("Review: feedback received", "Clinician overrides", "Check these"))
    return p1


def test_review_report_shows_each_exercises_feedback_and_dose_was_now(tmp_path: Path) -> None:
    p1 = _first_visit(tmp_path)
    fb, p2, report = tmp_path / "fb.yaml", tmp_path / "plan-2.json", tmp_path / "r2.pdf"
    # the feedback list in another order than the plan: matched by id, reported by id
    fb.write_text(
        """version: 1
reported_on: 2026-10-15
exercises:
  - {id: band-crab-walk, side: both, completed: false, pain_during: 1, pain_next_morning: 2, control: fair}
  - {id: wb-glute-med-hold, side: right, completed: true, pain_during: 7, pain_next_morning: 3, control: poor}
""",
        encoding="utf-8",
    )
    r = cli("progress", str(p1), str(fb), "--json", str(p2), "--clinician-report", str(report))
    assert r.returncode == 0, r.stderr
    nxt, full = json.loads(p2.read_text()), _report_text(report)
    section = full[full.index(_squash("Review: feedback received")) :]
    assert "Checkthese" not in full and "Clinicianoverrides" not in full
    rows = {x["id"]: x for x in nxt["reviewed"]}
    assert set(rows) == {"wb-glute-med-hold", "band-crab-walk"}
    expected = {
        "band-crab-walk": "Resistance band crab walk (band-crab-walk) both no 1 / 2 fair",
        "wb-glute-med-hold": "Weight-bearing glute med hold (wb-glute-med-hold) right yes 7 / 3 poor",
    }
    for ex_id, x in rows.items():
        assert _squash(expected[ex_id]) in section, ex_id
        assert _squash(f"{_dose_at(x['was'])} → {_dose_at(x['now'])}") in section, ex_id
    # ordered by exercise id, not by the plan's (or the feedback's) list position
    assert section.index(_squash(expected["band-crab-walk"])) < section.index(_squash(expected["wb-glute-med-hold"]))
    # red: down one ladder level, to another exercise
    assert rows["wb-glute-med-hold"]["now"]["id"] == "iso-abduction-standing"
    assert _squash("easier (L3 → L2)") in section


def test_review_report_warns_of_an_exercise_without_feedback(tmp_path: Path) -> None:
    p1 = _first_visit(tmp_path)
    fb, report = tmp_path / "fb.yaml", tmp_path / "r2.pdf"
    fb.write_text(FEEDBACK, encoding="utf-8")  # no entry for band-crab-walk
    r = cli("progress", str(p1), str(fb), "--json", str(tmp_path / "plan-2.json"), "--clinician-report", str(report))
    assert r.returncode == 0, r.stderr
    warning = "no feedback for band-crab-walk (both): kept as it was"
    assert warning in r.stderr
    full = _report_text(report)
    assert _squash(f"Check these Text {warning}") in full
    assert _squash("Resistance band crab walk (band-crab-walk) both no feedback – –") in full


OVERRIDES = """version: 1
overrides:
  - swap: {exercise: band-crab-walk, side: both, with: clam, reason: No band at home.}
  - add: {exercise: step-down-low, side: right, reason: Wants one-leg work., despite_exclusion: Pain has settled.}
"""


def test_review_report_lists_the_overrides_with_their_reasons(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    p1 = _first_visit(tmp_path, ROOT / "examples" / "gluteal-tendinopathy.yaml")
    fb, ov, report = tmp_path / "fb.yaml", tmp_path / "o.yaml", tmp_path / "r2.pdf"
    assert cli("new", "feedback", "--plan", str(p1), "-o", str(fb)).returncode == 0
    ov.write_text(OVERRIDES, encoding="utf-8")
    p2 = tmp_path / "plan-2.json"
    r = cli("progress", str(p1), str(fb), "--json", str(p2), "--overrides", str(ov), "--clinician-report", str(report))
    assert r.returncode == 0, r.stderr
    on = json.loads(p2.read_text())["overrides"][0]["on"]
    full = _report_text(report)
    section = full[full.index(_squash("Clinician overrides")) :]
    swap = f"swap Resistance band crab walk (band-crab-walk) → Clam (clam), step 1 both No band at home. {on} no"
    assert _squash(swap) in section
    add = f"add Slow step-down, low step (step-down-low), step 1 right Wants one-leg work. {on} yes: irritability-high-limit"
    assert _squash(add) in section


# ---------------------------------------------------------------- the running plan at review (R5)
RUNNER = """version: 1
client: {name: Priya Raman, id: V-01, weekly_km: 35}
assessed_on: 2026-11-10
findings:
  pelvic_drop: {left_stance_deg: 8.2, right_stance_deg: 3.6}
  cadence_spm: 158
pain:
  - {region: anterior_knee, side: left, nrs_rest: 1, nrs_activity: 5, weeks: 10, diagnosis: pfp}
"""


def _review_with(plan, running: dict | None, **each):  # type: ignore[no-untyped-def]
    partial = {"each": each, **({"running": running} if running else {})}
    day = dt.date.fromisoformat(plan.assessed_on) + dt.timedelta(days=14)
    return progress(load_content(), plan, default_feedback(plan, partial, day))


def _handout_text(plan, assessment) -> str:  # type: ignore[no-untyped-def]
    from engine.render.handout import render
    from tests.test_handout_truth import _flat, _pdf_text

    return _flat(_pdf_text(render(plan, load_content(), assessment)))


def test_review_running_distance_follows_the_running_pain() -> None:
    """Pain-monitoring model for running (rules/progression/running.yaml, numbers from
    rules/thresholds.yaml running:): green +20 % up to the usual distance, amber the same, red
    70 % of the last target; the handout prints the new number, never the old one."""
    content = load_content()
    first = evaluate(content, parse_assessment(RUNNER))
    run = first.plan.running
    assert run is not None and (run.status, run.target_weekly_km) == ("reduce", 24)  # 35 km x 70 %
    rs = content.thresholds.running
    cases = {
        "down": ({"pain_during": 6, "pain_next_morning": 5}, round(24 * rs.reduce_to_pct / 100), "run-review-red"),
        "same": ({"pain_during": 4, "pain_next_morning": 2}, 24, "run-review-amber-reduce"),
        "up": (
            {"pain_during": 1, "pain_next_morning": 0},
            round(24 * (100 + rs.review_step_up_pct) / 100),
            "run-review-green-reduce",
        ),
    }
    for change, (running, km, rule) in cases.items():
        nxt = _review_with(first.plan, running).running
        assert nxt is not None
        assert (nxt.status, nxt.target_weekly_km, nxt.change, nxt.rule) == ("reduce", km, change, rule)
        assert nxt.because and nxt.because[0].rule == rule
        assert nxt.because[0].values["review.running_pain_during"] == running["pain_during"]
        text = _handout_text(_review_with(first.plan, running), first.assessment)
        assert f"about {km} km a week" in text
        if km != 24:
            assert "about 24 km a week" not in text
    assert {c[1] for c in cases.values()} == {17, 24, 29}
    # no running reported: the running section stays as it was
    assert _review_with(first.plan, None).running == run


def test_review_cadence_target_and_cue_follow_the_drills_level() -> None:
    """A +10 % drill that goes back to +5 % gets the +5 % beat (158 -> 166) and the matching cue."""
    first = evaluate(load_content(), parse_assessment(RUNNER))
    drill = next(e for e in first.plan.exercises if e.ladder == "gait-cadence")
    assert drill.cadence_target is not None and drill.cadence_target.target_spm == 174
    assert any("1 step in every 10" in c.text for c in first.plan.cues)
    red = _review_with(first.plan, {"pain_during": 6, "pain_next_morning": 5}, pain_during=7, pain_next_morning=3)
    drill = next(e for e in red.exercises if e.ladder == "gait-cadence")
    assert (drill.id, drill.change) == ("cadence-metronome", "easier")
    assert drill.cadence_target is not None
    assert (drill.cadence_target.increase_pct, drill.cadence_target.target_spm) == (5, 166)
    cues = [c.text for c in red.cues]
    assert not any("1 step in every 10" in c for c in cues)
    assert "Take quicker, shorter steps. Add about 1 step in every 20." in cues
    text = _handout_text(red, first.assessment)
    assert "1 step in every 10" not in text and "166 beats a minute" in text
    # a dose step up on the same drill keeps the beat and the cue
    green = _review_with(first.plan, {"pain_during": 1, "pain_next_morning": 0}, pain_during=1, pain_next_morning=0)
    drill = next(e for e in green.exercises if e.ladder == "gait-cadence")
    assert (drill.id, drill.change, drill.cadence_target and drill.cadence_target.target_spm) == (
        "cadence-metronome-plus-10",
        "harder",
        174,
    )
    assert any("1 step in every 10" in c.text for c in green.cues)


def test_running_change_is_refused_in_a_first_visit_rule(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import ROOT

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    f = rules / "assessment" / "running.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("status: stop\n", "status: stop\n          change: down\n", 1))
    r = cli("rules", "check", "--rules", str(rules))
    assert r.returncode == 2
    assert (
        "running.yaml:31:19: rules[0].then[0].running.change: 'change' is for progression rules" in r.stdout + r.stderr
    )


def test_review_that_stops_running_drops_the_build_up_advice() -> None:
    """8/10 running pain at review: running stops (walk-run checks listed); the first visit's 'build
    your running up slowly' (rules/review.yaml while_running) leaves the plan with it."""
    first = evaluate(load_content(), parse_assessment(RUNNER))
    assert any(t.rule == "running-load-advice" for t in first.plan.education)
    stop = _review_with(first.plan, {"pain_during": 8, "pain_next_morning": 6})
    assert stop.running is not None
    assert (stop.running.status, stop.running.rule, stop.running.target_weekly_km) == (
        "stop",
        "run-review-severe-pain",
        None,
    )
    assert stop.running.entry_criteria and stop.running.walk_run[0].stage == 1
    assert all(t.rule != "running-load-advice" for t in stop.education)
    text = _handout_text(stop, first.assessment)
    assert "Build your running up slowly" not in text and "about 24 km" not in text
    assert "Stop running for now" in text
    # amber keeps running, so the advice stays
    same = _review_with(first.plan, {"pain_during": 4, "pain_next_morning": 2})
    assert any(t.rule == "running-load-advice" for t in same.education)


def test_review_running_invariants_over_generated_feedback() -> None:
    """Whatever the running pain: the distance never goes above the usual one, green never cuts,
    red always cuts, amber keeps it; bone stress stays stopped."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    content = load_content()
    rs = content.thresholds.running
    bases = {
        km: evaluate(content, parse_assessment(RUNNER.replace("weekly_km: 35", f"weekly_km: {km}"))).plan
        for km in (5, 35, 120)
    }
    bone = evaluate(
        content,
        parse_assessment(RUNNER.replace("diagnosis: pfp", "diagnosis: bone_stress_injury, bone_site: pelvis")),
    ).plan
    assert bone.running is not None and bone.running.status == "stop"

    @settings(max_examples=60, deadline=None)
    @given(st.sampled_from(sorted(bases)), st.integers(0, 10), st.integers(0, 10), st.integers(1, 3))
    def check(km: int, during: int, morning: int, rounds: int) -> None:
        plan = bases[km]
        for _ in range(rounds):
            before = plan.running
            assert before is not None
            plan = _review_with(plan, {"pain_during": during, "pain_next_morning": morning})
            run = plan.running
            assert run is not None
            worst = max(during, morning)
            if run.target_weekly_km is not None:
                assert run.target_weekly_km <= km
            if before.status in ("reduce", "continue") and before.target_weekly_km is not None:
                if worst >= 8:
                    assert run.status == "stop" and run.target_weekly_km is None
                elif worst > 5:
                    assert run.target_weekly_km == round(before.target_weekly_km * rs.reduce_to_pct / 100)
                elif worst >= 4:
                    assert run.target_weekly_km == before.target_weekly_km
                else:
                    assert run.target_weekly_km is not None
                    assert before.target_weekly_km <= run.target_weekly_km <= km
        stopped = _review_with(bone, {"pain_during": during, "pain_next_morning": morning}).running
        assert stopped is not None and stopped.status == "stop"

    check()
