"""Readers for gait-tool exports: OpenSim/OpenCap ``.mot``, ``.trc`` markers, Kinovea and generic CSV.

Every reader takes the raw bytes and a display name and returns a :class:`Table` (time in seconds,
one list of floats per column, ``None`` where a cell is empty) or raises :class:`InputError` with
``file:line``. Nothing here guesses silently: unknown units, ragged rows, non-numbers and time
running backwards are errors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from engine.errors import Diagnostic, InputError

MAX_BYTES = 50_000_000
MIN_ROWS = 3


@dataclass
class Table:
    """Samples read from one file."""

    file: str
    time: list[float]
    columns: dict[str, list[float | None]]
    header_line: int
    """Line of the column-name row (for errors about columns)."""
    first_data_line: int
    in_degrees: bool | None = None
    """From a .mot header; None when the file does not say."""
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


def _err(file: str, message: str, line: int = 0, hint: str = "") -> InputError:
    return InputError([Diagnostic(file, line, 0, "", message, code="import", hint=hint)])


def decode(raw: bytes, file: str) -> list[str]:
    """Return the file's lines; refuse binary, non-UTF-8, empty and oversized files."""
    if len(raw) > MAX_BYTES:
        raise _err(file, f"file is too large ({len(raw)} bytes; the limit is {MAX_BYTES})")
    if b"\x00" in raw:
        raise _err(file, "this is a binary file, not a text export", line=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _err(file, "the file is not UTF-8 text", line=line) from None
    lines = text.splitlines()
    if not any(s.strip() for s in lines):
        raise _err(file, "the file is empty", line=1)
    return lines


def _number(cell: str, file: str, line: int, column: str, *, decimal_comma: bool = False) -> float | None:
    s = cell.strip()
    if s == "":
        return None
    if decimal_comma:
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        raise _err(file, f"column '{column}': '{cell.strip()[:40]}' is not a number", line) from None
    if not math.isfinite(value):
        raise _err(file, f"column '{column}': '{cell.strip()[:40]}' is not a finite number", line)
    return value


def _check_time(file: str, time: list[float], lines: list[int]) -> None:
    if len(time) < MIN_ROWS:
        raise _err(file, f"only {len(time)} data rows; at least {MIN_ROWS} are needed", lines[-1] if lines else 1)
    for i in range(1, len(time)):
        if time[i] <= time[i - 1]:
            raise _err(
                file,
                f"time does not increase ({time[i]:g} s after {time[i - 1]:g} s); rows must be in time order",
                lines[i],
            )


# ----------------------------------------------------------------------------------- .mot


def read_mot(raw: bytes, file: str) -> Table:
    """Read an OpenSim storage file (``.mot``/``.sto``, as written by OpenSim IK and OpenCap)."""
    lines = decode(raw, file)
    end = next((i for i, s in enumerate(lines) if s.strip().lower() == "endheader"), None)
    if end is None:
        raise _err(file, "not an OpenSim .mot file (no endheader line)", 1)
    meta: dict[str, str] = {}
    in_degrees: bool | None = None
    for i, s in enumerate(lines[:end]):
        if "=" in s:
            key, _, value = s.partition("=")
            meta[key.strip()] = value.strip()
            if key.strip().lower() == "indegrees":
                word = value.strip().lower()
                if word not in ("yes", "no"):
                    raise _err(file, f"inDegrees must be yes or no (got '{value.strip()[:20]}')", i + 1)
                in_degrees = word == "yes"
    head = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), None)
    if head is None:
        raise _err(file, "no column names after endheader", end + 1)
    row = lines[head].strip()
    names = [n.strip() for n in (row.split("\t") if "\t" in row else row.split())]
    if not names or names[0].lower() != "time":
        raise _err(file, f"the first column must be 'time' (got '{names[0][:40] if names else ''}')", head + 1)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise _err(file, f"column '{dup}' appears twice", head + 1)
    table = _rows(file, lines, head + 1, names, split=lambda s: s.split("\t") if "\t" in s else s.split())
    table.header_line = head + 1
    table.in_degrees = in_degrees
    table.meta = meta
    n_rows = meta.get("nRows")
    if n_rows and n_rows.isdigit() and int(n_rows) != len(table.time):
        table.warnings.append(
            Diagnostic(file, 1, 0, "", f"header says nRows={n_rows} but {len(table.time)} rows were read", "warning")
        )
    return table


