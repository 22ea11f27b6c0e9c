"""Progression at review: plan + feedback → next plan (pain-monitoring model, CLINICAL.md §5)."""

from __future__ import annotations

from engine.facts import FieldSpec

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
    },
    "review": {
        "has_new_red_flags": FieldSpec("bool"),
        "running_pain_during": FieldSpec("num"),
        "running_pain_next_morning": FieldSpec("num"),
        "spreading_leg_symptoms": FieldSpec("bool"),
        "bone_stress_injury": FieldSpec("bool"),
        "radicular": FieldSpec("bool"),
        "days_since_plan": FieldSpec("num"),
    },
}
"""Facts the progression rules match."""
