"""Apply a clinician's overrides to a plan (after the rules, before rendering), with an audit trail."""

from __future__ import annotations

from typing import Any

from engine.errors import Diagnostic, InputError
from engine.load.content import Content
from engine.load.yamlio import LocationIndex, Position
from engine.models.exercise import Exercise
from engine.models.overrides import Add, Dose, Overrides, Remove, Swap
from engine.models.plan import STOPS_EXERCISE, Because, Excluded, Override, Plan, PlanExercise

RULE = "clinician-override"


class _Errors:
    def __init__(self, index: LocationIndex | None) -> None:
        self.index = index
        self.diags: list[Diagnostic] = []

    def add(self, loc: tuple[Any, ...], message: str, code: str = "override") -> None:
        pos = self.index.value(loc) if self.index else Position(0, 0)
        file = self.index.file if self.index else "<overrides>"
        path = "overrides" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
        self.diags.append(Diagnostic(file, pos.line, pos.column, path, message, code=code))


def _excluded_by(plan: Plan, ex: Exercise) -> Excluded | None:
    labels = {ex.id, f"ladder:{ex.ladder}", *(f"tag:{t}" for t in ex.tags)}
    return next((x for x in plan.excluded if x.exercise in labels), None)


def _item(ex: Exercise, side: str, step: int, because: list[Because]) -> PlanExercise:
    return PlanExercise(
        id=ex.id,
        name=ex.name,
        ladder=ex.ladder,
        level=ex.level,
        side=side if ex.sided else "both",
        targets=list(ex.targets),
        tags=list(ex.tags),
        sided=ex.sided,
        dose_step=step,
        dosage=ex.doses[step - 1].model_copy(),
        because=because,
    )


def apply_overrides(content: Content, plan: Plan, overrides: Overrides, index: LocationIndex | None = None) -> Plan:
    """Return the plan with the overrides applied in order; every change is recorded.

    Raises:
        InputError: an exercise not in the plan (or not in the library), a dose step the exercise
            does not have, an exercise a rule excluded without ``despite_exclusion``, or any
            exercise for a plan that is an urgent referral.
    """
    lib = content.library
    errors = _Errors(index)
    exercises = list(plan.exercises)
    removed = list(plan.not_included)
    records = list(plan.overrides)
    warnings = list(plan.warnings)
    for n, item in enumerate(overrides.overrides):
        (kind,) = type(item).model_fields
        change: Swap | Dose | Remove | Add = getattr(item, kind)
        loc: tuple[Any, ...] = ("overrides", n, kind)
        why = Because(rule=RULE, reason=change.reason)
        at = next((i for i, e in enumerate(exercises) if (e.id, e.side) == (change.exercise, change.side)), None)
        if kind != "add" and at is None:
            have = ", ".join(f"{e.id} ({e.side})" for e in exercises) or "none"
            errors.add((*loc, "exercise"), f"'{change.exercise}' ({change.side}) is not in the plan (plan has: {have})")
            continue
        new_id = change.with_ if isinstance(change, Swap) else change.exercise
        ex = lib.exercises.get(new_id)
        if kind in ("swap", "add") and ex is None:
            errors.add((*loc, "with" if kind == "swap" else "exercise"), f"'{new_id}' is not in the exercise library")
            continue
        if kind in ("swap", "add") and plan.status == "refer_urgent":
            errors.add(loc, "this plan is an urgent referral: no exercises until the client has been seen")
            continue
        step = getattr(change, "step", 1)
        target = ex if ex is not None else lib.exercises.get(change.exercise)
        if target is not None and kind != "remove" and step > len(target.doses):
            errors.add((*loc, "step"), f"'{target.id}' has {len(target.doses)} dose steps, not {step}")
            continue
        record: dict[str, Any] = {"action": kind, "exercise": change.exercise, "side": change.side}
        record |= {"reason": change.reason, "on": plan.assessed_on}
        if isinstance(change, Swap | Add) and ex is not None:
            hit = _excluded_by(plan, ex)
            if hit is not None and change.despite_exclusion is None:
                errors.add(
                    (*loc, "despite_exclusion"),
                    f"rule {hit.rule} excluded '{ex.id}' ({hit.reason}); give 'despite_exclusion' with the reason to add it anyway",
                    code="override.excluded",
                )
                continue
            if hit is not None:
                record["overrides_exclusion"] = hit.rule
                why = Because(rule=RULE, reason=f"{change.reason} Despite rule {hit.rule}: {change.despite_exclusion}")
                warnings.append(f"{ex.id} was added although rule {hit.rule} excluded it: {change.despite_exclusion}")
        if isinstance(change, Swap) and ex is not None and at is not None:
            record |= {"with": ex.id, "dose_step": step}
            exercises[at] = _item(ex, change.side, step, [why]).model_copy(update={"change": "new"})
        elif isinstance(change, Add) and ex is not None:
            record["dose_step"] = step
            exercises.append(_item(ex, change.side, step, [why]))
        elif isinstance(change, Dose) and at is not None and target is not None:
            record["dose_step"] = step
            old = exercises[at]
            exercises[at] = old.model_copy(
                update={
                    "dose_step": step,
                    "dosage": target.doses[step - 1].model_copy(),
                    "because": [*old.because, why],
                }
            )
        elif isinstance(change, Remove) and at is not None:
            gone = exercises.pop(at)
            removed.append(Excluded(exercise=gone.id, rule=RULE, reason=change.reason))
        records.append(Override.model_validate(record))
    if errors.diags:
        raise InputError(errors.diags)
    urgent = any(r.urgency in STOPS_EXERCISE for r in plan.referrals)
    status = (
        "refer_urgent"
        if urgent
        else "refer_and_exercise"
        if plan.referrals
        else "exercise"
        if exercises
        else "no_findings"
    )
    return plan.model_copy(
        update={
            "exercises": exercises,
            "not_included": removed,
            "overrides": records,
            "warnings": warnings,
            "status": status,
        }
    )
