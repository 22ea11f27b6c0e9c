"""Progression at review: plan + feedback → next plan (pain monitoring: green, amber, red).

Progression rules (``stage: progression``) match one ``feedback`` fact per reviewed exercise and
one ``review`` fact, and say ``progress: {change: up|hold|down|review, of: <alias>}``. When
several rules speak about one exercise the most conservative wins: review > down > hold > up.

* up: next dose step of the exercise, else the next ladder level at its first dose; at the top
  of the ladder (or when the next level is excluded) the exercise holds;
* down: one ladder level down at its first dose; at the bottom, less volume (the share kept is
  ``volume_cut`` in rules/review.yaml: 2 of 3, about a third less, within the 20-50 % advised);
* review: as down, plus a referral back to the clinician (two red reviews in a row);
* new red flags run the assessment rules' red-flag logic: an urgent referral removes all exercises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import __version__
from engine.errors import Diagnostic, InputError, LinkError
from engine.evaluate.facts import FactSet
from engine.evaluate.review import red_flag_facts, review_facts
from engine.load import yamlio
from engine.load.content import Content, derive_fn
from engine.load.validation import validate
from engine.load.yamlio import LocationIndex
from engine.models.feedback import Feedback
from engine.models.plan import (
    STOPS_EXERCISE,
    URGENCY_ORDER,
    Because,
    CadenceTarget,
    Dose,
    DoseAt,
    Excluded,
    FeedbackReceived,
    GeneratedWith,
    Plan,
    PlanExercise,
    Previous,
    Referral,
    Reviewed,
    RunningSection,
    TextItem,
    TraceItem,
    WalkRunStep,
)
from engine.models.rule import Rule, Running
from engine.plan.planner import RUN_ORDER, Planner, Reasons, add_text
from engine.plan.targets import cadence_target, measured_cadence

RANK = {"up": 0, "hold": 1, "down": 2, "review": 3}


def plan_sha256(plan: Plan) -> str:
    """Hash of the plan's canonical JSON (what `rehab plan --json` writes)."""
    return hashlib.sha256(plan.to_json().encode("utf-8")).hexdigest()


def load_plan(path: Path | str, content: Content | None = None) -> Plan:
    """Read a plan JSON file (JSON is YAML: positions are kept for errors).

    With ``content``, the plan is also checked against the exercise library, so a hand-edited
    plan cannot progress from a level or dose that does not exist.
    """
    data, index = yamlio.read(path)
    plan = validate(Plan, data, index)
    if content is not None:
        check_plan(plan, content, index)
    return plan


def check_plan(plan: Plan, content: Content, index: LocationIndex) -> None:
    """Refuse a plan whose exercises do not fit the library (edited or from other content).

    Raises:
        LinkError: unknown exercise, wrong ladder/level, dose step out of range, duplicates, or
            an urgent plan that still lists exercises.
    """
    lib = content.library
    diags: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()

    def add(i: int, key: str, message: str) -> None:
        pos = index.value(("exercises", i, key))
        diags.append(Diagnostic(index.file, pos.line, pos.column, f"exercises[{i}].{key}", message, code="plan.link"))

    for i, e in enumerate(plan.exercises):
        ex = lib.exercises.get(e.id)
        if ex is None:
            add(i, "id", f"exercise '{e.id}' is not in the exercise library")
            continue
        if (e.ladder, e.level) != (ex.ladder, ex.level):
            add(i, "level", f"'{e.id}' is {ex.ladder} level {ex.level} in the library, not {e.ladder} level {e.level}")
        if e.dose_step > len(ex.doses):
            add(i, "dose_step", f"'{e.id}' has {len(ex.doses)} dose steps, not {e.dose_step}")
        if (e.id, e.side) in seen:
            add(i, "id", f"'{e.id}' ({e.side}) is listed twice")
        seen.add((e.id, e.side))
    if plan.status == "refer_urgent" and plan.exercises:
        pos = index.value(("status",))
        diags.append(
            Diagnostic(
                index.file,
                pos.line,
                pos.column,
                "status",
                "an urgent referral plan cannot list exercises",
                code="plan.link",
            )
        )
    if diags:
        raise LinkError(diags)


def load_feedback(path: Path | str) -> tuple[Feedback, LocationIndex]:
    """Read and validate a feedback file."""
    data, index = yamlio.read(path)
    return validate(Feedback, data, index), index


def _key(item_id: str, side: str) -> tuple[str, str]:
    return item_id, side


