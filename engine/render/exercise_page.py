"""The handout's exercise blocks: title bar with the side, picture beside "Why" and the steps,
the dose line, tips and "take care"; and the side and words each exercise is printed with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from fpdf.enums import MethodReturnValue, XPos, YPos

from engine.models.exercise import Exercise
from engine.models.plan import PlanExercise
from engine.models.template import Template
from engine.plan import targets
from engine.render import figure, running, text
from engine.render.frame import (
    COL_GAP,
    LEADING,
    PT_TO_MM,
    SECTION_GAP,
    Ctx,
    draw_label,
    draw_list,
    heading_intro,
    keep_together,
    rgb,
    use_font,
)
from engine.render.view import View


def exercise_section(ctx: Ctx) -> None:
    items = plan_exercises(ctx)
    if not items:
        return
    w = ctx.t.wording.exercises

    def first() -> None:
        heading_intro(ctx, w.heading, w.intro, gap=3)
        _exercise_block(ctx, 1, items[0])

    keep_together(ctx, first, SECTION_GAP)
    for number, item in enumerate(items[1:], start=2):
        keep_together(ctx, partial(_exercise_block, ctx, number, item), SECTION_GAP)


def plan_exercises(ctx: Ctx) -> list[PlanExercise]:
    for item in ctx.plan.exercises:
        ctx.view.record(item)  # every exercise printed has its record
    return list(ctx.plan.exercises)


def exercise_name(ctx: Ctx, item: PlanExercise) -> str:
    return item.name or ctx.view.record(item).name


PIC_W = 64.0  # exercise picture width (mm): readable printed at 100 % on A4
PIC_RATIO = 0.85  # picture height / width (figures are height-limited: taller = bigger people)


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
    for pain in view.sites:
        if pain.diagnosis == "gluteal_tendinopathy" or pain.region == "lateral_hip":
            sore |= {"left", "right"} if pain.side == "both" else {str(pain.side)}
    return sore


sore_hips = _sore_hips


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


def _exercise_block(ctx: Ctx, number: int, item: PlanExercise) -> None:
    """One exercise: title bar (with the side), picture beside "Why" and the steps, the dose
    on one line, then tips and "take care" side by side."""
    pdf, w = ctx.pdf, ctx.t.wording.exercises
    record = ctx.view.record(item)
    name = exercise_name(ctx, item)
    how = shown(ctx.view, ctx.t, item)
    pdf.start_section(name, level=1)
    _title_bar(ctx, f"{number}. {name}", exercise_side_label(ctx.view, item, how, ctx.t))
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
    tips = _guided(ctx, [text.exercise_text(s, how.values) for s in record.cues])
    precautions = _guided(ctx, [text.exercise_text(p, how.values) for p in record.precautions])
    _two_lists(ctx, (w.cues_label, tips), (w.precautions_label, precautions))


def _guided(ctx: Ctx, items: list[str]) -> list[str]:
    """Exercise sentences as printed: under a pain guide that replaces the traffic light (bone
    stress), a sentence giving a pain limit in numbers becomes the guide's line."""
    guide = running.override_guide(ctx.plan, ctx.t)
    if guide is None:
        return items
    return running.without_pain_numbers(items, ctx.t, guide.instead)


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


def _exercise_picture(ctx: Ctx, record: Exercise, how: _Shown, x: float, y: float, w: float, h: float) -> None:
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
            color=rgb(ctx.t.colours.text),
            accent=rgb(ctx.t.colours.accent),
            marks=marks if record.sided else None,
        )


def exercise_side_label(view: View, item: PlanExercise, how: _Shown, template: Template) -> str | None:
    sided = item.sided
    words = template.wording.exercises.sides
    lies_on = view.record(item).lies_on
    if sided and lies_on is not None and how.side in ("left", "right"):
        # side-lying: "Right leg" alone does not say which way up: where to lie, or which leg is on top
        return str(getattr(words, f"{'lie' if lies_on == 'working' else 'top'}_{how.side}"))
    return text.side_label(how.side if sided else item.side, sided, words)


def _two_lists(ctx: Ctx, *lists: tuple[str, Sequence[str]]) -> None:
    """Labelled bullet lists side by side (one column each); a lone list takes the full width."""
    pdf = ctx.pdf
    shown = [(label, items) for label, items in lists if items]
    if not shown:
        return
    room = pdf.epw - COL_GAP * (len(shown) - 1)
    if len(shown) == 2:
        # split the width (40-60 %) so that the taller of the two columns is as short as can be
        use_font(ctx)
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
        draw_label(ctx, label, x, col_w)
        draw_list(ctx, items, x, col_w)
        bottom = max(bottom, pdf.get_y())
        x += col_w + COL_GAP
    pdf.set_xy(pdf.l_margin, bottom)


