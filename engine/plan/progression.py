"""Progression at review: plan + feedback → next plan (pain-monitoring model, CLINICAL.md §5).

Progression rules (``stage: progression``) match one ``feedback`` fact per reviewed exercise and
one ``review`` fact, and say ``progress: {change: up|hold|down|review, of: <alias>}``. When
several rules speak about one exercise the most conservative wins: review > down > hold > up.

* up: next dose step of the exercise, else the next ladder level at its first dose; at the top
  of the ladder (or when the next level is excluded) the exercise holds;
* down: one ladder level down at its first dose; at the bottom, 1/3 fewer sets (20–50 % less
  volume, CLINICAL.md §5.2);
* review: as down, plus a referral back to the clinician (two red reviews in a row);
* new red flags run the assessment rules' red-flag logic: an urgent referral removes all exercises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import __version__
from engine.errors import Diagnostic, InputError, LinkError
from engine.evaluate.facts import FactSet, FieldSpec
from engine.load import yamlio
from engine.load.content import Content, derive_fn
from engine.load.validation import validate
from engine.load.yamlio import LocationIndex
from engine.models.feedback import Feedback
from engine.models.plan import (
    STOPS_EXERCISE,
    Because,
    Dose,
    Excluded,
    GeneratedWith,
    Plan,
    PlanExercise,
    Previous,
    Referral,
    TextItem,
    TraceItem,
)
from engine.models.rule import Rule
from engine.plan.planner import Reasons, add_text

CATALOGUE: dict[str, dict[str, FieldSpec]] = {
    "feedback": {
        "exercise": FieldSpec("str"),
        "side": FieldSpec("str", ("left", "right", "both")),
        "ladder": FieldSpec("str"),
        "level": FieldSpec("num"),
        "dose_step": FieldSpec("num"),
        "at_top": FieldSpec("bool"),
        "at_bottom": FieldSpec("bool"),
        "last_dose": FieldSpec("bool"),
        "completed": FieldSpec("bool"),
        "pain_during": FieldSpec("num"),
        "pain_next_morning": FieldSpec("num"),
        "morning_change": FieldSpec("num"),
        "control": FieldSpec("str", ("good", "fair", "poor")),
        "previous_reds": FieldSpec("num"),
        "gait_drill": FieldSpec("bool"),
        "impact": FieldSpec("bool"),
    },
    "review": {
        "has_new_red_flags": FieldSpec("bool"),
        "ran": FieldSpec("bool"),
        "running_pain_during": FieldSpec("num"),
        "running_pain_next_morning": FieldSpec("num"),
        "spreading_leg_symptoms": FieldSpec("bool"),
        "bone_stress_injury": FieldSpec("bool"),
        "radicular": FieldSpec("bool"),
        "tendinopathy": FieldSpec("bool"),
        "days_since_plan": FieldSpec("num"),
    },
}
"""Facts the progression rules match."""

RANK = {"up": 0, "hold": 1, "down": 2, "review": 3}
TENDON = {"achilles_tendinopathy", "gluteal_tendinopathy", "hamstring_tendinopathy"}


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
    if feedback.reported_on.isoformat() < plan.assessed_on:
        pos = index.value(("reported_on",)) if index else yamlio.Position(0, 0)
        diags.append(
            Diagnostic(
                file,
                pos.line,
                pos.column,
                "reported_on",
                f"is before the plan's date ({plan.assessed_on})",
                code="feedback.date",
            )
        )
    if diags:
        raise InputError(diags)
    return paired


def _facts(content: Content, plan: Plan, feedback: Feedback, paired: dict[int, PlanExercise]) -> FactSet:
    out = FactSet()
    lib = content.library
    for i, item in paired.items():
        fb = feedback.exercises[i]
        ex = lib.exercises.get(item.id)
        top = lib.top(item.ladder)
        doses = len(ex.doses) if ex else item.dose_step
        base = item.last_morning_pain or 0
        out.add(
            "feedback",
            f"exercises[{i}]",
            {
                "exercise": item.id,
                "side": item.side,
                "ladder": item.ladder,
                "level": item.level,
                "dose_step": item.dose_step,
                "at_top": item.level >= top and item.dose_step >= doses,
                "at_bottom": item.level <= 1,
                "last_dose": item.dose_step >= doses,
                "completed": fb.completed,
                "pain_during": fb.pain_during,
                "pain_next_morning": fb.pain_next_morning,
                "morning_change": fb.pain_next_morning - base,
                "control": fb.control,
                "previous_reds": item.red_count,
                "gait_drill": "gait_drill" in item.tags,
                "impact": "impact" in item.tags,
            },
            {
                f"exercises[{i}].{k}": getattr(fb, k)
                for k in ("pain_during", "pain_next_morning", "control", "completed")
            },
        )
    run = feedback.running
    conditions = set(plan.conditions)
    days = (feedback.reported_on - dt.date.fromisoformat(plan.assessed_on)).days
    out.add(
        "review",
        "review",
        {
            "has_new_red_flags": bool(feedback.new_red_flags),
            "ran": run is not None,
            "running_pain_during": run.pain_during if run else None,
            "running_pain_next_morning": run.pain_next_morning if run else None,
            "spreading_leg_symptoms": bool(feedback.spreading_leg_symptoms),
            "bone_stress_injury": "bone_stress_injury" in conditions,
            "radicular": "radicular" in conditions,
            "tendinopathy": bool(conditions & TENDON),
            "days_since_plan": days,
        },
        {"spreading_leg_symptoms": feedback.spreading_leg_symptoms} if feedback.spreading_leg_symptoms else {},
    )
    return out


@dataclass
class _Decision:
    change: str
    reason: str
    because: list[Because] = field(default_factory=list)


def _decide(
    content: Content, facts: FactSet, firings: list[Any]
) -> tuple[dict[str, _Decision], list[TraceItem], list[tuple[Rule, Any]]]:
    rules = content.rules()
    decisions: dict[str, _Decision] = {}
    trace: list[TraceItem] = []
    others: list[tuple[Rule, Any]] = []
    reasons = Reasons(rules, facts.sources)
    for f in firings:
        rule = rules[f.rule]
        why, line = reasons.record(f)
        trace.append(line)
        for action in rule.then:
            if action.progress is None:
                others.append((rule, action))
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
                note = d.reason + " This is the top of this exercise for now: keep it going."
        dose = Dose(**new_ex.doses[step - 1].model_dump())
    elif d.change in ("down", "review"):
        red = item.red_count + 1
        lower = lib.neighbour(ex, -1)
        change = "easier"
        if lower is not None and not _excluded(plan, content, lower.id):
            new_ex, step = lower, 1
            dose = Dose(**lower.doses[0].model_dump())
        else:  # bottom of the ladder: about a third less volume from the current dose (§5.2: 20-50 %)
            dose = _cut_volume(item.dosage)
    side = item.side if new_ex.sided else "both"
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
    )


def _cut_volume(d: Dose) -> Dose:
    """Take about a third off the volume: fewer sets, or shorter sets when only one is left."""
    if d.sets >= 2:
        return d.model_copy(update={"sets": max(1, round(d.sets * 2 / 3))})
    for key in ("reps", "hold_s", "minutes"):
        value = getattr(d, key)
        if value is not None and value > 1:
            return d.model_copy(update={key: max(1, round(value * 2 / 3))})
    return d


def _red_flag_referrals(
    content: Content, plan: Plan, feedback: Feedback
) -> tuple[list[Referral], list[TraceItem], int | None]:
    if not feedback.new_red_flags:
        return [], [], None
    from engine.models.assessment import Assessment
    from engine.plan.pipeline import evaluate

    a = Assessment.model_validate(
        {
            "version": 1,
            "client": plan.client.model_dump(exclude_none=True),
            "assessed_on": feedback.reported_on,
            "red_flags": list(feedback.new_red_flags),
        }
    )
    result = evaluate(content, a).plan
    rules = content.rules()
    days = [act.review_in_days for t in result.trace for act in rules[t.rule].then if act.review_in_days is not None]
    return list(result.referrals), list(result.trace), min(days) if days else None


def progress(content: Content, plan: Plan, feedback: Feedback, index: LocationIndex | None = None) -> Plan:
    """Return the next plan (revision + 1); the given plan is not changed."""
    paired = match_feedback(plan, feedback, index)
    facts = _facts(content, plan, feedback, paired)
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
    for item in plan.exercises:
        i = by_item.get(id(item))
        if i is None:
            exercises.append(
                item.model_copy(update={"change": "same", "change_note": "No feedback recorded: keep going as before."})
            )
            continue
        d = decisions.get(f"exercises[{i}]") or _Decision("hold", "Keep going as before.")
        exercises.append(_apply(plan, content, item, d, feedback.exercises[i].pain_next_morning))
    referrals, flag_trace, flag_review = _red_flag_referrals(content, plan, feedback)
    texts: dict[str, list[TextItem]] = {
        "precaution": list(plan.precautions),
        "cue": list(plan.cues),
        "educate": list(plan.education),
    }
    for rule, action in others:
        if action.refer is not None:
            referrals.append(Referral(reason=action.refer.reason, urgency=action.refer.urgency, rule=rule.id))
        add_text(texts, rule.id, action)
    for i, item in paired.items():
        found = decisions.get(f"exercises[{i}]")
        if found is not None and found.change == "review":
            referrals.append(
                Referral(
                    reason=f"Pain flared at two reviews in a row with {item.name}: please see your clinician before going on.",
                    urgency="soon",
                    rule=found.because[-1].rule,
                )
            )
    urgent = any(r.urgency in STOPS_EXERCISE for r in referrals)
    dropped: list[Excluded] = []
    if urgent:
        dropped = [
            Excluded(
                exercise=e.id,
                rule=next(r.rule for r in referrals if r.urgency in STOPS_EXERCISE),
                reason="urgent referral: no exercises until the client has been seen",
            )
            for e in exercises
        ]
        exercises = []
    status = (
        "refer_urgent" if urgent else "refer_and_exercise" if referrals else "exercise" if exercises else "no_findings"
    )
    review_days = min(
        [a.review_in_days for _, a in others if a.review_in_days is not None]
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
            "cues": texts["cue"],
            "education": texts["educate"],
            "review_in_days": review_days,
            "trace": [*flag_trace, *trace],
            "revision": plan.revision + 1,
            "previous": Previous(
                revision=plan.revision, sha256=plan_sha256(plan), reported_on=feedback.reported_on.isoformat()
            ),
        }
    )


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
