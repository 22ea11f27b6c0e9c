"""The plan (JSON, version 1): what the client does, why, and what changed at review."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from engine.models.base import Model
from engine.models.rule import Dosage


def _iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date", "must be a date written like 2026-11-20 (got {v!r})", {"v": value}) from None
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]
Positive = Annotated[int, Field(ge=1)]

Status = Literal["exercise", "refer_urgent", "refer_and_exercise", "no_findings"]
Urgency = Literal["emergency", "urgent", "soon", "routine"]
STOPS_EXERCISE = ("emergency", "urgent")
URGENCY_ORDER = ("emergency", "urgent", "soon", "routine")
Change = Literal["new", "harder", "same", "easier"]


class PlanModel(Model):
    """Plan parts: unknown keys rejected when a plan is read back (not strict: JSON has no dates)."""


class ClientRef(PlanModel):
    """Who the plan is for."""

    name: str
    id: str | None = None


class ClinicianRef(PlanModel):
    """Who made the plan."""

    name: str | None = None
    clinic: str | None = None


class GeneratedWith(PlanModel):
    """What produced the plan, so it can be reproduced."""

    engine: str
    rules_sha256: str
    exercises_sha256: str


def _empty(value: Any) -> bool:
    return value is None or value == []


class Because(PlanModel):
    """Why an item is in the plan: a rule (with the findings it fired on) or a clinician's override."""

    rule: str
    findings: list[str] = Field(default_factory=list)
    values: dict[str, Any] = Field(default_factory=dict)
    evidence: list[str] = Field(default_factory=list)
    reason: str | None = Field(default=None, exclude_if=_empty)
    """The clinician's words (``rule: clinician-override``)."""


Dose = Dosage
"""The prescribed dose: the same model as an exercise's dose steps."""


class CadenceTarget(PlanModel):
    """The metronome beat a cadence drill asks for (compatible extension, i10)."""

    now_spm: float
    """Measured step rate (steps a minute)."""
    increase_pct: int
    """Increase the drill asks for (%)."""
    target_spm: int
    """now_spm + increase_pct %, rounded to the nearest step."""


class PlanExercise(PlanModel):
    """One exercise in the plan."""

    id: str
    name: str
    ladder: str
    level: Positive
    side: Literal["left", "right", "both"]
    targets: list[str]
    tags: list[str]
    dosage: Dose
    because: list[Because]
    sided: bool = True
    dose_step: Positive = 1
    change: Change | None = None
    change_note: str | None = None
    red_count: int = 0
    last_morning_pain: int | None = None
    cadence_target: CadenceTarget | None = None


class Referral(PlanModel):
    """A referral."""

    reason: str
    urgency: Urgency
    rule: str


class TextItem(PlanModel):
    """A cue, education point or precaution."""

    text: str
    rule: str


class Excluded(PlanModel):
    """An exercise kept out of the plan."""

    exercise: str
    rule: str
    reason: str


class TraceItem(PlanModel):
    """A fired rule."""

    rule: str
    fired_on: list[str]
    derived: list[dict[str, Any]] = Field(default_factory=list)


class FindingItem(PlanModel):
    """A measured finding, graded."""

    finding: str
    side: str | None = None
    path: str
    value: Any = None
    unit: str | None = None
    grade: str | None = None
    flagged: bool = False
    threshold: str | None = None


class WalkRunStep(PlanModel):
    """One walk-run stage: ``repeats`` × (walk ``walk_min`` then run ``run_min``)."""

    stage: Positive
    walk_min: float
    run_min: float
    repeats: Positive


class RunningSection(PlanModel):
    """Can I run, and how much? Set by assessment rules' ``running`` actions (most conservative wins)."""

    status: Literal["stop", "walk_run", "reduce", "continue"]
    summary: str
    rule: str
    pain_limit_nrs: int
    weekly_km: float | None = None
    target_weekly_km: float | None = None
    target_pct: int | None = Field(default=None, exclude_if=_empty)
    """A reduced plan's distance as a share (%) of the client's usual weekly distance, when no
    distance is recorded (so no ``target_weekly_km``)."""
    max_increase_2wk_pct: int | None = None
    entry_criteria: list[str] = Field(default_factory=list)
    walk_run: list[WalkRunStep] = Field(default_factory=list)
    advice: list[TextItem] = Field(default_factory=list)
    change: Literal["up", "same", "down"] | None = Field(default=None, exclude_if=_empty)
    """At review: how running moved from the last plan's (distance or walk-run stage)."""
    because: list[Because] = Field(default_factory=list, exclude_if=_empty)
    """At review: the progression rule(s) that set this section, with the running feedback they read."""


