"""Facts at review, beside the first visit's (``facts.py``): one ``feedback`` fact per reviewed
exercise, one ``review`` fact, and the red flags reported since the plan as ``red_flag`` facts
for the assessment rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from engine.evaluate.facts import FactSet, FieldSpec
from engine.models.feedback import Feedback
from engine.models.plan import Plan, PlanExercise

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
        "running_status": FieldSpec("str", ("stop", "walk_run", "reduce", "continue", "none")),
        "walk_run_stage": FieldSpec("num"),
        "running_change": FieldSpec("str", ("up", "same", "down", "none")),
        "running_rule": FieldSpec("str"),
    },
}
"""Facts the progression rules match."""

TENDON = {"achilles_tendinopathy", "gluteal_tendinopathy", "hamstring_tendinopathy"}


class Library(Protocol):
    """What review facts need from the exercise library."""

    @property
    def exercises(self) -> Mapping[str, Any]: ...

    def top(self, ladder: str) -> int: ...


def review_facts(library: Library, plan: Plan, feedback: Feedback, paired: dict[int, PlanExercise]) -> FactSet:
    """Facts for the progression rules: ``paired`` maps feedback entry index → plan exercise."""
    out = FactSet()
    for i, item in paired.items():
        fb = feedback.exercises[i]
        ex = library.exercises.get(item.id)
        top = library.top(item.ladder)
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
            "running_status": plan.running.status if plan.running else "none",
            "walk_run_stage": run.walk_run_stage if run else None,
            "running_change": (plan.running.change if plan.running else None) or "none",
            "running_rule": plan.running.rule if plan.running else "none",
        },
        {"spreading_leg_symptoms": feedback.spreading_leg_symptoms} if feedback.spreading_leg_symptoms else {},
    )
    return out


def red_flag_facts(flags: list[str]) -> FactSet:
    """The red flags reported at review, as the assessment rules see red flags at the first visit.

    One ``red_flag`` fact per flag and the ``assessment`` fact's red-flag fields; the rest of the
    first-visit facts are not re-measured at review, so they are absent (never matched).
    """
    out = FactSet()
    for flag in flags:
        out.add("red_flag", f"new_red_flags.{flag}", {"flag": flag}, {"new_red_flags": flag})
    out.add("assessment", "assessment", {"has_red_flags": bool(flags), "red_flag_count": len(flags)}, {})
    return out
