"""The handout's other sections in template order: header, referral, what we found, pain guide,
running, education, precautions, the tracking log sized to the review, get help, review, credits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from fpdf.enums import Align, MethodReturnValue, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from engine.models.plan import Plan, PlanExercise
from engine.models.template import Light, Template
from engine.render import figure, running, text
from engine.render.exercise_page import exercise_name, exercise_section, exercise_side_label, plan_exercises, shown
from engine.render.frame import (
    BOX_GAP,
    COL_GAP,
    LEADING,
    PT_TO_MM,
    SECTION_GAP,
    SENTENCE,
    Ctx,
    clinic_name,
    contact_line,
    draw_box,
    draw_heading,
    draw_label,
    draw_list,
    heading_intro,
    keep_together,
    label_row,
    para,
    rgb,
    simple_section,
    texts,
    use_font,
)


def _header(ctx: Ctx) -> None:
    keep_together(ctx, partial(_header_block, ctx), 5.0)


def _header_block(ctx: Ctx) -> None:
    pdf, w = ctx.pdf, ctx.t.wording.header
    pdf.start_section(w.title)
    _logo(ctx)
    use_font(ctx, "B", ctx.t.page.body_pt + 10, ctx.t.colours.accent)
    pdf.multi_cell(pdf.epw - 45, 12, w.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    rows = [
        (w.name_label, ctx.view.client_name),
        (w.date_label, text.format_date(text.parse_date(ctx.plan.assessed_on), ctx.t)),
        (w.clinician_label, ctx.view.clinician_name),
        (w.clinic_label, clinic_name(ctx.view, ctx.t)),
        (w.contact_label, contact_line(ctx)),
        (w.review_label, _review_words(ctx)),
    ]
    for label, value in rows:
        if value:
            label_row(ctx, label, value, 44)


def _review_words(ctx: Ctx) -> str:
    when = text.review_date(ctx.plan.assessed_on, ctx.plan.review_in_days)
    return text.format_date(when, ctx.t) if when else ""


def _logo(ctx: Ctx) -> None:
    logo = ctx.t.clinic.logo
    if not logo:
        return
    path = figure.checked_image(ctx.template_dir, logo, "template clinic.logo")
    pdf = ctx.pdf
    pdf.image(str(path), x=pdf.l_margin + pdf.epw - 40, y=pdf.t_margin, w=40, h=15, keep_aspect_ratio=True)


def _referral(ctx: Ctx) -> None:
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
        draw_heading(ctx, w.heading, boxed=True)
        para(ctx, w.intro)
        draw_list(ctx, lines, ctx.pdf.l_margin, ctx.pdf.epw)

    keep_together(ctx, lambda: draw_box(ctx, inner, ctx.t.colours.amber, ctx.t.colours.alert_fill), BOX_GAP)


def _found(ctx: Ctx) -> None:
    if ctx.plan.status == "no_findings":
        _no_findings(ctx)
        return
    sentences = text.found_sentences(ctx.plan.findings, ctx.t)
    w = ctx.t.wording.found
    simple_section(ctx, w.heading, w.intro, sentences)


def _no_findings(ctx: Ctx) -> None:
    w = ctx.t.wording.no_findings

    def inner() -> None:
        draw_heading(ctx, w.heading, boxed=True)
        para(ctx, w.text)

    keep_together(ctx, lambda: draw_box(ctx, inner, ctx.t.colours.green, ctx.t.colours.box_fill), BOX_GAP)


pain_override = running.pain_override


def _pain_guide(ctx: Ctx) -> None:
    if not plan_exercises(ctx):
        return
    w, c = ctx.t.wording.pain_guide, ctx.t.colours
    override = pain_override(ctx.plan, ctx.t)

    def draw() -> None:
        if override is not None:
            guide = w.overrides[override]
            heading_intro(ctx, guide.heading, guide.intro, gap=3)
            for light, colour in zip(guide.rules, (c.red, c.amber, c.green), strict=False):
                _light_row(ctx, light, colour)
        else:
            heading_intro(ctx, w.heading, w.intro, gap=3)
            for light, colour in ((w.green, c.green), (w.amber, c.amber), (w.red, c.red)):
                _light_row(ctx, light, colour)

    keep_together(ctx, draw, 5.0)


def _light_row(ctx: Ctx, light: Light, colour: str) -> None:
    """One traffic-light row: a coloured label cell and the advice beside it."""
    pdf = ctx.pdf
    x, y, label_w, pad = pdf.l_margin, pdf.get_y(), 46.0, 2.5
    text_w = pdf.epw - label_w
    use_font(ctx)
    height = pdf.multi_cell(text_w, ctx.lh, light.text, dry_run=True, padding=pad, output=MethodReturnValue.HEIGHT)
    use_font(ctx, "B")
    label_h = pdf.multi_cell(
        label_w,
        ctx.lh,
        f"{light.label}\n{light.range}",
        dry_run=True,
        padding=pad,
        output=MethodReturnValue.HEIGHT,
    )
    row_h = max(float(height), float(label_h))
    pdf.set_fill_color(*rgb(colour))
    pdf.set_draw_color(*rgb(colour))
    pdf.set_line_width(0.6)
    pdf.rect(x, y, pdf.epw, row_h, style="D")
    pdf.rect(x, y, label_w, row_h, style="F")
    use_font(ctx, "B", colour="#FFFFFF")
    pdf.set_xy(x, y)
    pdf.multi_cell(label_w, ctx.lh, f"{light.label}\n{light.range}", padding=pad)
    use_font(ctx)
    pdf.set_xy(x + label_w, y)
    pdf.multi_cell(text_w, ctx.lh, light.text, padding=pad)
    pdf.set_xy(x, y + row_h + 2)


def _running_cues(ctx: Ctx) -> None:
    w, run = ctx.t.wording.running_cues, ctx.plan.running
    status = run.status if run is not None else None
    if status != "stop":  # no running cues while running is stopped
        heading = w.walk_run_heading if status == "walk_run" else w.heading
        simple_section(ctx, heading, w.intro, _guided(ctx, texts(ctx.plan.cues)))
    lines = running.running_lines(run, ctx.t, running.override_guide(ctx.plan, ctx.t))
    simple_section(ctx, ctx.t.wording.running.heading, *(lines or ("", [])))  # i12


def _guided(ctx: Ctx, items: list[str]) -> list[str]:
    """Plan texts as printed: under an override pain guide, none gives a pain limit in numbers."""
    if running.override_guide(ctx.plan, ctx.t) is None:
        return items
    return running.without_pain_numbers(items, ctx.t, None)


def _education(ctx: Ctx) -> None:
    w = ctx.t.wording.education
    simple_section(ctx, w.heading, w.intro, _guided(ctx, education_texts(ctx.plan, ctx.t)))


def education_texts(plan: Plan, template: Template) -> list[str]:
    """The plan's education points, less those that repeat the printed pain guide."""
    shown_guide = "pain_guide" in template.sections and plan.exercises
    skip = set(template.wording.pain_guide.same_as_rules) if shown_guide else set()
    items = [i for i in plan.education if i.rule not in skip]
    one_side = any(e.sided and e.side in ("left", "right") for e in plan.exercises)
    drop = {t.strip() for t in template.wording.education.both_sides_only} if one_side else set()
    out = []
    for words in texts(items):
        kept = [s for s in SENTENCE.split(words.strip()) if s.strip() not in drop]
        if kept:
            out.append(" ".join(kept))
    return out


