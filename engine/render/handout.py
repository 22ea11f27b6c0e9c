"""Glue between the plan and the PDF renderer: load the template, build the view, wrap errors."""

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


def render(
    plan: Plan,
    content: Content,
    assessment: Assessment | None = None,
    *,
    report: bool = False,
    templates_dir: Path | str | None = None,
    paper: str = "a4",
) -> bytes:
    """Render the client handout (or, with ``report``, the clinician report) as PDF bytes.

    ``assessment`` is the first-visit assessment when there is one (a plan made at review has
    none): it adds the pain sites, red flags and notes only it records.

    Raises:
        RenderError: template, font or drawing problems.
        InputError: the template file is invalid.
    """
    from engine.render import pdf
    from engine.render.view import build

    template, folder = load_template(templates_dir)
    files = content.library.files
    exercises_dir = next(iter(files.values())).parent if files else None
    view = build(plan, content.library.exercises, assessment, exercises_dir=exercises_dir)
    fn = pdf.render_clinician_report if report else pdf.render_handout
    try:
        return fn(view, template, folder, paper=paper)
    except (ValueError, OSError, KeyError, EOFError, MemoryError) as exc:
        raise RenderError.at(str(folder / TEMPLATE_FILE), f"cannot render the PDF: {exc}") from None
    except Exception as exc:  # a broken font or image file (fontTools TTLibError, PIL errors, …)
        if type(exc).__module__.split(".")[0] in ("fontTools", "PIL", "fpdf", "struct", "zlib", "xml", "defusedxml"):
            raise RenderError.at(
                str(folder / TEMPLATE_FILE), f"cannot render the PDF: {type(exc).__name__}: {exc}"
            ) from None
        raise
