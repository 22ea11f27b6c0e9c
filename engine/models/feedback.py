"""The client's feedback at review (YAML, version 1) and the review settings (rules/review.yaml)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from engine.models.assessment import Quality, RedFlag
from engine.models.base import Date, Range, Slug, StrictModel, Text, not_in_future

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
    walk_run_stage: Annotated[int, Range(1, 20)] | None = None
    """On a walk-run plan: the highest stage done twice without a flare (the next plan goes on from it)."""


class Feedback(StrictModel):
    """Feedback at review, version 1."""

    version: Literal[1]
    """Format version; must be 1."""
    reported_on: Date
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


class VolumeCut(StrictModel):
    """The share of volume kept when an exercise at the bottom of its ladder must get easier."""

    keep: Annotated[int, Range(1, 20)]
    """Numerator: keep ``keep`` of every ``of`` sets (or reps, seconds, minutes when one set is left)."""
    of: Annotated[int, Range(1, 20)]
    """Denominator."""


class ReviewSentences(StrictModel):
    """What the client reads in the plan when no progression rule gave the words."""

    no_feedback: Text = "No feedback recorded: keep going as before."
    """An exercise without a feedback entry."""
    hold: Text = "Keep going as before."
    """No rule moved the exercise."""
    top_of_ladder: Text = "This is the top of this exercise for now: keep it going."
    """Added when the exercise would move up but is at the top of its ladder."""
    flare_twice: Text = (
        "Pain flared at two reviews in a row with {exercise}: please see your clinician before going on."
    )
    """Referral after two red reviews in a row; ``{exercise}`` is the exercise's name."""
    urgent_drop: Text = "urgent referral: no exercises until the client has been seen"
    """Why the exercises left the plan at an urgent referral."""
    cadence_cue: Text = "Take quicker, shorter steps. Add about 1 step in every {steps}."
    """Replaces a step-rate cue when the cadence drill changed level; ``{steps}`` is 100 / the drill's %."""


class ReviewSettings(StrictModel):
    """rules/review.yaml: how a review changes a plan where the progression rules do not decide."""

    version: Literal[1] = 1
    """Format version."""
    volume_cut: VolumeCut = Field(default_factory=lambda: VolumeCut(keep=2, of=3))
    """At the bottom of a ladder, a step down keeps this share of the volume."""
    sentences: ReviewSentences = Field(default_factory=ReviewSentences)
    """Sentences for the client."""
    while_running: list[Slug] = Field(default_factory=list)
    """Rules whose precautions, cues and education assume the client keeps running: they leave the
    plan when a review stops running or moves it to the walk-run plan."""
