"""Shared model configuration and constrained types with clinician-readable errors."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    """Input model: unknown keys forbidden, no silent type coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True)


def _fmt(x: float) -> str:
    return f"{x:g}"


def between(lo: float, hi: float | None = None) -> AfterValidator:
    """Validate a number lies in ``[lo, hi]`` with the message 'must be between lo and hi'."""

    def check(value: float) -> float:
        if isinstance(value, float) and not math.isfinite(value):
            raise PydanticCustomError("range", "must be a finite number")
        if value < lo or (hi is not None and value > hi):
            if hi is None:
                raise PydanticCustomError(
                    "range", "must be {lo} or more (got {got})", {"lo": _fmt(lo), "got": _fmt(value)}
                )
            raise PydanticCustomError(
                "range",
                "must be between {lo} and {hi} (got {got})",
                {"lo": _fmt(lo), "hi": _fmt(hi), "got": _fmt(value)},
            )
        return value + 0 if isinstance(value, float) else value  # -0.0 → 0.0: same input, same bytes

    return AfterValidator(check)


def Num(lo: float, hi: float | None = None) -> Any:
    """A float (ints accepted) constrained to a range, with a JSON-schema range too."""
    return Annotated[float, between(lo, hi), Field(ge=lo, le=hi)]


def Int(lo: int, hi: int | None = None) -> Any:
    """A whole number constrained to a range."""
    return Annotated[int, between(lo, hi), Field(ge=lo, le=hi)]


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
"""Non-empty free text."""

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
"""A kebab-case identifier such as ``wb-glute-med-hold``."""

Word = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
"""A snake_case word such as ``pelvic_drop``."""


def not_in_future(value: dt.date, info: ValidationInfo) -> dt.date:
    """Reject dates after today (``context={"today": …}`` fixes 'today' for tests and batch runs)."""
    today = (info.context or {}).get("today") or dt.date.today()
    if value > today:
        raise PydanticCustomError(
            "future_date", "is in the future ({value}); use the date it happened", {"value": value.isoformat()}
        )
    return value
