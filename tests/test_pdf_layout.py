"""Handout page layout: page counts, block titles, footers and no near-empty pages.

The 1- and 8-exercise plans are made from the seed plan by swapping in library exercises, and
rendered straight through ``engine.render.pdf.render_handout`` at A4 and Letter.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from engine.load.content import load_content
from engine.models.assessment import Assessment
from engine.models.exercise import Exercise
from engine.models.plan import Plan
from engine.plan.pipeline import evaluate, load_assessment
from engine.render.handout import load_template
from engine.render.pdf import render_handout
from engine.render.view import View, build
from tests.conftest import ROOT

SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
URGENT = ROOT / "examples" / "cauda-equina-red-flag.yaml"
# the wordiest exercises in the library (long steps, tips and precautions), sided and not,
# with one- and two-pose pictures: the hardest case for fitting two blocks on a page
EIGHT = (
    "cadence-metronome-plus-10",
    "step-width-drill",
    "wb-glute-med-hold",
    "single-leg-squat-mirror",
    "single-leg-hop-in-place",
    "skater-bounds",
    "hip-hike",
    "clam",
)
PAPERS = ("a4", "letter")
FOOTER = re.compile(r"Page (\d+) of (\d+)")


@cache
def _base(path: Path) -> tuple[Plan, Assessment]:
    result = evaluate(load_content(), load_assessment(path))
    return result.plan, result.assessment


def _record(ex_id: str) -> Exercise:
    return load_content().library.exercises[ex_id]


def _plan_with(ids: tuple[str, ...]) -> View:
    plan, assessment = _base(SEED)
    template_item = plan.exercises[0]
    items = []
    for n, ex_id in enumerate(ids):
        record = _record(ex_id)
        side = ("right", "left", "both")[n % 3] if record.sided else "both"
        update = {"id": ex_id, "name": record.name, "side": side, "sided": record.sided, "dosage": record.doses[0]}
        items.append(template_item.model_copy(update=update | {"change": None, "change_note": None}))
    return build(plan.model_copy(update={"exercises": items}), load_content().library.exercises, assessment)


@cache
def _data(count: int, paper: str) -> bytes:
    template, folder = load_template()
    return render_handout(_plan_with(EIGHT[:count]), template, folder, paper=paper)


@cache
def _pages(count: int, paper: str) -> tuple[str, ...]:
    return tuple(p.extract_text() or "" for p in PdfReader(io.BytesIO(_data(count, paper))).pages)


def _body(page: str) -> str:
    """A page's text without its footer line."""
    return "\n".join(line for line in page.splitlines() if not FOOTER.search(line)).strip()


@pytest.mark.parametrize("paper", PAPERS)
# about two exercises a page, with the running plan and a daily log sized to the review (14 days)
@pytest.mark.parametrize(("count", "most"), [(1, 4), (8, 8)])
def test_page_count(count: int, most: int, paper: str) -> None:
    pages = _pages(count, paper)
    assert 1 <= len(pages) <= most, f"{count} exercise(s) on {paper}: {len(pages)} pages"


def _fills(data: bytes) -> list[float]:
    """How far down each page its lowest line of text reaches, as a share of the text area
    (the template's margins; the footer, inside the bottom margin, is not counted)."""
    margins = load_template()[0].page.margins_mm
    mm = 72 / 25.4
    fills = []
    for page in PdfReader(io.BytesIO(data)).pages:
        top = float(page.mediabox.height) - margins.top * mm
        bottom = margins.bottom * mm
        lowest = [top]

        def visit(
            text: str, cm: Any, tm: Any, font: Any, size: Any, low: list[float] = lowest, floor: float = bottom
        ) -> None:
            y = float(tm[5]) * float(cm[3]) + float(cm[5])
            if text.strip() and y > floor:
                low[0] = min(low[0], y)

        page.extract_text(visitor_text=visit)
        fills.append((top - lowest[0]) / (top - bottom))
    return fills


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_no_page_but_the_last_under_a_third_full(count: int, paper: str) -> None:
    fills = _fills(_data(count, paper))
    assert all(f >= 1 / 3 for f in fills[:-1]), [round(f, 2) for f in fills]
    assert fills[-1] > 0.1, "the last page has more than a footer"


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("count", [1, 8])
def test_every_exercise_titled_once_in_order(count: int, paper: str) -> None:
    full = "\n".join(_pages(count, paper))
    # the tracking log's key repeats "N. name"; block titles all come before the log
    log_heading = load_template()[0].wording.tracking_log.heading.split("{")[0].strip()
    assert full.count(log_heading) == 1
    full = full[: full.index(log_heading)]
    positions = []
    for n, ex_id in enumerate(EIGHT[:count], start=1):
        title = f"{n}. {_record(ex_id).name}"
        found = [m.start() for m in re.finditer(re.escape(title), full)]
        assert len(found) == 1, f"block title {title!r} appears {len(found)} times"
        positions.append(found[0])
    assert positions == sorted(positions)


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("count", [1, 8])
def test_footer_on_every_page_and_no_near_empty_page(count: int, paper: str) -> None:
    pages = _pages(count, paper)
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page
        body = _body(page)
        assert len(body) > 150, f"page {n} of {len(pages)} is (nearly) empty: {body!r}"


@pytest.mark.parametrize("paper", PAPERS)
def test_urgent_referral_is_exactly_one_page(paper: str) -> None:
    plan, assessment = _base(URGENT)
    template, folder = load_template()
    data = render_handout(build(plan, {}, assessment), template, folder, paper=paper)
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) == 1
    assert "Page 1 of 1" in (pages[0].extract_text() or "")


def test_deterministic() -> None:
    view = _plan_with(EIGHT)
    template, folder = load_template()
    first = render_handout(view, template, folder, paper="letter")
    assert render_handout(view, template, folder, paper="letter") == first
