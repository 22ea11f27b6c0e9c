"""A paste-in summary of a plan for practice-management systems (plain text, at most 2,000 characters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.models.plan import Plan

LIMIT = 2000
_SIDE = {"left": "L", "right": "R", "both": "both"}
_STATUS = {
    "exercise": "exercise plan",
    "refer_urgent": "URGENT REFERRAL - no exercises until seen",
    "refer_and_exercise": "referral and exercise plan",
    "no_findings": "no findings needing exercise",
}


def red_flag_status(plan: Plan) -> str:
    """What the plan's rule trace says about red flags."""
    present = sorted({f.split("=", 1)[1] for t in plan.trace for f in t.fired_on if f.startswith("red_flags=")})
    if present:
        return "PRESENT: " + ", ".join(p.replace("_", " ") for p in present)
    if any("assessment.has_red_flags=false" in t.fired_on for t in plan.trace):
        return "none (all asked, negative)"
    return "not recorded in this plan"


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def note_text(plan: Plan, dose_text: Callable[[dict[str, Any]], str]) -> str:
    """The summary: client, dates, status, red flags, referrals, exercises with side and dose."""
    review = dt.date.fromisoformat(plan.assessed_on) + dt.timedelta(days=plan.review_in_days)
    who = plan.client.name + (f" ({plan.client.id})" if plan.client.id else "")
    head = [
        f"Running rehab plan - {who}",
        f"Assessed {plan.assessed_on}; review {review.isoformat()} ({plan.review_in_days} days); revision {plan.revision}",
        f"Status: {_STATUS.get(plan.status, plan.status)}",
        f"Red flags: {red_flag_status(plan)}",
    ]
    refs = [f"- {r.urgency.upper()}: {_fit(r.reason, 220)}" for r in plan.referrals]
    head += ["Referrals:", *refs] if refs else ["Referrals: none"]
    exercises = [
        f"- {e.name} [{_SIDE[e.side]}] L{e.level}: {_fit(dose_text(e.dosage.model_dump(mode='json')), 160)}"
        for e in plan.exercises
    ]
    tail = [
        f"Rules {plan.generated_with.rules_sha256[:12]}, exercises {plan.generated_with.exercises_sha256[:12]} (rehab-rules {plan.generated_with.engine})"
    ]
    precautions = [f"- {_fit(p.text, 160)}" for p in plan.precautions]

    def join(ex: list[str], pre: list[str]) -> str:
        parts = [*head, "Exercises:" if ex else "Exercises: none", *ex]
        if pre:
            parts += ["Precautions:", *pre]
        return "\n".join([*parts, *tail]) + "\n"

    text = join(exercises, precautions)
    if len(text) > LIMIT:  # safety lines (status, red flags, referrals) stay; precautions go first
        text = join(exercises, [])
    kept = list(exercises)
    while len(text) > LIMIT and kept:
        kept.pop()
        text = join([*kept, f"- (+{len(exercises) - len(kept)} more in the full plan)"], [])
    return text if len(text) <= LIMIT else text[: LIMIT - 2] + "…\n"


def note_for_file(plan_file: Path | str, templates: Path | str | None = None) -> str:
    """The paste-in note for a plan JSON file, doses in the handout's own words (``rehab note``)."""
    from engine.plan.progression import load_plan
    from engine.render.handout import dose_text

    return note_text(load_plan(plan_file), lambda d: dose_text(d, templates))
