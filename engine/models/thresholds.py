"""The thresholds file (rules/thresholds.yaml): degrees → grades, flags and plan defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from engine.models.base import Int, Num, Slug, StrictModel


class AngleBands(StrictModel):
    """Lower bounds (inclusive, degrees) of each grade for a stance-side angle."""

    mild: Num(0, 30)  # type: ignore[valid-type]
    """From here the grade is mild (below: none)."""
    moderate: Num(0, 30)  # type: ignore[valid-type]
    """From here the grade is moderate."""
    marked: Num(0, 30)  # type: ignore[valid-type]
    """From here the grade is marked."""
    flag_from: Literal["mild", "moderate", "marked"] = "moderate"
    """Grades from this one up are elevated (flagged)."""
    asymmetry_deg: Num(0, 30)  # type: ignore[valid-type]
    """Left−right difference that makes a pattern one-sided."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""

    @model_validator(mode="after")
    def _ordered(self) -> AngleBands:
        if not self.mild < self.moderate < self.marked:
            raise PydanticCustomError("bands_order", "bands must rise: mild < moderate < marked")
        return self


class StepWidthBands(StrictModel):
    """Step width categories."""

    crossover_max_cm: Num(-15, 40)  # type: ignore[valid-type]
    """At or below this the step is a crossover."""
    narrow_below_cm: Num(-15, 40)  # type: ignore[valid-type]
    """Below this the step is narrow."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class CadenceBands(StrictModel):
    """Cadence flag."""

    low_below_spm: Num(120, 230)  # type: ignore[valid-type]
    """Below this cadence is low."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class ForwardLeanBands(StrictModel):
    """Forward trunk lean flag."""

    elevated_from_deg: Num(0, 45)  # type: ignore[valid-type]
    """From here forward lean is elevated."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class IrritabilityBands(StrictModel):
    """Pain irritability from NRS scores."""

    high_activity_nrs: Int(0, 10)  # type: ignore[valid-type]
    """Activity pain from which irritability is high."""
    high_rest_nrs: Int(0, 10)  # type: ignore[valid-type]
    """Rest pain from which irritability is high."""
    moderate_activity_nrs: Int(0, 10)  # type: ignore[valid-type]
    """Activity pain from which irritability is moderate."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class PlanDefaults(StrictModel):
    """Plan-wide settings."""

    max_exercises: Int(1, 12) = 6  # type: ignore[valid-type]
    """Most exercises a handout lists."""
    review_in_days: Int(1, 365) = 14  # type: ignore[valid-type]
    """Default review interval."""


class Thresholds(StrictModel):
    """rules/thresholds.yaml."""

    version: Literal[1]
    """Format version."""
    pelvic_drop: AngleBands
    """Contralateral pelvic drop."""
    trunk_lean: AngleBands
    """Lateral trunk lean."""
    step_width: StepWidthBands
    """Step width."""
    cadence: CadenceBands
    """Cadence."""
    forward_trunk_lean: ForwardLeanBands
    """Forward trunk lean."""
    irritability: IrritabilityBands
    """Irritability."""
    plan: PlanDefaults = Field(default_factory=PlanDefaults)
    """Plan settings."""
