"""Render a plan as a client handout PDF and as a clinician report PDF (fpdf2).

One typed view in (``engine.render.view``: the plan, its exercise records and what only the
assessment knows), bytes out. Layout, colours, section order and every fixed sentence come from
the template (``templates/handout.yaml``). The same inputs give byte-identical PDFs: the creation
date is the assessment date (never the wall clock) and fpdf2's file id is a hash of the content.

The parts: ``frame`` (document, primitives, keep-together layout), ``exercise_page``,
``sections`` (the other handout sections and the log), ``urgent`` (the referral sheet) and
``report`` (the clinician report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.models.template import Template
from engine.render import text
from engine.render.frame import Ctx, flow, known_clinic, new_doc, set_metadata
from engine.render.sections import SECTIONS, draw_credits
from engine.render.urgent import urgent_page
from engine.render.view import View

__all__ = ["load_template_dict", "render_clinician_report", "render_handout"]


def load_template_dict(data: dict[str, Any]) -> Template:
    """Validate a template mapping (as read from YAML).

    Raises:
        ValueError: a key is unknown, missing or has a bad value (pydantic's ValidationError).
    """
    return Template.model_validate(data)


def render_clinician_report(view: View, template: Template, template_dir: Path, *, paper: str | None = "a4") -> bytes:
    """Render the clinician report (``engine.render.report``, imported only when a report is asked for)."""
    from engine.render.report import render_clinician_report as render

    return render(view, template, template_dir, paper=paper)


def render_handout(view: View, template: Template, template_dir: Path, *, paper: str | None = "a4") -> bytes:
    """Render the client handout.

    Args:
        view: the plan, its exercise records and what the assessment adds (``engine.render.view``).
        template: the validated handout template.
        template_dir: folder the template's font and logo paths are relative to.
        paper: "a4" or "letter"; None uses the template's page size.

    Returns:
        The PDF bytes; the same inputs always give the same bytes.

    Raises:
        ValueError: a font or logo file is missing, the paper size is unknown, the wording
            uses an unknown placeholder, or the plan names an exercise the view has no record of.
    """
    pdf = new_doc(template, template_dir, paper, template.wording.footer, view.client_name)
    title = template.wording.header.title
    day = text.format_date(text.parse_date(view.plan.assessed_on), template)
    set_metadata(pdf, title, f"{title}, {day}", known_clinic(view, template), view)
    pdf.add_page()
    if view.plan.status == "refer_urgent":
        urgent_page(Ctx(pdf, view, template, template_dir))
    else:
        ctx = Ctx(pdf, view, template, template_dir, queue=[])
        for name in template.sections:
            SECTIONS[name](ctx)
        draw_credits(ctx)
        blocks = ctx.queue or []
        object.__setattr__(ctx, "queue", None)
        flow(ctx, blocks)
    return bytes(pdf.output())
