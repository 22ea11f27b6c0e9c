"""Render a plan as a client handout PDF and as a clinician report PDF (fpdf2).

Plain data in, bytes out. Layout, colours, section order and every fixed sentence come from the
template (``templates/handout.yaml``); the words about the client come from one typed view
(``engine.render.view``: the plan, its exercise records and what only the assessment knows). The same inputs give byte-identical PDFs: the creation
date is the assessment date (never the wall clock) and fpdf2's file id is a hash of the content.

Blocks that must stay whole (an exercise, the pain guide, the tracking log, boxes) are first
measured on a scratch page that shares the fonts; if they would run off the page, the real
drawing starts on a new page. The space below a block is not part of that check, and a bullet
section runs on item by item (its heading stays with the first item, its last item with the one
before), so a page is left part-empty only before a block that must stay whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, ResourceAccessPolicy, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from engine.models.exercise import Exercise
from engine.models.plan import DoseAt, Plan, PlanExercise, Referral, TextItem
from engine.models.template import Light, Template
from engine.plan import targets
from engine.render import figure, fonts, linebreak, running, text
from engine.render.view import View

__all__ = ["load_template_dict", "render_clinician_report", "render_handout"]

FAMILY = "body"
PAPER_SIZES = {"a4": "A4", "letter": "Letter"}
PT_TO_MM = 25.4 / 72
LEADING = 1.22  # line height / font size for handout text
SHORT_LAST = 0.2  # a last block shorter than this share of the page stays with the one before
RGB = tuple[int, int, int]
Draw = Callable[[], None]


def load_template_dict(data: dict[str, Any]) -> Template:
    """Validate a template mapping (as read from YAML).

    Raises:
        ValueError: a key is unknown, missing or has a bad value (pydantic's ValidationError).
    """
    return Template.model_validate(data)


# ----------------------------------------------------------------------------- document set-up
class _Doc(FPDF):
    """An FPDF with the template's footer ("Page X of Y")."""

    def __init__(self, template: Template, paper: str, footer: str, client: str) -> None:
        super().__init__(orientation="P", unit="mm", format=PAPER_SIZES[paper])
        self.rr_template = template
        self.rr_footer = footer
        self.rr_client = client
        self.rr_paper = paper
        self.rr_scratch: _Doc | None = None

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        """Left-align text by default: ragged right is easier to read than justified."""
        kwargs.setdefault("align", Align.L)
        return super().multi_cell(*args, **kwargs)

    def footer(self) -> None:
        """Draw the page footer inside the bottom margin."""
        self.set_y(-self.rr_template.page.margins_mm.bottom + 5)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*_rgb(self.rr_template.colours.muted))
        line = text.fill(self.rr_footer, client=self.rr_client, page=self.page_no(), pages="{nb}")
        self.cell(0, 5, line, align="C")


def _rgb(colour: str) -> RGB:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _new_doc(template: Template, template_dir: Path, paper: str | None, footer: str, client: str) -> _Doc:
    size = (paper or template.page.size).lower()
    if size not in PAPER_SIZES:
        raise ValueError(f"unknown paper size {paper!r} (use a4 or letter)")
    pdf = _Doc(template, size, footer, client)
    pdf.resource_access_policy = ResourceAccessPolicy.LOCAL_FILES  # never fetch a URL
    _add_fonts(pdf, template, template_dir)
    m = template.page.margins_mm
    pdf.set_margins(m.left, m.top, m.right)
    pdf.set_auto_page_break(True, margin=m.bottom)
    pdf.set_creator("rehab-rules")
    pdf.set_lang(template.language)
    return pdf


def inside(folder: Path, name: str, what: str) -> Path:
    """The file ``name`` relative to ``folder``; refuses URLs and paths that leave the folder
    (``..``, absolute paths, symlinks pointing out).

    Raises:
        ValueError: the path is a URL, leaves the folder or is not a file.
    """
    if "://" in name or name.startswith(("data:", "file:")):
        raise ValueError(f"{what}: {name!r} is a URL; only files inside {folder} are allowed")
    path = (folder / name).resolve()
    root = folder.resolve()
    if path != root and root not in path.parents:
        raise ValueError(f"{what}: {name!r} is outside the folder {folder}")
    if not path.is_file():
        raise ValueError(f"{what}: file not found: {folder / name}")
    return path


def _add_fonts(pdf: FPDF, template: Template, template_dir: Path) -> None:
    styles = {"": "regular", "B": "bold", "I": "italic", "BI": "bold_italic"}
    linebreak.install()  # exact memoised line widths (i15)
    for style, key in styles.items():
        path = inside(template_dir, str(getattr(template.fonts, key)), f"template fonts.{key}")
        try:
            fonts.add_font(pdf, FAMILY, style, path)  # parsed once per process, subsets cached (i15)
        except Exception as exc:  # fontTools raises TTLibError, struct.error, …  on a broken file
            raise ValueError(f"template fonts.{key}: {path.name} is not a usable font file ({exc})") from None


def _set_metadata(pdf: FPDF, title: str, subject: str, author: str, view: View) -> None:
    """Title, subject and author carry no identifying data (issue 11): the page text is enough."""
    day = text.parse_date(view.plan.assessed_on)
    pdf.set_title(title)
    pdf.set_subject(subject)
    pdf.set_author(author)
    pdf.set_creation_date(datetime(day.year, day.month, day.day, tzinfo=UTC))


@dataclass(frozen=True)
class _Ctx:
    """Everything a section renderer needs."""

    pdf: _Doc
    view: View
    t: Template
    template_dir: Path
    queue: list[_Block] | None = None
    """When set, keep-together blocks are collected here and laid out by ``_flow``."""

    @property
    def plan(self) -> Plan:
        return self.view.plan

    @property
    def lh(self) -> float:
        """Body line height in mm."""
        return self.t.page.body_pt * PT_TO_MM * LEADING


def _clinic_name(view: View, template: Template) -> str:
    return str(view.clinic or template.clinic.name)


def _clinic_contact(ctx: _Ctx) -> str:
    """The contact of the clinic named on the plan (the template's own, or from ``clinic.contacts``),
    or the template's loud blank to fill in by hand: a handout never lacks a contact line."""
    return clinic_contact(ctx.view, ctx.t) or ctx.t.clinic.contact_blank


def clinic_contact(view: View, template: Template) -> str:
    """The contact line known for the plan's clinic ("" when none is known)."""
    named = view.clinic
    if named and template_clinic_differs(str(named), template.clinic.name):
        wanted = str(named).casefold().strip()
        for name, contact in template.clinic.contacts.items():
            if name.casefold().strip() == wanted:
                return contact.strip()
        return ""
    return template.clinic.contact.strip()


def template_clinic_differs(named: str, template_name: str | None) -> bool:
    """Whether the plan's clinic is another clinic than the one the template describes."""
    return bool(template_name) and named.casefold().strip() != str(template_name).casefold().strip()


# -------------------------------------------------------------------------- drawing primitives
def _font(ctx: _Ctx, style: str = "", size: float | None = None, colour: str | None = None) -> None:
    ctx.pdf.set_font(FAMILY, style, size or ctx.t.page.body_pt)
    ctx.pdf.set_text_color(*_rgb(colour or ctx.t.colours.text))


