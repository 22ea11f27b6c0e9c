"""The handout's running plan ("can I run, and how much?"): plain sentences from ``plan.running``.

Pure text in the template's words; the PDF renderer prints them as one simple section after the
running cues. Under a pain guide that replaces the traffic light (a bone stress injury), no line
gives a pain limit in numbers: the guide's own running pain limit and walk-run checks are used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.models.plan import Plan, RunningSection
from engine.models.template import PainOverride, Template
from engine.render.text import fill, number

EARLY = ("stop", "walk_run")
"""Statuses where the client does not run as usual (walk-run checks and stages are printed)."""


def pain_override(plan: Plan, template: Template) -> str | None:
    """The condition whose pain guide replaces the traffic light on this plan, if any."""
    conditions = set(plan.conditions)
    return next((c for c in template.wording.pain_guide.overrides if c in conditions), None)


def override_guide(plan: Plan, template: Template) -> PainOverride | None:
    """The pain guide that replaces the traffic light on this plan, if any."""
    condition = pain_override(plan, template)
    return template.wording.pain_guide.overrides[condition] if condition is not None else None


def pain_numbers(template: Template) -> re.Pattern[str]:
    """The template's pattern of a sentence giving a pain limit in numbers."""
    return re.compile(template.wording.pain_guide.pain_number, re.IGNORECASE)


def running_lines(
    run: RunningSection | None, template: Template, guide: PainOverride | None = None
) -> tuple[str, list[str]] | None:
    """Return (intro, lines) for the running section, or None when the plan has none.

    ``guide`` is the pain guide that replaces the traffic light on this plan, if any.
    """
    if run is None:
        return None
    w = template.wording.running
    early = run.status in EARLY
    lines: list[str] = []
    if run.target_weekly_km is not None:
        lines.append(fill(w.target, km=number(float(run.target_weekly_km))))
    elif run.target_pct is not None:
        lines.append(fill(w.target_pct, pct=number(run.target_pct)))
    if guide is not None:
        if guide.running_pain_limit:
            lines.append(guide.running_pain_limit)
    elif not early:
        lines.append(fill(w.pain_limit, n=run.pain_limit_nrs))
    else:  # a walk-run client, or one who starts the walk-run plan after the checks
        pattern = w.pain_limit_to_come if run.entry_criteria else w.pain_limit_walk_run
        lines.append(fill(pattern, n=run.pain_limit_nrs))
    if run.max_increase_2wk_pct:
        lines.append(fill(w.increase, pct=run.max_increase_2wk_pct))
    criteria = entry_criteria(run.entry_criteria, template, guide)
    if criteria:
        lines.append(w.checks)
        lines += criteria
    for st in run.walk_run:
        if float(st.walk_min) == 0:
            lines.append(fill(w.stage_run, stage=st.stage, run=number(float(st.run_min))))
        else:
            lines.append(
                fill(
                    w.stage,
                    stage=st.stage,
                    walk=number(float(st.walk_min)),
                    run=number(float(st.run_min)),
                    repeats=st.repeats,
                )
            )
    if run.walk_run:
        lines.append(w.stages_rule)
    advice = [a.text for a in run.advice]
    lines += without_pain_numbers(advice, template, None) if guide is not None else advice
    return run.summary, lines


def entry_criteria(criteria: Sequence[str], template: Template, guide: PainOverride | None) -> list[str]:
    """The walk-run checks as printed: under an override guide, a check's pain number becomes the
    guide's words, a check still giving a pain number is left out, and the guide's checks are added."""
    if guide is None or not criteria:
        return list(criteria)
    pattern = pain_numbers(template)
    out: list[str] = []
    for check in criteria:
        for words, instead in guide.entry_criteria_words.items():
            check = re.sub(words, instead, check, flags=re.IGNORECASE)
        if not pattern.search(check) and check not in out:
            out.append(check)
    return out + [c for c in guide.entry_criteria if c not in out]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def without_pain_numbers(items: Sequence[str], template: Template, instead: str | None) -> list[str]:
    """The items with every sentence that gives a pain limit in numbers taken out; where one was,
    ``instead`` is put (once per list). An item left with no sentence is dropped."""
    pattern = pain_numbers(template)
    out: list[str] = []
    for item in items:
        sentences = _SENTENCE.split(item.strip())
        kept = [s for s in sentences if not pattern.search(s)]
        if len(kept) == len(sentences):
            out.append(item)
            continue
        if kept:
            out.append(" ".join(kept))
        if instead and instead not in out:
            out.append(instead)
    return out
