"""The one-page sheet an urgent or emergency referral gets instead of the handout: what is
wrong, where to go and how fast (one time frame), what to tell them, what to avoid, the contact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fpdf.enums import XPos, YPos

from engine.models.plan import Referral
from engine.render import text
from engine.render.frame import (
    BOX_GAP,
    SENTENCE,
    Ctx,
    clinic_name,
    contact_line,
    draw_box,
    draw_list,
    keep_together,
    label_row,
    para,
    rgb,
    use_font,
)

_FRAMES = {
    "emergency": re.compile(r"emergency department|ambulance|\bA&E\b|do not wait", re.IGNORECASE),
    "urgent": re.compile(r"\btoday\b|\btonight\b", re.IGNORECASE),
    "soon": re.compile(
        r"\b(this|next) week\b|\bweek or two\b|\bwithin (the next )?(a )?(few )?(days|weeks?)\b", re.IGNORECASE
    ),
}


_NOW = re.compile(r"\bnow\b", re.IGNORECASE)
_STOP = re.compile(r"^\s*(stop|do not|don't)\b", re.IGNORECASE)


def _frames(sentence: str) -> set[str]:
    """The time frames a sentence names. "Now" is the emergency's ("a doctor's check now" is not
    "today"), except in what to stop ("Stop running now"), which holds on any sheet."""
    named = {f for f, rx in _FRAMES.items() if rx.search(sentence)}
    if _NOW.search(sentence) and not _STOP.search(sentence):
        named.add("emergency")
    return named


def sheet_reasons(referrals: Sequence[Referral], frame: str) -> list[str]:
    """The referral reasons for an emergency/urgent sheet, keeping only sentences that agree with
    the sheet's one time frame: a sentence naming another frame ("this week" or "now" on a "today"
    sheet, "today" on a "now" sheet) is left out, since the sheet says where to go and how fast
    once. Sentences starting with "If" (what to do if things get worse) stay."""
    out: list[str] = []
    for r in referrals:
        if r.urgency not in STOP:
            continue
        kept = []
        for sentence in SENTENCE.split(r.reason.strip()):
            other = _frames(sentence) - {frame}
            if other and not sentence.lower().startswith("if "):
                continue
            kept.append(sentence)
        if kept:
            out.append(" ".join(kept))
    return list(dict.fromkeys(out))


STOP = ("emergency", "urgent")


def urgent_page(ctx: Ctx) -> None:
    """The one page an urgent referral gets: what is wrong, where to go and how fast, what to tell
    them, what to avoid until seen, the clinic's contact. Nothing else from the plan is printed
    (its education, cues and precautions are about exercise and running)."""
    pdf, c = ctx.pdf, ctx.t.colours
    referrals = ctx.plan.referrals
    emergency = any(r.urgency == "emergency" for r in referrals)
    w = ctx.t.wording.emergency if emergency and ctx.t.wording.emergency else ctx.t.wording.urgent
    frame = "emergency" if emergency else "urgent"
    pdf.start_section(w.heading)
    use_font(ctx, "B", ctx.t.page.body_pt + 10, "#FFFFFF")
    pdf.set_fill_color(*rgb(c.red))
    pdf.multi_cell(0, 12, w.heading, fill=True, padding=(3, 4), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _header_rows(ctx)
    para(ctx, w.intro, style="B", gap=4)
    _urgent_list(ctx, w.why_heading, sheet_reasons(referrals, frame), numbered=False)
    _urgent_list(ctx, w.what_heading, w.what_to_do, numbered=True)
    flag_words = ctx.t.red_flag_words
    told = [str(getattr(flag_words, f, f)) for f in ctx.view.red_flags]
    if told:
        _urgent_list(ctx, w.tell_heading, told, numbered=False, intro=w.tell_intro)
    _urgent_list(ctx, w.meanwhile_heading, w.avoid, numbered=False)
    contact = [v for v in (ctx.view.clinician_name, clinic_name(ctx.view, ctx.t), contact_line(ctx)) if v]
    keep_together(ctx, lambda: draw_box(ctx, lambda: _urgent_contact(ctx, contact), c.accent, c.box_fill), BOX_GAP)


def _header_rows(ctx: Ctx) -> None:
    w = ctx.t.wording.header
    label_row(ctx, w.name_label, ctx.view.client_name, 38)
    day = text.format_date(text.parse_date(ctx.plan.assessed_on), ctx.t)
    label_row(ctx, w.date_label, day, 38)
    ctx.pdf.ln(4)


def _urgent_list(ctx: Ctx, heading: str, items: Sequence[str], numbered: bool, intro: str = "") -> None:
    if not items:
        return
    use_font(ctx, "B", ctx.t.page.body_pt + 3, ctx.t.colours.red)
    ctx.pdf.cell(0, 9, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if intro:
        para(ctx, intro, gap=1)
    draw_list(ctx, items, ctx.pdf.l_margin, ctx.pdf.epw, numbered=numbered)
    ctx.pdf.ln(3)


def _urgent_contact(ctx: Ctx, lines: Sequence[str]) -> None:
    use_font(ctx, "B", colour=ctx.t.colours.accent)
    ctx.pdf.cell(0, ctx.lh, ctx.t.wording.urgent.contact_heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in lines:
        para(ctx, line, gap=0.5)