class Previous(PlanModel):
    """The plan this one follows."""

    revision: int
    sha256: str
    reported_on: str | None = None
    feedback_sha256: str | None = Field(default=None, exclude_if=_empty)
    """Hash of the feedback applied to it (so the same feedback is not applied twice)."""


class FeedbackReceived(PlanModel):
    """What the client reported for one exercise at review."""

    completed: bool
    pain_during: int
    pain_next_morning: int
    control: str


class DoseAt(PlanModel):
    """An exercise at a dose step (before or after a review)."""

    id: str
    level: int
    dose_step: int
    dosage: Dose


class Reviewed(PlanModel):
    """One exercise of the previous plan at review: the feedback received and its dose, was → now."""

    id: str
    side: Literal["left", "right", "both"]
    feedback: FeedbackReceived | None = None
    """``None``: no feedback entry for this exercise (the plan kept it as it was)."""
    was: DoseAt
    now: DoseAt | None = None
    """``None``: not in the new plan (urgent referral, or removed by the clinician)."""
    change: Change


class Override(PlanModel):
    """A clinician's change to what the rules planned, with the reason (carried into later plans)."""

    model_config = ConfigDict(populate_by_name=True)

    action: Literal["swap", "dose", "remove", "add"]
    exercise: str
    side: Literal["left", "right", "both"]
    reason: str
    with_: str | None = Field(default=None, alias="with", exclude_if=_empty)
    """swap: the exercise put in its place."""
    dose_step: int | None = Field(default=None, exclude_if=_empty)
    """dose/add: the dose step chosen."""
    overrides_exclusion: str | None = Field(default=None, exclude_if=_empty)
    """add: the rule that had excluded the exercise (flagged in the report)."""
    on: str
    """Date of the plan it was made in."""


class PainSite(PlanModel):
    """A painful area as the handout needs it (which side not to lie on): copied from the
    first-visit assessment, carried to each review plan."""

    region: str
    side: str
    diagnosis: str | None = Field(default=None, exclude_if=_empty)


class Plan(PlanModel):
    """A plan, version 1."""

    version: Literal[1] = 1
    client: ClientRef
    assessed_on: IsoDate
    generated_with: GeneratedWith
    status: Status
    referrals: list[Referral] = Field(default_factory=list)
    precautions: list[TextItem] = Field(default_factory=list)
    exercises: list[PlanExercise] = Field(default_factory=list)
    excluded: list[Excluded] = Field(default_factory=list)
    cues: list[TextItem] = Field(default_factory=list)
    education: list[TextItem] = Field(default_factory=list)
    review_in_days: Positive
    trace: list[TraceItem] = Field(default_factory=list)
    clinician: ClinicianRef | None = None
    findings: list[FindingItem] = Field(default_factory=list)
    revision: Positive = 1
    previous: Previous | None = None
    not_included: list[Excluded] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    reported_on: str | None = None
    reviewed: list[Reviewed] = Field(default_factory=list, exclude_if=_empty)
    """At review: every exercise of the previous plan, its feedback and its dose was → now."""
    overrides: list[Override] = Field(default_factory=list, exclude_if=_empty)
    """Clinician overrides made in this plan or carried from earlier ones."""
    warnings: list[str] = Field(default_factory=list, exclude_if=_empty)
    """Things the clinician should check (e.g. an exercise without feedback)."""
    running: RunningSection | None = None
    red_flags: list[str] = Field(default_factory=list, exclude_if=_empty)
    """Red flags named: the first visit's and those reported at each review since (the referral
    sheet's "what to tell them" reads them, so a plan made at review needs no assessment)."""
    pain_sites: list[PainSite] = Field(default_factory=list, exclude_if=_empty)
    """The first visit's painful areas (region, side, diagnosis), carried to review plans."""

    def to_json(self) -> str:
        """Serialise deterministically (sorted keys, 2-space indent, trailing newline)."""
        import json

        return (
            json.dumps(self.model_dump(mode="json", by_alias=True), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