def match_feedback(plan: Plan, feedback: Feedback, index: LocationIndex | None = None) -> dict[int, PlanExercise]:
    """Pair each feedback entry with its plan exercise; refuse entries that are not in the plan.

    Raises:
        InputError: unknown exercise ids or sides, duplicates, or a review date before the plan.
    """
    items = {_key(e.id, e.side): e for e in plan.exercises}
    diags: list[Diagnostic] = []
    file = index.file if index else "<feedback>"
    paired: dict[int, PlanExercise] = {}
    for i, fb in enumerate(feedback.exercises):
        pos = index.value(("exercises", i, "id")) if index else yamlio.Position(0, 0)
        item = items.get(_key(fb.id, fb.side))
        if item is None:
            sides = [e.side for e in plan.exercises if e.id == fb.id]
            msg = (
                f"'{fb.id}' is in the plan for side {', '.join(sides)}, not {fb.side}"
                if sides
                else f"exercise '{fb.id}' is not in this plan (plan has: {', '.join(e.id for e in plan.exercises) or 'none'})"
            )
            diags.append(
                Diagnostic(file, pos.line, pos.column, f"exercises[{i}]", msg, code="feedback.unknown_exercise")
            )
        elif any(p is item for p in paired.values()):
            diags.append(
                Diagnostic(
                    file,
                    pos.line,
                    pos.column,
                    f"exercises[{i}]",
                    f"'{fb.id}' ({fb.side}) is listed twice",
                    code="feedback.duplicate",
                )
            )
        else:
            paired[i] = item
    applied = plan.previous.feedback_sha256 if plan.previous else None
    if applied is not None and applied == feedback_sha256(feedback):
        pos = index.value(("reported_on",)) if index else yamlio.Position(0, 0)
        diags.append(
            Diagnostic(
                file,
                pos.line,
                pos.column,
                "reported_on",
                f"this feedback was already applied: plan revision {plan.revision} was made from it",
                code="feedback.applied",
            )
        )
    elif feedback.reported_on.isoformat() < plan.assessed_on:
        pos = index.value(("reported_on",)) if index else yamlio.Position(0, 0)
        diags.append(
            Diagnostic(
                file,
                pos.line,
                pos.column,
                "reported_on",
                f"is before the plan's date ({plan.assessed_on}): feedback older than the plan cannot be applied",
                code="feedback.date",
            )
        )
    if diags:
        raise InputError(diags)
    return paired


@dataclass
class _Decision:
    change: str
    reason: str
    because: list[Because] = field(default_factory=list)


def _decide(
    content: Content, facts: FactSet, firings: list[Any]
) -> tuple[dict[str, _Decision], list[TraceItem], list[tuple[Rule, Any, Because]]]:
    rules = content.rules()
    decisions: dict[str, _Decision] = {}
    trace: list[TraceItem] = []
    others: list[tuple[Rule, Any, Because]] = []
    reasons = Reasons(rules, facts.sources)
    for f in firings:
        rule = rules[f.rule]
        why, line = reasons.record(f)
        trace.append(line)
        for action in rule.then:
            if action.progress is None:
                others.append((rule, action, why))
                continue
            fid = str(f.bindings.get(action.progress.of, {}).get("fid"))
            have = decisions.get(fid)
            new = _Decision(action.progress.change, action.progress.reason, [why])
            if have is None or RANK[new.change] > RANK[have.change]:
                if have is not None:
                    new.because = have.because + new.because
                decisions[fid] = new
            elif why not in have.because:
                have.because.append(why)
    return decisions, trace, others


def _excluded(plan: Plan, content: Content, ex_id: str) -> bool:
    ex = content.library.exercises[ex_id]
    labels = {x.exercise for x in plan.excluded}
    return ex.id in labels or f"ladder:{ex.ladder}" in labels or any(f"tag:{t}" in labels for t in ex.tags)


