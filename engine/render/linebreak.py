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

``_Breaks._fast_line`` goes further for a paragraph of plain fragments with word wrapping (every
handout paragraph): ``get_line``'s state machine as one loop over the characters, without a
method call, a ``SpaceHint`` or a width property per character (fpdf2's loop was ≈ 30 % of a
cold handout). It tests the same characters against the same float widths with fpdf2's
tolerance and builds the same ``TextLine``; tests/test_render_speed.py checks it against fpdf2
on random paragraphs.

``_Breaks`` remembers whole line breaks: ``multi_cell`` breaks a paragraph into lines (``TextLine``)
before drawing any of them, and the breaks are a pure function of the characters, the glyph
widths of each fragment's face, the sizes, the styles and the fixed column width. A paragraph
seen before (a block drawn again on a new page, the same exercise text in the next handout of a
batch) gets its lines rebuilt from the remembered ones: fresh fragments cloned from the new
paragraph's own fragments (so colours and font objects are the current document's), with the
remembered characters and the very same widths and counts. Anything else (a width callback, soft
hyphens, fragments the memoised width cannot vouch for) is broken by fpdf2 as usual.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import fpdf.fpdf
import fpdf.line_break
from fpdf.enums import Align, WrapMode
from fpdf.errors import FPDFException
from fpdf.fonts import TTFFont
from fpdf.line_break import (
    BREAKING_SPACE_SYMBOLS_STR,
    FORM_FEED,
    NBSP,
    NEWLINE,
    SOFT_HYPHEN,
    SPACE,
    CurrentLine,
    Fragment,
    MultiLineBreak,
    TextLine,
)
from fpdf.util import FloatTolerance

__all__ = ["install", "installed", "stats", "uninstall"]

_ORIGINAL = fpdf.line_break.CurrentLine
_ORIGINAL_BREAK = getattr(fpdf.fpdf, "MultiLineBreak")  # noqa: B009 (not re-exported for mypy)
PARAGRAPHS = 4096  # LRU bound on remembered paragraphs: memory stays flat over any batch
FACES = 16  # width tables remembered at once (a document with its own parsed faces adds 4)


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


def _plain(fragment: Fragment) -> bool:
    """A fragment whose width is the plain integer sum of its face's glyph widths."""
    font = fragment.graphics_state.current_font
    return (
        type(fragment) is Fragment
        and type(font) is TTFFont
        and not font.is_symbol
        and not fragment.text_shaping_parameters
        and fragment.char_spacing == 0
        and fragment.font_stretching == 100
        and SOFT_HYPHEN not in fragment.characters
    )


def _widths(fragment: Fragment) -> Any:
    """The glyph-width table of a fragment's face (shared by every document, ``fonts``)."""
    return getattr(fragment.graphics_state.current_font, "cw", None)


# One remembered paragraph: the glyph-width tables it was measured with (kept alive, so their ids
# in the key stay theirs), and per line the TextLine fields with (source fragment, characters, link).
_Remembered = tuple[tuple[Any, ...], list[tuple[list[tuple[int, str, Any]], tuple[Any, ...]]]]
_memory: OrderedDict[tuple[Any, ...], _Remembered] = OrderedDict()
_tables: dict[int, Any] = {}
_counts = {"hits": 0, "misses": 0}


def _remember_faces(fragments: Any) -> None:
    """Keep the width tables the keys name alive; forget everything past ``FACES`` of them."""
    for f in fragments:
        cw = _widths(f)
        if id(cw) not in _tables:
            if len(_tables) >= FACES:
                _memory.clear()
                _sums.clear()
                _tables.clear()
            _tables[id(cw)] = cw