def _precautions(ctx: Ctx) -> None:
    w = ctx.t.wording.precautions
    simple_section(ctx, w.heading, w.intro, _guided(ctx, texts(ctx.plan.precautions)))


def _tracking_log(ctx: Ctx) -> None:
    items = plan_exercises(ctx)
    if not items:
        return
    w = ctx.t.wording.tracking_log

    days = log_days(ctx.plan, ctx.t)
    heading = text.fill(w.heading if days >= ctx.plan.review_in_days else w.heading_first, days=days)

    def draw() -> None:
        heading_intro(ctx, heading, w.intro, gap=3)
        _log_table(ctx, len(items), days)
        ctx.pdf.ln(3)
        draw_label(ctx, w.key_heading, ctx.pdf.l_margin)
        use_font(ctx, size=ctx.t.page.body_pt - 1)
        keys = [_log_key(ctx, item) for item in items]
        _key_columns(ctx, keys)

    keep_together(ctx, draw, SECTION_GAP)


def _key_columns(ctx: Ctx, keys: Sequence[str]) -> None:
    """The numbered exercise key; more than three entries go in two columns."""
    pdf = ctx.pdf
    if len(keys) <= 3:
        draw_list(ctx, keys, pdf.l_margin, pdf.epw, numbered=True)
        return
    half = (len(keys) + 1) // 2
    col_w = (pdf.epw - COL_GAP) / 2
    top, bottom = pdf.get_y(), pdf.get_y()
    for n, part in enumerate((keys[:half], keys[half:])):
        pdf.set_y(top)
        draw_list(ctx, part, pdf.l_margin + n * (col_w + COL_GAP), col_w, numbered=True, start=1 + n * half)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom)