def _apply(plan: Plan, content: Content, item: PlanExercise, d: _Decision, morning: int | None) -> PlanExercise:
    lib = content.library
    ex = lib.exercises[item.id]
    change, note = "same", d.reason
    new_ex, step, red = ex, item.dose_step, 0
    dose = item.dosage
    if d.change == "up":
        if item.dose_step < len(ex.doses):
            step, change = item.dose_step + 1, "harder"
        else:
            nxt = lib.neighbour(ex, 1)
            if nxt is not None and not _excluded(plan, content, nxt.id):
                new_ex, step, change = nxt, 1, "harder"
            else:
                note = f"{d.reason} {content.review.sentences.top_of_ladder}"
        dose = Dose(**new_ex.doses[step - 1].model_dump())
    elif d.change in ("down", "review"):
        red = item.red_count + 1
        lower = lib.neighbour(ex, -1)
        change = "easier"
        if lower is not None and not _excluded(plan, content, lower.id):
            new_ex, step = lower, 1
            dose = Dose(**lower.doses[0].model_dump())
        else:  # bottom of the ladder: less volume from the current dose (rules/review.yaml)
            dose = _cut_volume(item.dosage, content.review.volume_cut.keep, content.review.volume_cut.of)
    side = item.side if new_ex.sided else "both"
    beat = cadence_target(measured_cadence(f.model_dump() for f in plan.findings), new_ex.cadence_increase_pct)
    return PlanExercise(
        id=new_ex.id,
        name=new_ex.name,
        ladder=new_ex.ladder,
        level=new_ex.level,
        side=side,
        targets=list(new_ex.targets),
        tags=list(new_ex.tags),
        sided=new_ex.sided,
        dose_step=step,
        dosage=dose,
        because=[*item.because, *d.because],
        change=change,
        change_note=note,
        red_count=red,
        last_morning_pain=morning,
        cadence_target=CadenceTarget(**beat) if beat is not None else None,
    )


def _cut_volume(d: Dose, keep: int, of: int) -> Dose:
    """Keep ``keep/of`` of the volume: fewer sets, or shorter sets when only one is left."""
    if d.sets >= 2:
        return d.model_copy(update={"sets": max(1, round(d.sets * keep / of))})
    for key in ("reps", "hold_s", "minutes"):
        value = getattr(d, key)
        if value is not None and value > 1:
            return d.model_copy(update={key: max(1, round(value * keep / of))})
    return d


def _red_flag_referrals(
    content: Content, plan: Plan, feedback: Feedback
) -> tuple[list[Referral], list[TraceItem], int | None]:
    """New red flags at review, run as red-flag facts through the assessment rules."""
    if not feedback.new_red_flags:
        return [], [], None
    facts = red_flag_facts(list(feedback.new_red_flags))
    firings: list[Any] = []
    compiled = content.compiled.get("assessment")
    if compiled is not None:
        from engine.evaluate.runtime import runtime

        rt = runtime()
        rt.register(compiled, derive_fn(content.rules()))
        firings = rt.evaluate(compiled, facts.facts)
    planner = Planner(content.library, content.rules(), content.thresholds, content.book.sha256)
    found = planner.collect(firings, facts)
    unhandled = [f for f in feedback.new_red_flags if f not in found.referred_flags]
    if unhandled:  # a red flag must never pass unseen: the rule set is incomplete
        raise LinkError.at(
            "rules",
            f"red flag {', '.join(unhandled)} is reported but no rule referred the client for it; "
            "every red flag needs a referral rule (see rules/assessment/red-flags.yaml)",
            code="link.red_flag_unhandled",
        )
    seen: set[tuple[str, str]] = set()
    referrals = []
    for r in sorted(found.referrals, key=lambda r: (URGENCY_ORDER.index(r.urgency), r.rule)):
        if (r.urgency, r.reason) not in seen:
            seen.add((r.urgency, r.reason))
            referrals.append(r)
    return referrals, list(found.trace), min(found.reviews, default=None)


