"""The thresholds file (rules/thresholds.yaml): degrees → grades, flags and plan defaults."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from engine.models.base import Range, Slug, StrictModel


class AngleBands(StrictModel):
    """Lower bounds (inclusive, degrees) of each grade for a stance-side angle."""

    mild: Annotated[float, Range(0, 30)]
    """From here the grade is mild (below: none)."""
    moderate: Annotated[float, Range(0, 30)]
    """From here the grade is moderate."""
    marked: Annotated[float, Range(0, 30)]
    """From here the grade is marked."""
    flag_from: Literal["mild", "moderate", "marked"] = "moderate"
    """Grades from this one up are elevated (flagged)."""
    asymmetry_deg: Annotated[float, Range(0, 30)]
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

    crossover_max_cm: Annotated[float, Range(-15, 40)]
    """At or below this the step is a crossover."""
    narrow_below_cm: Annotated[float, Range(-15, 40)]
    """Below this the step is narrow."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class CadenceBands(StrictModel):
    """Cadence flag."""

    low_below_spm: Annotated[float, Range(120, 230)]
    """Below this cadence is low."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class ForwardLeanBands(StrictModel):
    """Forward trunk lean flag."""

    elevated_from_deg: Annotated[float, Range(0, 45)]
    """From here forward lean is elevated."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class IrritabilityBands(StrictModel):
    """Pain irritability from NRS scores."""

    high_activity_nrs: Annotated[int, Range(0, 10)]
    """Activity pain from which irritability is high."""
    high_rest_nrs: Annotated[int, Range(0, 10)]
    """Rest pain from which irritability is high."""
    moderate_activity_nrs: Annotated[int, Range(0, 10)]
    """Activity pain from which irritability is moderate."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class PlanDefaults(StrictModel):
    """Plan-wide settings."""

    max_exercises: Annotated[int, Range(1, 12)] = 6
    """Most exercises a handout lists."""
    review_in_days: Annotated[int, Range(1, 365)] = 14
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
