"""The PDF frame every page is drawn in: the document (fonts, margins, footer), the render
context, drawing primitives, and keep-together layout.

Blocks that must stay whole (an exercise, the pain guide, the tracking log, boxes) are drawn
once where they fall; one that runs off the page is taken back (``_Mark``) and drawn again on a
new page, which gives the same bytes as measuring every block on a scratch page first (the
``LAYOUT_ONCE = False`` path, kept for the tests). A box's contents are measured once per render.
The space below a block is not part of the fit, and a bullet section runs on item by item (its
heading stays with the first item, its last item with the one before), so a page is left
part-empty only before a block that must stay whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, ResourceAccessPolicy, XPos, YPos

from engine.models.plan import Plan, TextItem
from engine.models.template import Template
from engine.render import fonts, linebreak, text
from engine.render.view import View

FAMILY = "body"
PAPER_SIZES = {"a4": "A4", "letter": "Letter"}
PT_TO_MM = 25.4 / 72
LEADING = 1.22  # line height / font size for handout text
SHORT_LAST = 0.2  # a last block shorter than this share of the page stays with the one before
RGB = tuple[int, int, int]
Draw = Callable[[], None]


class _Doc(FPDF):
    """An FPDF with the template's footer ("Page X of Y")."""

    def __init__(self, template: Template, paper: str, footer: str, client: str) -> None:
        super().__init__(orientation="P", unit="mm", format=PAPER_SIZES[paper])
        self.rr_template = template
        self.rr_footer = footer
        self.rr_client = client
        self.rr_paper = paper
        self.rr_scratch: _Doc | None = None
        self.rr_measuring = False
        """A scratch document: what is drawn on it only measures."""

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        """Left-align text by default: ragged right is easier to read than justified."""
        kwargs.setdefault("align", Align.L)
        return super().multi_cell(*args, **kwargs)

    def footer(self) -> None:
        """Draw the page footer inside the bottom margin."""
        self.set_y(-self.rr_template.page.margins_mm.bottom + 5)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*rgb(self.rr_template.colours.muted))
        line = text.fill(self.rr_footer, client=self.rr_client, page=self.page_no(), pages="{nb}")
        self.cell(0, 5, line, align="C")


def rgb(colour: str) -> RGB:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def new_doc(template: Template, template_dir: Path, paper: str | None, footer: str, client: str) -> _Doc:
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


def set_metadata(pdf: FPDF, title: str, subject: str, author: str, view: View) -> None:
    """Title, subject and author carry no identifying data (issue 11): the page text is enough."""
    day = text.parse_date(view.plan.assessed_on)
    pdf.set_title(title)
    pdf.set_subject(subject)
    if author:
        pdf.set_author(author)
    pdf.set_creation_date(datetime(day.year, day.month, day.day, tzinfo=UTC))


@dataclass(frozen=True)
class Ctx:
    """Everything a section renderer needs."""

    pdf: _Doc
    view: View
    t: Template
    template_dir: Path
    queue: list[_Block] | None = None
    """When set, keep-together blocks are collected here and laid out by ``flow``."""
    heights: dict[tuple[Draw, float, float, float, float], float] = field(default_factory=dict)
    """Measured heights of box contents, by what decides them (the drawing and its column)."""

    @property
    def plan(self) -> Plan:
        return self.view.plan

    @property
    def lh(self) -> float:
        """Body line height in mm."""
        return self.t.page.body_pt * PT_TO_MM * LEADING


def clinic_name(view: View, template: Template) -> str:
    """The clinic named on the plan, else the template's, else the template's loud blank to fill in
    by hand (as for the contact): a handout never prints another clinic's name."""
    return known_clinic(view, template) or template.clinic.name_blank


def known_clinic(view: View, template: Template) -> str:
    """The clinic named on the plan, else the template's ("" when neither names one)."""
    return str(view.clinic or template.clinic.name or "").strip()


def contact_line(ctx: Ctx) -> str:
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


def use_font(ctx: Ctx, style: str = "", size: float | None = None, colour: str | None = None) -> None:
    ctx.pdf.set_font(FAMILY, style, size or ctx.t.page.body_pt)
    ctx.pdf.set_text_color(*rgb(colour or ctx.t.colours.text))


