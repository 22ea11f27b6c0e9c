"""Shared model configuration and constrained types with clinician-readable errors."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from engine.models.field_docs import field_docs


class Model(BaseModel):
    """The one base: unknown keys forbidden, immutable, attribute docstrings as descriptions.

    ``defer_build``: a model's validator is built on first use, not at import (i15: a run that
    takes its content from the cache never validates rules, exercises or templates).

    The docstring under a field is its description, as pydantic's ``use_attribute_docstrings``
    would make it, but read from the generated table of ``engine.models.field_docs`` instead of
    parsing the class's source at every start (i15).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        docs = field_docs(cls)
        fields = cls.__pydantic_fields__
        for name, doc in docs.items():
            if name in fields and fields[name].description is None:
                fields[name].description = doc
        if docs and cls.__pydantic_complete__:  # built before the descriptions were set (defer_build off)
            cls.model_rebuild(force=True)


class StrictModel(Model):
    """Input model (YAML a clinician writes): also no silent type coercion."""

    model_config = ConfigDict(strict=True)


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Range:
    """``Annotated[int, Range(0, 10)]``: a number in ``[lo, hi]`` (``hi=None``: no upper bound).

    Validation says 'must be between lo and hi (got x)'; the JSON Schema gets ``minimum``/``maximum``
    so editors flag the same values.
    """

    lo: float
    hi: float | None = None

    def check(self, value: float) -> float:
        """Return the value (``-0.0`` as ``0.0``) or raise the clinician-readable range error."""
        lo, hi = self.lo, self.hi
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

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        out["minimum"] = self.lo
        if self.hi is not None:
            out["maximum"] = self.hi
        return out


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
"""Non-empty free text (surrounding spaces dropped)."""

LayoutText = Annotated[str, StringConstraints(min_length=1)]
"""Non-empty text kept exactly as written (template wording, where spaces and line breaks are layout)."""

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
"""A kebab-case identifier such as ``wb-glute-med-hold``."""

Word = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
"""A snake_case word such as ``pelvic_drop``."""


def _date_from_text(value: Any) -> Any:
    """Accept a quoted ISO date (``'2026-11-16'``, as spreadsheets and YAML writers produce)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("date_type", "must be a date written like 2026-11-20") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_date_from_text)]
"""A date: ``2026-11-20`` unquoted (a YAML date) or quoted (text in ISO form)."""


def not_in_future(value: dt.date, info: ValidationInfo) -> dt.date:
    """Reject dates after today (``context={"today": …}`` fixes 'today' for tests and batch runs)."""
    today = (info.context or {}).get("today") or dt.date.today()
    if value > today:
        raise PydanticCustomError(
            "future_date", "is in the future ({value}); use the date it happened", {"value": value.isoformat()}
        )
    return value