class _Breaks(MultiLineBreak):
    """``MultiLineBreak`` that replays the lines of a paragraph it has broken before."""

    def __init__(self, fragments: Any, max_width: Any, margins: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(fragments, max_width, margins, *args, **kwargs)
        self._key: tuple[Any, ...] | None = None
        self._replay: list[TextLine] | None = None
        self._record: list[tuple[list[tuple[int, str, Any]], tuple[Any, ...]]] = []
        plain = all(_plain(f) for f in fragments)
        self._fast = plain and self.wrapmode == WrapMode.WORD and not self.skip_leading_spaces
        self._same: dict[tuple[int, int], bool] = {}
        if callable(max_width) or not plain:
            return
        styles: list[int] = []  # per fragment: the first fragment of the same style (has_same_style)
        for i, f in enumerate(fragments):
            styles.append(next(j for j in range(i + 1) if j == i or f.has_same_style(fragments[j])))
        key = (
            float(max_width),
            tuple(float(m) for m in margins),
            self.align,
            self.print_sh,
            self.wrapmode,
            self.line_height,
            self.skip_leading_spaces,
            self.first_line_indent,
            tuple(
                (
                    "".join(f.characters),
                    id(_widths(f)),
                    f.font_size_pt,
                    f.font_size,
                    f.k,
                    f.link,
                    styles[i],
                )
                for i, f in enumerate(fragments)
            ),
        )
        self._key = key
        _remember_faces(fragments)
        seen = _memory.get(key)
        if seen is None:
            _counts["misses"] += 1
            return
        widths, lines = seen
        if any(w is not _widths(f) for w, f in zip(widths, fragments, strict=True)):
            self._key = None  # not the same faces after all
            return
        _counts["hits"] += 1
        _memory.move_to_end(key)
        for f in fragments:  # what fpdf2's width look-ups do on the way
            font = f.graphics_state.current_font
            if f.characters and f.font_size_pt > font.biggest_size_pt:
                font.biggest_size_pt = f.font_size_pt
        self._replay = [
            TextLine([fragments[src].clone(characters=list(chars), link=link) for src, chars, link in parts], *rest)
            for parts, rest in reversed(lines)
        ]

    def get_line(self) -> TextLine | None:
        if self._replay is not None:
            return self._replay.pop() if self._replay else None
        line = self._fast_line() if self._fast else super().get_line()
        if self._key is None:
            return line
        if line is None:
            _memory[self._key] = (tuple(_widths(f) for f in self.fragments), self._record)
            if len(_memory) > PARAGRAPHS:
                _memory.popitem(last=False)
            self._key = None
            return None
        parts = []
        for f in line.fragments:
            src = next((i for i, g in enumerate(self.fragments) if g.graphics_state is f.graphics_state), None)
            if src is None or type(f) is not Fragment or f.k != self.fragments[src].k:
                self._key = None  # a fragment this cannot rebuild: do not remember the paragraph
                return line
            parts.append((src, "".join(f.characters), f.link))
        self._record.append((parts, tuple(line[1:])))
        return line

    def _fast_line(self) -> TextLine | None:
        """``MultiLineBreak.get_line`` for plain fragments and word wrapping, without the per
        character method calls: the same state machine, character by character (breaks at the
        same characters, the same width tests with fpdf2's tolerance, the same hints), with each
        line fragment's width as fpdf2 computes it (integer glyph-width sum × size × 0.001 / k)
        and the line's width summed over its fragments in order, as ``CurrentLine.width`` does."""
        forced_before = self.idx_last_forced_break
        self.idx_last_forced_break = None
        fragments = self.fragments
        count = len(fragments)
        fi, ci = self.fragment_index, self.character_index
        if fi == count:
            return None
        first = self._is_first_line
        indent = self.first_line_indent if first else 0
        font_height: float = 0
        full = self.get_width(font_height)
        avail = self._room(full, first)
        tolerance = FloatTolerance.TOLERANCE
        # the line so far, per fragment: [source index, characters, glyph-width sum, width of the
        # fragments before it]; and the last breaking space: (source index, character index,
        # fragments kept, characters kept, their width sum, spaces before it)
        parts: list[list[Any]] = []
        hint: tuple[int, int, int, int, int, int] | None = None
        spaces = 0
        line_h: float = 0
        width: float = 0  # of the line so far, as CurrentLine.width
        src = -1
        chars: list[str] = []
        cw: Any = None
        size = k = 0.0
        while fi < count:
            if fi != src:
                chars = fragments[fi].characters
            if ci >= len(chars):
                ci = 0
                fi += 1
                continue
            if fi != src:  # the first character measured in this fragment
                src = fi
                fragment = fragments[fi]
                font: Any = fragment.graphics_state.current_font
                cw, size, k = font.cw, fragment.font_size_pt, fragment.k
                if size > font.biggest_size_pt:  # as TTFFont.get_text_width
                    font.biggest_size_pt = size
                if fragment.font_size - font_height > tolerance:
                    font_height = fragment.font_size
                    full = self.get_width(font_height)
                    avail = self._room(full, first)
            char = chars[ci]
            char_w = cw[ord(char)] * size * 0.001 / k
            if char in (NEWLINE, FORM_FEED):
                self.fragment_index, self.character_index = fi, ci + 1
                line_h = max(line_h, font_height * self.line_height)
                self._is_first_line = False
                align = Align.L if self.align == Align.J else self.align
                return self._text_line(parts, width, spaces, align, line_h, full, indent, char)
            if (width + char_w) - avail > tolerance:
                self._is_first_line = False
                if char in BREAKING_SPACE_SYMBOLS_STR:
                    self.fragment_index, self.character_index = fi, ci + 1
                    return self._text_line(parts, width, spaces, self.align, line_h, full, indent)
                if hint is not None:
                    hfi, hci, kept, kept_chars, kept_sum, spaces = hint
                    del parts[kept:]
                    last = parts[-1]
                    last[1] = last[1][:kept_chars]
                    last[2] = kept_sum
                    lf = fragments[last[0]]
                    width = last[3] + kept_sum * lf.font_size_pt * 0.001 / lf.k
                    self.fragment_index, self.character_index = hfi, hci + 1
                    return self._text_line(parts, width, spaces, self.align, line_h, full, indent)
                if forced_before == (fi, ci):
                    raise FPDFException("Not enough horizontal space to render a single character")
                self.idx_last_forced_break = (fi, ci)
                self.fragment_index, self.character_index = fi, ci
                align = Align.L if self.align == Align.J else self.align
                return self._text_line(parts, width, spaces, align, line_h, full, indent)
            # CurrentLine.add_character
            line_h = font_height * self.line_height
            if not parts or (parts[-1][0] != fi and not self._same_style(fi, parts[-1][0])):
                base = width if parts else 0
                parts.append([fi, [], 0, base])
            part = parts[-1]
            if char in BREAKING_SPACE_SYMBOLS_STR:
                hint = (fi, ci, len(parts), len(part[1]), part[2], spaces)
                spaces += 1
            elif char == NBSP:
                char = SPACE  # as fpdf2 prints it (and measures the line with it)
                spaces += 1
            part[1].append(char)
            part[2] += cw[ord(char)]
            width = part[3] + part[2] * size * 0.001 / k
            ci += 1
        self.fragment_index, self.character_index = fi, ci
        if width:
            self._is_first_line = False
            align = Align.L if self.align == Align.J else self.align
            return self._text_line(parts, width, spaces, align, line_h, full, indent)
        return None

    def _room(self, full: float, first: bool) -> float:
        """The width left for text on a line (``get_line``'s ``max_width``)."""
        room = full
        for margin in self.margins:
            room -= float(margin)
        if first:
            room -= self.first_line_indent
        return room

    def _same_style(self, a: int, b: int) -> bool:
        """``CurrentLine.add_character``'s test: the line fragment cloned from fragment ``b`` takes
        the characters of fragment ``a`` (same style and link)."""
        key = (a, b)
        same = self._same.get(key)
        if same is None:
            fa, fb = self.fragments[a], self.fragments[b]
            same = self._same[key] = fa.has_same_style(fb) and fa.link == fb.link
        return same

    def _text_line(
        self,
        parts: list[list[Any]],
        width: float,
        spaces: int,
        align: Align,
        height: float,
        full: float,
        indent: float,
        end: str = "",
    ) -> TextLine:
        """``CurrentLine.manual_break``: the line's fragments cloned from their source fragments."""
        fragments = self.fragments
        return TextLine(
            fragments=[fragments[src].clone(characters=chars, link=fragments[src].link) for src, chars, _, _ in parts],
            text_width=width,
            number_of_spaces=spaces,
            align=align,
            height=height,
            max_width=full - indent,
            trailing_nl=end == NEWLINE,
            trailing_form_feed=end == FORM_FEED,
            indent=indent,
        )


_ORIGINAL_GET_WIDTH = Fragment.get_width
_sums: OrderedDict[tuple[int, str], int] = OrderedDict()


def _get_width(
    self: Fragment, start: int = 0, end: int | None = None, chars: str | None = None, initial_cs: bool = True
) -> float:
    """``Fragment.get_width`` with the integer glyph-width sum of a whole plain fragment
    remembered per (face, text); the rest of the arithmetic is fpdf2's own, in its order."""
    if chars is not None or start or end is not None or not _plain(self):
        return _ORIGINAL_GET_WIDTH(self, start, end, chars, initial_cs)
    font: Any = self.graphics_state.current_font
    text = "".join(self.characters)
    cw = font.cw
    key = (id(cw), text)
    total = _sums.get(key)
    if total is None or _tables.get(id(cw)) is not cw:
        _remember_faces((self,))
        total = sum(cw[ord(c)] for c in text)
        _sums[key] = total
        if len(_sums) > PARAGRAPHS * 4:
            _sums.popitem(last=False)
    size = self.font_size_pt
    if size > font.biggest_size_pt:
        font.biggest_size_pt = size
    w: float = total * size * 0.001
    return w / self.k


_ORIGINAL_TTF_TEXT = Fragment.render_pdf_text_ttf


def _render_pdf_text_ttf(self: Fragment, frag_ws: float, word_spacing: float) -> str:
    """``Fragment.render_pdf_text_ttf`` with each character's code in the document's font subset
    (``SubsetMap.pick``) and its escaped form remembered per subset. ``pick`` gives a character
    the same code every time (a new one only the first time, in the same order here), and
    escaping works character by character, so the string is fpdf2's own. Word spacing (justified
    text) and colour fonts take fpdf2's path."""
    font: Any = self.graphics_state.current_font
    if word_spacing or font.color_font:
        return _ORIGINAL_TTF_TEXT(self, frag_ws, word_spacing)
    subset = font.subset
    codes: dict[str, str] | None = subset.__dict__.get("_rr_codes")
    if codes is None:
        codes = subset.__dict__["_rr_codes"] = {}
    parts = []
    for char in self.string:
        code = codes.get(char)
        if code is None:
            mapped = subset.pick(ord(char))
            code = codes[char] = font.escape_text(chr(mapped)) if mapped else ""
        parts.append(code)
    return f"({''.join(parts)}) Tj"


def install() -> None:
    """Use the memoised line width and remembered line breaks in every fpdf2 ``multi_cell``, and
    the remembered subset codes in its text output."""
    fpdf.line_break.CurrentLine = _Line  # type: ignore[misc]
    setattr(fpdf.fpdf, "MultiLineBreak", _Breaks)  # noqa: B010
    Fragment.get_width = _get_width  # type: ignore[method-assign]
    Fragment.render_pdf_text_ttf = _render_pdf_text_ttf  # type: ignore[method-assign]


def uninstall() -> None:
    """Back to fpdf2's own ``CurrentLine`` and ``MultiLineBreak`` (tests compare both)."""
    fpdf.line_break.CurrentLine = _ORIGINAL  # type: ignore[misc]
    setattr(fpdf.fpdf, "MultiLineBreak", _ORIGINAL_BREAK)  # noqa: B010
    Fragment.get_width = _ORIGINAL_GET_WIDTH  # type: ignore[method-assign]
    Fragment.render_pdf_text_ttf = _ORIGINAL_TTF_TEXT  # type: ignore[method-assign]
    _memory.clear()
    _sums.clear()
    _tables.clear()


def installed() -> bool:
    """Whether the memoised width is in use."""
    return fpdf.line_break.CurrentLine is _Line


def stats() -> dict[str, int]:
    """Remembered paragraphs and how often one was replayed (tests, benchmarks)."""
    return {"paragraphs": len(_memory), **_counts}
