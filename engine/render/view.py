"""The one typed view the renderer reads: the plan, the exercise records it names, and what only
the first-visit assessment knows (pain scores, notes).

Built once per render from the typed models; the PDF code reads nothing else. Who the client and
clinician are, the red flags named and the sore sides come from the plan (the planner copies them
from the assessment and a review carries them on, adding its new red flags), so a plan made at
review renders true without an assessment: its view has no pain scores or notes to show. With an
assessment, its red flags and painful areas are added (a plan written before it carried them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.models.assessment import Assessment, Pain
from engine.models.exercise import Exercise
from engine.models.plan import PainSite, Plan, PlanExercise
from engine.plan import targets

__all__ = ["View", "build", "used_exercises"]


@dataclass(frozen=True)
class View:
    """Everything a handout or clinician report prints, typed and read-only."""

    plan: Plan
    exercises: Mapping[str, Exercise]
    """Library records of every exercise the plan names (its exercises, and those a review or an
    override moved out of it)."""
    pains: tuple[Pain, ...] = ()
    """The assessment's pain entries with their scores (none for a plan made at review)."""
    red_flags: tuple[str, ...] = ()
    """The red flags named (the plan's: the first visit's and each review's new ones)."""
    sites: tuple[PainSite, ...] = ()
    """The painful areas (region, side, diagnosis): the plan's (carried to review plans) and the assessment's."""
    notes: str | None = None
    """The assessment's free-text notes (clinician report only)."""
    exercises_dir: Path | None = None
    """The exercises folder (clinic picture files are relative to it)."""
    measured_cadence: float | None = None
    """The cadence measured at the assessment (steps a minute), from the plan's findings."""
    pictures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Each exercise's picture as plain data, the shape the figure code draws."""

    @property
    def client_name(self) -> str:
        return self.plan.client.name

    @property
    def client_id(self) -> str:
        return self.plan.client.id or ""

    @property
    def clinician_name(self) -> str:
        return (self.plan.clinician.name if self.plan.clinician else None) or ""

    @property
    def clinic(self) -> str | None:
        """The clinic named on the plan, if any."""
        return self.plan.clinician.clinic if self.plan.clinician else None

    def record(self, item: PlanExercise) -> Exercise:
        """The library record of a plan exercise.

        Raises:
            ValueError: the plan names an exercise the view has no record of.
        """
        record = self.exercises.get(item.id)
        if record is None:
            raise ValueError(f"exercise {item.id!r} in the plan is not in the library")
        return record


def used_exercises(plan: Plan) -> set[str]:
    """Ids of every exercise the plan names: its own, and those its review or overrides moved."""
    used = {e.id for e in plan.exercises}
    used |= {d.id for r in plan.reviewed for d in (r.was, r.now) if d is not None}
    used |= {i for o in plan.overrides for i in (o.exercise, o.with_) if i}
    return used


def build(
    plan: Plan,
    library: Mapping[str, Exercise],
    assessment: Assessment | None = None,
    *,
    exercises_dir: Path | None = None,
) -> View:
    """The view of ``plan`` (with the first-visit ``assessment`` when there is one)."""
    exercises = {i: library[i] for i in sorted(used_exercises(plan)) if i in library}
    findings = [f.model_dump(mode="json") for f in plan.findings]
    pains = tuple(assessment.pains) if assessment is not None else ()
    flags = [*plan.red_flags, *(assessment.flags if assessment is not None else ())]
    sites = [*plan.pain_sites, *(PainSite(region=p.region, side=p.side, diagnosis=p.diagnosis) for p in pains)]
    return View(
        plan=plan,
        exercises=exercises,
        pains=pains,
        red_flags=tuple(dict.fromkeys(flags)),
        sites=tuple(dict.fromkeys(sites)),
        notes=assessment.notes if assessment is not None else None,
        exercises_dir=exercises_dir,
        measured_cadence=targets.measured_cadence(findings),
        pictures={i: r.picture.model_dump(mode="json", by_alias=True, exclude_none=True) for i, r in exercises.items()},
    )
