"""A clinician's overrides of a plan (YAML, version 1): swap, re-dose, remove or add an exercise.

Every override needs a reason; it is recorded in the plan (``because: [{rule: clinician-override,
reason}]`` and ``overrides``), listed in the clinician report and carried into later plans::

    version: 1
    overrides:
      - swap: {exercise: clam, side: both, with: side-lying-abduction, reason: Clams hurt her shoulder.}
      - dose: {exercise: wb-glute-med-hold, side: right, step: 2, reason: Found step 1 far too easy.}
      - remove: {exercise: bridge-double, side: both, reason: Already does these at the gym.}
      - add: {exercise: hop-in-place, side: both, reason: Cleared by her surgeon.,
              despite_exclusion: Surgeon cleared impact on 2026-11-18.}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from engine.models.base import Range, Slug, StrictModel, Text

Side = Literal["left", "right", "both"]


class _Target(StrictModel):
    exercise: Slug
    """Exercise id (for swap, dose and remove: as in the plan)."""
    side: Side = "both"
    """Side, as in the plan (left | right | both)."""
    reason: Text
    """Why, in the clinician's words (shown in the clinician report)."""


class Swap(_Target):
    """Put another exercise in the place of one of the plan."""

    with_: Slug = Field(alias="with")
    """The exercise to give instead (starts at ``step``)."""
    step: Annotated[int, Range(1, 10)] = 1
    """Dose step of the new exercise (1 = its easiest)."""
    despite_exclusion: Text | None = None
    """Needed when a rule excluded the new exercise: why it is right for this client anyway."""


class Dose(_Target):
    """Give an exercise of the plan another of its dose steps."""

    step: Annotated[int, Range(1, 10)]
    """Dose step (1 = the exercise's easiest)."""


class Remove(_Target):
    """Take an exercise out of the plan."""


class Add(_Target):
    """Add an exercise the rules did not choose."""

    step: Annotated[int, Range(1, 10)] = 1
    """Dose step (1 = its easiest)."""
    despite_exclusion: Text | None = None
    """Needed when a rule excluded the exercise: why it is right for this client anyway."""


class SwapOverride(StrictModel):
    """Swap one exercise for another."""

    swap: Swap


class DoseOverride(StrictModel):
    """Re-dose an exercise."""

    dose: Dose


class RemoveOverride(StrictModel):
    """Remove an exercise."""

    remove: Remove


class AddOverride(StrictModel):
    """Add an exercise."""

    add: Add


def _kind(value: object) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return f"[{key}]" if key in ("swap", "dose", "remove", "add") else None
    for key, cls in (("swap", SwapOverride), ("dose", DoseOverride), ("remove", RemoveOverride), ("add", AddOverride)):
        if isinstance(value, cls):
            return f"[{key}]"
    return None


OverrideItem = Annotated[
    Annotated[SwapOverride, Tag("[swap]")]
    | Annotated[DoseOverride, Tag("[dose]")]
    | Annotated[RemoveOverride, Tag("[remove]")]
    | Annotated[AddOverride, Tag("[add]")],
    Discriminator(
        _kind,
        custom_error_type="override_kind",
        custom_error_message="an override is one of swap, dose, remove or add (one key)",
    ),
]


class Overrides(StrictModel):
    """The overrides file, version 1."""

    version: Literal[1]
    """Format version; must be 1."""
    overrides: list[OverrideItem] = Field(min_length=1)
    """The changes, applied in order."""
