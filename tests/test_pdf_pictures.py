"""Exercise pictures: every exercise draws at both sides, the left drawing is the mirror of the right,
and clinic picture files stay inside their folder (issue 10, issue 11)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from engine.errors import InputError
from engine.load.library import load_library
from engine.render import figure
from tests.conftest import ROOT

LIB = load_library(ROOT / "exercises")
IDS = sorted(LIB.exercises)
BOX = (10.0, 10.0, 64.0, 46.0)  # x, y, w, h in mm


class _Recorder(FPDF):
    """An FPDF that records every stroke and fill the picture makes."""

    def __init__(self) -> None:
        super().__init__()
        self.add_page()
        self.set_font("helvetica", size=8)
        self.ops: list[tuple[str, tuple[float, ...]]] = []

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:  # type: ignore[override]
        self.ops.append(("line", (x1, y1, x2, y2)))

    def circle(self, x: float, y: float, radius: float, style: Any = None) -> None:  # type: ignore[override]
        self.ops.append(("circle", (x, y, radius)))

    def text(self, x: float, y: float, text: str = "") -> None:  # type: ignore[override]
        # a letter sits on a badge circle drawn just before it: badges are upright, not mirrored
        if self.ops and self.ops[-1][0] == "circle":
            self.ops.pop()
        self.ops.append((f"text:{text}", (x, y)))


def _draw(picture: dict[str, Any], side: str) -> list[tuple[str, tuple[float, ...]]]:
    doc = _Recorder()
    figure.draw_picture(doc, figure.oriented(picture, side), *BOX, marks=("R", "L"), frame=False)
    return doc.ops


def _mirror_x(x: float) -> float:
    return 2 * BOX[0] + BOX[2] - x


def _segments(ops: list[tuple[str, tuple[float, ...]]], mirror: bool) -> list[tuple[float, ...]]:
    out = []
    for kind, v in ops:
        if kind == "line":
            a, b = (v[0], v[1]), (v[2], v[3])
            if mirror:
                a, b = (_mirror_x(a[0]), a[1]), (_mirror_x(b[0]), b[1])
            a, b = (round(a[0], 1), round(a[1], 1)), (round(b[0], 1), round(b[1], 1))
            out.append((*min(a, b), *max(a, b)))
        elif kind == "circle":
            out.append((round(_mirror_x(v[0]) if mirror else v[0], 2), round(v[1], 2), round(v[2], 2)))
    return sorted(out)


@pytest.mark.parametrize("ex_id", IDS)
def test_every_picture_draws_at_both_sides_and_left_mirrors_right(ex_id: str) -> None:
    picture = LIB.exercises[ex_id].picture.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert not figure.validate_picture(picture), figure.validate_picture(picture)
    right, left = _draw(picture, "right"), _draw(picture, "left")
    assert right and left
    # each pose of the left drawing is that pose of the right drawing seen in a mirror (the poses
    # keep their order 1 → 2 across the page; badge letters are drawn upright)
    for pose in picture["poses"]:
        one = {**picture, "poses": [pose]}
        rs, ls = _segments(_draw(one, "right"), mirror=True), _segments(_draw(one, "left"), mirror=False)
        assert len(rs) == len(ls)
        for a, b in zip(rs, ls, strict=True):
            assert all(math.isclose(p, q, abs_tol=0.15) for p, q in zip(a, b, strict=True)), (a, b)
    # marked: the working foot carries the side letter
    assert any(k == "text:R" for k, _ in right) and any(k == "text:L" for k, _ in left)


def test_mirror_swaps_sides_and_words() -> None:
    picture = LIB.exercises["wb-glute-med-hold"].picture.model_dump(mode="json", by_alias=True, exclude_none=True)
    left = figure.oriented(picture, "left")
    assert left["working"] == "left"
    assert left["poses"][0]["joints"]["l_ankle"][0] == pytest.approx(100 - picture["poses"][0]["joints"]["r_ankle"][0])
    assert "left leg" in left["alt"] and "right fingertips" not in left["alt"]
    assert figure.oriented(picture, "right") == {**picture, "working": "right"}


def test_two_poses_are_numbered() -> None:
    picture = LIB.exercises["bridge-double"].picture.model_dump(mode="json", by_alias=True, exclude_none=True)
    ops = _draw(picture, "both")
    assert ("text:1" in {k for k, _ in ops}) and ("text:2" in {k for k, _ in ops})


@pytest.mark.parametrize(
    "name",
    ["../outside.svg", "/etc/passwd.png", "https://example.com/x.svg", "pics/../../x.png", "C:/x.png"],
)
def test_picture_file_outside_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    src = (ROOT / "exercises" / "clam.yaml").read_text(encoding="utf-8")
    src = src.replace(
        "picture:\n  view:", f"picture:\n  file: {name!r}\n  licence: CC-BY-4.0\n  author: A Clinic\n  view:"
    )
    folder = tmp_path / "ex"
    folder.mkdir()
    for p in (ROOT / "exercises").glob("*.yaml"):
        (folder / p.name).write_text(src if p.name == "clam.yaml" else p.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_library(folder)
    assert "clam.yaml" in str(err.value) and "picture" in str(err.value)


def test_checked_image_refuses_external_svg_symlink_and_huge_png(tmp_path: Path) -> None:
    (tmp_path / "ok.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5" fill="url(#g)"/></svg>'
    )
    assert figure.checked_image(tmp_path, "ok.svg", "picture") == (tmp_path / "ok.svg").resolve()
    for body in (
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><image xlink:href="http://evil.example/x.png"/></svg>',
        '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
        "<svg><style>@import url(http://evil.example/a.css);</style></svg>",
    ):
        (tmp_path / "bad.svg").write_text(body)
        with pytest.raises(ValueError, match="refers to another file or host"):
            figure.checked_image(tmp_path, "bad.svg", "picture")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    outside.write_bytes(b"x")
    (tmp_path / "link.png").symlink_to(outside)
    with pytest.raises(ValueError, match="outside"):
        figure.checked_image(tmp_path, "link.png", "picture")
    from PIL import Image

    Image.new("1", (6000, 6000)).save(tmp_path / "big.png")
    with pytest.raises(ValueError, match=r"megapixels|cannot be read"):
        figure.checked_image(tmp_path, "big.png", "picture")


def test_clinic_svg_prints_with_credits_and_outside_path_is_refused(tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader

    from engine.load.content import load_content
    from engine.plan.pipeline import evaluate, load_assessment
    from engine.render import pdf
    from engine.render.handout import load_template
    from engine.render.view import build

    (tmp_path / "pic.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="70" viewBox="0 0 100 70"><rect width="30" height="60"/></svg>'
    )
    content = load_content()
    r = evaluate(content, load_assessment(ROOT / "examples" / "itbs-unilateral-right-drop.yaml"))
    first = content.library.exercises[r.plan.exercises[0].id]

    def with_file(name: str) -> bytes:
        picture = first.picture.model_copy(update={"file": name, "licence": "CC-BY-4.0", "author": "Test Clinic"})
        library = {**content.library.exercises, first.id: first.model_copy(update={"picture": picture})}
        view = build(r.plan, library, r.assessment, exercises_dir=tmp_path)
        return pdf.render_handout(view, template, folder)

    template, folder = load_template()
    words = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(with_file("pic.svg"))).pages)
    assert "Test Clinic, CC-BY-4.0" in words
    with pytest.raises(ValueError, match="outside"):
        with_file("../pic.svg")
