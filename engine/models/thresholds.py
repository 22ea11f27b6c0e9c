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
    """Pain irritability from rest pain, night pain and settling time (running pain sets a floor only)."""

    high_rest_nrs: Int(0, 10)  # type: ignore[valid-type]
    """Rest pain from which irritability is high."""
    moderate_rest_nrs: Int(0, 10) = 1  # type: ignore[valid-type]
    """Rest pain from which irritability is at least moderate."""
    high_settle_hours: Num(0, 720) = 24  # type: ignore[valid-type]
    """Symptoms taking longer than this to settle make irritability high."""
    moderate_settle_hours: Num(0, 720) = 2  # type: ignore[valid-type]
    """Symptoms taking longer than this to settle make irritability at least moderate."""
    night_pain_high: bool = True
    """Night pain from the problem makes irritability high."""
    moderate_activity_nrs: Int(0, 10)  # type: ignore[valid-type]
    """Running pain from which irritability is at least moderate when the settling time is not known."""
    severe_activity_nrs: Int(0, 10) = 6  # type: ignore[valid-type]
    """Running pain from which irritability is at least moderate even when symptoms settle quickly."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class Chronicity(StrictModel):
    """Weeks that separate acute, subacute and persistent pain."""

    subacute_from_weeks: Num(0, 2000) = 6  # type: ignore[valid-type]
    """From here pain is subacute (below: acute)."""
    persistent_above_weeks: Num(0, 2000) = 12  # type: ignore[valid-type]
    """Above this pain is persistent."""
    evidence: list[Slug] = Field(default_factory=list)
    """Sources."""


class WalkRunStage(StrictModel):
    """One walk-run stage: repeats of walking then running, in minutes."""

    walk_min: Num(0, 30)  # type: ignore[valid-type]
    """Minutes walking per repeat."""
    run_min: Num(0, 60)  # type: ignore[valid-type]
    """Minutes running per repeat."""
    repeats: Int(1, 20)  # type: ignore[valid-type]
    """How many times."""


class RunningSettings(StrictModel):
    """Numbers behind the plan's running section."""

    pain_limit_nrs: Int(0, 10) = 3  # type: ignore[valid-type]
    """Running pain (0-10) that should not be passed during or the next morning."""
    reduce_to_pct: Int(10, 100) = 70  # type: ignore[valid-type]
    """Reduced running: weekly distance as a % of the current distance."""
    reduce_from_nrs: Int(0, 10) = 4  # type: ignore[valid-type]
    """Running pain from which reduced running cuts the distance to ``reduce_to_pct``."""
    max_increase_2wk_pct: Int(0, 100) = 30  # type: ignore[valid-type]
    """Largest increase in weekly distance over two weeks (Nielsen 2014)."""
    load_spike_pct: Int(0, 1000) = 30  # type: ignore[valid-type]
    """A recent weekly-distance change at or above this is a load spike."""
    walk_run: list[WalkRunStage] = Field(default_factory=list)
    """The walk-run programme, easiest stage first."""
    entry_criteria: list[str] = Field(default_factory=list)
    """Checks before the walk-run starts."""
    evidence: list[Slug] = Field(default_factory=list)
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
    chronicity: Chronicity = Field(default_factory=Chronicity)
    """Acute / subacute / persistent cut-offs."""
    running: RunningSettings = Field(default_factory=RunningSettings)
    """The running section."""
    plan: PlanDefaults = Field(default_factory=PlanDefaults)
    """Plan settings."""
