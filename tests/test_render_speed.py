"""The render speed-ups (font cache, memoised line widths) change no byte of any PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.app import planning
from engine.app.clinic import Clinic

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def _render_all(clinic: Clinic, paths: list[Path] = EXAMPLES) -> list[tuple[bytes | None, bytes | None]]:
    """Every example's handout; the clinician report of the first three (it uses the same fonts)."""
    out = []
    for i, path in enumerate(paths):
        r = planning.plan_assessment(clinic, planning.read_assessment(path), handout=True, report=i < 3)
        out.append((r.handout, r.report))
    return out


def test_speedups_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.render import fonts, linebreak

    clinic = Clinic()
    fonts.clear()
    fast_cold = _render_all(clinic)  # cache misses
    fast_warm = _render_all(clinic, EXAMPLES[:3])  # cache hits
    assert fonts.stats()["hits"] > 0
    assert linebreak.stats()["hits"] > 0  # remembered line breaks were replayed
    monkeypatch.setattr(fonts, "enabled", False)
    monkeypatch.setattr(linebreak, "install", linebreak.uninstall)
    linebreak.uninstall()
    try:
        plain = _render_all(clinic)
    finally:
        monkeypatch.undo()
        linebreak.install()
    for path, a, b in zip(EXAMPLES, plain, fast_cold, strict=True):
        assert a == b, path.name
    assert fast_warm == plain[:3]