def _rows(
    file: str,
    lines: list[str],
    start: int,
    names: list[str],
    *,
    split: object,
    decimal_comma: bool = False,
    time_scale: float = 1.0,
    time_parser: object = None,
) -> Table:
    cols: dict[str, list[float | None]] = {n: [] for n in names[1:]}
    time: list[float] = []
    at: list[int] = []
    for i in range(start, len(lines)):
        s = lines[i]
        if not s.strip():
            continue
        cells = split(s)  # type: ignore[operator]
        while len(cells) > len(names) and cells[-1].strip() == "":
            cells.pop()
        if len(cells) != len(names):
            raise _err(file, f"row has {len(cells)} values but there are {len(names)} columns", i + 1)
        if time_parser is not None:
            t = time_parser(cells[0], i + 1)  # type: ignore[operator]
        else:
            t = _number(cells[0], file, i + 1, names[0], decimal_comma=decimal_comma)
        if t is None:
            raise _err(file, f"column '{names[0]}': the time is empty", i + 1)
        time.append(t * time_scale)
        at.append(i + 1)
        for name, cell in zip(names[1:], cells[1:], strict=True):
            cols[name].append(_number(cell, file, i + 1, name, decimal_comma=decimal_comma))
    _check_time(file, time, at or [start])
    return Table(file, time, cols, start, at[0])


# ----------------------------------------------------------------------------------- .trc


@dataclass
class Markers:
    """Marker trajectories from a .trc file (only the markers asked for are kept)."""

    file: str
    time: list[float]
    positions: dict[str, list[tuple[float, float, float] | None]]
    names: list[str]
    header_line: int


def read_trc(raw: bytes, file: str, wanted: list[str] | None = None) -> Markers:
    """Read a ``.trc`` marker file (tab-separated; OpenSim/OpenCap layout)."""
    lines = decode(raw, file)
    if not lines[0].startswith("PathFileType"):
        raise _err(file, "not a .trc marker file (the first line is not PathFileType)", 1)
    if len(lines) < 6:
        raise _err(file, "the .trc header is incomplete (needs 5 header lines and data)", len(lines))
    name_row = lines[3].rstrip("\r\n").split("\t")
    if len(name_row) < 3 or not name_row[0].lower().startswith("frame") or name_row[1].strip().lower() != "time":
        raise _err(file, "line 4 must name the columns: Frame#, Time, then the markers", 4)
    markers: list[str] = []
    slots: dict[str, int] = {}
    for j in range(2, len(name_row)):
        n = name_row[j].strip()
        if n:
            if n in slots:
                raise _err(file, f"marker '{n}' appears twice", 4)
            slots[n] = j
            markers.append(n)
    keep = markers if wanted is None else [m for m in markers if m in wanted]
    positions: dict[str, list[tuple[float, float, float] | None]] = {m: [] for m in keep}
    time: list[float] = []
    at: list[int] = []
    width = 2 + 3 * len(markers)
    for i in range(5, len(lines)):
        s = lines[i]
        if not s.strip():
            continue
        cells = s.rstrip("\r\n").split("\t")
        if len(cells) < 2:
            raise _err(file, "a data row needs Frame# and Time", i + 1)
        if len(cells) > width and all(c.strip() == "" for c in cells[width:]):
            cells = cells[:width]
        t = _number(cells[1], file, i + 1, "Time")
        if t is None:
            raise _err(file, "column 'Time': the time is empty", i + 1)
        time.append(t)
        at.append(i + 1)
        for m in keep:
            j = slots[m]
            x, y, z = (_number(cells[j + d] if j + d < len(cells) else "", file, i + 1, m) for d in range(3))
            positions[m].append(None if x is None or y is None or z is None else (x, y, z))
    _check_time(file, time, at or [6])
    return Markers(file, time, positions, markers, 4)