def para(
    ctx: Ctx,
    words: str,
    style: str = "",
    size: float | None = None,
    colour: str | None = None,
    gap: float = 1.5,
) -> None:
    use_font(ctx, style, size, colour)
    lh = (size or ctx.t.page.body_pt) * PT_TO_MM * LEADING
    ctx.pdf.set_x(ctx.pdf.l_margin)
    ctx.pdf.multi_cell(0, lh, words, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    ctx.pdf.ln(gap)


def draw_list(ctx: Ctx, items: Sequence[str], x: float, w: float, numbered: bool = False, start: int = 1) -> None:
    """Draw a bullet or numbered list with a hanging indent, in the column x..x+w."""
    for i, item in enumerate(items, start=start):
        _item(ctx, item, x, w, f"{i}." if numbered else "")
        ctx.pdf.ln(ITEM_GAP)


ITEM_GAP = 0.8  # space below a list item (mm)


def _item(ctx: Ctx, item: str, x: float, w: float, number: str = "") -> None:
    """One list item: its number (bold) or a bullet, then the text with a hanging indent."""
    pdf = ctx.pdf
    indent = 7.0
    use_font(ctx, "B" if number else "")
    pdf.set_x(x)
    pdf.cell(indent, ctx.lh, number or "•")
    use_font(ctx)
    pdf.multi_cell(w - indent, ctx.lh, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def texts(items: Sequence[TextItem]) -> list[str]:
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
        s.rr_measuring = True
        s.add_page()
        pdf.rr_scratch = s
    return pdf.rr_scratch


def _measure(ctx: Ctx, draw: Draw) -> float:
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


def keep_together(ctx: Ctx, draw: Draw, gap: float = 0.0) -> None:
    """Draw a block, starting a new page first if it would not fit on this one (or, while
    ``ctx.queue`` is set, queue it for ``flow``); then leave ``gap`` mm below it."""
    block = _Block(draw, gap)
    if ctx.queue is not None:
        ctx.queue.append(block)
        return
    _place(ctx, block)


LAYOUT_ONCE = True
"""Draw each block once, where it falls, and take it back only if it runs off the page (issue
15); ``False`` measures every block on a scratch page first. Both give the same bytes."""


def _place(ctx: Ctx, block: _Block) -> None:
    pdf = ctx.pdf
    if pdf.get_y() <= pdf.t_margin + 1:  # at the top of a page: a block taller than a page may break
        block.draw()
    elif LAYOUT_ONCE:
        mark = _Mark(pdf)
        pdf.auto_page_break = False
        try:
            block.draw()
        finally:
            pdf.auto_page_break = mark.auto
        if pdf.get_y() > pdf.page_break_trigger:
            mark.rewind(pdf)
            pdf.add_page()
            block.draw()
    else:
        height = _measure(ctx, block.draw)
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        block.draw()
    if block.gap:
        pdf.ln(block.gap)


class _Mark:
    """What drawing a block changes in the document (page content, position, graphics state,
    outline, the page's resources and structure tree), taken before so it can be put back.
    Fonts, images and graphics styles a rewound block registered stay registered: the same block
    is drawn again at once, so they are registered in the same order as by drawing it once."""

    def __init__(self, pdf: FPDF) -> None:
        self.auto = pdf.auto_page_break
        self.page = pdf.page
        self.length = len(_contents(pdf))
        self.xy = (pdf.x, pdf.y)
        self.lasth = pdf._lasth
        self.stack = [state.copy() for state in _stack(pdf)]
        self.outline = len(pdf._outline)
        catalog = pdf._resource_catalog.resources_per_page
        self.resources = {key: set(used) for key, used in catalog.items() if key[0] == pdf.page}
        tree = pdf.struct_builder
        self.elems = len(tree.doc_struct_elem.k)
        self.spids = dict(tree.spid_per_page_number)
        self.nums = {key: len(elems) for key, elems in tree.struct_tree_root.parent_tree.nums.items()}

    def rewind(self, pdf: FPDF) -> None:
        if pdf.page != self.page:
            raise RuntimeError("a block drawn without page breaks changed the page")
        del _contents(pdf)[self.length :]
        pdf.x, pdf.y = self.xy
        pdf._lasth = self.lasth
        _stack(pdf)[:] = self.stack
        del pdf._outline[self.outline :]
        catalog = pdf._resource_catalog.resources_per_page
        for key in [k for k in catalog if k[0] == pdf.page and k not in self.resources]:
            del catalog[key]
        for key, used in self.resources.items():
            catalog[key] = used
        tree = pdf.struct_builder
        del tree.doc_struct_elem.k[self.elems :]
        tree.spid_per_page_number.clear()
        tree.spid_per_page_number.update(self.spids)
        nums = tree.struct_tree_root.parent_tree.nums
        for n in [k for k in nums if k not in self.nums]:
            del nums[n]
        for n, count in self.nums.items():
            del nums[n][count:]


def _contents(pdf: FPDF) -> bytearray:
    contents = pdf.pages[pdf.page].contents
    if not isinstance(contents, bytearray):
        raise TypeError("the page content is not an open bytearray")
    return contents


def _stack(pdf: FPDF) -> list[Any]:
    stack: list[Any] = pdf._GraphicsStateMixin__statestack  # type: ignore[attr-defined]
    return stack


def flow(ctx: Ctx, blocks: Sequence[_Block]) -> None:
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


def heading_intro(ctx: Ctx, heading: str, intro: str, **style: Any) -> None:
    """A section heading and, when the template has one, its first sentence."""
    draw_heading(ctx, heading)
    if intro:
        para(ctx, intro, **style)


def draw_heading(ctx: Ctx, title: str, boxed: bool = False) -> None:
    """Bookmark and draw a section heading (call inside a keep-together block)."""
    pdf = ctx.pdf
    pdf.start_section(title, level=0)
    size = ctx.t.page.body_pt + (2 if boxed else 4)
    use_font(ctx, "B", size, ctx.t.colours.accent)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(0, size * PT_TO_MM * LEADING, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not boxed:
        pdf.set_draw_color(*rgb(ctx.t.colours.accent))
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + pdf.epw, pdf.get_y() + 0.5)
    pdf.ln(2.5)


BOX_GAP = 5.0  # space below a box (mm)


def draw_box(ctx: Ctx, inner: Draw, border: str, fill: str, pad: float = 4.0) -> None:
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

    key = (inner, x0, w, pad, pdf.w)  # a box's contents set their own fonts: nothing else counts
    if key not in ctx.heights:
        ctx.heights[key] = _measure(ctx, padded)
    height = ctx.heights[key] + pad
    if pdf.rr_measuring:  # only the height matters here; the contents are drawn for real later
        pdf.set_xy(x0, y0 + height)
        return
    pdf.set_y(y0)
    pdf.set_draw_color(*rgb(border))
    pdf.set_fill_color(*rgb(fill))
    pdf.set_line_width(0.8)
    pdf.rect(x0, y0, w, height, style="DF", round_corners=True, corner_radius=2)
    padded()
    pdf.set_xy(x0, y0 + height)


def simple_section(ctx: Ctx, heading: str, intro: str, items: Sequence[str]) -> None:
    """A heading, its intro and a bullet list that may run on to the next page: the heading stays
    with the first item and the last item with the one before it (no lone line at the top or foot
    of a page); every other item is a block of its own."""
    if not items:
        return
    parts = [list(items)] if len(items) <= 2 else [[items[0]], *([i] for i in items[1:-2]), list(items[-2:])]
    for n, part in enumerate(parts):
        draw = partial(_bullets, ctx, part, heading, intro) if n == 0 else partial(_bullets, ctx, part)
        keep_together(ctx, draw, ITEM_GAP + (SECTION_GAP if n == len(parts) - 1 else 0))


def _bullets(ctx: Ctx, items: Sequence[str], heading: str = "", intro: str = "") -> None:
    """Bullet items (after the section heading and intro, when given); no space below the last."""
    if heading:
        heading_intro(ctx, heading, intro)
    for n, words in enumerate(items):
        if n:
            ctx.pdf.ln(ITEM_GAP)
        _item(ctx, words, ctx.pdf.l_margin, ctx.pdf.epw)


SECTION_GAP = 4.0  # space below a section (mm)


def label_row(ctx: Ctx, label: str, value: str, label_w: float) -> None:
    pdf = ctx.pdf
    use_font(ctx, "B", colour=ctx.t.colours.muted)
    pdf.set_x(pdf.l_margin)
    pdf.cell(label_w, ctx.lh, label)
    use_font(ctx)
    pdf.multi_cell(pdf.epw - label_w, ctx.lh, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


COL_GAP = 5.0  # gap between side-by-side columns (mm)


def draw_label(ctx: Ctx, label: str, x: float, width: float = 0) -> None:
    use_font(ctx, "B", colour=ctx.t.colours.accent)
    ctx.pdf.set_x(x)
    ctx.pdf.cell(width, ctx.lh, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


SENTENCE = re.compile(r"(?<=[.!?])\s+")
