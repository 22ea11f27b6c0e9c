"""Plain-language wording for the handout: dates, sides, doses and findings (no PDF code).

Every fixed word comes from the template; this module only picks and fills the right sentence.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from engine.models.plan import FindingItem
from engine.models.template import DoseWording, ExerciseSides, ExercisesWording, FoundPhrase, Template

_FORMATTER = string.Formatter()
_WORD = re.compile(r"(\W+)")


def fill(pattern: str, **values: object) -> str:
    """Fill ``{placeholders}`` in template wording.

    Raises:
        ValueError: the wording uses a placeholder the engine does not provide.
    """
    for _, field, _, _ in _FORMATTER.parse(pattern):
        if field is not None and field not in values:
            known = ", ".join("{" + k + "}" for k in sorted(values)) or "none"
            raise ValueError(f"template wording {pattern!r} uses unknown placeholder {{{field}}} (known here: {known})")
    return pattern.format(**values)


def number(value: object) -> str:
    """Write a number without a needless ``.0`` (30.0 → "30", 2.5 → "2.5")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(value: object) -> date:
    """Read an ISO date (``2026-11-20``) given as text or a ``date``."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as err:
        raise ValueError(f"not an ISO date: {value!r}") from err


def format_date(day: date, template: Template) -> str:
    """Write a date in the template's words, e.g. "20 November 2026"."""
    month = template.dates.months[day.month - 1]
    return fill(template.dates.format, day=day.day, month=month, year=day.year)


def review_date(assessed_on: object, review_in_days: int | None) -> date | None:
    """Return assessed_on + review_in_days, or None when the plan has no review interval."""
    if review_in_days is None:
        return None
    return parse_date(assessed_on) + timedelta(days=int(review_in_days))


def side_label(side: object, sided: bool, words: ExerciseSides) -> str | None:
    """Return "Right leg" / "Both sides", or None for an exercise that has no side."""
    if not sided and side in (None, "both"):
        return None
    labels = {"left": words.left, "right": words.right, "both": words.both}
    return labels.get(str(side))


def _count(n: object, many: str, one: str) -> str:
    return fill(one if n == 1 else many, n=number(n))


def dosage_text(dosage: Mapping[str, Any] | None, words: DoseWording) -> str:
    """Write a dose in plain words: "3 sets × 30-second holds · 5 days a week · rest 30 s"."""
    if not dosage:
        return ""
    main = _dose_main(dosage, words)
    parts = [main] if main else []
    per_week = dosage.get("per_week")
    if per_week is not None:
        parts.append(_frequency(int(per_week), words))
    if dosage.get("rest_s") is not None:
        parts.append(fill(words.rest, n=number(dosage["rest_s"])))
    if dosage.get("note"):
        parts.append(str(dosage["note"]))
    return words.joiner.join(parts)


def _frequency(per_week: int, words: DoseWording) -> str:
    if per_week == 7:
        return words.every_day
    if per_week == 14:
        return words.twice_a_day
    if per_week > 7:
        return fill(words.times_a_week, n=per_week)
    return fill(words.per_week, n=per_week)


def _dose_main(dosage: Mapping[str, Any], words: DoseWording) -> str:
    pieces: list[str] = []
    if dosage.get("sets") is not None:
        pieces.append(_count(dosage["sets"], words.sets, words.sets_one))
    if dosage.get("reps") is not None:
        pieces.append(_count(dosage["reps"], words.reps, words.reps_one))
    if dosage.get("hold_s") is not None:
        pieces.append(fill(words.hold, n=number(dosage["hold_s"])))
    if dosage.get("minutes") is not None:
        pieces.append(_count(dosage["minutes"], words.minutes, words.minutes_one))
    return words.times.join(pieces)


def found_sentences(findings: Sequence[FindingItem], template: Template) -> list[str]:
    """Turn the plan's flagged findings into plain sentences, one per kind and side.

    A finding flagged on both the left and the right (or with side "both") gets the template's
    "both" sentence; a finding without a side gets its "any" sentence.
    """
    sides_by_kind: dict[str, list[str | None]] = {}
    grade_sentences: list[str] = []
    for item in findings:
        if not item.flagged:
            continue
        kind = item.finding
        phrase = getattr(template.found_wording, kind, None)
        if isinstance(phrase, FoundPhrase) and str(item.grade) in phrase.grades and not item.side:
            grade_sentences.append(phrase.grades[str(item.grade)])
            continue
        seen = sides_by_kind.setdefault(kind, [])
        if item.side not in seen:
            seen.append(item.side)
    sentences: list[str] = []
    for kind, sides in sides_by_kind.items():
        phrase = getattr(template.found_wording, kind, None)
        if not isinstance(phrase, FoundPhrase):
            raise ValueError(f"template has no found_wording for finding {kind!r}")
        sentences.extend(_phrase_for(phrase, sides, template))
    return sentences + [g for g in grade_sentences if g not in sentences]


def _phrase_for(phrase: FoundPhrase, sides: list[str | None], template: Template) -> list[str]:
    named = {s for s in sides if s in ("left", "right")}
    if "both" in sides or named == {"left", "right"}:
        return [_pick(phrase.both, phrase.any, phrase.one_side)]
    out: list[str] = []
    for side in sorted(named):
        word = template.sides.left if side == "left" else template.sides.right
        out.append(fill(_pick(phrase.one_side, phrase.any, phrase.both), side=word))
    if None in sides or not out:
        out.append(_pick(phrase.any, phrase.both, phrase.one_side))
    return out


def _pick(*options: str | None) -> str:
    for option in options:
        if option:
            return option
    return ""  # unreachable: FoundPhrase requires one sentence


_SIDE_KEYS = ("your_leg", "your_other_leg", "your_side", "your_other_side", "your_hand", "your_other_hand")


def side_values(side: object, words: ExercisesWording) -> dict[str, str]:
    """Values of the side placeholders for a prescribed side ("left" or "right"; anything else
    reads as right), each also capitalised (``{Your_leg}``) for the start of a sentence."""
    chosen = getattr(words.side_words, "left" if side == "left" else "right")
    values = {k: str(getattr(chosen, k)) for k in _SIDE_KEYS}
    values |= {k[:1].upper() + k[1:]: v[:1].upper() + v[1:] for k, v in values.items()}
    return values


def cadence_words(target: Mapping[str, Any] | None, pct: int | None, words: ExercisesWording) -> str:
    """The metronome number in words, or how to work it out when the cadence was not measured."""
    if target:
        return fill(
            words.cadence_target,
            target=number(target["target_spm"]),
            now=number(target["now_spm"]),
            pct=number(target["increase_pct"]),
        )
    return fill(words.cadence_unknown, pct=number(pct or 0))


def exercise_text(pattern: str, values: Mapping[str, str]) -> str:
    """Fill an exercise sentence's placeholders ({your_leg}, {cadence_target}, …)."""
    return fill(pattern, **values)


def swap_sides(words: str) -> str:
    """Swap the words left and right (for the alt text of a mirrored picture)."""
    out = []
    for token in _WORD.split(words):
        low = token.lower()
        if low in ("left", "right"):
            new = "right" if low == "left" else "left"
            token = new.capitalize() if token[:1].isupper() else new
        out.append(token)
    return "".join(out)
