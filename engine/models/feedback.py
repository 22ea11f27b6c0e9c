"""Contract 3: the client's feedback at review (YAML, version 1)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator

from engine.models.assessment import Quality, RedFlag
from engine.models.base import Range, Slug, StrictModel, not_in_future

Pain10 = Annotated[int, Range(0, 10)]


class ExerciseFeedback(StrictModel):
    """How one exercise went since the last plan."""

    id: Slug
    """Exercise id from the plan."""
    side: Literal["left", "right", "both"]
    """Side, as in the plan."""
    completed: bool
    """Did all prescribed sets/reps."""
    pain_during: Pain10
    """Pain during the exercise, 0..10."""
    pain_next_morning: Pain10
    """Pain the next morning, 0..10."""
    control: Quality
    """Movement quality: good | fair | poor."""


class RunningFeedback(StrictModel):
    """How running went."""

    pain_during: Pain10
    """Pain while running, 0..10."""
    pain_next_morning: Pain10
    """Pain the next morning, 0..10."""


class Feedback(StrictModel):
    """Feedback at review, version 1."""

    version: Literal[1]
    """Format version; must be 1."""
    reported_on: dt.date
    """Date of the review; not in the future."""
    exercises: list[ExerciseFeedback] = Field(default_factory=list)
    """One entry per exercise (and side) of the plan (empty when the plan had none)."""
    running: RunningFeedback | None = None
    """Running, if the client ran."""
    new_red_flags: list[RedFlag] | None = None
    """Red flags that are new since the plan; any entry leads to referral."""
    spreading_leg_symptoms: bool | None = None
    """Leg symptoms spread further down the leg (peripheralisation); counts as red."""

    _not_in_future = field_validator("reported_on")(not_in_future)
