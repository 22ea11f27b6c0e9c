"""A font face is parsed, subset and embedded only when a document first uses it (issue 15)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from engine.app import planning
from engine.app.clinic import Clinic
from engine.render import fonts

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "templates" / "fonts"
FACES = {"": "DejaVuSans", "B": "DejaVuSans-Bold", "I": "DejaVuSans-Oblique", "BI": "DejaVuSans-BoldOblique"}


def _embedded(pdf: bytes) -> set[str]:
    return {m.decode().split("+")[-1] for m in re.findall(rb"/FontName /(\S+)", pdf)}


def test_the_handout_embeds_only_the_faces_it_uses() -> None:
    fonts.clear()
    r = planning.plan_assessment(
        Clinic(), planning.read_assessment(ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"), handout=True
    )
    assert r.handout is not None
    assert _embedded(r.handout) == {"DejaVuSansBook", "DejaVuSansBold"}  # no oblique text in a handout
    assert fonts.stats()["faces"] == 2  # the oblique faces were never parsed
    for page in PdfReader(io.BytesIO(r.handout)).pages:
        assert page.extract_text()


def _doc(styles: str, *, cached: bool, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(fonts, "enabled", cached)
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    for style, name in FACES.items():
        fonts.add_font(pdf, "body", style, FONTS / f"{name}.ttf")
    pdf.add_page()
    for style in styles.split(","):
        pdf.set_font("body", style, 11)
        pdf.cell(text=f"Zoë ½ ≤ {style or 'regular'} ")
    return bytes(pdf.output())


@pytest.mark.parametrize("styles", ["", "I", "BI,", ",B,I"])
def test_a_face_is_added_at_first_use_with_the_same_bytes_cached_or_not(
    styles: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fonts.clear()
    cached = _doc(styles, cached=True, monkeypatch=monkeypatch)
    plain = _doc(styles, cached=False, monkeypatch=monkeypatch)
    assert cached == plain
    names = {"": "DejaVuSansBook", "B": "DejaVuSansBold", "I": "DejaVuSansOblique", "BI": "DejaVuSansBoldOblique"}
    want = {names[s] for s in styles.split(",")}
    assert _embedded(cached) == want


def test_a_file_that_is_not_a_font_is_refused_when_registered(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"this is not a font")
    with pytest.raises(Exception):  # noqa: B017 - fontTools' own error type, wrapped by the renderer
        fonts.add_font(FPDF(), "body", "I", bad)


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_face_that_breaks_at_first_use_is_a_value_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    data = (FONTS / "DejaVuSans.ttf").read_bytes()
    broken.write_bytes(data[:4096])  # the table directory reads, the tables do not
    pdf = FPDF()
    fonts.add_font(pdf, "body", "", broken)
    with pytest.raises(ValueError, match="not a usable font file"):
        pdf.set_font("body", "", 11)


def test_face_metrics_kept_between_runs_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REHAB_CACHE_DIR", str(tmp_path))
    fonts.clear()
    parsed = _doc(",B,I", cached=True, monkeypatch=monkeypatch)
    entries = sorted(tmp_path.glob("font-*.cache"))
    assert len(entries) == 3  # regular, bold, italic: the faces used
    fonts.clear()
    again = _doc(",B,I", cached=True, monkeypatch=monkeypatch)
    assert all(f.from_disk for f in fonts._faces.values())
    assert again == parsed
    for e in entries:
        e.write_bytes(e.read_bytes()[:-20])  # corrupt: ignored, parsed again
    fonts.clear()
    assert _doc(",B,I", cached=True, monkeypatch=monkeypatch) == parsed
    assert not any(f.from_disk for f in fonts._faces.values())
    fonts.clear()
