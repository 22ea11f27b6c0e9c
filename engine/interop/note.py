"""A paste-in summary of a plan for practice-management systems (plain text, at most 2,000 characters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.models.plan import Plan, PlanExercise

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


def _num(x: float) -> str:
    return f"{float(x):g}"


def running_line(plan: Plan) -> str | None:
    """The running plan in one line: status, distance or walk-run, pain limit and rule."""
    run = plan.running
    if run is None:
        return None
    parts = [run.status.replace("_", "-")]
    if run.target_weekly_km is not None:
        usual = f" (usual {_num(run.weekly_km)})" if run.weekly_km is not None else ""
        parts.append(f"about {_num(run.target_weekly_km)} km a week{usual}")
    elif run.target_pct is not None:
        parts.append(f"about {run.target_pct} % of the usual weekly distance")
    if run.walk_run:
        checks = f" after {len(run.entry_criteria)} checks" if run.entry_criteria else ""
        parts.append(f"walk-run {len(run.walk_run)} stages from stage {run.walk_run[0].stage}{checks}")
    parts.append(f"pain limit {run.pain_limit_nrs}/10")
    return f"Running: {'; '.join(parts)} [{run.rule}]"


def _exercise_line(e: PlanExercise, dose_text: Callable[[dict[str, Any]], str]) -> str:
    dose = dose_text(e.dosage.model_dump(mode="json")).replace("\u00a0", " ")
    t = e.cadence_target
    if t is not None:  # the number the handout gives the client
        dose = f"metronome {t.target_spm} spm ({_num(t.now_spm)} + {t.increase_pct} %); {dose}"
    return f"- {e.name} [{_SIDE[e.side]}] L{e.level}: {_fit(dose, 160)}"


def note_text(plan: Plan, dose_text: Callable[[dict[str, Any]], str]) -> str:
    """The summary: client, dates, status, red flags, referrals, running, exercises with side and
    dose (and the metronome number of a cadence drill)."""
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
    running = running_line(plan)
    if running:
        head.append(_fit(running, 220))
    exercises = [_exercise_line(e, dose_text) for e in plan.exercises]
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