# ----------------------------------------------------------------------------------- CSV

_TIME_UNIT = re.compile(r"\((ms|s|sec|seconds|milliseconds)\)\s*$", re.IGNORECASE)


def _delimiter(header: str) -> str:
    if "\t" in header:
        return "\t"
    if ";" in header:
        return ";"
    return ","


def _clock(cell: str, file: str, line: int, column: str, decimal_comma: bool) -> float | None:
    """Seconds from '12.5', or a clock time '0:00:01.23' / '00:01.23'."""
    s = cell.strip()
    if ":" in s:
        parts = s.replace(",", ".").split(":")
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise _err(file, f"column '{column}': '{s[:40]}' is not a time", line) from None
        if len(nums) > 3 or any(not math.isfinite(n) or n < 0 for n in nums):
            raise _err(file, f"column '{column}': '{s[:40]}' is not a time", line)
        total = 0.0
        for n in nums:
            total = total * 60 + n
        return total
    return _number(s, file, line, column, decimal_comma=decimal_comma)


def read_csv(raw: bytes, file: str, *, time_column: str | None = None, kinovea: bool = False) -> Table:
    """Read a CSV export: a header row of column names, then one row per sample.

    Kinovea: leading lines before the header row (one whose first cell starts with 'time') are
    skipped, and the first column is the time. A time header ending in '(ms)' is milliseconds.
    Semicolon- or tab-separated files may use a decimal comma.
    """
    import csv

    lines = decode(raw, file)
    head = 0
    if kinovea:
        found = next((i for i, s in enumerate(lines) if s.strip().lower().lstrip('"').startswith("time")), None)
        if found is None:
            raise _err(file, "not a Kinovea kinematics export (no header row starting with a 'Time' column)", 1)
        head = found
    else:
        head = next(i for i, s in enumerate(lines) if s.strip())
    delim = _delimiter(lines[head])
    decimal_comma = delim != ","

    def split(s: str) -> list[str]:
        return next(csv.reader([s], delimiter=delim))

    names = [n.strip() for n in split(lines[head])]
    if len(names) < 2 or any(not n for n in names):
        raise _err(file, "the header row must name every column (time, then the angles)", head + 1)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise _err(file, f"column '{dup}' appears twice", head + 1)
    if time_column is not None:
        if time_column not in names:
            raise _err(file, f"no column '{time_column}' for the time", head + 1, hint="columns: " + ", ".join(names))
        idx = names.index(time_column)
        if idx != 0:
            order = [idx] + [k for k in range(len(names)) if k != idx]
            names = [names[k] for k in order]
            base_split = split

            def split(s: str) -> list[str]:
                cells = base_split(s)
                return [cells[k] if k < len(cells) else "" for k in order] + cells[len(order) :]

    elif not names[0].lower().startswith("time"):
        raise _err(
            file,
            f"the first column must be the time (got '{names[0][:40]}')",
            head + 1,
            hint="or name it with --map COLUMN=time",
        )
    unit = _TIME_UNIT.search(names[0])
    scale = 0.001 if unit and unit.group(1).lower().startswith("m") else 1.0

    def parse_time(cell: str, line: int) -> float | None:
        return _clock(cell, file, line, names[0], decimal_comma)

    table = _rows(
        file, lines, head + 1, names, split=split, decimal_comma=decimal_comma, time_scale=scale, time_parser=parse_time
    )
    table.header_line = head + 1
    return table