def progress(content: Content, plan: Plan, feedback: Feedback, index: LocationIndex | None = None) -> Plan:
    """Return the next plan (revision + 1); the given plan is not changed."""
    paired = match_feedback(plan, feedback, index)
    facts = review_facts(content.library, plan, feedback, paired)
    firings: list[Any] = []
    compiled = content.compiled.get("progression")
    if compiled is not None:
        from engine.evaluate.runtime import runtime

        rt = runtime()
        rt.register(compiled, derive_fn(content.rules()))
        firings = rt.evaluate(compiled, facts.facts)
    decisions, trace, others = _decide(content, facts, firings)
    by_item = {id(item): i for i, item in paired.items()}
    exercises = []
    reviewed: list[tuple[PlanExercise, int | None, PlanExercise]] = []
    for item in plan.exercises:
        i = by_item.get(id(item))
        if i is None:
            nxt = item.model_copy(update={"change": "same", "change_note": content.review.sentences.no_feedback})
        else:
            d = decisions.get(f"exercises[{i}]") or _Decision("hold", content.review.sentences.hold)
            nxt = _apply(plan, content, item, d, feedback.exercises[i].pain_next_morning)
        exercises.append(nxt)
        reviewed.append((item, i, nxt))
    referrals, flag_trace, flag_review = _red_flag_referrals(content, plan, feedback)
    texts: dict[str, list[TextItem]] = {
        "precaution": list(plan.precautions),
        "cue": list(plan.cues),
        "educate": list(plan.education),
    }
    running_fired: list[tuple[Rule, Running, Because]] = []
    for rule, action, why in others:
        if action.running is not None:
            running_fired.append((rule, action.running, why))
            continue
        if action.refer is not None:
            referrals.append(Referral(reason=action.refer.reason, urgency=action.refer.urgency, rule=rule.id))
        add_text(texts, rule.id, action)
    for i, item in paired.items():
        found = decisions.get(f"exercises[{i}]")
        if found is not None and found.change == "review":
            referrals.append(
                Referral(
                    reason=content.review.sentences.flare_twice.replace("{exercise}", item.name),
                    urgency="soon",
                    rule=found.because[-1].rule,
                )
            )
    running = _review_running(content, plan, feedback, running_fired)
    if (
        plan.running
        and running
        and plan.running.status in ("reduce", "continue")
        and running.status in ("stop", "walk_run")
    ):
        gone = set(content.review.while_running)
        texts = {k: [t for t in v if t.rule not in gone] for k, v in texts.items()}
    urgent = any(r.urgency in STOPS_EXERCISE for r in referrals)
    dropped: list[Excluded] = []
    if urgent:
        dropped = [
            Excluded(
                exercise=e.id,
                rule=next(r.rule for r in referrals if r.urgency in STOPS_EXERCISE),
                reason=content.review.sentences.urgent_drop,
            )
            for e in exercises
        ]
        exercises = []
    status = (
        "refer_urgent" if urgent else "refer_and_exercise" if referrals else "exercise" if exercises else "no_findings"
    )
    kept = {id(e) for e in exercises}
    review_days = min(
        [a.review_in_days for _, a, _ in others if a.review_in_days is not None]
        + ([flag_review] if flag_review is not None else [])
        or [plan.review_in_days]
    )
    return plan.model_copy(
        update={
            "assessed_on": feedback.reported_on.isoformat(),
            "reported_on": feedback.reported_on.isoformat(),
            "generated_with": GeneratedWith(
                engine=__version__, rules_sha256=content.book.sha256, exercises_sha256=content.library.sha256
            ),
            "status": status,
            "referrals": referrals,
            "exercises": exercises,
            "not_included": dropped,
            "precautions": texts["precaution"],
            "cues": _review_cues(
                content, texts["cue"], [(item, nxt if id(nxt) in kept else None) for item, _, nxt in reviewed]
            ),
            "education": texts["educate"],
            "review_in_days": review_days,
            "trace": [*flag_trace, *trace],
            "revision": plan.revision + 1,
            "previous": Previous(
                revision=plan.revision,
                sha256=plan_sha256(plan),
                reported_on=feedback.reported_on.isoformat(),
                feedback_sha256=feedback_sha256(feedback),
            ),
            "reviewed": [_reviewed(item, feedback, i, nxt, kept=kept) for item, i, nxt in reviewed],
            "running": running,
            "red_flags": list(dict.fromkeys([*plan.red_flags, *(feedback.new_red_flags or [])])),
            "warnings": [
                f"no feedback for {item.id} ({item.side}): kept as it was" for item, i, _ in reviewed if i is None
            ],
        }
    )


def _review_cues(
    content: Content, cues: list[TextItem], pairs: list[tuple[PlanExercise, PlanExercise | None]]
) -> list[TextItem]:
    """Cues of a rule whose every exercise changed level (or left the plan) no longer fit: a
    step-rate cue follows the cadence drill's new level (words in rules/review.yaml), others go
    (the new exercise's own steps and cues say what to do)."""
    same = {b.rule for old, new in pairs if new is not None and new.id == old.id for b in old.because}
    moved: dict[str, list[PlanExercise | None]] = {}
    for old, new in pairs:
        if new is None or new.id != old.id:
            for b in old.because:
                moved.setdefault(b.rule, []).append(new)
    out: list[TextItem] = []
    for cue in cues:
        if cue.rule in same or cue.rule not in moved:
            out.append(cue)
            continue
        for new in moved[cue.rule]:
            pct = content.library.exercises[new.id].cadence_increase_pct if new is not None else None
            if new is None or pct is None:
                continue
            text = content.review.sentences.cadence_cue.replace("{steps}", str(int(100 / pct + 0.5)))
            if all(c.text != text for c in out):
                out.append(TextItem(text=text, rule=cue.rule))
    return out


