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
from tests.conftest import EXAMPLES, ROOT

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
        self.extents: list[tuple[float, float, float, float]] = []

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:  # type: ignore[override]
        # the stroke colour goes with the line: the working side is in the accent colour
        rgb = [round(c * 255) for c in getattr(self.draw_color, "colors", (0, 0, 0))]
        self.ops.append(("line", (x1, y1, x2, y2, float(sum(c * 256**i for i, c in enumerate(rgb))))))

    def circle(self, x: float, y: float, radius: float, style: Any = None) -> None:  # type: ignore[override]
        self.ops.append(("circle", (x, y, radius)))

    def text(self, x: float, y: float, text: str = "") -> None:  # type: ignore[override]
        # a letter sits on a badge circle drawn just before it: badges are upright, not mirrored
        if self.ops and self.ops[-1][0] == "circle":
            self.ops.pop()
        self.ops.append((f"text:{text}", (x, y)))
        self.extents.append((x, y - self.font_size * 0.75, x + self.get_string_width(text), y))

    def rect(self, x: float, y: float, w: float, h: float, style: Any = None, **kw: Any) -> None:  # type: ignore[override]
        self.ops.append(("rect", (x, y, w, h)))

    def polyline(self, point_list: Any, fill: bool = False, polygon: bool = False, style: Any = None) -> None:  # type: ignore[override]
        self.ops.append(("poly", tuple(c for p in point_list for c in p)))

    def polygon(self, point_list: Any, fill: bool = False, style: Any = None) -> None:  # type: ignore[override]
        self.ops.append(("poly", tuple(c for p in point_list for c in p)))

    def box(self) -> tuple[float, float, float, float]:
        """The smallest box holding every stroke, fill and letter (line width ignored)."""
        xs: list[float] = []
        ys: list[float] = []
        for kind, v in self.ops:
            if kind == "circle":
                xs += [v[0] - v[2], v[0] + v[2]]
                ys += [v[1] - v[2], v[1] + v[2]]
            elif kind == "rect":
                xs += [v[0], v[0] + v[2]]
                ys += [v[1], v[1] + v[3]]
            elif kind in ("line", "poly"):
                pts = v[:4] if kind == "line" else v
                xs += list(pts[0::2])
                ys += list(pts[1::2])
        for x0, y0, x1, y1 in self.extents:
            xs += [x0, x1]
            ys += [y0, y1]
        return (min(xs), min(ys), max(xs), max(ys))


def _recorded(picture: dict[str, Any], side: str) -> _Recorder:
    doc = _Recorder()
    figure.draw_picture(doc, figure.oriented(picture, side), *BOX, marks=("R", "L"), frame=False)
    return doc


def _draw(picture: dict[str, Any], side: str) -> list[tuple[str, tuple[float, ...]]]:
    return _recorded(picture, side).ops


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
            out.append((*min(a, b), *max(a, b), v[4]))
        elif kind == "circle":
            out.append((round(_mirror_x(v[0]) if mirror else v[0], 2), round(v[1], 2), round(v[2], 2)))
        elif kind == "rect":  # steps, chairs, boxes: the left edge of the mirror image is x + w mirrored
            x = _mirror_x(v[0] + v[2]) if mirror else v[0]
            out.append((round(x, 1), round(v[1], 1), round(v[2], 1), round(v[3], 1), 0.0))
        elif kind == "poly":  # bands, arrow heads, noses: compared as a set of corners
            pts = [(_mirror_x(x) if mirror else x, y) for x, y in zip(v[0::2], v[1::2], strict=True)]
            out.append(tuple(c for p in sorted((round(x, 1), round(y, 1)) for x, y in pts) for c in p))
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
            assert len(a) == len(b), (a, b)
            assert all(math.isclose(p, q, abs_tol=0.15) for p, q in zip(a, b, strict=True)), (a, b)
    # marked: the working foot carries the side letter
    assert any(k == "text:R" for k, _ in right) and any(k == "text:L" for k, _ in left)
    # coloured: some strokes are in the accent colour (the working side), the same ones mirrored
    accent = float(0 + 110 * 256 + 160 * 256**2)
    assert any(k == "line" and v[4] == accent for k, v in right)


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


def _still(ex_id: str) -> bool:
    """Every dose is a hold or a time (no reps): the body does not go between two positions."""
    return all(d.reps is None and (d.hold_s is not None or d.minutes is not None) for d in LIB.exercises[ex_id].doses)


