"""Assessment in, plan out: the whole first-visit pipeline behind one typed function."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.evaluate.facts import FactSet, prepare
from engine.load import yamlio
from engine.load.content import Content, derive_fn
from engine.load.validation import validate
from engine.models.assessment import Assessment
from engine.models.plan import Plan
from engine.plan.planner import Planner


@dataclass(frozen=True)
class Result:
    """A plan with what it was built from (for explanations)."""

    assessment: Assessment
    facts: FactSet
    plan: Plan


def load_assessment(path: Path | str, *, today: dt.date | None = None) -> Assessment:
    """Read and validate an assessment file (``-`` for stdin).

    Raises:
        InputError: every problem in the file, with positions.
    """
    data, index = yamlio.read(path)
    return validate(Assessment, data, index, context={"today": today} if today else None)


def parse_assessment(text: str, name: str = "<string>") -> Assessment:
    """Validate an assessment given as YAML text."""
    data, index = yamlio.parse(text, name)
    return validate(Assessment, data, index)


def evaluate(content: Content, assessment: Assessment) -> Result:
    """Run the assessment rules and build the plan."""
    from engine.evaluate.runtime import runtime

    facts = prepare(assessment, content.thresholds)
    rules = content.rules()
    firings: list[Any] = []
    compiled = content.compiled.get("assessment")
    if compiled is not None:
        rt = runtime()
        rt.register(compiled, derive_fn(rules))
        firings = rt.evaluate(compiled, facts.facts)
    planner = Planner(content.library, rules, content.thresholds, content.book.sha256)
    return Result(assessment, facts, planner.build(assessment, facts, firings, content.library.sha256))