def _log_key(ctx: Ctx, item: PlanExercise) -> str:
    side = exercise_side_label(ctx.view, item, shown(ctx.view, ctx.t, item), ctx.t)
    name = exercise_name(ctx, item)
    return f"{name} ({side})" if side else name


def log_days(plan: Plan, template: Template) -> int:
    """Rows of the tracking log: one a day until the review, at most ``max_days``."""
    days = plan.review_in_days
    return max(1, min(days, template.wording.tracking_log.max_days))


def _log_table(ctx: Ctx, count: int, days: int) -> None:
    pdf, w = ctx.pdf, ctx.t.wording.tracking_log
    tick_w = min(16.0, int((pdf.epw - 18 - 2 * 34 - 0.5) / count * 10) / 10)
    widths = (18.0, *([tick_w] * count), 34.0, 34.0)
    size = ctx.t.page.body_pt - 1
    use_font(ctx, size=size)
    heading_style = FontFace(emphasis="BOLD", color=rgb("#FFFFFF"), fill_color=rgb(ctx.t.colours.accent))
    pdf.set_draw_color(*rgb(ctx.t.colours.muted))
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
        cell_fill_color=rgb(ctx.t.colours.box_fill),
    ) as table:
        table.row([w.day, *[str(n) for n in range(1, count + 1)], w.pain, w.morning])
        for day in range(1, days + 1):
            table.row([str(day), *[""] * count, "", ""])


def _get_help(ctx: Ctx) -> None:
    w, c = ctx.t.wording.get_help, ctx.t.colours

    def inner() -> None:
        draw_heading(ctx, w.heading, boxed=True)
        para(ctx, w.intro, style="B")
        draw_list(ctx, w.items, ctx.pdf.l_margin, ctx.pdf.epw)

    keep_together(ctx, lambda: draw_box(ctx, inner, c.red, c.alert_fill), BOX_GAP)


def _review(ctx: Ctx) -> None:
    when = text.review_date(ctx.plan.assessed_on, ctx.plan.review_in_days)
    if when is None:
        return
    w = ctx.t.wording.review

    def draw() -> None:
        draw_heading(ctx, w.heading)
        para(ctx, text.fill(w.text, date=text.format_date(when, ctx.t)))

    keep_together(ctx, draw)


SECTIONS: dict[str, Callable[[Ctx], None]] = {
    "header": _header,
    "referral": _referral,
    "found": _found,
    "exercises": exercise_section,
    "pain_guide": _pain_guide,
    "running_cues": _running_cues,
    "education": _education,
    "precautions": _precautions,
    "tracking_log": _tracking_log,
    "get_help": _get_help,
    "review": _review,
}


def draw_credits(ctx: Ctx) -> None:
    """One line naming the author and licence of every clinic picture printed."""
    parts = []
    for item in plan_exercises(ctx):
        pic = ctx.view.record(item).picture
        if pic.file:
            parts.append(f"{exercise_name(ctx, item)}: {pic.author}, {pic.licence}")
    if not parts:
        return
    line = text.fill(ctx.t.wording.exercises.picture_credit, credits="; ".join(dict.fromkeys(parts)))
    keep_together(ctx, lambda: para(ctx, line, size=ctx.t.page.body_pt - 3, colour=ctx.t.colours.muted))