@pytest.mark.parametrize("ex_id", IDS)
def test_two_positions_are_two_numbered_poses_and_one_pose_is_never_numbered(ex_id: str) -> None:
    """A movement done in repetitions shows where it starts (1) and ends (2); one pose is kept only
    for a still hold or a continuous walk or run, and is then not numbered as a sequence."""
    picture = LIB.exercises[ex_id].picture.model_dump(mode="json", by_alias=True, exclude_none=True)
    n = len(picture["poses"])
    if not _still(ex_id):
        assert n == 2, f"{ex_id} is done in repetitions: draw its start and end pose"
    for side in ("right", "left", "both"):
        texts = [k for k, _ in _draw(picture, side)]
        numbers = [t for t in texts if t in ("text:1", "text:2")]
        assert numbers == (["text:1", "text:2"] if n == 2 else []), (side, texts)


@pytest.mark.parametrize("ex_id", IDS)
@pytest.mark.parametrize("box", [(10.0, 10.0, 64.0, 46.0), (20.0, 30.0, 40.0, 60.0), (5.0, 5.0, 90.0, 30.0)])
def test_pictures_stay_within_their_box(ex_id: str, box: tuple[float, float, float, float]) -> None:
    picture = LIB.exercises[ex_id].picture.model_dump(mode="json", by_alias=True, exclude_none=True)
    x, y, w, h = box
    for side in ("right", "left"):
        doc = _Recorder()
        figure.draw_picture(doc, figure.oriented(picture, side), x, y, w, h, marks=("R", "L"), frame=False)
        x0, y0, x1, y1 = doc.box()
        assert x0 >= x - 0.01 and y0 >= y - 0.01 and x1 <= x + w + 0.01 and y1 <= y + h + 0.01, (side, doc.box())


def test_picture_at_print_size_is_wide_and_thick_enough() -> None:
    """Printed at 100 % the picture is at least 60 mm wide and the limbs at least ~1 mm thick."""
    from engine.render import exercise_page as pdfmod

    assert pdfmod.PIC_W >= 60
    picture = LIB.exercises["clam"].picture.model_dump(mode="json", by_alias=True, exclude_none=True)
    widths: list[float] = []

    class _Widths(_Recorder):
        def set_line_width(self, width: float) -> None:  # type: ignore[override]
            widths.append(width)
            super().set_line_width(width)

    doc = _Widths()
    figure.draw_picture(doc, picture, 10, 10, pdfmod.PIC_W, pdfmod.PIC_W * pdfmod.PIC_RATIO, frame=False)
    assert max(widths) >= 1.0


SIDE_LYING = sorted(i for i in IDS if LIB.exercises[i].lies_on)


@pytest.mark.parametrize("ex_id", SIDE_LYING)
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("sore", [None, "left", "right"])
def test_side_lying_label_picture_and_steps_agree(ex_id: str, side: str, sore: str | None) -> None:
    """A one-side side-lying exercise is titled with where to lie ("Lie on your right side") or
    which leg is on top ("Right leg on top"); the picture lies that way up, and the client is
    never told, drawn or labelled to lie on a sore gluteal tendon."""
    from engine.models.assessment import Pain
    from engine.render import exercise_page
    from engine.render import text as textmod
    from engine.render.handout import load_template
    from engine.render.view import build
    from tests.test_handout_truth import _content, _example

    ex = LIB.exercises[ex_id]
    r = _example(EXAMPLES[0])[0]
    item = r.plan.exercises[0].model_copy(update={"id": ex_id, "side": side, "sided": True})
    plan = r.plan.model_copy(update={"status": "exercise", "findings": [], "exercises": [item]})
    pain = (
        [Pain(region="lateral_hip", side=sore, nrs_rest=2, nrs_activity=5, weeks=8, diagnosis="gluteal_tendinopathy")]
        if sore
        else []
    )
    view = build(plan, _content().library.exercises, r.assessment.model_copy(update={"pain": pain}))
    template = load_template()[0]
    how = exercise_page.shown(view, template, item)
    label = exercise_page.exercise_side_label(view, item, how, template)
    works = how.side
    down = works if ex.lies_on == "working" else {"left": "right", "right": "left"}[works]
    assert label == (f"Lie on your {works} side" if ex.lies_on == "working" else f"{works.title()} leg on top")
    assert down != sore, "lies on the sore side"
    steps = " ".join(textmod.exercise_text(s, how.values) for s in ex.steps)
    if "Lie on your" in steps:
        assert steps.split("Lie on your ")[1].startswith(f"{down} side"), steps
    # the picture: the working side coloured is the shown side, and the hip on the floor is the
    # one the client lies on (larger y = lower on the page)
    picture = figure.oriented(ex.picture.model_dump(mode="json", by_alias=True, exclude_none=True), works)
    assert picture["working"] == works
    for pose in picture["poses"]:
        j = pose["joints"]
        w_hip, o_hip = j[f"{works[0]}_hip"][1], j[f"{'r' if works == 'left' else 'l'}_hip"][1]
        assert (w_hip - o_hip > 0.5) if down == works else (o_hip - w_hip > 0.5), (pose["joints"], down)
