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
    """Pain irritability from rest pain, night pain and settling time (running pain sets a floor only)."""

    high_rest_nrs: Annotated[int, Range(0, 10)]
    """Rest pain from which irritability is high."""
    moderate_rest_nrs: Annotated[int, Range(0, 10)] = 1
    """Rest pain from which irritability is at least moderate."""
    high_settle_hours: Annotated[float, Range(0, 720)] = 24
    """Symptoms taking longer than this to settle make irritability high."""
    moderate_settle_hours: Annotated[float, Range(0, 720)] = 2
    """Symptoms taking longer than this to settle make irritability at least moderate."""
    night_pain_high: bool = True
    """Night pain from the problem makes irritability high."""
    moderate_activity_nrs: Annotated[int, Range(0, 10)]
    """Running pain from which irritability is at least moderate when the settling time is not known."""
    severe_activity_nrs: Annotated[int, Range(0, 10)] = 6
    """Running pain from which irritability is at least moderate even when symptoms settle quickly."""
    evidence: list[Slug] = Field(min_length=1)
    """Sources."""


class Chronicity(StrictModel):
    """Weeks that separate acute, subacute and persistent pain."""

    subacute_from_weeks: Annotated[float, Range(0, 2000)] = 6
    """From here pain is subacute (below: acute)."""
    persistent_above_weeks: Annotated[float, Range(0, 2000)] = 12
    """Above this pain is persistent."""
    evidence: list[Slug] = Field(default_factory=list)
    """Sources."""


class WalkRunStage(StrictModel):
    """One walk-run stage: repeats of walking then running, in minutes."""

    walk_min: Annotated[float, Range(0, 30)]
    """Minutes walking per repeat."""
    run_min: Annotated[float, Range(0, 60)]
    """Minutes running per repeat."""
    repeats: Annotated[int, Range(1, 20)]
    """How many times."""


class RunningSettings(StrictModel):
    """Numbers behind the plan's running section."""

    pain_limit_nrs: Annotated[int, Range(0, 10)] = 3
    """Running pain (0-10) that should not be passed during or the next morning."""
    reduce_to_pct: Annotated[int, Range(10, 100)] = 70
    """Reduced running: weekly distance as a % of the current distance."""
    reduce_from_nrs: Annotated[int, Range(0, 10)] = 4
    """Running pain from which reduced running cuts the distance to ``reduce_to_pct``."""
    max_increase_2wk_pct: Annotated[int, Range(0, 100)] = 30
    """Largest increase in weekly distance over two weeks (Nielsen 2014)."""
    review_step_up_pct: Annotated[int, Range(0, 100)] = 20
    """At a review where running went well: more weekly distance, in % of the last target (up to
    the usual distance; below ``max_increase_2wk_pct``)."""
    load_spike_pct: Annotated[int, Range(0, 1000)] = 30
    """A recent weekly-distance change at or above this is a load spike."""
    walk_run: list[WalkRunStage] = Field(default_factory=list)
    """The walk-run programme, easiest stage first."""
    entry_criteria: list[str] = Field(default_factory=list)
    """Checks before the walk-run starts."""
    evidence: list[Slug] = Field(default_factory=list)
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
    chronicity: Chronicity = Field(default_factory=Chronicity)
    """Acute / subacute / persistent cut-offs."""
    running: RunningSettings = Field(default_factory=RunningSettings)
    """The running section."""
    plan: PlanDefaults = Field(default_factory=PlanDefaults)
    """Plan settings."""