def _review_running(
    content: Content, plan: Plan, feedback: Feedback, fired: list[tuple[Rule, Running, Because]]
) -> RunningSection | None:
    """The running section at review: the most conservative status the progression rules set from
    the running feedback (pain-monitoring model), its distance or walk-run stage moved from the last
    plan's as the rule says; no rule (the client did not run): as before."""
    prev = plan.running
    if prev is None or not fired:
        return prev
    ranked = sorted(fired, key=lambda r: (RUN_ORDER.index(r[1].status), r[0].priority, r[0].id))
    rule, act, _ = ranked[0]
    status, change = act.status, act.change or "same"
    rs = content.thresholds.running
    early = status in ("stop", "walk_run")
    target = None
    base = prev.target_weekly_km if prev.target_weekly_km is not None else prev.weekly_km
    if not early and base is not None:
        if change == "up":
            target = base * (100 + rs.review_step_up_pct) / 100
            target = min(target, max(base, prev.weekly_km)) if prev.weekly_km is not None else target
        elif change == "down":
            target = base * rs.reduce_to_pct / 100
        else:
            target = base
        target = round(target)
    stages = [WalkRunStep(stage=i + 1, **w.model_dump()) for i, w in enumerate(rs.walk_run)] if early else []
    criteria = list(rs.entry_criteria) if early else []
    run = feedback.running
    if status == "walk_run" and run is not None and stages:
        criteria = []  # the client has started the walk-run plan
        if run.walk_run_stage is not None:
            start = run.walk_run_stage + {"up": 1, "same": 0, "down": -1}[change]
            stages = stages[min(max(start, 1), len(stages)) - 1 :]
    return RunningSection(
        status=status,
        summary=act.text,
        rule=rule.id,
        pain_limit_nrs=rs.pain_limit_nrs,
        weekly_km=prev.weekly_km,
        target_weekly_km=target,
        max_increase_2wk_pct=None if early else rs.max_increase_2wk_pct,
        entry_criteria=criteria,
        walk_run=stages,
        advice=[],  # the first visit's reasoning; the review rule's words replace it
        change=change,
        because=[why for _, a, why in ranked if a.status == status],
    )


def _at(e: PlanExercise) -> DoseAt:
    return DoseAt(id=e.id, level=e.level, dose_step=e.dose_step, dosage=e.dosage)


def _reviewed(item: PlanExercise, feedback: Feedback, i: int | None, nxt: PlanExercise, *, kept: set[int]) -> Reviewed:
    fb = feedback.exercises[i] if i is not None else None
    return Reviewed(
        id=item.id,
        side=item.side,
        feedback=FeedbackReceived(
            completed=fb.completed,
            pain_during=fb.pain_during,
            pain_next_morning=fb.pain_next_morning,
            control=fb.control,
        )
        if fb is not None
        else None,
        was=_at(item),
        now=_at(nxt) if id(nxt) in kept else None,
        change=nxt.change or "same",
    )


def feedback_sha256(feedback: Feedback) -> str:
    """Hash of the feedback's content (not its layout or comments)."""
    text = json.dumps(feedback.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_feedback(plan: Plan, partial: dict[str, Any], day: dt.date) -> Feedback:
    """Build a feedback for rule tests: ``exercises`` omitted → every plan exercise with ``each`` values."""
    each = {"completed": True, "pain_during": 0, "pain_next_morning": 0, "control": "good", **partial.get("each", {})}
    entries = partial.get("exercises") or [{"id": e.id, "side": e.side, **each} for e in plan.exercises]
    data = {
        "version": 1,
        "reported_on": day,
        "exercises": entries,
        **{k: v for k, v in partial.items() if k not in ("each", "exercises")},
    }
    return Feedback.model_validate(data, context={"today": dt.date.max})


def progress_rounds(content: Content, plan: Plan, rounds: list[dict[str, Any]], assessment: Any) -> Plan:
    """Apply several feedback rounds in turn (rule tests and walkthroughs)."""
    day = dt.date.fromisoformat(plan.assessed_on)
    for partial in rounds:
        day = day + dt.timedelta(days=14)
        if not plan.exercises:
            break
        plan = progress(content, plan, default_feedback(plan, partial, day))
    return plan
