"""Stick-figure exercise pictures, drawn as pure vectors with fpdf2.

A picture (the ``picture`` mapping of an exercise record) is one or two poses of a 16-joint stick
figure plus optional props (floor, mat, wall, step, chair, box, band, line, arrow, weight, ball),
all in a 0-100 box whose y axis grows downward. A pose may carry its own props (a band round the
knees, a weight in the hands) that move with it. ``draw_picture`` scales it uniformly into a box on the page; with two
poses the box is split into a start and an end slot joined by a small arrow, numbered 1 and 2; a
single pose (a hold, a stretch, walking) is never numbered. The person's right
side is drawn in the accent colour so the working side is easy to see. Output is deterministic:
the same picture always gives the same drawing operations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf.enums import StrokeCapStyle, StrokeJoinStyle

if TYPE_CHECKING:
    import fpdf

__all__ = ["JOINTS", "PROP_TYPES", "VIEWS", "checked_image", "draw_picture", "oriented", "validate_picture"]

Color = tuple[int, int, int]
Point = tuple[float, float]

JOINTS: tuple[str, ...] = (
    "head", "neck",
    "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_hand", "r_hand",
    "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "l_toe", "r_toe",
)  # fmt: skip
VIEWS: tuple[str, ...] = ("front", "side", "back")
# prop type -> (required keys, optional keys)
PROP_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "floor": (("y",), ()),
    "mat": (("y",), ()),
    "wall": (("x",), ()),
    "step": (("x", "y", "w", "h"), ()),
    "band": (("from", "to"), ()),
    "line": (("from", "to"), ("dashed",)),
    "arrow": (("from", "to"), ()),
    "weight": (("at",), ()),
    "chair": (("x", "y", "w", "h"), ()),
    "box": (("x", "y", "w", "h"), ()),
    "ball": (("at",), ()),
}
PICTURE_KEYS = ("view", "alt", "poses", "props", "working", "facing", "file", "licence", "author")
MAX_PIXELS = 25_000_000  # a clinic picture or logo larger than this is refused (decompression bombs)

HEAD_R = 5.0  # head radius in picture units
BALL_R = 4.0  # a ball or folded pillow (picture units)
_LIMBS_LEFT: tuple[tuple[str, str], ...] = (
    ("l_shoulder", "l_elbow"), ("l_elbow", "l_hand"),
    ("l_hip", "l_knee"), ("l_knee", "l_ankle"), ("l_ankle", "l_toe"),
)  # fmt: skip
_LIMBS_RIGHT: tuple[tuple[str, str], ...] = tuple(
    (a.replace("l_", "r_", 1), b.replace("l_", "r_", 1)) for a, b in _LIMBS_LEFT
)
_GREY: Color = (150, 150, 150)
_LIGHT: Color = (225, 225, 225)


# --------------------------------------------------------------------------------------- checks
def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_point(v: object, where: str, errors: list[str]) -> None:
    if not (isinstance(v, list | tuple) and len(v) == 2 and all(_is_num(c) for c in v)):
        errors.append(f"{where}: expected [x, y] with two numbers, got {v!r}")
        return
    for c, axis in zip(v, "xy", strict=True):
        if not 0 <= c <= 100:
            errors.append(f"{where}: {axis}={c} is outside 0-100")


def _check_coord(v: object, where: str, errors: list[str]) -> None:
    if not _is_num(v):
        errors.append(f"{where}: expected a number, got {v!r}")
    elif not 0 <= float(v) <= 100:  # type: ignore[arg-type]
        errors.append(f"{where}: {v} is outside 0-100")


def _check_props(props: object, at: str) -> list[str]:
    errors: list[str] = []
    if props is None:
        return errors
    if not isinstance(props, list):
        return [f"{at}: expected a list"]
    for i, prop in enumerate(props):
        where = f"{at}[{i}]"
        if not isinstance(prop, Mapping):
            errors.append(f"{where}: expected a mapping")
            continue
        kind = prop.get("type")
        if kind not in PROP_TYPES:
            errors.append(f"{where}.type: unknown prop type {kind!r}")
            continue
        required, optional = PROP_TYPES[kind]
        for key in required:
            if key not in prop:
                errors.append(f"{where}: {kind} needs {key!r}")
        for key, value in prop.items():
            if key == "type":
                continue
            if key not in required and key not in optional:
                errors.append(f"{where}: unknown key {key!r} for {kind}")
            elif key in ("from", "to", "at"):
                _check_point(value, f"{where}.{key}", errors)
            elif key == "dashed":
                if not isinstance(value, bool):
                    errors.append(f"{where}.dashed: expected true or false")
            else:
                _check_coord(value, f"{where}.{key}", errors)
        if (
            kind in ("step", "chair", "box")
            and all(_is_num(prop.get(k)) for k in ("x", "y", "w", "h"))
            and (prop["x"] + prop["w"] > 100 or prop["y"] + prop["h"] > 100)
        ):
            errors.append(f"{where}: {kind} box reaches outside 0-100")
    return errors


def validate_picture(picture: Mapping[str, Any]) -> list[str]:
    """Return plain error strings for a picture mapping (empty list = valid)."""
    errors: list[str] = []
    if not isinstance(picture, Mapping):
        return [f"picture: expected a mapping, got {type(picture).__name__}"]
    for key in picture:
        if key not in PICTURE_KEYS:
            errors.append(f"picture: unknown key {key!r}")
    if picture.get("view") not in VIEWS:
        views = ", ".join(VIEWS)
        errors.append(f"picture.view: must be one of {views}, got {picture.get('view')!r}")
    alt = picture.get("alt")
    if not isinstance(alt, str) or not alt.strip():
        errors.append("picture.alt: a short non-empty text is required")
    poses = picture.get("poses")
    if not isinstance(poses, list) or not 1 <= len(poses) <= 2:
        errors.append("picture.poses: expected a list of 1 or 2 poses")
        poses = poses if isinstance(poses, list) else []
    for i, pose in enumerate(poses):
        where = f"picture.poses[{i}]"
        joints = pose.get("joints") if isinstance(pose, Mapping) else None
        if not isinstance(joints, Mapping):
            errors.append(f"{where}.joints: expected a mapping of joint -> [x, y]")
            continue
        if isinstance(pose, Mapping):
            errors.extend(f"{where}: unknown key {k!r}" for k in pose if k not in ("joints", "label", "props"))
            errors.extend(_check_props(pose.get("props", []), f"{where}.props"))
            label = pose.get("label")
            if label is not None and not (isinstance(label, str) and 0 < len(label.strip()) <= 20):
                errors.append(f"{where}.label: expected a short word (1-20 characters)")
        for name in JOINTS:
            if name not in joints:
                errors.append(f"{where}.joints: missing joint {name!r}")
            else:
                _check_point(joints[name], f"{where}.joints.{name}", errors)
        errors.extend(f"{where}.joints: unknown joint {n!r}" for n in joints if n not in JOINTS)
    errors.extend(_check_props(picture.get("props", []), "picture.props"))
    return errors


# ---------------------------------------------------------------------------------------- layout
def _pt(v: Sequence[float]) -> Point:
    return (float(v[0]), float(v[1]))


def _content_bbox(
    poses: Sequence[Mapping[str, Any]], props: Sequence[Mapping[str, Any]]
) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for pose in poses:
        for name, p in pose["joints"].items():
            r = HEAD_R if name == "head" else 1.5
            xs += [p[0] - r, p[0] + r]
            ys += [p[1] - r, p[1] + r]
    for prop in props:
        kind = prop["type"]
        if kind in ("floor", "mat"):
            ys += [prop["y"] - (2.5 if kind == "mat" else 0), prop["y"] + 1]
        elif kind == "wall":
            xs += [prop["x"] - 1, prop["x"] + 1]
        elif kind in ("step", "chair", "box"):
            xs += [prop["x"], prop["x"] + prop["w"]]
            ys += [prop["y"], prop["y"] + prop["h"]]
        elif kind in ("band", "line", "arrow"):
            for k in ("from", "to"):
                xs.append(prop[k][0])
                ys.append(prop[k][1])
        elif kind == "weight":
            xs += [prop["at"][0] - 4, prop["at"][0] + 4]
            ys += [prop["at"][1] - 4, prop["at"][1] + 7]
        elif kind == "ball":
            xs += [prop["at"][0] - BALL_R, prop["at"][0] + BALL_R]
            ys += [prop["at"][1] - BALL_R, prop["at"][1] + BALL_R]
    if not xs or not ys:
        return (0.0, 0.0, 100.0, 100.0)
    x0, x1 = max(0.0, min(xs) - 3), min(100.0, max(xs) + 3)
    y0, y1 = max(0.0, min(ys) - 3), min(100.0, max(ys) + 3)
    # keep a sensible minimum size so a small figure is not blown up
    if x1 - x0 < 40:
        cx = (x0 + x1) / 2
        x0, x1 = cx - 20, cx + 20
    if y1 - y0 < 30:
        cy = (y0 + y1) / 2
        y0, y1 = cy - 15, cy + 15
    return (x0, y0, x1, y1)


class _Map:
    """Uniform scale + offset from picture units to page millimetres."""

    def __init__(self, bbox: tuple[float, float, float, float], x: float, y: float, w: float, h: float):
        bx0, by0, bx1, by1 = bbox
        bby0, bby1 = by0, by1
        self.s = min(w / (bx1 - bx0), h / (by1 - by0))
        self.ox = x + (w - (bx1 - bx0) * self.s) / 2 - bx0 * self.s
        self.oy = y + (h - (by1 - by0) * self.s) / 2 - by0 * self.s
        self.left, self.right = x, x + w
        self.top = self.oy + bby0 * self.s
        self.bottom = self.oy + bby1 * self.s

    def __call__(self, p: Sequence[float]) -> Point:
        return (self.ox + float(p[0]) * self.s, self.oy + float(p[1]) * self.s)


def _line(pdf: fpdf.FPDF, a: Point, b: Point) -> None:
    pdf.line(a[0], a[1], b[0], b[1])


def _arrow_head(pdf: fpdf.FPDF, a: Point, b: Point, size: float, color: Color) -> None:
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    pts = [b]
    for da in (2.6, -2.6):
        pts.append((b[0] + size * math.cos(ang + da), b[1] + size * math.sin(ang + da)))
    pdf.set_fill_color(*color)
    pdf.polygon(pts, style="F")


def _zigzag(a: Point, b: Point, amp: float, n: int, centre: float) -> list[Point]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    # zig up first (a vertical band: toward the middle of the page at x=centre), with an even
    # count, so that the drawing of the mirrored band is the mirror image of the band
    if ny > 1e-9 or (abs(ny) <= 1e-9 and nx * (centre - (a[0] + b[0]) / 2) < 0):
        nx, ny = -nx, -ny
    n += n % 2
    pts = [a]
    for i in range(1, n):
        t = i / n
        sgn = 1 if i % 2 else -1
        pts.append((a[0] + dx * t + nx * amp * sgn, a[1] + dy * t + ny * amp * sgn))
    pts.append(b)
    return pts


def _draw_ground_props(pdf: fpdf.FPDF, props: Iterable[Mapping[str, Any]], m: _Map, color: Color) -> None:
    s = m.s
    for prop in props:
        kind = prop["type"]
        if kind == "floor":
            y = m((0, prop["y"]))[1]
            pdf.set_draw_color(*_GREY)
            pdf.set_line_width(max(0.25, 0.6 * s))
            pdf.line(m.left + 1, y, m.right - 1, y)
        elif kind == "mat":
            y = m((0, prop["y"]))[1]
            pdf.set_fill_color(*_LIGHT)
            pdf.set_draw_color(*_GREY)
            pdf.set_line_width(max(0.2, 0.3 * s))
            pdf.rect(m.left + 2, y - 2.0 * s, (m.right - m.left) - 4, 2.0 * s, style="DF")
        elif kind == "wall":
            x = m((prop["x"], 0))[0]
            pdf.set_draw_color(*_GREY)
            pdf.set_line_width(max(0.25, 0.6 * s))
            pdf.line(x, m.top, x, m.bottom)
        elif kind in ("step", "chair", "box"):
            p0 = m((prop["x"], prop["y"]))
            pdf.set_fill_color(*_LIGHT)
            pdf.set_draw_color(*_GREY)
            pdf.set_line_width(max(0.25, 0.5 * s))
            pdf.rect(p0[0], p0[1], prop["w"] * s, prop["h"] * s, style="DF")
        elif kind == "ball":  # behind the legs: a ball squeezed between the knees
            cx, cy = m(prop["at"])
            pdf.set_fill_color(*_LIGHT)
            pdf.set_draw_color(*_GREY)
            pdf.set_line_width(max(0.3, 0.6 * s))
            pdf.circle(cx, cy, BALL_R * s, style="DF")
        elif kind == "line":
            a, b = m(prop["from"]), m(prop["to"])
            pdf.set_draw_color(*color)
            pdf.set_line_width(max(0.25, 0.5 * s))
            if prop.get("dashed", False):
                with pdf.local_context():
                    pdf.set_dash_pattern(dash=max(0.6, 2.0 * s), gap=max(0.5, 1.5 * s))
                    _line(pdf, a, b)
            else:
                _line(pdf, a, b)


def _draw_top_props(pdf: fpdf.FPDF, props: Iterable[Mapping[str, Any]], m: _Map, color: Color, accent: Color) -> None:
    s = m.s
    for prop in props:
        kind = prop["type"]
        if kind == "band":
            a, b = m(prop["from"]), m(prop["to"])
            n = max(4, int(math.hypot(b[0] - a[0], b[1] - a[1]) / max(0.5, 2.2 * s)))
            pdf.set_draw_color(*accent)
            pdf.set_line_width(max(0.3, 0.9 * s))
            pdf.polyline(_zigzag(a, b, 1.2 * s, n, m((50, 0))[0]))
        elif kind == "arrow":
            a, b = m(prop["from"]), m(prop["to"])
            pdf.set_draw_color(*accent)
            pdf.set_line_width(max(0.3, 0.8 * s))
            ang = math.atan2(b[1] - a[1], b[0] - a[0])
            head = max(1.2, 3.0 * s)
            stem_end = (b[0] - 0.6 * head * math.cos(ang), b[1] - 0.6 * head * math.sin(ang))
            _line(pdf, a, stem_end)
            _arrow_head(pdf, a, b, head, accent)
        elif kind == "weight":
            cx, cy = m(prop["at"])
            pdf.set_fill_color(*color)
            pdf.set_draw_color(*color)
            pdf.set_line_width(max(0.3, 0.8 * s))
            pdf.line(cx, cy - 1.5 * s, cx, cy + 1.0 * s)
            pdf.circle(cx, cy + 3.0 * s, 2.8 * s, style="F")


def _mid(a: Sequence[float], b: Sequence[float]) -> Point:
    return ((float(a[0]) + float(b[0])) / 2, (float(a[1]) + float(b[1])) / 2)


def _facing(picture: Mapping[str, Any], joints: Mapping[str, Sequence[float]]) -> str:
    """Where the face points: the picture's ``facing``, else from the view (side: the way the toes
    point from the ankles)."""
    facing = picture.get("facing")
    if facing:
        return str(facing)
    view = picture.get("view")
    if view == "back":
        return "away"
    if view == "side":
        # the head well ahead of the hips (hands and knees, lying) shows the way; else the toes do
        hx = float(joints["head"][0]) - (float(joints["l_hip"][0]) + float(joints["r_hip"][0])) / 2
        dx = sum(float(joints[f"{s}_toe"][0]) - float(joints[f"{s}_ankle"][0]) for s in ("l", "r"))
        lead = hx if abs(hx) > 12 or abs(dx) < 0.5 else dx
        return "right" if lead >= 0 else "left"
    return "viewer"


def _draw_face(pdf: fpdf.FPDF, centre: Point, r: float, facing: str, neck: Point) -> None:
    """Eyes (and a nose for a profile) so the facing direction is plain. A profile's eye and nose
    point along the page toward ``facing``; the drawing is symmetric under mirroring."""
    pdf.set_fill_color(255, 255, 255)
    cx, cy = centre
    if facing in ("left", "right"):
        sgn = 1.0 if facing == "right" else -1.0
        pdf.circle(cx + sgn * 0.45 * r, cy - 0.15 * r, 0.18 * r, style="F")
        tip = (cx + sgn * 1.35 * r, cy + 0.1 * r)
        pdf.polygon([(cx + sgn * 0.8 * r, cy - 0.25 * r), tip, (cx + sgn * 0.8 * r, cy + 0.4 * r)], style="F")
    elif facing == "viewer":
        # eyes across the head, perpendicular to the neck line (a lying figure too)
        ux, uy = cx - neck[0], cy - neck[1]
        n = math.hypot(ux, uy) or 1.0
        ux, uy = ux / n, uy / n
        px, py = -uy, ux
        for sgn in (-1.0, 1.0):
            pdf.circle(cx + px * 0.38 * r * sgn + ux * 0.2 * r, cy + py * 0.38 * r * sgn + uy * 0.2 * r, 0.16 * r, "F")


def _draw_pose(
    pdf: fpdf.FPDF,
    joints: Mapping[str, Sequence[float]],
    m: _Map,
    color: Color,
    accent: Color,
    working: str = "right",
    facing: str = "viewer",
) -> None:
    s = m.s
    limb_w = max(0.8, 3.6 * s)
    trunk_w = max(1.0, 4.6 * s)
    j = {k: m(v) for k, v in joints.items()}
    mid_sh = _mid(j["l_shoulder"], j["r_shoulder"])
    mid_hip = _mid(j["l_hip"], j["r_hip"])
    work, rest = (_LIMBS_RIGHT, _LIMBS_LEFT) if working == "right" else (_LIMBS_LEFT, _LIMBS_RIGHT)

    def limbs(pairs: Iterable[tuple[str, str]], col: Color) -> None:
        pdf.set_draw_color(*col)
        pdf.set_line_width(limb_w)
        for a, b in pairs:
            _line(pdf, j[a], j[b])

    # the resting side first (behind), then the trunk and head, then the working side in colour
    limbs(rest, _blend(color, 0.35))
    pdf.set_draw_color(*color)
    pdf.set_line_width(trunk_w)
    _line(pdf, j["neck"], mid_sh)
    _line(pdf, mid_sh, mid_hip)
    pdf.set_line_width(limb_w)
    _line(pdf, j["l_shoulder"], j["r_shoulder"])
    _line(pdf, j["l_hip"], j["r_hip"])
    _line(pdf, j["neck"], j["head"])
    pdf.set_fill_color(*color)
    pdf.circle(j["head"][0], j["head"][1], HEAD_R * s, style="F")
    _draw_face(pdf, j["head"], HEAD_R * s, facing, j["neck"])
    limbs(work, accent)


def _blend(color: Color, amount: float) -> Color:
    """``color`` moved ``amount`` of the way to white (the limb on the resting side)."""
    return (
        int(color[0] + (255 - color[0]) * amount),
        int(color[1] + (255 - color[1]) * amount),
        int(color[2] + (255 - color[2]) * amount),
    )


def _badge(pdf: fpdf.FPDF, x: float, y: float, r: float, label: str, fill: Color) -> None:
    """A filled circle with a white label (pose number, L/R mark)."""
    pdf.set_fill_color(*fill)
    pdf.circle(x, y, r, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(style="B", size=max(5.0, r * 2.0 * 72 / 25.4 * 0.62))
    width = pdf.get_string_width(label)
    pdf.text(x - width / 2, y + r * 0.42, label)


def _stacked(bbox: tuple[float, float, float, float], w: float, h: float, n: int) -> bool:
    """Two poses go one above the other when that draws them bigger (wide, low floor poses)."""
    if n < 2:
        return False
    bw, bh = bbox[2] - bbox[0], bbox[3] - bbox[1]
    side = min((w / 2) / bw, h / bh)
    stack = min(w / bw, (h / 2) / bh)
    return stack > side * 1.15


def draw_picture(
    pdf: fpdf.FPDF,
    picture: Mapping[str, Any],
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    color: Color = (40, 40, 40),
    accent: Color = (0, 110, 160),
    frame: bool = True,
    marks: tuple[str, str] | None = None,
) -> None:
    """Draw the picture (the ``picture`` mapping of an exercise, as plain dict) into the box (mm).

    Two poses are numbered 1 (start) and 2 (end), side by side or, for wide floor poses, one above
    the other. The working side (``picture["working"]``, default right) is drawn in ``accent``;
    ``marks`` = (working, other) letters (e.g. ("R", "L")) are put beside the feet. Invalid
    pictures are not drawn: the box gets a frame and the alt text instead. The caller's graphics
    state (colours, line width, dash, font) is restored afterwards.
    """
    with pdf.local_context(stroke_cap_style=StrokeCapStyle.ROUND, stroke_join_style=StrokeJoinStyle.ROUND):
        if frame:
            pdf.set_draw_color(*_LIGHT)
            pdf.set_line_width(0.25)
            pdf.rect(x, y, w, h, style="D", round_corners=True, corner_radius=min(2.0, w / 10))
        if validate_picture(picture):
            pdf.set_text_color(*_GREY)
            pdf.set_font_size(7)
            pdf.set_xy(x + 1, y + 1)
            pdf.multi_cell(
                w - 2,
                3,
                str(picture.get("alt", "picture missing")) if isinstance(picture, Mapping) else "",
            )
            return
        poses: list[Mapping[str, Any]] = list(picture["poses"])
        props: list[Mapping[str, Any]] = list(picture.get("props") or [])
        working = str(picture.get("working", "right"))
        bbox = _content_bbox(poses, props + [q for pose in poses for q in pose.get("props") or []])
        pad = min(w, h) * 0.04
        n = len(poses)
        stacked = _stacked(bbox, w - 2 * pad, h - 2 * pad, n)
        gap = (h if stacked else w) * 0.06 if n == 2 else 0.0
        if stacked:
            slot_w, slot_h = w - 2 * pad, (h - 2 * pad - gap) / n
        else:
            slot_w, slot_h = (w - 2 * pad - gap) / n, h - 2 * pad
        badge_r = max(1.6, min(w, h) * 0.045)
        for i, pose in enumerate(poses):
            sx = x + pad + (0 if stacked else i * (slot_w + gap))
            sy = y + pad + (i * (slot_h + gap) if stacked else 0)
            m = _Map(bbox, sx, sy, slot_w, slot_h)
            own = props + list(pose.get("props") or [])
            _draw_ground_props(pdf, own, m, color)
            _draw_pose(pdf, pose["joints"], m, color, accent, working, _facing(picture, pose["joints"]))
            _draw_top_props(pdf, own, m, color, accent)
            if marks:
                _foot_marks(pdf, pose["joints"], m, working, marks, color, accent, badge_r * 0.85)
            bx = sx + badge_r + 0.3
            if n == 2:
                _badge(pdf, bx, sy + badge_r + 0.3, badge_r, str(i + 1), _GREY)
                bx += badge_r + 0.8
            else:
                bx -= badge_r
            if pose.get("label"):
                pdf.set_text_color(*_GREY)
                pdf.set_font(style="B", size=max(5.0, badge_r * 2.0 * 72 / 25.4 * 0.55))
                pdf.text(bx, sy + badge_r * 1.45 + 0.3, str(pose["label"]))
        if n == 2:
            # small "start -> end" arrow between the two slots
            if stacked:
                ax = x + w - pad - badge_r * 2
                ay0, ay1 = y + pad + slot_h + gap * 0.1, y + pad + slot_h + gap * 0.9
                pdf.set_draw_color(*_GREY)
                pdf.set_line_width(max(0.3, gap * 0.08))
                pdf.line(ax, ay0, ax, ay1 - gap * 0.3)
                _arrow_head(pdf, (ax, ay0), (ax, ay1), gap * 0.45, _GREY)
            else:
                ax0 = x + pad + slot_w + gap * 0.1
                ax1 = x + pad + slot_w + gap * 0.9
                ay = y + h / 2
                pdf.set_draw_color(*_GREY)
                pdf.set_line_width(max(0.3, gap * 0.06))
                pdf.line(ax0, ay, ax1 - gap * 0.3, ay)
                _arrow_head(pdf, (ax0, ay), (ax1, ay), gap * 0.4, _GREY)


def _foot_marks(
    pdf: fpdf.FPDF,
    joints: Mapping[str, Sequence[float]],
    m: _Map,
    working: str,
    marks: tuple[str, str],
    color: Color,
    accent: Color,
    r: float,
) -> None:
    """Letters (R / L) beside each foot, the working one in the accent colour."""
    w, o = ("r", "l") if working == "right" else ("l", "r")
    wa, oa = m(joints[f"{w}_ankle"]), m(joints[f"{o}_ankle"])
    for (px, py), label, fill, other in ((wa, marks[0], accent, oa), (oa, marks[1], _blend(color, 0.45), wa)):
        dx = px - other[0]
        dx = (1.0 if dx >= 0 else -1.0) * r * 1.9 if abs(dx) > r * 0.5 else r * 1.9
        cx = min(max(px + dx, m.left + r), m.right - r)
        _badge(pdf, cx, py - r * 0.3, r, label, fill)


# ------------------------------------------------------------------------------- side and files
def _mirror_name(name: str) -> str:
    if name.startswith("l_"):
        return "r_" + name[2:]
    if name.startswith("r_"):
        return "l_" + name[2:]
    return name


def _mirror_point(p: Sequence[float]) -> list[float]:
    return [round(100.0 - float(p[0]), 6), float(p[1])]


def _mirror_props(props: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for prop in props:
        q = dict(prop)
        for key in ("from", "to", "at"):
            if key in q:
                q[key] = _mirror_point(q[key])
        if "x" in q:
            q["x"] = round(100.0 - float(q["x"]) - float(q.get("w") or 0), 6)
        out.append(q)
    return out


def mirror(picture: Mapping[str, Any]) -> dict[str, Any]:
    """The picture as seen in a mirror: x → 100 − x, the person's left and right swapped, the
    working side and the facing direction swapped. Props (including step boxes) are mirrored too."""
    out: dict[str, Any] = dict(picture)
    out["poses"] = []
    for pose in picture.get("poses") or []:
        q = {**pose, "joints": {_mirror_name(k): _mirror_point(v) for k, v in pose["joints"].items()}}
        if pose.get("props"):
            q["props"] = _mirror_props(pose["props"])
        out["poses"].append(q)
    out["props"] = _mirror_props(picture.get("props") or [])
    out["working"] = "left" if picture.get("working", "right") == "right" else "right"
    if isinstance(picture.get("alt"), str):
        from engine.render.text import swap_sides

        out["alt"] = swap_sides(picture["alt"])
    facing = picture.get("facing")
    if facing in ("left", "right"):
        out["facing"] = "right" if facing == "left" else "left"
    return out


def oriented(picture: Mapping[str, Any], side: object) -> dict[str, Any]:
    """The picture drawn for the prescribed side: mirrored when the drawing shows the other side
    working. ``both`` (or no side) keeps the drawing as it is."""
    working = picture.get("working", "right")
    if side in ("left", "right") and side != working:
        return mirror(picture)
    return {**picture, "working": working}


_SVG_EXTERNAL = re.compile(
    r"""(?:href\s*=\s*["'](?!\#)[^"']*["'])|(?:url\(\s*["']?(?!\#)[^)]*\))|<!ENTITY|<!DOCTYPE|@import|<foreignObject|<script""",
    re.IGNORECASE,
)


def checked_image(folder: Path, name: str, what: str) -> Path:
    """Check a clinic picture or logo before fpdf2 reads it: inside ``folder`` (no URL, no ``..``,
    no symlink out), an SVG with no reference to another file or host, a PNG/JPEG of sane size.

    Raises:
        ValueError: the file is refused, with the reason.
    """
    if "://" in name or name.startswith(("data:", "file:")):
        raise ValueError(f"{what}: {name!r} is a URL; only files inside {folder} are allowed")
    path = (folder / name).resolve()
    root = folder.resolve()
    if root not in path.parents:
        raise ValueError(f"{what}: {name!r} is outside the folder {folder}")
    if not path.is_file():
        raise ValueError(f"{what}: file not found: {folder / name}")
    suffix = path.suffix.lower()
    if suffix == ".svg":
        body = path.read_text(encoding="utf-8", errors="replace")
        hit = _SVG_EXTERNAL.search(body)
        if hit:
            raise ValueError(f"{what}: {name} refers to another file or host ({hit.group(0)[:60]!r}); refused")
        return path
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise ValueError(f"{what}: {name} must be an .svg, .png, .jpg or .jpeg file")
    try:
        from PIL import Image

        with Image.open(path) as img:
            width, height = img.size
    except Exception as exc:  # PIL's DecompressionBombError, UnidentifiedImageError, OSError …
        raise ValueError(f"{what}: {name} cannot be read as an image ({type(exc).__name__})") from None
    if width * height > MAX_PIXELS:
        raise ValueError(f"{what}: {name} is {width}×{height} pixels; use a picture under 25 megapixels")
    return path
