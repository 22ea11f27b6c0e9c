"""Gait-tool export → assessment (Contract 1) with the findings measured, the rest left to ask.

Sign convention (OpenSim model axes: X forward, Y up, Z right; OpenCap uses the same models):

* ``pelvis_list`` is the pelvis's rotation about the forward axis; **positive = the right side of
  the pelvis is lower** (the pelvis lists to the right). Checked against the model OpenCap fits
  (LaiArnoldModified2017: ``ground_pelvis`` turns by pelvis_tilt about Z, then pelvis_list about
  the pelvis's X, then pelvis_rotation about Y; the right ASIS is at +Z, which a positive turn about
  X lowers) and against a real OpenCap trial (tests/data/opencap-walk).
* ``lumbar_bending`` is the trunk relative to the pelvis about the same axis; **positive = the
  trunk bends to the right**. The trunk's lean from vertical is ``pelvis_list + lumbar_bending``
  (exact when pelvic tilt and rotation are small; ``--trunk pelvis`` uses ``lumbar_bending``
  alone). A CSV may give that lean directly as ``trunk_lean`` (positive = toward the right).
* ``hip_adduction_r/_l``: positive = adduction (OpenSim's convention on both sides).

Per stance window (the side is always the STANCE leg, as everywhere in the assessment):

* left stance: contralateral pelvic drop = peak of ``+pelvis_list`` (the right side drops);
  trunk lean toward the stance side = peak of ``-(trunk)`` (leaning left);
* right stance: drop = peak of ``-pelvis_list``; trunk lean = peak of ``+trunk``.

Each peak is refined by a parabola through the top sample and its neighbours, the per-step peaks
are kept in ``source.windows``, and the finding is their mean (Dingenen 2018: average ≥ 7 steps;
fewer gives a warning). Cadence = steps per minute between the first and last foot contact.

With a ``.trc`` heel-marker file the stance windows come from the heels (:func:`stance_from_heels`)
and so does the step width at each contact (:func:`step_widths`: across the other foot's line of
progression, negative for a crossover), kept per window and averaged into ``findings.step_width``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from engine import __version__
from engine.errors import Diagnostic, InputError
from engine.interop.tables import Markers, Table, read_csv, read_mot, read_trc
from engine.models.base import Range, StrictModel

FORMATS = ("opencap", "opensim", "kinovea", "csv")
SIGNALS = ("pelvis_list", "lumbar_bending", "trunk_lean", "hip_adduction_r", "hip_adduction_l")
"""Signals the import understands (``--map COLUMN=SIGNAL``; ``COLUMN=-SIGNAL`` flips the sign)."""
MIN_STEPS = 7
NAME_TO_COMPLETE = "(name to complete)"
RIGHT_HEELS = ("RHeel", "r_calc_study", "RHEE", "R.Heel", "r.calc", "RCAL", "R_Heel")
LEFT_HEELS = ("LHeel", "L_calc_study", "l_calc_study", "LHEE", "L.Heel", "L.calc", "LCAL", "L_Heel")
_KINOVEA_ALIASES = {
    "pelvis_list": ("pelvis", "pelvis_list", "pelvic_list", "pelvic_obliquity", "pelvis_obliquity", "pelvic_drop"),
    "trunk_lean": ("trunk", "trunk_lean", "lateral_trunk_lean", "trunk_lateral_lean", "trunk_lateral"),
    "lumbar_bending": ("lumbar_bending",),
    "hip_adduction_r": ("hip_adduction_r", "right_hip_adduction", "r_hip_adduction"),
    "hip_adduction_l": ("hip_adduction_l", "left_hip_adduction", "l_hip_adduction"),
}


@dataclass(frozen=True)
class ImportOptions:
    """What the clinician adds on the command line (or the web desk's form)."""

    mapping: tuple[str, ...] = ()
    """``COLUMN=SIGNAL`` (or ``COLUMN=-SIGNAL``, or ``COLUMN=time``)."""
    name: str | None = None
    client_id: str | None = None
    assessed_on: dt.date | None = None
    clinician: str | None = None
    clinic: str | None = None
    units: Literal["deg", "rad"] | None = None
    """Override the file's units (a .mot says inDegrees; CSV defaults to degrees)."""
    trunk: Literal["global", "pelvis"] = "global"
    heel_markers: tuple[str, str] | None = None
    """(right, left) heel marker names in a .trc; default: the usual OpenCap/lab names."""
    contact_fraction: float = 0.2
    """Heel counts as on the ground below this fraction of its height range (.trc only)."""

    @classmethod
    def of(cls, value: ImportOptions | Mapping[str, Any] | None) -> ImportOptions:
        """Accept options as this class, a plain mapping (web form) or None."""
        if value is None:
            return cls()
        if isinstance(value, ImportOptions):
            return value
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InputError.at(
                "import", f"unknown import option '{unknown[0]}'", hint="options: " + ", ".join(sorted(known))
            )
        data = dict(value)
        if "mapping" in data:
            data["mapping"] = tuple(data["mapping"] or ())
        if data.get("heel_markers") is not None:
            data["heel_markers"] = tuple(data["heel_markers"])
        if isinstance(data.get("assessed_on"), str):
            data["assessed_on"] = _date(data["assessed_on"])
        return cls(**data)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError.at("--date", f"'{text}' is not a date written like 2026-11-20") from None


@dataclass(frozen=True)
class Window:
    """A stance window: the stance leg and its start and end in seconds."""

    side: Literal["left", "right"]
    start: float
    end: float
    line: int = 0


@dataclass
class Imported:
    """The result of an import: the assessment data and what was noticed on the way."""

    data: dict[str, Any]
    diagnostics: list[Diagnostic] = field(default_factory=list)


# ------------------------------------------------------------------------------ inputs

Input = Path | str | tuple[str, bytes]


def _read(item: Input) -> tuple[str, bytes]:
    if isinstance(item, tuple):
        return item
    name = str(item)
    try:
        with Path(item).open("rb") as fh:
            return name, fh.read(50_000_001)
    except FileNotFoundError:
        raise InputError.at(name, "file not found") from None
    except IsADirectoryError:
        raise InputError.at(name, "is a folder, not a file") from None
    except OSError as exc:
        raise InputError.at(name, f"cannot read: {exc.strerror or exc}") from None


def _kind(name: str) -> str:
    low = name.lower()
    for ext, kind in ((".mot", "mot"), (".sto", "mot"), (".trc", "trc"), (".yaml", "events"), (".yml", "events")):
        if low.endswith(ext):
            return kind
    if low.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    return "unknown"


class StanceEvent(StrictModel):
    """One stance window typed by the clinician (seconds from the start of the file)."""

    side: Literal["left", "right"]
    """Stance leg."""
    contact: Annotated[float, Range(0)]
    """Foot contact, seconds."""
    toe_off: Annotated[float, Range(0)]
    """Toe-off, seconds."""

    @model_validator(mode="after")
    def _order(self) -> StanceEvent:
        if self.toe_off <= self.contact:
            raise PydanticCustomError("order", "toe_off must come after contact")
        return self


class EventsFile(StrictModel):
    """Stance windows for an import: ``version: 1`` and a list under ``stance``."""

    version: Literal[1]
    """Format version; must be 1."""
    stance: list[StanceEvent]
    """Every stance window to use, e.g. ``{side: left, contact: 1.02, toe_off: 1.25}``."""


def read_events(raw: bytes, name: str) -> list[Window]:
    """Read a stance-events YAML file."""
    from engine.load import yamlio
    from engine.load.validation import validate

    data, index = yamlio.parse(raw, name)
    doc = validate(EventsFile, data, index)
    if not doc.stance:
        raise InputError.at(name, "no stance windows listed under 'stance'", line=index.value(("stance",)).line)
    return [
        Window(e.side, float(e.contact), float(e.toe_off), index.value(("stance", i)).line)
        for i, e in enumerate(doc.stance)
    ]


def _marker(markers: Markers, given: str | None, candidates: Sequence[str], side: str) -> str:
    if given is not None:
        if given not in markers.names:
            raise InputError.at(
                markers.file, f"no marker '{given}'", line=4, hint="markers: " + ", ".join(markers.names[:30])
            )
        return given
    lower = {m.lower(): m for m in markers.names}
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    raise InputError.at(
        markers.file,
        f"no {side} heel marker (looked for {', '.join(candidates[:4])}, …)",
        line=4,
        hint="name it with --heel-markers RIGHT,LEFT",
    )


GAP_FRAMES = 2
"""A heel that pops above the contact line for at most this many frames (noise) stays down."""


def _close_gaps(on: list[bool], gap: int) -> list[bool]:
    out = list(on)
    i, n = 0, len(out)
    while i < n:
        if out[i]:
            i += 1
            continue
        j = i
        while j < n and not out[j]:
            j += 1
        if i > 0 and j < n and j - i <= gap:
            out[i:j] = [True] * (j - i)
        i = j
    return out


FLOOR_WINDOW_S = 0.75
"""Half-width of the sliding window that finds the floor under a heel (a walking stride is under 1.5 s)."""
MIN_STANCE_S = 0.08
"""A heel down for less than this (a brush in swing, a marker dropout) is not a stance; sprint stance is ~0.1 s."""
MIN_LIFT_M = 0.02
"""A heel whose height varies less than this around a frame is standing, not stepping."""


def _heel_down(time: Sequence[float], heights: Sequence[float | None], fraction: float) -> list[bool]:
    """Whether the heel is on the ground at each frame: within ``fraction`` of the local height
    range above the local lowest point, both taken over ±``FLOOR_WINDOW_S``. A local floor, not
    the recording's lowest point, because a reconstructed floor is rarely level: in OpenCap's
    own walking example the planted heel sits 15 cm lower at the end of a 5 m walk than at its
    start, which a single threshold would read as one long stance or none."""
    n = len(heights)
    rate = (n - 1) / (time[-1] - time[0]) if n > 1 and time[-1] > time[0] else 1.0
    half = max(1, round(FLOOR_WINDOW_S * rate))
    out: list[bool] = []
    for i, h in enumerate(heights):
        near = [x for x in heights[max(0, i - half) : i + half + 1] if x is not None]
        if h is None or not near:
            out.append(False)
            continue
        lo, hi = min(near), max(near)
        out.append(hi - lo < MIN_LIFT_M or h <= lo + fraction * (hi - lo))
    return out


def stance_from_heels(raw: bytes, name: str, opts: ImportOptions) -> tuple[list[Window], Markers, dict[str, str]]:
    """Find stance windows from heel-marker height (Y up): the heel is on the ground while it is
    within ``contact_fraction`` of its local height range above the local floor. The window runs from
    heel contact to heel rise, which covers loading response and midstance, where the peaks are.
    Windows cut by the start or end of the recording are left out. Returns the windows, the two
    heel trajectories (for the step width) and the marker names used."""
    every = read_trc(raw, name)
    right = _marker(every, opts.heel_markers[0] if opts.heel_markers else None, RIGHT_HEELS, "right")
    left = _marker(every, opts.heel_markers[1] if opts.heel_markers else None, LEFT_HEELS, "left")
    markers = read_trc(raw, name, [right, left])
    windows: list[Window] = []
    for side, marker in (("right", right), ("left", left)):
        heights = [p[1] if p is not None else None for p in markers.positions[marker]]
        known = [h for h in heights if h is not None]
        if len(known) < 3:
            raise InputError.at(
                name, f"marker '{marker}' has almost no data", line=4, column=markers.name_at.get(marker, 0)
            )
        if max(known) - min(known) <= 0:
            raise InputError.at(
                name,
                f"marker '{marker}' never moves up or down: no steps to find",
                line=4,
                column=markers.name_at.get(marker, 0),
            )
        on = _close_gaps(_heel_down(markers.time, heights, opts.contact_fraction), GAP_FRAMES)
        i, n = 0, len(on)
        while i < n:
            if not on[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and on[j + 1]:
                j += 1
            if i > 0 and j < n - 1 and j - i >= 2 and markers.time[j] - markers.time[i] >= MIN_STANCE_S:
                windows.append(Window(side, markers.time[i], markers.time[j]))  # type: ignore[arg-type]
            i = j + 1
    windows.sort(key=lambda w: (w.start, w.side))
    if not windows:
        raise InputError.at(name, "no complete stance window found from the heel markers", line=4)
    return windows, markers, {"heel_right": right, "heel_left": left}


# ------------------------------------------------------------------------------ step width

STEP_WIDTH_RANGE_CM = (-15.0, 40.0)
"""What the assessment accepts for ``findings.step_width.cm``; outside it the markers are suspect."""


def _planted(markers: Markers, marker: str, start: float, end: float) -> tuple[float, float] | None:
    """Median horizontal position (X, Z) of a heel over a stance window (the foot is down)."""
    xs = [
        p
        for t, p in zip(markers.time, markers.positions[marker], strict=True)
        if start - 1e-9 <= t <= end + 1e-9 and p is not None
    ]
    if not xs:
        return None
    return statistics.median(p[0] for p in xs), statistics.median(p[2] for p in xs)


def _at(markers: Markers, marker: str, when: float) -> tuple[float, float] | None:
    """Horizontal position (X, Z) of a heel at the frame nearest ``when``."""
    k = min(range(len(markers.time)), key=lambda i: abs(markers.time[i] - when))
    p = markers.positions[marker][k]
    return None if p is None else (p[0], p[2])


def step_widths(markers: Markers, heels: Mapping[str, str], windows: Sequence[Window]) -> list[float | None]:
    """Signed step width in cm at each stance window (None where it cannot be measured).

    Axes: a .trc from OpenSim or OpenCap is in the ground frame, Y up and the floor the X-Z plane
    (OpenSim's X forward, Z to the right when the walk runs along +X); lengths are converted from
    the header's ``Units`` (m, mm or cm). The mediolateral axis is not taken to be Z: it is the
    horizontal perpendicular to the line of progression, so a walkway at any angle to the
    cameras' axes measures the same.

    For a foot contact the planted heel is the median of that heel's position over its stance
    window. The line of progression is the opposite foot's, as the GAITRite walkway defines base
    of support: from the opposite heel's previous stance to its next contact (overground both are
    planted heel positions; on a treadmill the direction from toe-off to the next contact is still
    forward). The width is the planted heel's distance from that line, measured across it:
    positive when the right heel lands to the right of the left foot's line (or the left heel to
    the left of the right foot's line), negative when the foot lands across it (a crossover).
    The first and last contacts, which lack an opposite stance on one side, are not measured.
    """
    order = sorted(range(len(windows)), key=lambda k: windows[k].start)
    out: list[float | None] = [None] * len(windows)
    for pos, k in enumerate(order):
        w = windows[k]
        other = "left" if w.side == "right" else "right"
        before = next((windows[j] for j in reversed(order[:pos]) if windows[j].side == other), None)
        after = next((windows[j] for j in order[pos + 1 :] if windows[j].side == other), None)
        if before is None or after is None:
            continue
        heel = _planted(markers, heels[w.side], w.start, w.end)
        p1 = _planted(markers, heels[other], before.start, before.end)
        p2 = _planted(markers, heels[other], after.start, after.end)
        off = _at(markers, heels[other], before.end)
        on = _at(markers, heels[other], after.start)
        if heel is None or p1 is None or p2 is None or off is None or on is None:
            continue
        dx, dz = on[0] - off[0], on[1] - off[1]
        length = math.hypot(dx, dz)
        if length < 1e-6:
            continue
        rx, rz = -dz / length, dx / length  # forward x up (Y) = the walker's right
        mid = ((p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2)
        across = (heel[0] - mid[0]) * rx + (heel[1] - mid[1]) * rz
        out[k] = 100.0 * (across if w.side == "right" else -across)
    return out


def step_width_finding(widths: Sequence[float | None], where: str) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """``findings.step_width`` from the per-step widths: the mean in cm, and ``crossover: true``
    when at least half the steps land across the other foot's line."""
    steps = [x for x in widths if x is not None]
    notes: list[Diagnostic] = []
    if not steps:
        return None, notes
    if len(steps) < MIN_STEPS:
        notes.append(
            Diagnostic(
                where, 0, 0, "", f"step_width: only {len(steps)} step(s); average at least {MIN_STEPS} steps", "warning"
            )
        )
    mean = round(_mean(steps), 1) + 0
    lo, hi = STEP_WIDTH_RANGE_CM
    if not lo <= mean <= hi:
        notes.append(
            Diagnostic(
                where,
                3,
                0,
                "",
                f"step_width: mean {mean:g} cm is outside {lo:g}..{hi:g}; not recorded (check Units and the heel markers)",
                "warning",
            )
        )
        return None, notes
    crossing = sum(x < 0 for x in steps)
    out: dict[str, Any] = {"cm": mean}
    if 2 * crossing >= len(steps):
        out["crossover"] = True
    elif crossing:
        notes.append(
            Diagnostic(
                where,
                0,
                0,
                "",
                f"step_width: {crossing} of {len(steps)} steps land across the other foot's line "
                "(under half: crossover not recorded)",
                "warning",
            )
        )
    else:
        out["crossover"] = False
    return out, notes


# ------------------------------------------------------------------------------ columns


def _norm(name: str) -> str:
    import re

    base = re.sub(r"\(.*?\)", "", name).strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", base).strip("_")


def parse_mapping(items: Sequence[str]) -> tuple[dict[str, tuple[str, float]], str | None]:
    """``COLUMN=SIGNAL`` items → {signal: (column, sign)} and the time column if one is named."""
    out: dict[str, tuple[str, float]] = {}
    time_col: str | None = None
    for item in items:
        column, eq, target = item.rpartition("=")
        column, target = column.strip(), target.strip()
        if not eq or not column or not target:
            raise InputError.at("--map", f"'{item}' is not COLUMN=SIGNAL", hint="e.g. --map 'Pelvis angle=pelvis_list'")
        sign = 1.0
        if target.startswith("-"):
            sign, target = -1.0, target[1:].strip()
        if target == "time":
            if sign < 0:
                raise InputError.at("--map", "time cannot be negated")
            time_col = column
            continue
        if target not in SIGNALS:
            raise InputError.at("--map", f"unknown signal '{target}'", hint="signals: time, " + ", ".join(SIGNALS))
        if target in out:
            raise InputError.at("--map", f"signal '{target}' is mapped twice")
        out[target] = (column, sign)
    return out, time_col


def resolve_columns(table: Table, tool: str, explicit: dict[str, tuple[str, float]]) -> dict[str, tuple[str, float]]:
    """Decide which column feeds which signal (explicit --map first, then the tool's names)."""
    chosen: dict[str, tuple[str, float]] = {}
    if tool in ("opencap", "opensim"):
        for sig in SIGNALS:
            if sig in table.columns:
                chosen[sig] = (sig, 1.0)
    elif tool == "kinovea":
        by_norm = {_norm(c): c for c in table.columns}
        for sig, aliases in _KINOVEA_ALIASES.items():
            hit = next((by_norm[a] for a in aliases if a in by_norm), None)
            if hit is not None:
                chosen[sig] = (hit, 1.0)
    for sig, (column, sign) in explicit.items():
        if column not in table.columns:
            raise InputError.at(
                table.file,
                f"no column '{column}' (for {sig})",
                line=table.header_line,
                hint="columns: " + ", ".join(list(table.columns)[:30]),
            )
        chosen[sig] = (column, sign)
    if "pelvis_list" not in chosen and "trunk_lean" not in chosen and "lumbar_bending" not in chosen:
        raise InputError.at(
            table.file,
            "no column for pelvis_list, lumbar_bending or trunk_lean",
            line=table.header_line,
            hint="name them with --map COLUMN=pelvis_list (columns: " + ", ".join(list(table.columns)[:12]) + ")",
        )
    return chosen


# ------------------------------------------------------------------------------ analysis


def peak(values: Sequence[float | None]) -> float | None:
    """The largest value, refined by a parabola through its neighbours (evenly spaced samples)."""
    idx = [i for i, v in enumerate(values) if v is not None]
    if not idx:
        return None
    i = max(idx, key=lambda k: values[k])  # type: ignore[arg-type, return-value]
    top = values[i]
    assert top is not None
    if 0 < i < len(values) - 1:
        a, b = values[i - 1], values[i + 1]
        if a is not None and b is not None:
            denom = a - 2 * top + b
            if denom < 0:
                offset = max(-0.5, min(0.5, 0.5 * (a - b) / denom))
                return top - 0.25 * (a - b) * offset
    return top


def _series(table: Table, column: str, sign: float, scale: float) -> list[float | None]:
    return [None if v is None else sign * v * scale for v in table.columns[column]]


@dataclass
class _Signals:
    pelvis: list[float | None] | None
    trunk: list[float | None] | None
    hip: dict[str, list[float | None] | None]
    columns: dict[str, str]


def _signals(table: Table, chosen: dict[str, tuple[str, float]], scale: float, trunk_mode: str) -> _Signals:
    def col(sig: str) -> list[float | None] | None:
        if sig not in chosen:
            return None
        column, sign = chosen[sig]
        return _series(table, column, sign, scale)

    def label(sig: str) -> str:
        column, sign = chosen[sig]
        return ("-" if sign < 0 else "") + column

    columns = {sig: label(sig) for sig in chosen}
    pelvis = col("pelvis_list")
    trunk = col("trunk_lean")
    if trunk is None:
        bend = col("lumbar_bending")
        if bend is not None and pelvis is not None and trunk_mode == "global":
            trunk = [None if a is None or b is None else a + b for a, b in zip(pelvis, bend, strict=True)]
            columns["trunk_lean"] = f"{columns['pelvis_list']} + {columns['lumbar_bending']}"
        elif bend is not None:
            trunk = bend
            columns["trunk_lean"] = columns["lumbar_bending"]
    return _Signals(pelvis, trunk, {"right": col("hip_adduction_r"), "left": col("hip_adduction_l")}, columns)


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def analyse(
    table: Table, windows: list[Window], sig: _Signals, events_name: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]], float | None, list[Diagnostic]]:
    """Per-window peaks → findings, the raw windows, cadence and warnings."""
    notes: list[Diagnostic] = []
    t = table.time
    lo, hi = t[0], t[-1]
    raw: list[dict[str, Any]] = []
    per: dict[str, dict[str, list[float]]] = {
        "pelvic_drop": {"left": [], "right": []},
        "trunk_lean": {"left": [], "right": []},
    }
    where = events_name or table.file
    for w in windows:
        if w.start < lo - 1e-9 or w.end > hi + 1e-9:
            raise InputError.at(
                where,
                f"{w.side} stance {w.start:g}–{w.end:g} s is outside the recording ({lo:g}–{hi:g} s in {table.file})",
                line=w.line,
            )
        idx = [i for i, x in enumerate(t) if w.start - 1e-9 <= x <= w.end + 1e-9]
        if len(idx) < 3:
            notes.append(
                Diagnostic(
                    where,
                    w.line,
                    0,
                    "",
                    f"{w.side} stance {w.start:g}–{w.end:g} s has under 3 samples; left out",
                    "warning",
                )
            )
            continue
        sl = slice(idx[0], idx[-1] + 1)
        flip = 1.0 if w.side == "left" else -1.0  # left stance: right side drops = +pelvis_list
        entry: dict[str, Any] = {"side": w.side, "start_s": round(w.start, 4), "end_s": round(w.end, 4)}
        if sig.pelvis is not None:
            p = peak([None if v is None else flip * v for v in sig.pelvis[sl]])
            if p is not None:
                entry["pelvic_drop_deg"] = round(p, 2) + 0
                per["pelvic_drop"][w.side].append(p)
        if sig.trunk is not None:
            p = peak([None if v is None else -flip * v for v in sig.trunk[sl]])
            if p is not None:
                entry["trunk_lean_deg"] = round(p, 2) + 0
                per["trunk_lean"][w.side].append(p)
        hip = sig.hip[w.side]
        if hip is not None:
            p = peak(hip[sl])
            if p is not None:
                entry["hip_adduction_deg"] = round(p, 2) + 0
        raw.append(entry)
    if not raw:
        raise InputError.at(where, "no usable stance window (each needs at least 3 samples)")
    findings: dict[str, Any] = {}
    for finding, sides in per.items():
        out: dict[str, float] = {}
        for side in ("left", "right"):
            steps = sides[side]
            if not steps:
                continue
            if len(steps) < MIN_STEPS:
                notes.append(
                    Diagnostic(
                        table.file,
                        0,
                        0,
                        "",
                        f"{finding}: only {len(steps)} {side} stance window(s); average at least {MIN_STEPS} steps",
                        "warning",
                    )
                )
            value = round(_mean(steps), 1)
            if value > 30:
                signal = "pelvis_list" if finding == "pelvic_drop" else "trunk_lean"
                column = sig.columns.get(signal, "").lstrip("-").split(" + ")[0]
                raise InputError.at(
                    table.file,
                    f"{finding}: mean peak in {side} stance is {value:g}°, above 30° (column '{column}')",
                    line=table.header_line,
                    column=table.column_at.get(column, 0),
                    hint="are the angles radians? (inDegrees / --units rad) or is a sign flipped? (--map COLUMN=-SIGNAL)",
                )
            if value < 0:
                notes.append(
                    Diagnostic(
                        table.file,
                        0,
                        0,
                        "",
                        f"{finding}: mean peak in {side} stance is {value:g}° (the other way); recorded as 0",
                        "warning",
                    )
                )
                value = 0.0
            out[f"{side}_stance_deg"] = value + 0
        if out:
            findings[finding] = out
    contacts = sorted(w.start for w in windows)
    cadence = None
    if len(contacts) >= 3 and contacts[-1] > contacts[0]:
        cadence = 60.0 * (len(contacts) - 1) / (contacts[-1] - contacts[0])
        order = [w.side for w in sorted(windows, key=lambda w: w.start)]
        if any(a == b for a, b in itertools.pairwise(order)):
            notes.append(
                Diagnostic(
                    where, 0, 0, "", "left and right stance windows do not alternate; cadence may be wrong", "warning"
                )
            )
        if 120 <= round(cadence) <= 230:
            findings["cadence_spm"] = round(cadence)
        else:
            notes.append(
                Diagnostic(
                    where,
                    0,
                    0,
                    "",
                    f"cadence {cadence:.0f} steps/min is outside 120..230 (walking?); not recorded",
                    "warning",
                )
            )
    return findings, raw, cadence, notes


# ------------------------------------------------------------------------------ the import


def import_gait(
    format: str, paths: Sequence[Input], options: ImportOptions | Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Import a gait-tool export as assessment data (Contract 1, not yet written anywhere).

    Args:
        format: opencap | opensim | kinovea | csv.
        paths: the kinematics file (.mot or .csv) and the stance windows: an events YAML or a
            .trc heel-marker file. Each is a path, or ``(name, bytes)`` for an upload.
        options: :class:`ImportOptions` or a mapping of its fields.

    Returns:
        The assessment as plain data (it validates as :class:`Assessment`; pain and red flags
        are left out and listed under ``to_complete``) and the warnings met on the way.

    Raises:
        InputError: a bad file or option, with ``file:line`` (exit 2).
    """
    opts = ImportOptions.of(options)
    tool = format.lower()
    if tool not in FORMATS:
        raise InputError.at("import", f"unknown format '{format}'", hint="one of: " + ", ".join(FORMATS))
    if opts.trunk not in ("global", "pelvis"):
        raise InputError.at("--trunk", f"'{opts.trunk}' is not global or pelvis")
    if opts.units not in (None, "deg", "rad"):
        raise InputError.at("--units", f"'{opts.units}' is not deg or rad")
    if not 0 < opts.contact_fraction < 1:
        raise InputError.at("--contact-fraction", "must be between 0 and 1")
    today = dt.date.today()
    if opts.assessed_on is not None and opts.assessed_on > today:
        raise InputError.at("--date", f"{opts.assessed_on} is in the future")
    explicit, time_col = parse_mapping(opts.mapping)
    files = [_read(p) for p in paths]
    if not files:
        raise InputError.at("import", "give the kinematics file and a stance events YAML or a .trc heel-marker file")
    want_data = "mot" if tool in ("opencap", "opensim") else "csv"
    data_files = [f for f in files if _kind(f[0]) == want_data]
    event_files = [f for f in files if _kind(f[0]) in ("events", "trc")]
    others = [f for f in files if f not in data_files and f not in event_files]
    if others:
        raise InputError.at(
            others[0][0],
            "not a file this import reads",
            hint=f"{tool} takes a {'.mot' if want_data == 'mot' else '.csv'} file and an events .yaml or a .trc",
        )
    if len(data_files) != 1:
        what = ".mot" if want_data == "mot" else ".csv"
        raise InputError.at("import", f"give exactly one {what} kinematics file (got {len(data_files)})")
    if len(event_files) != 1:
        raise InputError.at(
            "import",
            f"give exactly one source of stance windows: an events .yaml or a .trc heel-marker file (got {len(event_files)})",
        )
    name, raw = data_files[0]
    if want_data == "mot":
        if time_col is not None:
            raise InputError.at("--map", "a .mot file's time column is 'time'; do not map it")
        table = read_mot(raw, name)
    else:
        table = read_csv(raw, name, time_column=time_col, kinovea=tool == "kinovea")
    notes = list(table.warnings)
    if opts.units is not None:
        in_degrees = opts.units == "deg"
    elif want_data == "mot":
        if table.in_degrees is None:
            raise InputError.at(
                name,
                "no inDegrees=yes|no line in the header: degrees or radians?",
                line=table.end_header_line or 1,
                hint="or give --units deg|rad",
            )
        in_degrees = table.in_degrees
    else:
        in_degrees = True
    scale = 1.0 if in_degrees else 180.0 / math.pi
    chosen = resolve_columns(table, tool, explicit)
    sig = _signals(table, chosen, scale, opts.trunk)
    ev_name, ev_raw = event_files[0]
    extra_cols: dict[str, str] = {}
    markers: Markers | None = None
    if _kind(ev_name) == "trc":
        windows, markers, extra_cols = stance_from_heels(ev_raw, ev_name, opts)
        ev_kind = "trc"
    else:
        windows = read_events(ev_raw, ev_name)
        ev_kind = "events"
    findings, raw_windows, cadence, more = analyse(table, windows, sig, ev_name if ev_kind == "events" else None)
    notes += more
    if markers is not None:
        heels = {"right": extra_cols["heel_right"], "left": extra_cols["heel_left"]}
        widths = step_widths(markers, heels, windows)
        by_window = {(w.side, round(w.start, 4)): x for w, x in zip(windows, widths, strict=True)}
        kept: list[float | None] = []  # only the windows the findings use, so every step is in source.windows
        for entry in raw_windows:
            width = by_window.get((entry["side"], entry["start_s"]))
            if width is not None:
                entry["step_width_cm"] = round(width, 1) + 0
                kept.append(width)
        step, more = step_width_finding(kept, ev_name)
        notes += more
        if step is not None:
            findings["step_width"] = step
    every = [v for s in (sig.pelvis, sig.trunk) if s is not None for v in s if v is not None]
    if in_degrees and every and max(abs(v) for v in every) < 0.6:
        line, col = next(
            (at for key, at in table.meta_at.items() if key.lower() == "indegrees"), (table.header_line, 0)
        )
        notes.append(
            Diagnostic(name, line, col, "", "every angle is under 0.6°: are these radians? (--units rad)", "warning")
        )
    client: dict[str, Any] = {"name": opts.name.strip() if opts.name and opts.name.strip() else NAME_TO_COMPLETE}
    if opts.client_id:
        client["id"] = opts.client_id
    data: dict[str, Any] = {"version": 1, "client": client, "assessed_on": opts.assessed_on or today}
    clinician = {k: v for k, v in (("name", opts.clinician), ("clinic", opts.clinic)) if v}
    if clinician:
        data["clinician"] = clinician
    data["findings"] = findings
    todo = ["pain", "red_flags"]
    if client["name"] == NAME_TO_COMPLETE:
        todo.insert(0, "client_name")
    data["to_complete"] = todo
    source: dict[str, Any] = {
        "tool": tool,
        "file": Path(name).name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "columns": {**sig.columns, **extra_cols},
        "windows": raw_windows,
        "events": {"file": Path(ev_name).name, "sha256": hashlib.sha256(ev_raw).hexdigest(), "kind": ev_kind},
        "in_degrees": in_degrees,
    }
    if markers is not None:
        source["marker_units"] = markers.units
    if cadence is not None:
        source["cadence_spm"] = round(cadence, 1)
    source["importer"] = f"rehab-rules {__version__}"
    data["source"] = source
    return data, notes


# ------------------------------------------------------------------------------ the file


def render_yaml(data: dict[str, Any], command: str) -> str:
    """The assessment as commented YAML: measured findings, then what is left to ask."""
    from engine.load import yamlio

    src = data["source"]
    n_left = sum(w["side"] == "left" for w in src["windows"])
    n_right = len(src["windows"]) - n_left
    head = [
        "# yaml-language-server: $schema=https://rehab-rules.invalid/schemas/assessment.schema.json",
        f"# Imported with `{command}` ({src['importer']}).",
        f"# Findings measured over {n_left} left and {n_right} right stance windows (the stance leg names the side);",
        "# the raw per-step values (peaks, step width) are under `source.windows`.",
    ]
    top = {k: data[k] for k in ("version", "client", "assessed_on", "clinician") if k in data}
    body = [*head, yamlio.dump(top).rstrip("\n"), ""]
    body += [
        "# Findings from the gait file (absent = not measured)",
        yamlio.dump({"findings": data["findings"]}).rstrip("\n"),
    ]
    body += [
        "",
        "# TO COMPLETE before `rehab plan` (it refuses while this list is not empty):",
        "#   pain      - the pain history: `pain: []` for none, or one entry per painful area, e.g.",
        "#               pain: [{region: lateral_knee, side: right, nrs_rest: 0, nrs_activity: 6, weeks: 8}]",
        "#   red_flags - ask EVERY red-flag question; `red_flags: []` when all are negative",
        *(
            ["#   client_name - the client's real name under client.name"]
            if "client_name" in data["to_complete"]
            else []
        ),
        "# then delete each word from to_complete (or the whole line).",
        "to_complete: [" + ", ".join(data["to_complete"]) + "]",
        "",
        "# Where the findings came from (keep it: it ties the numbers to the file)",
        yamlio.dump({"source": {k: v for k, v in src.items() if k != "windows"}}).rstrip("\n"),
        "  windows:                         # one per stance window: raw peaks (degrees), step width (cm)",
        *("  - {" + ", ".join(f"{k}: {v}" for k, v in w.items()) + "}" for w in src["windows"]),
    ]
    if "notes" in data:
        body += [yamlio.dump({"notes": data["notes"]}).rstrip("\n")]
    return "\n".join(body) + "\n"


def import_to_file(
    format: str, paths: Sequence[Path], options: ImportOptions, output: Path, *, force: bool, command: str
) -> list[Diagnostic]:
    """The ``rehab import`` command: import, check the YAML reads back valid, write it atomically."""
    from engine.app.output import check_target, write_atomic
    from engine.load import yamlio
    from engine.load.validation import validate
    from engine.models.assessment import Assessment

    check_target(output, force=force, protect=tuple(paths))
    data, notes = import_gait(format, list(paths), options)
    text = render_yaml(data, command)
    parsed, index = yamlio.parse(text, str(output))
    validate(Assessment, parsed, index)
    write_atomic(output, text, force=force)
    return notes