def _para(
    ctx: _Ctx,
    words: str,
    style: str = "",
    size: float | None = None,
    colour: str | None = None,
    gap: float = 1.5,
) -> None:
    _font(ctx, style, size, colour)
    lh = (size or ctx.t.page.body_pt) * PT_TO_MM * LEADING
    ctx.pdf.set_x(ctx.pdf.l_margin)
    ctx.pdf.multi_cell(0, lh, words, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    ctx.pdf.ln(gap)


def _list(ctx: _Ctx, items: Sequence[str], x: float, w: float, numbered: bool = False, start: int = 1) -> None:
    """Draw a bullet or numbered list with a hanging indent, in the column x..x+w."""
    for i, item in enumerate(items, start=start):
        _item(ctx, item, x, w, f"{i}." if numbered else "")
        ctx.pdf.ln(ITEM_GAP)


ITEM_GAP = 0.8  # space below a list item (mm)


def _item(ctx: _Ctx, item: str, x: float, w: float, number: str = "") -> None:
    """One list item: its number (bold) or a bullet, then the text with a hanging indent."""
    pdf = ctx.pdf
    indent = 7.0
    _font(ctx, "B" if number else "")
    pdf.set_x(x)
    pdf.cell(indent, ctx.lh, number or "•")
    _font(ctx)
    pdf.multi_cell(w - indent, ctx.lh, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _texts(items: Sequence[TextItem]) -> list[str]:
    """The ``text`` of each plan item."""
    return [i.text for i in items]


def _scratch(pdf: _Doc) -> _Doc:
    """A blank document sharing the fonts and page geometry, for measuring blocks."""
    if pdf.rr_scratch is None:
        s = _Doc(pdf.rr_template, pdf.rr_paper, "", "")
        # share the parsed fonts (no re-parsing); the scratch document is never output
        s._resource_catalog.font_registry = pdf.fonts
        s.set_margins(pdf.l_margin, pdf.t_margin, pdf.r_margin)
        s.set_auto_page_break(False)
        s.add_page()
        pdf.rr_scratch = s
    return pdf.rr_scratch


def _measure(ctx: _Ctx, draw: Draw) -> float:
    """Return the height ``draw`` takes, drawn on a scratch page (much cheaper than
    ``FPDF.offset_rendering``, which deep-copies the whole document each time)."""
    real = ctx.pdf
    s = _scratch(real)
    s.set_left_margin(real.l_margin)
    s.set_right_margin(real.r_margin)
    start = s.t_margin
    s.set_xy(real.get_x(), start)
    object.__setattr__(ctx, "pdf", s)
    try:
        draw()
    finally:
        object.__setattr__(ctx, "pdf", real)
    return s.get_y() - start


@dataclass(frozen=True)
class _Block:
    """A keep-together block and the space left after it. The space is not part of the fit: a
    block that fits but for its trailing gap stays on the page (the gap falls at its foot)."""

    draw: Draw
    gap: float = 0.0


def _keep_together(ctx: _Ctx, draw: Draw, gap: float = 0.0) -> None:
    """Draw a block, starting a new page first if it would not fit on this one (or, while
    ``ctx.queue`` is set, queue it for ``_flow``); then leave ``gap`` mm below it."""
    block = _Block(draw, gap)
    if ctx.queue is not None:
        ctx.queue.append(block)
        return
    _place(ctx, block)


def _place(ctx: _Ctx, block: _Block) -> None:
    pdf = ctx.pdf
    height = _measure(ctx, block.draw)
    if pdf.get_y() + height > pdf.page_break_trigger and pdf.get_y() > pdf.t_margin + 1:
        pdf.add_page()
    block.draw()
    if block.gap:
        pdf.ln(block.gap)


def _flow(ctx: _Ctx, blocks: Sequence[_Block]) -> None:
    """Lay out keep-together blocks in order. A short last block (the review note, say) is
    kept with the block before it, so it never sits alone on a near-empty last page."""
    pdf = ctx.pdf
    room = pdf.page_break_trigger - pdf.t_margin
    if len(blocks) >= 2:
        prev, last = blocks[-2], blocks[-1]
        short = _measure(ctx, last.draw) < room * SHORT_LAST

        def both() -> None:
            prev.draw()
            if prev.gap:
                ctx.pdf.ln(prev.gap)
            last.draw()

        if short and _measure(ctx, both) <= room:
            blocks = [*blocks[:-2], _Block(both, last.gap)]
    for block in blocks:
        _place(ctx, block)


def _heading_intro(ctx: _Ctx, heading: str, intro: str, **para: Any) -> None:
    """A section heading and, when the template has one, its first sentence."""
    _heading(ctx, heading)
    if intro:
        _para(ctx, intro, **para)


def _heading(ctx: _Ctx, title: str, boxed: bool = False) -> None:
    """Bookmark and draw a section heading (call inside a keep-together block)."""
    pdf = ctx.pdf
    pdf.start_section(title, level=0)
    size = ctx.t.page.body_pt + (2 if boxed else 4)
    _font(ctx, "B", size, ctx.t.colours.accent)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(0, size * PT_TO_MM * LEADING, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not boxed:
        pdf.set_draw_color(*_rgb(ctx.t.colours.accent))
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + pdf.epw, pdf.get_y() + 0.5)
    pdf.ln(2.5)


BOX_GAP = 5.0  # space below a box (mm)


def _box(ctx: _Ctx, inner: Draw, border: str, fill: str, pad: float = 4.0) -> None:
    """Draw ``inner`` inside a filled, bordered box as wide as the text area."""
    pdf = ctx.pdf
    x0, y0, w = pdf.l_margin, pdf.get_y(), pdf.epw

    def padded() -> None:
        p = ctx.pdf
        top = p.get_y()
        p.set_left_margin(x0 + pad)
        p.set_right_margin(p.w - x0 - w + pad)
        p.set_xy(x0 + pad, top + pad)
        inner()
        p.set_left_margin(x0)
        p.set_right_margin(p.w - x0 - w)

    height = _measure(ctx, padded) + pad
    pdf.set_y(y0)
    pdf.set_draw_color(*_rgb(border))
    pdf.set_fill_color(*_rgb(fill))
    pdf.set_line_width(0.8)
    pdf.rect(x0, y0, w, height, style="DF", round_corners=True, corner_radius=2)
    padded()
    pdf.set_xy(x0, y0 + height)


def _simple_section(ctx: _Ctx, heading: str, intro: str, items: Sequence[str]) -> None:
    """A heading, its intro and a bullet list that may run on to the next page: the heading stays
    with the first item and the last item with the one before it (no lone line at the top or foot
    of a page); every other item is a block of its own."""
    if not items:
        return
    parts = [list(items)] if len(items) <= 2 else [[items[0]], *([i] for i in items[1:-2]), list(items[-2:])]
    for n, part in enumerate(parts):
        draw = partial(_bullets, ctx, part, heading, intro) if n == 0 else partial(_bullets, ctx, part)
        _keep_together(ctx, draw, ITEM_GAP + (SECTION_GAP if n == len(parts) - 1 else 0))


def _bullets(ctx: _Ctx, items: Sequence[str], heading: str = "", intro: str = "") -> None:
    """Bullet items (after the section heading and intro, when given); no space below the last."""
    if heading:
        _heading_intro(ctx, heading, intro)
    for n, words in enumerate(items):
        if n:
            ctx.pdf.ln(ITEM_GAP)
        _item(ctx, words, ctx.pdf.l_margin, ctx.pdf.epw)


SECTION_GAP = 4.0  # space below a section (mm)


# ---------------------------------------------------------------------------- handout sections
def _header(ctx: _Ctx) -> None:
    _keep_together(ctx, partial(_header_block, ctx), 5.0)


def _header_block(ctx: _Ctx) -> None:
    pdf, w = ctx.pdf, ctx.t.wording.header
    pdf.start_section(w.title)
    _logo(ctx)
    _font(ctx, "B", ctx.t.page.body_pt + 10, ctx.t.colours.accent)
    pdf.multi_cell(pdf.epw - 45, 12, w.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    rows = [
        (w.name_label, ctx.view.client_name),
        (w.date_label, text.format_date(text.parse_date(ctx.plan.assessed_on), ctx.t)),
        (w.clinician_label, ctx.view.clinician_name),
        (w.clinic_label, _clinic_name(ctx.view, ctx.t)),
        (w.contact_label, _clinic_contact(ctx)),
        (w.review_label, _review_words(ctx)),
    ]
    for label, value in rows:
        if value:
            _label_row(ctx, label, value, 44)


def _review_words(ctx: _Ctx) -> str:
    when = text.review_date(ctx.plan.assessed_on, ctx.plan.review_in_days)
    return text.format_date(when, ctx.t) if when else ""


def _label_row(ctx: _Ctx, label: str, value: str, label_w: float) -> None:
    pdf = ctx.pdf
    _font(ctx, "B", colour=ctx.t.colours.muted)
    pdf.set_x(pdf.l_margin)
    pdf.cell(label_w, ctx.lh, label)
    _font(ctx)
    pdf.multi_cell(pdf.epw - label_w, ctx.lh, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _logo(ctx: _Ctx) -> None:
    logo = ctx.t.clinic.logo
    if not logo:
        return
    path = figure.checked_image(ctx.template_dir, logo, "template clinic.logo")
    pdf = ctx.pdf
    pdf.image(str(path), x=pdf.l_margin + pdf.epw - 40, y=pdf.t_margin, w=40, h=15, keep_aspect_ratio=True)


def _referral(ctx: _Ctx) -> None:
    referrals = ctx.plan.referrals
    if not referrals:
        return
    w = ctx.t.wording.referral
    urgency = {
        "emergency": w.urgency.emergency,
        "urgent": w.urgency.urgent,
        "soon": w.urgency.soon,
        "routine": w.urgency.routine,
    }
    lines = [f"{r.reason} ({urgency[r.urgency]})" if r.urgency in urgency else r.reason for r in referrals]

    def inner() -> None:
        _heading(ctx, w.heading, boxed=True)
        _para(ctx, w.intro)
        _list(ctx, lines, ctx.pdf.l_margin, ctx.pdf.epw)

    _keep_together(ctx, lambda: _box(ctx, inner, ctx.t.colours.amber, ctx.t.colours.alert_fill), BOX_GAP)


def _found(ctx: _Ctx) -> None:
    if ctx.plan.status == "no_findings":
        _no_findings(ctx)
        return
    sentences = text.found_sentences(ctx.plan.findings, ctx.t)
    w = ctx.t.wording.found
    _simple_section(ctx, w.heading, w.intro, sentences)


def _no_findings(ctx: _Ctx) -> None:
    w = ctx.t.wording.no_findings

    def inner() -> None:
        _heading(ctx, w.heading, boxed=True)
        _para(ctx, w.text)

    _keep_together(ctx, lambda: _box(ctx, inner, ctx.t.colours.green, ctx.t.colours.box_fill), BOX_GAP)


def _exercises(ctx: _Ctx) -> None:
    items = _plan_exercises(ctx)
    if not items:
        return
    w = ctx.t.wording.exercises

    def first() -> None:
        _heading_intro(ctx, w.heading, w.intro, gap=3)
        _exercise_block(ctx, 1, items[0])

    _keep_together(ctx, first, SECTION_GAP)
    for number, item in enumerate(items[1:], start=2):
        _keep_together(ctx, partial(_exercise_block, ctx, number, item), SECTION_GAP)


def _plan_exercises(ctx: _Ctx) -> list[PlanExercise]:
    for item in ctx.plan.exercises:
        ctx.view.record(item)  # every exercise printed has its record
    return list(ctx.plan.exercises)


def _exercise_name(ctx: _Ctx, item: PlanExercise) -> str:
    return item.name or ctx.view.record(item).name


PIC_W = 64.0  # exercise picture width (mm): readable printed at 100 % on A4
PIC_RATIO = 0.72  # picture height / width
COL_GAP = 5.0  # gap between side-by-side columns (mm)


@dataclass(frozen=True)
class _Shown:
    """An exercise as the handout shows it: the side it is done on and its side-true words."""

    side: str
    """left | right | both: the side whose words and picture are printed."""
    values: dict[str, str]
    """Placeholder values ({your_leg}, {cadence_target}, …)."""
    extra_steps: tuple[str, ...]
    """Steps the handout adds (the other side, where to lie)."""
    each_side: bool
    """The dose is for each side."""


def _sore_hips(view: View) -> set[str]:
    """Sides with gluteal tendinopathy (or lateral hip pain): never lie on them (plan advice)."""
    sore: set[str] = set()
    for pain in view.pains:
        if pain.diagnosis == "gluteal_tendinopathy" or pain.region == "lateral_hip":
            sore |= {"left", "right"} if pain.side == "both" else {str(pain.side)}
    return sore


def _other(side: str) -> str:
    return {"left": "right", "right": "left"}.get(side, side)


def shown(view: View, template: Template, item: PlanExercise) -> _Shown:
    """Decide the side and words an exercise is printed with (public for the consistency tests)."""
    w = template.wording.exercises
    record = view.record(item)
    sided = item.sided
    side: str = item.side if sided else "both"
    extra: list[str] = []
    lies_on = record.lies_on
    sore = _sore_hips(view)
    if sided and lies_on and sore:
        sides = ("left", "right") if side == "both" else (side,)
        safe = [s for s in sides if (s if lies_on == "working" else _other(s)) not in sore]
        if not safe:  # every way of doing it presses on a sore hip: lie on the side that is not sore
            down = next((s for s in ("left", "right") if s not in sore), None)
            safe = [down if lies_on == "working" else _other(down)] if down else []
        if safe and safe != list(sides):
            side = safe[0]
            down = side if lies_on == "working" else _other(side)
            words = template.sides
            extra.append(
                text.fill(
                    w.lie_on_other,
                    down=text.side_values(down, w)["your_side"],
                    sore=words.left if _other(down) == "left" else words.right,
                )
            )
    both = sided and side == "both"
    values = text.side_values("right" if both else side, w)
    pct = record.cadence_increase_pct
    target = item.cadence_target.model_dump(mode="json") if item.cadence_target else None
    if pct and not target:
        target = targets.cadence_target(view.measured_cadence, int(pct))
    values["cadence_target"] = text.cadence_words(target, pct, w)
    if both:
        extra.append(w.both_sides_step)
    return _Shown(side, values, tuple(extra), both)


def _exercise_block(ctx: _Ctx, number: int, item: PlanExercise) -> None:
    """One exercise: title bar (with the side), picture beside "Why" and the steps, the dose
    on one line, then tips and "take care" side by side."""
    pdf, w = ctx.pdf, ctx.t.wording.exercises
    record = ctx.view.record(item)
    name = _exercise_name(ctx, item)
    how = shown(ctx.view, ctx.t, item)
    pdf.start_section(name, level=1)
    _title_bar(ctx, f"{number}. {name}", _side_label(item, how, ctx.t))
    if item.change:
        _change_line(ctx, item.change, item.change_note or "")
    top = pdf.get_y() + 0.5
    picture = ctx.view.pictures.get(record.id)
    pic_w = min(PIC_W, pdf.epw * 0.36) if picture else 0.0
    pic_h = pic_w * PIC_RATIO
    if picture:
        _exercise_picture(ctx, record, how, pdf.l_margin, top, pic_w, pic_h)
    x = pdf.l_margin + (pic_w + COL_GAP if picture else 0)
    pdf.set_xy(x, top)
    _exercise_text(ctx, record, how, x, pdf.l_margin + pdf.epw - x)
    pdf.set_y(max(pdf.get_y(), top + pic_h + 1) + 1.5)
    dose = exercise_dose(ctx.t, item, how)
    if dose:
        _dose_box(ctx, w.dose_label, dose)
    tips = [text.exercise_text(s, how.values) for s in record.cues]
    precautions = [text.exercise_text(p, how.values) for p in record.precautions]
    _two_lists(ctx, (w.cues_label, tips), (w.precautions_label, precautions))


def exercise_dose(template: Template, item: PlanExercise, how: _Shown) -> str:
    """The dose line, with "each side" for a one-side-at-a-time exercise done on both sides."""
    w = template.wording.exercises
    dosage = item.dosage.model_dump(mode="json")
    if dosage.get("note"):
        dosage["note"] = text.exercise_text(str(dosage["note"]), how.values)
    dose = text.dosage_text(dosage, w.dose)
    if how.each_side and dose and w.each_side.casefold() not in dose.casefold():
        dose = w.dose.joiner.join([dose.split(w.dose.joiner)[0] + " " + w.each_side, *dose.split(w.dose.joiner)[1:]])
    return dose


def _exercise_picture(ctx: _Ctx, record: Exercise, how: _Shown, x: float, y: float, w: float, h: float) -> None:
    pdf = ctx.pdf
    picture = figure.oriented(ctx.view.pictures[record.id], how.side)
    words = ctx.t.wording.exercises.sides
    right, left = words.right[:1].upper(), words.left[:1].upper()
    marks = (right, left) if picture.get("working") == "right" else (left, right)
    if picture.get("file"):
        folder = Path(str(ctx.view.exercises_dir))
        path = figure.checked_image(folder, str(picture["file"]), f"exercise {record.id} picture.file")
        if picture.get("working") != record.picture.working:
            with pdf.mirror((x + w / 2, y), "NORTH"):
                pdf.image(str(path), x=x, y=y, w=w, h=h, keep_aspect_ratio=True, alt_text=str(picture["alt"]))
        else:
            pdf.image(str(path), x=x, y=y, w=w, h=h, keep_aspect_ratio=True, alt_text=str(picture["alt"]))
        return
    with pdf.local_context():
        figure.draw_picture(
            pdf,
            picture,
            x,
            y,
            w,
            h,
            color=_rgb(ctx.t.colours.text),
            accent=_rgb(ctx.t.colours.accent),
            marks=marks if record.sided else None,
        )


def _side_label(item: PlanExercise, how: _Shown, template: Template) -> str | None:
    sided = item.sided
    return text.side_label(how.side if sided else item.side, sided, template.wording.exercises.sides)


def _two_lists(ctx: _Ctx, *lists: tuple[str, Sequence[str]]) -> None:
    """Labelled bullet lists side by side (one column each); a lone list takes the full width."""
    pdf = ctx.pdf
    shown = [(label, items) for label, items in lists if items]
    if not shown:
        return
    room = pdf.epw - COL_GAP * (len(shown) - 1)
    if len(shown) == 2:
        # split the width (40-60 %) so that the taller of the two columns is as short as can be
        _font(ctx)
        lengths = [[pdf.get_string_width(i) for i in items] for _, items in shown]

        def tallest(share: float) -> int:
            cols = (room * share, room * (1 - share))
            return max(_lines(lens, w) for lens, w in zip(lengths, cols, strict=True))

        share = min((0.5, 0.45, 0.55, 0.4, 0.6), key=tallest)
        widths = [room * share, room * (1 - share)]
    else:
        widths = [room]
    top, bottom, x = pdf.get_y(), pdf.get_y(), pdf.l_margin
    for (label, items), col_w in zip(shown, widths, strict=True):
        pdf.set_y(top)
        _label(ctx, label, x, col_w)
        _list(ctx, items, x, col_w)
        bottom = max(bottom, pdf.get_y())
        x += col_w + COL_GAP
    pdf.set_xy(pdf.l_margin, bottom)


def _lines(lengths: Sequence[float], col_w: float) -> int:
    """Roughly how many lines bullet items of these text widths take in a column."""
    usable = col_w - 7.0 - 8.0  # list indent, cell margins and word-wrap slack
    return sum(int(length // usable) + 1 for length in lengths)


def _title_bar(ctx: _Ctx, title: str, side: str | None) -> None:
    """A filled bar with the exercise name on the left and the side (if any) on the right."""
    pdf = ctx.pdf
    x, y, pad = pdf.l_margin, pdf.get_y(), 3.0
    _font(ctx, "B", ctx.t.page.body_pt + 2, "#FFFFFF")
    line_h = (ctx.t.page.body_pt + 2) * PT_TO_MM * LEADING
    side_w = pdf.get_string_width(side) + 2 * pad if side else 0.0
    title_w = pdf.epw - side_w
    height = float(
        pdf.multi_cell(title_w, line_h, title, dry_run=True, padding=(1, pad), output=MethodReturnValue.HEIGHT)
    )
    pdf.set_fill_color(*_rgb(ctx.t.colours.accent))
    pdf.rect(x, y, pdf.epw, height, style="F")
    pdf.set_xy(x, y)
    pdf.multi_cell(title_w, line_h, title, padding=(1, pad))
    if side:
        pdf.set_xy(x + title_w, y)
        pdf.cell(side_w - pad, line_h + 2, side, align="R")
    pdf.set_xy(x, y + height + 1.5)


def _change_line(ctx: _Ctx, change: str, note: str) -> None:
    pdf, c = ctx.pdf, ctx.t.colours
    labels = ctx.t.wording.exercises.changes
    words = {
        "new": labels.new,
        "harder": labels.harder,
        "same": labels.same,
        "easier": labels.easier,
    }
    colours = {"new": c.accent, "harder": c.green, "same": c.muted, "easier": c.amber}
    word = words.get(change, change.upper())
    _font(ctx, "B", ctx.t.page.body_pt - 1, "#FFFFFF")
    pdf.set_fill_color(*_rgb(colours.get(change, c.muted)))
    pdf.set_x(pdf.l_margin)
    pdf.cell(pdf.get_string_width(word) + 5, ctx.lh, word, fill=True, align="C")
    pdf.set_x(pdf.get_x() + 2)
    _font(ctx, "I")
    pdf.multi_cell(0, ctx.lh, note or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _label(ctx: _Ctx, label: str, x: float, width: float = 0) -> None:
    _font(ctx, "B", colour=ctx.t.colours.accent)
    ctx.pdf.set_x(x)
    ctx.pdf.cell(width, ctx.lh, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _run_in(ctx: _Ctx, label: str, words: str, x: float, width: float) -> None:
    """A paragraph that starts with a bold label ("Why: …"), wrapped in the column x..x+width."""
    pdf = ctx.pdf
    left, right = pdf.l_margin, pdf.r_margin
    pdf.set_left_margin(x)
    pdf.set_right_margin(pdf.w - x - width)
    try:
        pdf.set_x(x)
        _font(ctx, "B", colour=ctx.t.colours.accent)
        pdf.write(ctx.lh, f"{label}: ")
        _font(ctx)
        pdf.write(ctx.lh, words)
        pdf.ln(ctx.lh)
    finally:
        pdf.set_left_margin(left)
        pdf.set_right_margin(right)


def _exercise_text(ctx: _Ctx, record: Exercise, how: _Shown, x: float, width: float) -> None:
    w, pdf = ctx.t.wording.exercises, ctx.pdf
    if record.purpose:
        _run_in(ctx, w.purpose_label, text.exercise_text(record.purpose, how.values), x, width)
        pdf.ln(1)
    steps = [text.exercise_text(s, how.values) for s in record.steps]
    steps += list(how.extra_steps)
    if steps:
        _label(ctx, w.steps_label, x, width)
        _list(ctx, steps, x, width, numbered=True)


def _dose_box(ctx: _Ctx, label: str, words: str) -> None:
    """The dose on one line (wrapping only if it must): a bold label, then the amounts."""
    pdf, pad = ctx.pdf, 2.5
    x, y = pdf.l_margin, pdf.get_y()
    _font(ctx, "B")
    label_w = pdf.get_string_width(f"{label}:") + 2 * pad
    text_w = pdf.epw - label_w
    height = float(
        pdf.multi_cell(
            text_w,
            ctx.lh,
            words,
            dry_run=True,
            padding=(1, pad, 1, 0),
            output=MethodReturnValue.HEIGHT,
        )
    )
    pdf.set_fill_color(*_rgb(ctx.t.colours.box_fill))
    pdf.set_draw_color(*_rgb(ctx.t.colours.accent))
    pdf.set_line_width(0.3)
    pdf.rect(x, y, pdf.epw, height, style="DF")
    _font(ctx, "B", colour=ctx.t.colours.accent)
    pdf.set_xy(x, y)
    pdf.set_xy(x + pad, y + 1)
    pdf.cell(label_w - pad, ctx.lh, f"{label}:")
    _font(ctx, "B")
    pdf.set_xy(x + label_w, y)
    pdf.multi_cell(text_w, ctx.lh, words, padding=(1, pad, 1, 0))
    pdf.set_xy(x, y + height + 2)


def pain_override(plan: Plan, template: Template) -> str | None:
    """The condition whose pain guide replaces the traffic light on this plan, if any."""
    conditions = set(plan.conditions)
    return next((c for c in template.wording.pain_guide.overrides if c in conditions), None)


def _pain_guide(ctx: _Ctx) -> None:
    if not _plan_exercises(ctx):
        return
    w, c = ctx.t.wording.pain_guide, ctx.t.colours
    override = pain_override(ctx.plan, ctx.t)

    def draw() -> None:
        if override is not None:
            guide = w.overrides[override]
            _heading_intro(ctx, guide.heading, guide.intro, gap=3)
            for light, colour in zip(guide.rules, (c.red, c.amber, c.green), strict=False):
                _light_row(ctx, light, colour)
        else:
            _heading_intro(ctx, w.heading, w.intro, gap=3)
            for light, colour in ((w.green, c.green), (w.amber, c.amber), (w.red, c.red)):
                _light_row(ctx, light, colour)

    _keep_together(ctx, draw, 5.0)


def _light_row(ctx: _Ctx, light: Light, colour: str) -> None:
    """One traffic-light row: a coloured label cell and the advice beside it."""
    pdf = ctx.pdf
    x, y, label_w, pad = pdf.l_margin, pdf.get_y(), 46.0, 2.5
    text_w = pdf.epw - label_w
    _font(ctx)
    height = pdf.multi_cell(text_w, ctx.lh, light.text, dry_run=True, padding=pad, output=MethodReturnValue.HEIGHT)
    _font(ctx, "B")
    label_h = pdf.multi_cell(
        label_w,
        ctx.lh,
        f"{light.label}\n{light.range}",
        dry_run=True,
        padding=pad,
        output=MethodReturnValue.HEIGHT,
    )
    row_h = max(float(height), float(label_h))
    pdf.set_fill_color(*_rgb(colour))
    pdf.set_draw_color(*_rgb(colour))
    pdf.set_line_width(0.6)
    pdf.rect(x, y, pdf.epw, row_h, style="D")
    pdf.rect(x, y, label_w, row_h, style="F")
    _font(ctx, "B", colour="#FFFFFF")
    pdf.set_xy(x, y)
    pdf.multi_cell(label_w, ctx.lh, f"{light.label}\n{light.range}", padding=pad)
    _font(ctx)
    pdf.set_xy(x + label_w, y)
    pdf.multi_cell(text_w, ctx.lh, light.text, padding=pad)
    pdf.set_xy(x, y + row_h + 2)


def _running_cues(ctx: _Ctx) -> None:
    w = ctx.t.wording.running_cues
    _simple_section(ctx, w.heading, w.intro, _texts(ctx.plan.cues))
    _simple_section(ctx, running.HEADING, *(running.running_lines(ctx.plan.running) or ("", [])))  # i12


def _education(ctx: _Ctx) -> None:
    w = ctx.t.wording.education
    _simple_section(ctx, w.heading, w.intro, education_texts(ctx.plan, ctx.t))


def education_texts(plan: Plan, template: Template) -> list[str]:
    """The plan's education points, less those that repeat the printed pain guide."""
    shown_guide = "pain_guide" in template.sections and plan.exercises
    skip = set(template.wording.pain_guide.same_as_rules) if shown_guide else set()
    items = [i for i in plan.education if i.rule not in skip]
    one_side = any(e.sided and e.side in ("left", "right") for e in plan.exercises)
    drop = {t.strip() for t in template.wording.education.both_sides_only} if one_side else set()
    out = []
    for words in _texts(items):
        kept = [s for s in _SENTENCE.split(words.strip()) if s.strip() not in drop]
        if kept:
            out.append(" ".join(kept))
    return out


def _precautions(ctx: _Ctx) -> None:
    w = ctx.t.wording.precautions
    _simple_section(ctx, w.heading, w.intro, _texts(ctx.plan.precautions))


def _tracking_log(ctx: _Ctx) -> None:
    items = _plan_exercises(ctx)
    if not items:
        return
    w = ctx.t.wording.tracking_log

    days = log_days(ctx.plan, ctx.t)
    heading = text.fill(w.heading if days >= ctx.plan.review_in_days else w.heading_first, days=days)

    def draw() -> None:
        _heading_intro(ctx, heading, w.intro, gap=3)
        _log_table(ctx, len(items), days)
        ctx.pdf.ln(3)
        _label(ctx, w.key_heading, ctx.pdf.l_margin)
        _font(ctx, size=ctx.t.page.body_pt - 1)
        keys = [_log_key(ctx, item) for item in items]
        _key_columns(ctx, keys)

    _keep_together(ctx, draw, SECTION_GAP)


def _key_columns(ctx: _Ctx, keys: Sequence[str]) -> None:
    """The numbered exercise key; more than three entries go in two columns."""
    pdf = ctx.pdf
    if len(keys) <= 3:
        _list(ctx, keys, pdf.l_margin, pdf.epw, numbered=True)
        return
    half = (len(keys) + 1) // 2
    col_w = (pdf.epw - COL_GAP) / 2
    top, bottom = pdf.get_y(), pdf.get_y()
    for n, part in enumerate((keys[:half], keys[half:])):
        pdf.set_y(top)
        _list(ctx, part, pdf.l_margin + n * (col_w + COL_GAP), col_w, numbered=True, start=1 + n * half)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom)


def _log_key(ctx: _Ctx, item: PlanExercise) -> str:
    side = _side_label(item, shown(ctx.view, ctx.t, item), ctx.t)
    name = _exercise_name(ctx, item)
    return f"{name} ({side})" if side else name


def log_days(plan: Plan, template: Template) -> int:
    """Rows of the tracking log: one a day until the review, at most ``max_days``."""
    days = plan.review_in_days
    return max(1, min(days, template.wording.tracking_log.max_days))


def _log_table(ctx: _Ctx, count: int, days: int) -> None:
    pdf, w = ctx.pdf, ctx.t.wording.tracking_log
    tick_w = min(16.0, int((pdf.epw - 18 - 2 * 34 - 0.5) / count * 10) / 10)
    widths = (18.0, *([tick_w] * count), 34.0, 34.0)
    size = ctx.t.page.body_pt - 1
    _font(ctx, size=size)
    heading_style = FontFace(emphasis="BOLD", color=_rgb("#FFFFFF"), fill_color=_rgb(ctx.t.colours.accent))
    pdf.set_draw_color(*_rgb(ctx.t.colours.muted))
    pdf.set_fill_color(255, 255, 255)
    pdf.set_line_width(0.25)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align=Align.L,
        text_align="CENTER",
        headings_style=heading_style,
        line_height=size * PT_TO_MM * LEADING,
        min_row_height=6.5 if days <= 14 else 5.2,
        cell_fill_mode=TableCellFillMode.ROWS,
        cell_fill_color=_rgb(ctx.t.colours.box_fill),
    ) as table:
        table.row([w.day, *[str(n) for n in range(1, count + 1)], w.pain, w.morning])
        for day in range(1, days + 1):
            table.row([str(day), *[""] * count, "", ""])


def _get_help(ctx: _Ctx) -> None:
    w, c = ctx.t.wording.get_help, ctx.t.colours

    def inner() -> None:
        _heading(ctx, w.heading, boxed=True)
        _para(ctx, w.intro, style="B")
        _list(ctx, w.items, ctx.pdf.l_margin, ctx.pdf.epw)

    _keep_together(ctx, lambda: _box(ctx, inner, c.red, c.alert_fill), BOX_GAP)


def _review(ctx: _Ctx) -> None:
    when = text.review_date(ctx.plan.assessed_on, ctx.plan.review_in_days)
    if when is None:
        return
    w = ctx.t.wording.review

    def draw() -> None:
        _heading(ctx, w.heading)
        _para(ctx, text.fill(w.text, date=text.format_date(when, ctx.t)))

    _keep_together(ctx, draw)


SECTIONS: dict[str, Callable[[_Ctx], None]] = {
    "header": _header,
    "referral": _referral,
    "found": _found,
    "exercises": _exercises,
    "pain_guide": _pain_guide,
    "running_cues": _running_cues,
    "education": _education,
    "precautions": _precautions,
    "tracking_log": _tracking_log,
    "get_help": _get_help,
    "review": _review,
}


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_FRAMES = {
    "emergency": re.compile(r"emergency department|ambulance|\bA&E\b|do not wait", re.IGNORECASE),
    "urgent": re.compile(r"\btoday\b|\btonight\b", re.IGNORECASE),
    "soon": re.compile(
        r"\b(this|next) week\b|\bweek or two\b|\bwithin (the next )?(a )?(few )?(days|weeks?)\b", re.IGNORECASE
    ),
}


def sheet_reasons(referrals: Sequence[Referral], frame: str) -> list[str]:
    """The referral reasons for an emergency/urgent sheet, keeping only sentences that agree with
    the sheet's one time frame: a sentence naming another frame ("this week" on a "today" sheet,
    "today" on a "now" sheet) is left out, since the sheet says where to go and how fast once.
    Sentences starting with "If" (what to do if things get worse) stay."""
    out: list[str] = []
    for r in referrals:
        if r.urgency not in STOP:
            continue
        kept = []
        for sentence in _SENTENCE.split(r.reason.strip()):
            other = [f for f, rx in _FRAMES.items() if f != frame and rx.search(sentence)]
            if other and not sentence.lower().startswith("if "):
                continue
            kept.append(sentence)
        if kept:
            out.append(" ".join(kept))
    return list(dict.fromkeys(out))


STOP = ("emergency", "urgent")


def _urgent_page(ctx: _Ctx) -> None:
    """The one page an urgent referral gets: what is wrong, where to go and how fast, what to tell
    them, what to avoid until seen, the clinic's contact. Nothing else from the plan is printed
    (its education, cues and precautions are about exercise and running)."""
    pdf, c = ctx.pdf, ctx.t.colours
    referrals = ctx.plan.referrals
    emergency = any(r.urgency == "emergency" for r in referrals)
    w = ctx.t.wording.emergency if emergency and ctx.t.wording.emergency else ctx.t.wording.urgent
    frame = "emergency" if emergency else "urgent"
    pdf.start_section(w.heading)
    _font(ctx, "B", ctx.t.page.body_pt + 10, "#FFFFFF")
    pdf.set_fill_color(*_rgb(c.red))
    pdf.multi_cell(0, 12, w.heading, fill=True, padding=(3, 4), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _header_rows(ctx)
    _para(ctx, w.intro, style="B", gap=4)
    _urgent_list(ctx, w.why_heading, sheet_reasons(referrals, frame), numbered=False)
    _urgent_list(ctx, w.what_heading, w.what_to_do, numbered=True)
    flag_words = ctx.t.red_flag_words
    told = [str(getattr(flag_words, f, f)) for f in ctx.view.red_flags]
    if told:
        _urgent_list(ctx, w.tell_heading, told, numbered=False, intro=w.tell_intro)
    _urgent_list(ctx, w.meanwhile_heading, w.avoid, numbered=False)
    contact = [v for v in (ctx.view.clinician_name, _clinic_name(ctx.view, ctx.t), _clinic_contact(ctx)) if v]
    _keep_together(ctx, lambda: _box(ctx, lambda: _urgent_contact(ctx, contact), c.accent, c.box_fill), BOX_GAP)


def _header_rows(ctx: _Ctx) -> None:
    w = ctx.t.wording.header
    _label_row(ctx, w.name_label, ctx.view.client_name, 38)
    day = text.format_date(text.parse_date(ctx.plan.assessed_on), ctx.t)
    _label_row(ctx, w.date_label, day, 38)
    ctx.pdf.ln(4)


def _urgent_list(ctx: _Ctx, heading: str, items: Sequence[str], numbered: bool, intro: str = "") -> None:
    if not items:
        return
    _font(ctx, "B", ctx.t.page.body_pt + 3, ctx.t.colours.red)
    ctx.pdf.cell(0, 9, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if intro:
        _para(ctx, intro, gap=1)
    _list(ctx, items, ctx.pdf.l_margin, ctx.pdf.epw, numbered=numbered)
    ctx.pdf.ln(3)


def _urgent_contact(ctx: _Ctx, lines: Sequence[str]) -> None:
    _font(ctx, "B", colour=ctx.t.colours.accent)
    ctx.pdf.cell(0, ctx.lh, ctx.t.wording.urgent.contact_heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in lines:
        _para(ctx, line, gap=0.5)


# ------------------------------------------------------------------------------ public: handout
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
    pdf = _new_doc(template, template_dir, paper, template.wording.footer, view.client_name)
    title = template.wording.header.title
    day = text.format_date(text.parse_date(view.plan.assessed_on), template)
    _set_metadata(pdf, title, f"{title}, {day}", _clinic_name(view, template), view)
    pdf.add_page()
    if view.plan.status == "refer_urgent":
        _urgent_page(_Ctx(pdf, view, template, template_dir))
    else:
        ctx = _Ctx(pdf, view, template, template_dir, queue=[])
        for name in template.sections:
            SECTIONS[name](ctx)
        _credits(ctx)
        blocks = ctx.queue or []
        object.__setattr__(ctx, "queue", None)
        _flow(ctx, blocks)
    return bytes(pdf.output())


def _credits(ctx: _Ctx) -> None:
    """One line naming the author and licence of every clinic picture printed."""
    parts = []
    for item in _plan_exercises(ctx):
        pic = ctx.view.record(item).picture
        if pic.file:
            parts.append(f"{_exercise_name(ctx, item)}: {pic.author}, {pic.licence}")
    if not parts:
        return
    line = text.fill(ctx.t.wording.exercises.picture_credit, credits="; ".join(dict.fromkeys(parts)))
    _keep_together(ctx, lambda: _para(ctx, line, size=ctx.t.page.body_pt - 3, colour=ctx.t.colours.muted))


# ---------------------------------------------------------------------- public: clinician report
def render_clinician_report(view: View, template: Template, template_dir: Path, *, paper: str | None = "a4") -> bytes:
    """Render the clinician report: findings, reasons, exclusions and the full rule trace.

    Args and Raises are as for ``render_handout``.
    """
    r = template.report
    pdf = _new_doc(template, template_dir, paper, r.footer, view.client_name)
    day = text.format_date(text.parse_date(view.plan.assessed_on), template)
    _set_metadata(pdf, r.title, f"{r.title}, {day}", _clinic_name(view, template), view)
    ctx = _Ctx(pdf, view, template, template_dir)
    pdf.add_page()
    _report_title(ctx)
    for heading, columns, widths, rows in _report_tables(ctx):
        _report_section(ctx, heading, columns, widths, rows)
    if view.notes:
        _report_heading(ctx, r.headings.notes)
        _para(ctx, view.notes, size=template.page.report_pt)
    return bytes(pdf.output())


def _s(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(_s(v) for v in value) or "–"
    return text.number(value)


def _report_title(ctx: _Ctx) -> None:
    pdf, r = ctx.pdf, ctx.t.report
    _font(ctx, "B", ctx.t.page.report_pt + 9, ctx.t.colours.accent)
    pdf.start_section(r.title)
    pdf.cell(0, 10, r.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    rows = [[label, value] for label, value in _title_fields(ctx) if value]
    _table(ctx, rows, (1.0, 3.0), headings=False)


def _title_fields(ctx: _Ctx) -> list[tuple[str, str]]:
    lab, plan, view = ctx.t.report.labels, ctx.plan, ctx.view
    made = plan.generated_with
    previous = plan.previous
    prev = f"{_s(previous.revision)} ({_s(previous.sha256)})" if previous else ""
    return [
        (lab.client, view.client_name),
        (lab.client_id, view.client_id),
        (lab.assessed_on, plan.assessed_on),
        (lab.clinician, view.clinician_name),
        (lab.clinic, _clinic_name(view, ctx.t)),
        (lab.status, plan.status),
        (lab.revision, _s(plan.revision)),
        (lab.previous, prev),
        (lab.review, _s(plan.review_in_days)),
        (lab.engine, made.engine),
        (lab.rules_sha256, made.rules_sha256 or ""),
        (lab.exercises_sha256, made.exercises_sha256 or ""),
    ]


TableSpec = tuple[str, list[str], tuple[float, ...], list[list[str]]]


def _report_tables(ctx: _Ctx) -> list[TableSpec]:
    h, col, plan = ctx.t.report.headings, ctx.t.report.columns, ctx.plan
    items = plan.exercises
    return [
        (
            h.findings,
            [col.finding, col.side, col.value, col.grade, col.flagged, col.threshold],
            (3, 1.3, 1.5, 1.5, 1.2, 3),
            _finding_rows(ctx),
        ),
        (
            h.pain,
            [col.region, col.side, col.rest, col.activity, col.weeks, col.diagnosis],
            (2.5, 1.3, 1, 1, 1, 2.5),
            _pain_rows(ctx.view),
        ),
        (h.red_flags, [col.text], (1,), [[_s(f)] for f in ctx.view.red_flags]),
        (
            h.referrals,
            [col.reason, col.urgency, col.rule],
            (5, 1.3, 2),
            [[_s(r.reason), _s(r.urgency), _s(r.rule)] for r in plan.referrals],
        ),
        (h.precautions, [col.text, col.rule], (5, 2), _text_rows(_report_precautions(plan, applied=True))),
        *(
            [(h.precautions_not_applied, [col.text, col.rule], (5, 2), _text_rows(not_applied))]
            if (not_applied := _report_precautions(plan, applied=False))
            else []
        ),
        *_review_tables(ctx),
        (
            h.exercises,
            [col.order, col.id, col.name, col.ladder, col.side, col.dosage, col.change],
            (0.5, 2.6, 2.6, 2, 1, 3, 1.4),
            [_exercise_row(ctx, n, i) for n, i in enumerate(items, start=1)],
        ),
        (
            h.because,
            [col.exercise, col.rule, col.findings, col.evidence],
            (2.3, 2.3, 3, 2),
            _because_rows(items),
        ),
        (
            h.excluded,
            [col.exercise, col.rule, col.reason],
            (2.3, 2.3, 4.4),
            [[_s(e.exercise), _s(e.rule), _s(e.reason)] for e in plan.excluded],
        ),
        (
            h.not_included,
            [col.exercise, col.rule, col.reason],
            (2.3, 2.3, 4.4),
            [[_s(e.exercise), _s(e.rule), _s(e.reason)] for e in plan.not_included],
        ),
        (h.cues, [col.text, col.rule], (5, 2), _text_rows(plan.cues)),
        (h.education, [col.text, col.rule], (5, 2), _text_rows(plan.education)),
        (
            h.trace,
            [col.order, col.rule, col.fired_on],
            (0.5, 2.5, 5),
            [[str(n), _s(t.rule), _s(t.fired_on)] for n, t in enumerate(plan.trace, start=1)],
        ),
    ]


def _review_tables(ctx: _Ctx) -> list[TableSpec]:
    """What a review changed (issue 13): things to check, the feedback received per exercise with
    its dose was → now, and the clinician's overrides. Each only when the plan has some, so a
    first-visit report is unchanged."""
    h, col, plan = ctx.t.report.headings, ctx.t.report.columns, ctx.plan
    tables: list[TableSpec] = []
    if warnings := [[_s(w)] for w in plan.warnings]:
        tables.append((h.warnings, [col.text], (1,), warnings))
    if reviewed := _reviewed_rows(ctx):
        tables.append(
            (
                h.reviewed,
                [col.exercise, col.side, col.completed, col.pain, col.control, col.dose_was_now, col.change],
                (44, 11, 18, 18, 16, 55, 18),  # mm of A4's 180: one-word cells never wrap
                reviewed,
            )
        )
    if overrides := _override_rows(ctx):
        tables.append(
            (
                h.overrides,
                [col.kind, col.exercise, col.side, col.reason, col.made_on, col.overrides_exclusion],
                (16, 44, 11, 50, 22, 37),
                overrides,
            )
        )
    return tables


def _reviewed_rows(ctx: _Ctx) -> list[list[str]]:
    """One row per exercise of the previous plan, by exercise id (then side), never list position."""
    r = ctx.t.report
    rows = []
    for x in sorted(ctx.plan.reviewed, key=lambda x: (x.id, x.side)):
        fb = x.feedback
        if fb is not None:
            done = r.flag_yes if fb.completed else r.flag_no
            pain = f"{_s(fb.pain_during)} / {_s(fb.pain_next_morning)}"
            control = _s(fb.control)
        else:
            done, pain, control = r.no_feedback, "–", "–"
        was, now = x.was, x.now
        dose = f"{_dose_at(ctx, was)} → {_dose_at(ctx, now) if now is not None else r.not_in_plan}"
        change = _s(x.change)
        if now is not None and was.level != now.level:
            change = f"{change} (L{_s(was.level)} → L{_s(now.level)})"
        rows.append([_named(ctx, x.id), _s(x.side), done, pain, control, dose, change])
    return rows


def _named(ctx: _Ctx, ex_id: str) -> str:
    """An exercise as "name (id)"; the id alone when the library does not know it."""
    record = ctx.view.exercises.get(ex_id)
    return f"{record.name} ({_s(ex_id)})" if record else _s(ex_id)


def _dose_at(ctx: _Ctx, at: DoseAt) -> str:
    dose = text.dosage_text(at.dosage.model_dump(mode="json"), ctx.t.wording.exercises.dose)
    return ctx.t.report.dose_at.format(id=_s(at.id), level=_s(at.level), step=_s(at.dose_step), dose=_s(dose))


def _override_rows(ctx: _Ctx) -> list[list[str]]:
    r = ctx.t.report
    rows = []
    for o in ctx.plan.overrides:
        exercise = _named(ctx, o.exercise)
        if o.with_:
            exercise += f" → {_named(ctx, o.with_)}"
        if o.dose_step is not None:
            exercise += f", step {_s(o.dose_step)}"
        excluded = o.overrides_exclusion
        flag = f"{r.flag_yes}: {_s(excluded)}" if excluded else r.flag_no
        rows.append([_s(o.action), exercise, _s(o.side), _s(o.reason), _s(o.on), flag])
    return rows


def _report_precautions(plan: Plan, *, applied: bool) -> list[TextItem]:
    """An urgent plan's precautions: those of its referral rules apply; the others concern exercise
    the client will not do, so the report lists them apart. Other plans: all apply."""
    items = list(plan.precautions)
    if plan.status != "refer_urgent":
        return items if applied else []
    referring = {r.rule for r in plan.referrals if r.urgency in STOP}
    return [p for p in items if (p.rule in referring) == applied]


def _finding_rows(ctx: _Ctx) -> list[list[str]]:
    r = ctx.t.report
    rows = []
    for f in ctx.plan.findings:
        unit = {"deg": "°"}.get(str(f.unit), f" {f.unit or ''}")
        value = f"{_s(f.value)}{unit}".strip() if f.value is not None else "–"
        flagged = r.flag_yes if f.flagged else r.flag_no
        rows.append([_s(f.finding), _s(f.side), value, _s(f.grade), flagged, _s(f.threshold)])
    return rows


def _pain_rows(view: View) -> list[list[str]]:
    return [
        [_s(p.region), _s(p.side), _s(p.nrs_rest), _s(p.nrs_activity), _s(p.weeks), _s(p.diagnosis)] for p in view.pains
    ]


def _text_rows(items: Sequence[TextItem]) -> list[list[str]]:
    return [[_s(i.text), _s(i.rule)] for i in items]


def _exercise_row(ctx: _Ctx, number: int, item: PlanExercise) -> list[str]:
    words = ctx.t.wording.exercises.dose
    return [
        str(number),
        _s(item.id),
        _exercise_name(ctx, item),
        f"{_s(item.ladder)} L{_s(item.level)}",
        _s(item.side),
        _s(text.dosage_text(item.dosage.model_dump(mode="json"), words)),
        _s(item.change),
    ]


def _because_rows(items: Sequence[PlanExercise]) -> list[list[str]]:
    return [[_s(item.id), _s(b.rule), _s(b.findings), _s(b.evidence)] for item in items for b in item.because]


def _report_heading(ctx: _Ctx, heading: str) -> None:
    pdf = ctx.pdf
    if pdf.will_page_break(25):
        pdf.add_page()
    pdf.ln(3)
    pdf.start_section(heading)
    _font(ctx, "B", ctx.t.page.report_pt + 3, ctx.t.colours.accent)
    pdf.cell(0, 7, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _report_section(
    ctx: _Ctx, heading: str, columns: list[str], widths: tuple[float, ...], rows: list[list[str]]
) -> None:
    _report_heading(ctx, heading)
    if not rows:
        _para(ctx, ctx.t.report.empty, size=ctx.t.page.report_pt, colour=ctx.t.colours.muted)
        return
    _table(ctx, [columns, *rows], widths, headings=True)


def _table(ctx: _Ctx, rows: list[list[str]], widths: tuple[float, ...], headings: bool) -> None:
    pdf, size = ctx.pdf, ctx.t.page.report_pt
    _font(ctx, size=size)
    pdf.set_draw_color(*_rgb(ctx.t.colours.muted))
    pdf.set_fill_color(255, 255, 255)
    pdf.set_line_width(0.2)
    style = FontFace(emphasis="BOLD", color=_rgb("#FFFFFF"), fill_color=_rgb(ctx.t.colours.accent))
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        first_row_as_headings=headings,
        headings_style=style,
        line_height=size * PT_TO_MM * 1.35,
        padding=1.2,
        cell_fill_mode=TableCellFillMode.ROWS,
        cell_fill_color=_rgb(ctx.t.colours.box_fill),
    ) as table:
        total = sum(widths)
        room = [pdf.epw * w / total - 2 * 1.2 - 0.6 for w in widths]
        for row in rows:
            table.row([_break_long(pdf, cell, room[i] if i < len(room) else pdf.epw) for i, cell in enumerate(row)])
    pdf.ln(2)


_BREAK_AFTER = re.compile(r"(?<=[-_./=,])")


def _break_long(pdf: FPDF, cell: str, width: float) -> str:
    """Put a line break after a hyphen (or _ . / = ,) in any word too long for its column, so ids
    such as ``sw-narrow-abductor-loading`` never break mid-word; a word with no such place is
    left to the table."""
    words = cell.split(" ")
    out = []
    for word in words:
        if pdf.get_string_width(word) <= width:
            out.append(word)
            continue
        lines, current = [], ""
        for part in _BREAK_AFTER.split(word):
            if current and pdf.get_string_width(current + part) > width:
                lines.append(current)
                current = part
            else:
                current += part
        lines.append(current)
        out.append("\n".join(lines))
    return " ".join(out)
