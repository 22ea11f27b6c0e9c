"""The clinician report: the plan's facts, reasons, exclusions, review changes and the full rule
trace, as tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from engine.models.plan import DoseAt, Plan, PlanExercise, TextItem, WalkRunStep
from engine.models.template import Template
from engine.plan.overrides import RULE as CLINICIAN
from engine.render import text
from engine.render.exercise_page import exercise_name, shown, sore_hips
from engine.render.frame import PT_TO_MM, Ctx, known_clinic, new_doc, para, rgb, set_metadata, use_font
from engine.render.urgent import STOP
from engine.render.view import View


def render_clinician_report(view: View, template: Template, template_dir: Path, *, paper: str | None = "a4") -> bytes:
    """Render the clinician report: findings, reasons, exclusions and the full rule trace.

    Args and Raises are as for ``render_handout``.
    """
    r = template.report
    pdf = new_doc(template, template_dir, paper, r.footer, view.client_name)
    day = text.format_date(text.parse_date(view.plan.assessed_on), template)
    set_metadata(pdf, r.title, f"{r.title}, {day}", known_clinic(view, template), view)
    ctx = Ctx(pdf, view, template, template_dir)
    pdf.add_page()
    _report_title(ctx)
    for heading, columns, widths, rows in _report_tables(ctx):
        _report_section(ctx, heading, columns, widths, rows)
    if view.notes:
        _report_heading(ctx, r.headings.notes)
        para(ctx, view.notes, size=template.page.report_pt)
    return bytes(pdf.output())


def _s(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(_s(v) for v in value) or "–"
    return text.number(value)


def _report_title(ctx: Ctx) -> None:
    pdf, r = ctx.pdf, ctx.t.report
    use_font(ctx, "B", ctx.t.page.report_pt + 9, ctx.t.colours.accent)
    pdf.start_section(r.title)
    pdf.cell(0, 10, r.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    rows = [[label, value] for label, value in _title_fields(ctx) if value]
    _table(ctx, rows, (1.0, 3.0), headings=False)


def _title_fields(ctx: Ctx) -> list[tuple[str, str]]:
    lab, plan, view = ctx.t.report.labels, ctx.plan, ctx.view
    made = plan.generated_with
    previous = plan.previous
    prev = f"{_s(previous.revision)} ({_s(previous.sha256)})" if previous else ""
    return [
        (lab.client, view.client_name),
        (lab.client_id, view.client_id),
        (lab.assessed_on, plan.assessed_on),
        (lab.clinician, view.clinician_name),
        (lab.clinic, known_clinic(view, ctx.t)),
        (lab.status, plan.status),
        (lab.revision, _s(plan.revision)),
        (lab.previous, prev),
        (lab.review, _s(plan.review_in_days)),
        (lab.engine, made.engine),
        (lab.rules_sha256, made.rules_sha256 or ""),
        (lab.exercises_sha256, made.exercises_sha256 or ""),
    ]


TableSpec = tuple[str, list[str], tuple[float, ...], list[list[str]]]


def _report_tables(ctx: Ctx) -> list[TableSpec]:
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
        *_side_tables(ctx),
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
        *_not_included_tables(ctx),
        *_running_table(ctx),
        (h.cues, [col.text, col.rule], (5, 2), _text_rows(plan.cues)),
        (h.education, [col.text, col.rule], (5, 2), _text_rows(plan.education)),
        (
            h.trace,
            [col.order, col.rule, col.fired_on],
            (0.5, 2.5, 5),
            [[str(n), _s(t.rule), _s(t.fired_on)] for n, t in enumerate(plan.trace, start=1)],
        ),
    ]


def _not_included_tables(ctx: Ctx) -> list[TableSpec]:
    """Exercises the plan left out, under a heading by reason: the rules' choices left out (over
    the cap, one per ladder; always shown), those an urgent referral took out, those a clinician
    removed (each only when there are some)."""
    h, col, plan = ctx.t.report.headings, ctx.t.report.columns, ctx.plan
    urgent = {r.rule for r in plan.referrals if r.urgency in STOP}
    groups: dict[str, list[list[str]]] = {h.not_included: [], h.not_included_urgent: [], h.not_included_clinician: []}
    for e in plan.not_included:
        heading = (
            h.not_included_urgent
            if e.rule in urgent
            else h.not_included_clinician
            if e.rule == CLINICIAN
            else h.not_included
        )
        groups[heading].append([_s(e.exercise), _s(e.rule), _s(e.reason)])
    return [
        (heading, [col.exercise, col.rule, col.reason], (2.3, 2.3, 4.4), rows)
        for n, (heading, rows) in enumerate(groups.items())
        if rows or n == 0
    ]


def _running_table(ctx: Ctx) -> list[TableSpec]:
    """The plan's running section as the handout's source: status, distances, stages, pain limit
    and the rule that set it (none when the plan has no running section)."""
    run, r = ctx.plan.running, ctx.t.report
    if run is None:
        return []
    lab = r.running

    def stage(st: WalkRunStep) -> str:
        return text.fill(
            lab.stage, stage=st.stage, walk=text.number(st.walk_min), run=text.number(st.run_min), repeats=st.repeats
        )

    stages = text.fill(lab.stages, count=len(run.walk_run), first=stage(run.walk_run[0])) if run.walk_run else ""
    rows = [
        (lab.status, run.status),
        (lab.summary, run.summary),
        (lab.weekly_km, _s(run.weekly_km) if run.weekly_km is not None else ""),
        (lab.target_weekly_km, _s(run.target_weekly_km) if run.target_weekly_km is not None else ""),
        (lab.target_pct, _s(run.target_pct) if run.target_pct is not None else ""),
        (lab.pain_limit, _s(run.pain_limit_nrs)),
        (lab.max_increase, _s(run.max_increase_2wk_pct) if run.max_increase_2wk_pct else ""),
        (lab.entry_criteria, str(len(run.entry_criteria)) if run.entry_criteria else ""),
        (lab.walk_run, stages),
        (lab.rule, run.rule),
        (lab.change, run.change or ""),
        (lab.because, _s([b.rule for b in run.because]) if run.because else ""),
        *((lab.advice, f"{a.text} ({a.rule})") for a in run.advice),
    ]
    col = r.columns
    return [(r.headings.running, [col.text, col.value], (2, 5), [[k, v] for k, v in rows if v])]


def _review_tables(ctx: Ctx) -> list[TableSpec]:
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


def _reviewed_rows(ctx: Ctx) -> list[list[str]]:
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


def _named(ctx: Ctx, ex_id: str) -> str:
    """An exercise as "name (id)"; the id alone when the library does not know it."""
    record = ctx.view.exercises.get(ex_id)
    return f"{record.name} ({_s(ex_id)})" if record else _s(ex_id)


def _dose_at(ctx: Ctx, at: DoseAt) -> str:
    dose = text.dosage_text(at.dosage.model_dump(mode="json"), ctx.t.wording.exercises.dose)
    return ctx.t.report.dose_at.format(id=_s(at.id), level=_s(at.level), step=_s(at.dose_step), dose=_s(dose))


def _override_rows(ctx: Ctx) -> list[list[str]]:
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


def _finding_rows(ctx: Ctx) -> list[list[str]]:
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


def _exercise_row(ctx: Ctx, number: int, item: PlanExercise) -> list[str]:
    words = ctx.t.wording.exercises.dose
    return [
        str(number),
        _s(item.id),
        exercise_name(ctx, item),
        f"{_s(item.ladder)} L{_s(item.level)}",
        _side_cell(ctx, item),
        _s(text.dosage_text(item.dosage.model_dump(mode="json"), words)),
        _s(item.change),
    ]


def _printed_side(ctx: Ctx, item: PlanExercise) -> str | None:
    """The side the handout prints a side-lying exercise on, when it is not the plan's (turned
    off a sore hip)."""
    how = shown(ctx.view, ctx.t, item)
    return how.side if item.sided and how.side != item.side else None


def _side_cell(ctx: Ctx, item: PlanExercise) -> str:
    """The plan's side, and the handout's when it differs (so clinician and client see the same
    exercise; the table of sides printed says why)."""
    printed = _printed_side(ctx, item)
    return text.fill(ctx.t.report.side_printed, side=item.side, shown=printed) if printed else _s(item.side)


def _side_tables(ctx: Ctx) -> list[TableSpec]:
    h, col, r = ctx.t.report.headings, ctx.t.report.columns, ctx.t.report
    sore = ", ".join(sorted(sore_hips(ctx.view)))
    rows = [
        [_named(ctx, item.id), _s(item.side), printed, text.fill(r.side_reason, sore=sore)]
        for item in ctx.plan.exercises
        if (printed := _printed_side(ctx, item))
    ]
    return [(h.side_printed, [col.exercise, col.side, col.printed, col.reason], (3, 1, 1.2, 4), rows)] if rows else []


def _because_rows(items: Sequence[PlanExercise]) -> list[list[str]]:
    return [[_s(item.id), _s(b.rule), _s(b.findings), _s(b.evidence)] for item in items for b in item.because]


def _report_heading(ctx: Ctx, heading: str) -> None:
    pdf = ctx.pdf
    if pdf.will_page_break(25):
        pdf.add_page()
    pdf.ln(3)
    pdf.start_section(heading)
    use_font(ctx, "B", ctx.t.page.report_pt + 3, ctx.t.colours.accent)
    pdf.cell(0, 7, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _report_section(
    ctx: Ctx, heading: str, columns: list[str], widths: tuple[float, ...], rows: list[list[str]]
) -> None:
    _report_heading(ctx, heading)
    if not rows:
        para(ctx, ctx.t.report.empty, size=ctx.t.page.report_pt, colour=ctx.t.colours.muted)
        return
    _table(ctx, [columns, *rows], widths, headings=True)


def _table(ctx: Ctx, rows: list[list[str]], widths: tuple[float, ...], headings: bool) -> None:
    pdf, size = ctx.pdf, ctx.t.page.report_pt
    use_font(ctx, size=size)
    pdf.set_draw_color(*rgb(ctx.t.colours.muted))
    pdf.set_fill_color(255, 255, 255)
    pdf.set_line_width(0.2)
    style = FontFace(emphasis="BOLD", color=rgb("#FFFFFF"), fill_color=rgb(ctx.t.colours.accent))
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        first_row_as_headings=headings,
        headings_style=style,
        line_height=size * PT_TO_MM * 1.35,
        padding=1.2,
        cell_fill_mode=TableCellFillMode.ROWS,
        cell_fill_color=rgb(ctx.t.colours.box_fill),
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