def _lines(lengths: Sequence[float], col_w: float) -> int:
    """Roughly how many lines bullet items of these text widths take in a column."""
    usable = col_w - 7.0 - 8.0  # list indent, cell margins and word-wrap slack
    return sum(int(length // usable) + 1 for length in lengths)


def _title_bar(ctx: Ctx, title: str, side: str | None) -> None:
    """A filled bar with the exercise name on the left and the side (if any) on the right."""
    pdf = ctx.pdf
    x, y, pad = pdf.l_margin, pdf.get_y(), 3.0
    use_font(ctx, "B", ctx.t.page.body_pt + 2, "#FFFFFF")
    line_h = (ctx.t.page.body_pt + 2) * PT_TO_MM * LEADING
    side_w = pdf.get_string_width(side) + 2 * pad if side else 0.0
    title_w = pdf.epw - side_w
    height = float(
        pdf.multi_cell(title_w, line_h, title, dry_run=True, padding=(1, pad), output=MethodReturnValue.HEIGHT)
    )
    pdf.set_fill_color(*rgb(ctx.t.colours.accent))
    pdf.rect(x, y, pdf.epw, height, style="F")
    pdf.set_xy(x, y)
    pdf.multi_cell(title_w, line_h, title, padding=(1, pad))
    if side:
        pdf.set_xy(x + title_w, y)
        pdf.cell(side_w - pad, line_h + 2, side, align="R")
    pdf.set_xy(x, y + height + 1.5)


def _change_line(ctx: Ctx, change: str, note: str) -> None:
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
    use_font(ctx, "B", ctx.t.page.body_pt - 1, "#FFFFFF")
    pdf.set_fill_color(*rgb(colours.get(change, c.muted)))
    pdf.set_x(pdf.l_margin)
    pdf.cell(pdf.get_string_width(word) + 5, ctx.lh, word, fill=True, align="C")
    pdf.set_x(pdf.get_x() + 2)
    use_font(ctx, "I")
    pdf.multi_cell(0, ctx.lh, note or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _run_in(ctx: Ctx, label: str, words: str, x: float, width: float) -> None:
    """A paragraph that starts with a bold label ("Why: …"), wrapped in the column x..x+width."""
    pdf = ctx.pdf
    left, right = pdf.l_margin, pdf.r_margin
    pdf.set_left_margin(x)
    pdf.set_right_margin(pdf.w - x - width)
    try:
        pdf.set_x(x)
        use_font(ctx, "B", colour=ctx.t.colours.accent)
        pdf.write(ctx.lh, f"{label}: ")
        use_font(ctx)
        pdf.write(ctx.lh, words)
        pdf.ln(ctx.lh)
    finally:
        pdf.set_left_margin(left)
        pdf.set_right_margin(right)


def _exercise_text(ctx: Ctx, record: Exercise, how: _Shown, x: float, width: float) -> None:
    w, pdf = ctx.t.wording.exercises, ctx.pdf
    if record.purpose:
        _run_in(ctx, w.purpose_label, text.exercise_text(record.purpose, how.values), x, width)
        pdf.ln(1)
    steps = _guided(ctx, [text.exercise_text(s, how.values) for s in record.steps])
    steps += list(how.extra_steps)
    if steps:
        draw_label(ctx, w.steps_label, x, width)
        draw_list(ctx, steps, x, width, numbered=True)


def _dose_box(ctx: Ctx, label: str, words: str) -> None:
    """The dose on one line (wrapping only if it must): a bold label, then the amounts."""
    pdf, pad = ctx.pdf, 2.5
    x, y = pdf.l_margin, pdf.get_y()
    use_font(ctx, "B")
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
    pdf.set_fill_color(*rgb(ctx.t.colours.box_fill))
    pdf.set_draw_color(*rgb(ctx.t.colours.accent))
    pdf.set_line_width(0.3)
    pdf.rect(x, y, pdf.epw, height, style="DF")
    use_font(ctx, "B", colour=ctx.t.colours.accent)
    pdf.set_xy(x, y)
    pdf.set_xy(x + pad, y + 1)
    pdf.cell(label_w - pad, ctx.lh, f"{label}:")
    use_font(ctx, "B")
    pdf.set_xy(x + label_w, y)
    pdf.multi_cell(text_w, ctx.lh, words, padding=(1, pad, 1, 0))
    pdf.set_xy(x, y + height + 2)
