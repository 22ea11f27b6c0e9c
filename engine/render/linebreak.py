"""fpdf2's line breaking without re-summing the line per character (an exact, vendored patch).

``fpdf.line_break.MultiLineBreak.get_line`` asks ``CurrentLine.width`` before adding each
character, and that property re-joins and re-sums every character of the line so far: a line of
n characters costs O(n²) width look-ups (≈ 40 % of a handout's rendering time). ``_Line``
remembers, per fragment, the integer sum of glyph widths over the characters already counted
and adds only the new ones. Characters are only ever appended in place (``trim`` and the other
mutators assign a new list), so the remembered prefix is valid while the list object is the same
and no shorter. The width is then computed with the very same float operations as
``Fragment.get_width`` (integer sum × size × 0.001 / k), so every break and every coordinate, and
so the PDF bytes, are unchanged. Fragments this cannot vouch for (core fonts, text shaping,
character spacing, stretching, fragment subclasses) take fpdf2's own path.

Upstream-style, the same fix is a running width in ``CurrentLine.add_character``; this keeps
fpdf2's arithmetic instead so the output stays byte-identical.
"""

from __future__ import annotations

from typing import Any

import fpdf.line_break
from fpdf.fonts import TTFFont
from fpdf.line_break import CurrentLine, Fragment

__all__ = ["install", "installed", "uninstall"]

_ORIGINAL = fpdf.line_break.CurrentLine


class _Line(CurrentLine):
    """``CurrentLine`` with a memoised width."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(fragment) -> (fragment, characters list, count summed, font, integer width sum)
        self._sums: dict[int, tuple[Fragment, list[str], int, TTFFont, float]] = {}

    @property
    def width(self) -> float:
        width: float = 0
        for i, fragment in enumerate(self.fragments):
            width += self._fragment_width(fragment, i > 0)
        return width

    def _fragment_width(self, fragment: Fragment, initial_cs: bool) -> float:
        font = fragment.graphics_state.current_font
        if (
            type(fragment) is not Fragment
            or type(font) is not TTFFont
            or font.is_symbol
            or fragment.text_shaping_parameters
            or fragment.char_spacing != 0
            or fragment.font_stretching != 100
        ):
            return float(fragment.get_width(initial_cs=initial_cs))
        chars = fragment.characters
        n = len(chars)
        seen = self._sums.get(id(fragment))
        total: float  # an int at run time: fpdf2's widths are whole font units
        if seen is not None and seen[0] is fragment and seen[1] is chars and seen[3] is font and seen[2] <= n:
            total = seen[4]
            if seen[2] < n:
                cw = font.cw
                total += sum(cw[ord(c)] for c in chars[seen[2] :])
        else:
            cw = font.cw
            total = sum(cw[ord(c)] for c in chars)
        self._sums[id(fragment)] = (fragment, chars, n, font, total)
        size = fragment.font_size_pt
        if size > font.biggest_size_pt:  # as TTFFont.get_text_width does
            font.biggest_size_pt = size
        w = total * size * 0.001
        return w / fragment.k


def install() -> None:
    """Use the memoised line width in every fpdf2 line break of this process."""
    fpdf.line_break.CurrentLine = _Line  # type: ignore[misc]


def uninstall() -> None:
    """Back to fpdf2's own ``CurrentLine`` (tests compare both)."""
    fpdf.line_break.CurrentLine = _ORIGINAL  # type: ignore[misc]


def installed() -> bool:
    """Whether the memoised width is in use."""
    return fpdf.line_break.CurrentLine is _Line