def test_cached_face_gives_plain_fpdf2_bytes(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from fpdf import FPDF

    from engine.render import fonts

    src = Path(__file__).resolve().parent.parent / "templates" / "fonts"
    font = next(iter(sorted(src.glob("*.ttf"))))
    copy = tmp_path / "f.ttf"
    copy.write_bytes(font.read_bytes())
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    fonts.add_font(pdf, "x", "", copy)
    pdf.add_page()
    pdf.set_font("x", size=10)
    pdf.cell(text="Ab ½ ≤")
    first = bytes(pdf.output())
    plain = FPDF()
    plain.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    plain.add_font("x", "", str(copy))
    plain.add_page()
    plain.set_font("x", size=10)
    plain.cell(text="Ab ½ ≤")
    assert first == bytes(plain.output())
    copy.write_bytes(font.read_bytes()[:-4] + b"\0\0\0\0")  # a changed file is parsed again
    changed = FPDF()
    fonts.add_font(changed, "x", "", copy)
    changed.set_font("x", size=10)  # a face is parsed when first used
    assert fonts.stats()["faces"] >= 2


def test_layout_once_gives_the_same_bytes_as_measuring_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks drawn once where they fall (and taken back when they run off the page) print the
    same bytes as blocks measured on a scratch page first: every example's handout."""
    from engine.render import frame

    clinic = Clinic()
    once = _render_all(clinic)
    monkeypatch.setattr(frame, "LAYOUT_ONCE", False)
    measured = _render_all(clinic)
    for path, a, b in zip(EXAMPLES, measured, once, strict=True):
        assert a == b, path.name


def test_a_block_taken_back_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Eight exercises with clinic picture files (alt text in the structure tree, images in the
    page resources): blocks that do not fit are taken back, and the bytes still match."""
    from engine.load.content import load_content
    from engine.render import frame
    from engine.render.handout import load_template
    from engine.render.pdf import render_handout
    from engine.render.view import build
    from tests.test_pdf_layout import EIGHT, _plan_with

    (tmp_path / "pic.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="70" viewBox="0 0 100 70"><rect width="30" height="60"/></svg>'
    )
    library = dict(load_content().library.exercises)
    for ex_id in EIGHT:
        picture = library[ex_id].picture.model_copy(update={"file": "pic.svg", "licence": "CC0", "author": "A"})
        library[ex_id] = library[ex_id].model_copy(update={"picture": picture})
    base = _plan_with(EIGHT)
    view = build(base.plan, library, None, exercises_dir=tmp_path)
    template, folder = load_template()
    rewinds = []
    rewind = frame._Mark.rewind
    monkeypatch.setattr(frame._Mark, "rewind", lambda self, pdf: rewinds.append(1) or rewind(self, pdf))
    once = render_handout(view, template, folder, paper="letter")
    assert len(rewinds) >= 3, "the plan is long enough for blocks to be taken back"
    monkeypatch.setattr(frame, "LAYOUT_ONCE", False)
    assert render_handout(view, template, folder, paper="letter") == once


def _paragraphs(font: Path) -> bytes:
    """The same paragraph three times (twice in one colour, once in another, once narrower),
    with a bold run and a link, as plain fpdf2 calls."""
    from datetime import UTC, datetime

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.add_font("x", "", str(font))
    pdf.add_font("x", "B", str(font))
    pdf.add_page()
    pdf.set_font("x", size=11)
    words = "Stand tall, **feet hip-width apart**, and lower yourself slowly until your knees bend. " * 3
    for colour, width in (((0, 0, 0), 120), ((0, 0, 0), 120), ((200, 30, 30), 120), ((0, 0, 0), 60)):
        pdf.set_text_color(*colour)
        pdf.multi_cell(width, 5, words, markdown=True, link="https://example.org", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_replayed_line_breaks_keep_each_paragraphs_own_colour_and_width() -> None:
    """A paragraph whose lines are replayed prints what fpdf2 itself prints, in its own colour."""
    from engine.render import linebreak

    font = next(iter(sorted((Path(__file__).resolve().parent.parent / "templates" / "fonts").glob("*.ttf"))))
    linebreak.uninstall()
    plain = _paragraphs(font)
    linebreak.install()
    try:
        before = linebreak.stats()["hits"]
        fast = _paragraphs(font)
        assert linebreak.stats()["hits"] > before  # the second black paragraph was replayed
        assert fast == plain
        assert _paragraphs(font) == plain  # and again with every paragraph remembered
    finally:
        linebreak.uninstall()
        linebreak.install()


def _lines(breaker: object) -> list[tuple[object, ...]]:
    """Every line a line breaker gives, as comparable values (or the error it raises)."""
    from fpdf.errors import FPDFException

    out: list[tuple[object, ...]] = []
    try:
        while (line := breaker.get_line()) is not None:  # type: ignore[attr-defined]
            frags = tuple((tuple(f.characters), id(f.graphics_state), f.k, f.link, type(f)) for f in line.fragments)
            out.append((frags, *line[1:]))
    except FPDFException as exc:
        out.append(("error", str(exc)))
    return out


def test_fast_line_breaking_breaks_as_fpdf2_does() -> None:
    """The character loop for plain fragments gives fpdf2's own lines (fragments, widths to the
    last bit, spaces, heights) on random paragraphs: bold runs, links, no-break, tab, zero-width
    and ideographic spaces, new lines, words longer than the column, justified text, indents."""
    import random

    from fpdf import FPDF
    from fpdf.enums import Align
    from fpdf.line_break import MultiLineBreak

    from engine.render import linebreak

    font = Path(__file__).resolve().parent.parent / "templates" / "fonts" / "DejaVuSans.ttf"
    bold = font.with_name("DejaVuSans-Bold.ttf")
    pdf = FPDF()
    pdf.add_font("x", "", str(font))
    pdf.add_font("x", "B", str(bold))
    pdf.add_page()
    rng = random.Random(15)
    words = ["a", "knee", "Zoë", "½", "≤3/10", "—", "supercalifragilisticexpialidocious", "x" * 60, "30 s", "**bold**"]
    spaces = [" ", " ", " ", "\u00a0", "\t", "\u200b", "\u3000", "\n", "  "]
    before = linebreak.stats()
    checked = 0
    for n in range(400):
        text = "".join(rng.choice(words) + rng.choice(spaces) for _ in range(rng.randint(0, 40)))
        pdf.set_font("x", "", rng.choice([6, 9.5, 11, 20]))
        fragments = pdf._preload_font_styles(text, markdown=True)
        width = rng.choice([0.5, 5, 20, 41.3, 90, 180])
        kwargs = {
            "align": rng.choice([Align.L, Align.J, Align.C]),
            "first_line_indent": rng.choice([0, 0, 3.5]),
            "line_height": rng.choice([1.0, 1.22]),
        }
        margins = rng.choice([(1.0, 1.0), (), (pdf.c_margin,)])
        linebreak.uninstall()  # fpdf2's own CurrentLine and widths
        try:
            plain = _lines(MultiLineBreak(fragments, width, margins, **kwargs))
        finally:
            linebreak.install()
        fast_breaker = linebreak._Breaks(fragments, lambda _h, w=width: w, margins, **kwargs)  # callable: no memory
        assert fast_breaker._fast, text
        assert _lines(fast_breaker) == plain, (n, text, width)
        checked += len(plain)
    for face in pdf.fonts.values():
        face.ttfont.close()  # never output (which would close them)
    assert checked > 2000
    assert linebreak.stats()["hits"] == before["hits"]


def test_subsets_from_tables_parsed_once_are_those_from_the_file() -> None:
    """A face subset from copies of its tables parsed once, or read with a lazy ``glyf``, gives
    the bytes (and glyph ids) of the face parsed from the file again, with fpdf2's options, for many glyph sets one after
    another (accented and composite glyphs too): subsetting leaves the parsed tables as parsed."""
    import random

    from fontTools import subset as ftsubset

    from engine.render import fonts

    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
    options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "SVG ", "CPAL", "COLR"]
    rng = random.Random(15)
    folder = Path(__file__).resolve().parent.parent / "templates" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        face = fonts._Face(folder / name, "")
        order = face._read().getGlyphOrder()
        composites = [g for g in order if g.endswith(("acute", "dieresis", "grave", "circumflex"))]
        for n in range(12):
            glyphs = {".notdef", *rng.sample(order, rng.choice([3, 40, 90, 400])), *rng.sample(composites, 5)}
            plain = face._subset(face._read(), set(glyphs), options)
            assert face._subset(face._reparsed(), set(glyphs), options) == plain, (name, n)
            assert face._subset(face._first(), set(glyphs), options) == plain, (name, n)
        assert face.parsed is not None
        assert len(face.parsed.order) == len(order)
        face.proto.ttfont.close()


def _cells(font: Path, seed: int) -> bytes:
    """Random cells and paragraphs as plain fpdf2 calls: borders, fills, alignments, padding,
    positions after the cell, markdown runs, colours, sizes, links and underlines (which take
    fpdf2's own path)."""
    import random
    from datetime import UTC, datetime

    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    rng = random.Random(seed)
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.add_font("x", "", str(font))
    pdf.add_font("x", "B", str(font.with_name("DejaVuSans-Bold.ttf")))
    pdf.add_page()
    words = ["Knee", "over", "the", "toe", "—", "½", "**hold**", "30 s", "(x)", "\\\\", "≤"]
    for _ in range(60):
        pdf.set_font("x", rng.choice(["", "B"]), rng.choice([8, 10.5, 14]))
        pdf.set_text_color(*rng.choice([(0, 0, 0), (200, 30, 30)]))
        pdf.set_fill_color(*rng.choice([(255, 255, 255), (230, 240, 250)]))
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        kwargs = {
            "border": rng.choice([0, 1, "LB", "T", "LTRB"]),
            "fill": rng.choice([False, True]),
            "align": rng.choice(["L", "R", "C", "J"]),
            "new_x": rng.choice([XPos.RIGHT, XPos.LMARGIN, XPos.END, XPos.WCONT, XPos.START, XPos.CENTER]),
            "new_y": rng.choice([YPos.NEXT, YPos.TOP]),
            "markdown": rng.choice([False, True]),
        }
        if rng.random() < 0.1:
            kwargs["link"] = "https://example.org"
        if rng.random() < 0.1:
            pdf.set_font("x", "U", 10)
        if pdf.get_x() > pdf.w / 2:  # else go on from where the last cell left off (new_x)
            pdf.set_x(pdf.l_margin)
        if rng.random() < 0.5:
            pdf.multi_cell(rng.choice([0, 40, 90]), 5, text, padding=rng.choice([0, 1.5]), **kwargs)
        else:
            kwargs["align"] = "L" if kwargs["align"] == "J" else kwargs["align"]  # one line: no justifying
            pdf.cell(rng.choice([0, 30, 60]), 6, text, **kwargs)
            pdf.ln(6)
    return bytes(pdf.output())


def test_fast_text_lines_print_what_fpdf2_prints() -> None:
    """Text lines drawn through the shortened ``_render_styled_text_line`` print fpdf2's bytes."""
    from engine.render import linebreak

    font = Path(__file__).resolve().parent.parent / "templates" / "fonts" / "DejaVuSans.ttf"
    for seed in range(6):
        linebreak.uninstall()
        plain = _cells(font, seed)
        linebreak.install()
        assert _cells(font, seed) == plain, seed
