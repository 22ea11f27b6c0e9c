"""Glue between the plan and the PDF renderer: load the template, pass plain data, wrap errors."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from engine.errors import RenderError
from engine.load import yamlio
from engine.load.content import Content
from engine.load.resources import data_dir
from engine.load.validation import validate
from engine.models.assessment import Assessment
from engine.models.plan import Plan

TEMPLATE_FILE = "handout.yaml"
PAPERS = ("a4", "letter")


def load_template(templates_dir: Path | str | None = None) -> tuple[Any, Path]:
    """Load and validate templates/handout.yaml once per process; return it and its folder."""
    folder = data_dir("templates", templates_dir)
    return _load_template(str(folder.resolve())), folder


@cache
def _load_template(folder: str) -> Any:
    from engine.load import cache
    from engine.models.template import Template

    path = Path(folder) / TEMPLATE_FILE
    return cache.cached(
        "template", [Path(folder)], lambda: [path], lambda: validate(Template, *yamlio.read(path)), Template
    )


def dose_text(dosage: dict[str, Any], templates_dir: Path | str | None = None) -> str:
    """A dose in the handout's own words (one wording for client and clinician)."""
    from engine.render.text import dosage_text

    template, _ = load_template(templates_dir)
    return dosage_text(dosage, template.wording.exercises.dose)


def _inputs(
    plan: Plan, assessment: Assessment, content: Content
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    used = {e.id for e in plan.exercises}
    # the report names the exercises a review or an override moved out of the plan too
    used |= {d.id for r in plan.reviewed for d in (r.was, r.now) if d is not None}
    used |= {i for o in plan.overrides for i in (o.exercise, o.with_) if i}
    exercises = {
        i: content.library.exercises[i].model_dump(mode="json", by_alias=True, exclude_none=True)
        for i in sorted(used)
        if i in content.library.exercises
    }
    return plan.model_dump(mode="json"), assessment.model_dump(mode="json"), exercises


def render(
    plan: Plan,
    assessment: Assessment,
    content: Content,
    *,
    report: bool = False,
    templates_dir: Path | str | None = None,
    paper: str = "a4",
) -> bytes:
    """Render the client handout (or, with ``report``, the clinician report) as PDF bytes.

    Raises:
        RenderError: template, font or drawing problems.
        InputError: the template file is invalid.
    """
    from engine.render import pdf

    template, folder = load_template(templates_dir)
    plan_d, assessment_d, exercises = _inputs(plan, assessment, content)
    fn = pdf.render_clinician_report if report else pdf.render_handout
    files = content.library.files
    exercises_dir = next(iter(files.values())).parent if files else None
    try:
        return fn(plan_d, assessment_d, exercises, template, folder, paper=paper, exercises_dir=exercises_dir)
    except (ValueError, OSError, KeyError, EOFError, MemoryError) as exc:
        raise RenderError.at(str(folder / TEMPLATE_FILE), f"cannot render the PDF: {exc}") from None
    except Exception as exc:  # a broken font or image file (fontTools TTLibError, PIL errors, …)
        if type(exc).__module__.split(".")[0] in ("fontTools", "PIL", "fpdf", "struct", "zlib", "xml", "defusedxml"):
            raise RenderError.at(
                str(folder / TEMPLATE_FILE), f"cannot render the PDF: {type(exc).__name__}: {exc}"
            ) from None
        raise
