"""fpdf2's line breaking and text output without the per-character and per-fragment overheads
(exact patches: the PDF bytes are fpdf2's own).

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

Text output: ``_render_styled_text_line`` (≈ a quarter of a warm handout) is fpdf2's method with
the branches a plain line never takes left out (``_plain_line``: no links, justification,
stretching, spacing, rise, underlines or fallback fonts; anything else goes to fpdf2), and
``_render_pdf_text_ttf`` remembers each character's code in the document's font subset.
``install``/``uninstall`` switch every patch here together; tests/test_render_speed.py renders
every example both ways.

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
from fpdf.enums import Align, CharVPos, PDFResourceType, TextMode, WrapMode, XPos, YPos
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
from fpdf.util import FloatTolerance, Padding

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


_ORIGINAL_STYLED_LINE = fpdf.fpdf.FPDF._render_styled_text_line


def _plain_line(pdf: Any, text_line: TextLine, link: Any) -> bool:
    """A line whose output needs none of ``_render_styled_text_line``'s special cases: no link,
    quad points, fallback fonts or justification; every fragment a plain ``Fragment`` in a
    TrueType font, unshaped, unstretched, unspaced, not underlined or struck through, filled, on
    the baseline; and the document at the same defaults."""
    if link or pdf._record_text_quad_points or pdf._fallback_font_ids or text_line.align == Align.J:
        return False
    if pdf.font_stretching != 100 or pdf.char_spacing != 0 or pdf.text_mode != TextMode.FILL:
        return False
    for frag in text_line.fragments:
        gs = frag.graphics_state
        font = gs.current_font
        if (
            type(frag) is not Fragment
            or frag.link
            or gs.text_shaping
            or gs.font_stretching != 100
            or gs.char_spacing != 0
            or gs.underline
            or gs.strikethrough
            or gs.text_mode != TextMode.FILL
            or gs.char_vpos != CharVPos.LINE
            or font is None
            or font.type != "TTF"
        ):
            return False
    return True


def _render_styled_text_line(
    self: Any,
    text_line: TextLine,
    h: float | None = None,
    border: str | int = 0,
    new_x: XPos = XPos.RIGHT,
    new_y: YPos = YPos.TOP,
    fill: bool = False,
    link: str | int | None = "",
    center: bool = False,
    padding: Padding | None = None,
    prevent_font_change: bool = False,
) -> bool:
    """``FPDF._render_styled_text_line`` for a plain line (``_plain_line``): fpdf2's own code with
    the branches such a line never takes left out (word spacing, font stretching, character
    spacing, text rise, text modes, underlines, links, fallback fonts), every operator written as
    fpdf2 writes it and in the same order; any other line goes to fpdf2."""
    if not _plain_line(self, text_line, link):
        return bool(
            _ORIGINAL_STYLED_LINE(
                self, text_line, h, border, new_x, new_y, fill, link, center, padding, prevent_font_change
            )
        )
    if isinstance(border, int) and border not in (0, 1):
        return bool(
            _ORIGINAL_STYLED_LINE(
                self, text_line, h, border, new_x, new_y, fill, link, center, padding, prevent_font_change
            )
        )
    if isinstance(border, str) and set(border).issuperset("LTRB"):
        border = 1

    if padding is None:
        padding = Padding(0, 0, 0, 0)
    l_c_margin = r_c_margin = float(0)
    if padding.left == 0:
        l_c_margin = self.c_margin
    if padding.right == 0:
        r_c_margin = self.c_margin

    styled_txt_width = text_line.text_width
    if not styled_txt_width:
        for i, frag in enumerate(text_line.fragments):
            unscaled_width = frag.get_width(initial_cs=i != 0)
            styled_txt_width += unscaled_width

    w = text_line.max_width
    if w is None:
        if not text_line.fragments:
            raise ValueError("'text_line' must have fragments if 'text_line.text_width' is None")
        w = styled_txt_width + l_c_margin + r_c_margin
    elif w == 0:
        w = self.w - self.r_margin - self.x
    if center:
        self.x = self.l_margin + (self.epw - w) / 2
    elif text_line.align == Align.X:
        self.x -= w / 2

    max_font_size: float = 0
    fragments = list(text_line.fragments)  # get_ordered_fragments: all left to right
    for frag in fragments:
        size = frag.graphics_state.font_size_pt / frag.k  # Fragment.font_size
        if (size - max_font_size) > _TOLERANCE:
            max_font_size = size
    if h is None:
        h = max_font_size
    page_break_triggered = self._perform_page_break_if_need_be(h)
    sl: list[str] = []

    k = self.k
    left = (self.x - padding.left) * k
    right = (self.x + w + padding.right) * k
    top = (self.h - self.y + padding.top) * k
    bottom = (self.h - (self.y + h) - padding.bottom) * k

    if fill:
        op = "B" if border == 1 else "f"
        sl.append(f"{left:.2f} {top:.2f} {right - left:.2f} {bottom - top:.2f} re {op}")
    elif border == 1:
        sl.append(f"{left:.2f} {top:.2f} {right - left:.2f} {bottom - top:.2f} re S")

    if isinstance(border, str):
        if "L" in border:
            sl.append(f"{left:.2f} {top:.2f} m {left:.2f} {bottom:.2f} l S")
        if "T" in border:
            sl.append(f"{left:.2f} {top:.2f} m {right:.2f} {top:.2f} l S")
        if "R" in border:
            sl.append(f"{right:.2f} {top:.2f} m {right:.2f} {bottom:.2f} l S")
        if "B" in border:
            sl.append(f"{left:.2f} {bottom:.2f} m {right:.2f} {bottom:.2f} l S")

    s_start = self.x
    s_width: float = 0
    current_font = self.current_font
    current_font_size_pt = self.font_size_pt
    current_font_style = self.font_style
    current_char_vpos = CharVPos.LINE
    fill_color_changed = False
    last_used_color = self.fill_color
    if fragments:
        if text_line.align == Align.R:
            dx = w - l_c_margin - styled_txt_width
        elif text_line.align in [Align.C, Align.X]:
            dx = (w - styled_txt_width) / 2
        else:
            dx = l_c_margin
        s_start += dx
        sl.append(f"BT {(self.x + dx) * k:.2f} {(self.h - self.y - 0.5 * h - 0.3 * max_font_size) * k:.2f} Td")
        for i, frag in enumerate(fragments):
            gs = frag.graphics_state
            if gs.text_color != last_used_color:
                last_used_color = gs.text_color
                assert last_used_color is not None
                sl.append(last_used_color.serialize().lower())
                fill_color_changed = True
            frag_font: Any = gs.current_font  # a TrueType font (_plain_line)
            frag_size_pt = gs.font_size_pt  # Fragment.font_size_pt on the baseline
            if not self.current_font_is_set_on_page:
                if prevent_font_change:
                    current_font = frag_font
                    current_font_size_pt = frag_size_pt
                    current_font_style = gs.font_style
                    sl.append(f"/F{current_font.i} {current_font_size_pt:.2f} Tf")
                    self._resource_catalog.add(PDFResourceType.FONT, current_font.i, self.page)
                    current_char_vpos = gs.char_vpos
                else:
                    current_font = self.current_font = frag_font
                    current_font_size_pt = self.font_size_pt = frag_size_pt
                    current_font_style = self.font_style = gs.font_style
                    self._out(self._set_font_for_page(current_font, current_font_size_pt))
                    current_char_vpos = gs.char_vpos
            elif (
                current_font != frag_font
                or current_font_size_pt != frag_size_pt
                or current_font_style != gs.font_style
                or current_char_vpos != gs.char_vpos
            ):
                current_font = frag_font
                current_font_size_pt = frag_size_pt
                current_font_style = gs.font_style
                sl.append(self._set_font_for_page(current_font, current_font_size_pt, wrap_in_text_object=False))
                current_char_vpos = gs.char_vpos
            r_text = frag.render_pdf_text_ttf(0, 0)
            if r_text:
                sl.append(r_text)
            s_width += frag.get_width(initial_cs=i != 0)  # no word spacing to add
        sl.append("ET")

    if sl:
        if (
            current_char_vpos != CharVPos.LINE
            or current_font != self.current_font
            or current_font_size_pt != self.font_size_pt
            or current_font_style != self.font_style
            or fill_color_changed
        ):
            out = f"q {' '.join(sl)} Q"
        else:
            out = " ".join(sl)
        self._out(out)
    self._lasth = h or self.font_size

    if new_x == XPos.RIGHT:
        self.x += w
    elif new_x == XPos.START:
        self.x = s_start
    elif new_x == XPos.END:
        self.x = s_start + s_width
    elif new_x == XPos.WCONT:
        if s_width:
            self.x = s_start + s_width - r_c_margin
        else:
            self.x = s_start
    elif new_x == XPos.CENTER:
        self.x = s_start + s_width / 2.0
    elif new_x == XPos.LMARGIN:
        self.x = self.l_margin
    elif new_x == XPos.RMARGIN:
        self.x = self.w - self.r_margin

    if new_y == YPos.NEXT:
        self.y += h
    if new_y == YPos.TMARGIN:
        self.y = self.t_margin
    if new_y == YPos.BMARGIN:
        self.y = self.h - self.b_margin

    return bool(page_break_triggered)


_TOLERANCE = FloatTolerance.TOLERANCE


def install() -> None:
    """Use the memoised line width and remembered line breaks in every fpdf2 ``multi_cell``, and
    the remembered subset codes in its text output."""
    fpdf.line_break.CurrentLine = _Line  # type: ignore[misc]
    setattr(fpdf.fpdf, "MultiLineBreak", _Breaks)  # noqa: B010
    Fragment.get_width = _get_width  # type: ignore[method-assign]
    Fragment.render_pdf_text_ttf = _render_pdf_text_ttf  # type: ignore[method-assign]
    fpdf.fpdf.FPDF._render_styled_text_line = _render_styled_text_line  # type: ignore[method-assign]


def uninstall() -> None:
    """Back to fpdf2's own ``CurrentLine`` and ``MultiLineBreak`` (tests compare both)."""
    fpdf.line_break.CurrentLine = _ORIGINAL  # type: ignore[misc]
    setattr(fpdf.fpdf, "MultiLineBreak", _ORIGINAL_BREAK)  # noqa: B010
    Fragment.get_width = _ORIGINAL_GET_WIDTH  # type: ignore[method-assign]
    Fragment.render_pdf_text_ttf = _ORIGINAL_TTF_TEXT  # type: ignore[method-assign]
    fpdf.fpdf.FPDF._render_styled_text_line = _ORIGINAL_STYLED_LINE  # type: ignore[method-assign]
    _memory.clear()
    _sums.clear()
    _tables.clear()


def installed() -> bool:
    """Whether the memoised width is in use."""
    return fpdf.line_break.CurrentLine is _Line


def stats() -> dict[str, int]:
    """Remembered paragraphs and how often one was replayed (tests, benchmarks)."""
    return {"paragraphs": len(_memory), **_counts}
