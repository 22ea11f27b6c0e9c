"""Readers for gait-tool exports: OpenSim/OpenCap ``.mot``, ``.trc`` markers, Kinovea and generic CSV.

Every reader takes the raw bytes and a display name and returns a :class:`Table` (time in seconds,
one list of floats per column, ``None`` where a cell is empty) or raises :class:`InputError` with
``file:line``. Nothing here guesses silently: unknown units, ragged rows, non-numbers and time
running backwards are errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
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
    meta_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    """(line, column) of each ``key=value`` header value of a .mot."""
    end_header_line: int = 0
    column_at: dict[str, int] = field(default_factory=dict)
    """Column of each name on the header row (for errors about a column)."""
    warnings: list[Diagnostic] = field(default_factory=list)


def _err(file: str, message: str, line: int = 0, hint: str = "", column: int = 0) -> InputError:
    return InputError([Diagnostic(file, line, column, "", message, code="import", hint=hint)])


def cell_columns(line: str, cells: list[str], delimiter: str | None) -> list[int]:
    """1-based column where each cell's text starts on ``line`` (as an editor counts it).

    ``delimiter`` None means runs of whitespace. A quoted CSV cell points at its opening quote;
    a cell's leading blanks are skipped (OpenSim pads its numbers with spaces).
    """
    out: list[int] = []
    pos = 0
    for cell in cells:
        if delimiter is None:
            while pos < len(line) and line[pos].isspace():
                pos += 1
            out.append(pos + 1)
            pos += len(cell)
            continue
        end = line.find(delimiter, pos)
        if pos < len(line) and line[pos] == '"':  # quoted: the delimiter after the closing quote
            close = line.find('"', pos + 1)
            while close != -1 and close + 1 < len(line) and line[close + 1] == '"':
                close = line.find('"', close + 2)
            end = line.find(delimiter, close + 1) if close != -1 else -1
        raw = line[pos:] if end == -1 else line[pos:end]
        out.append(pos + len(raw) - len(raw.lstrip()) + 1)
        pos = len(line) + 1 if end == -1 else end + len(delimiter)
    return out


def decode(raw: bytes, file: str) -> list[str]:
    """Return the file's lines; refuse binary, non-UTF-8, empty and oversized files."""
    if len(raw) > MAX_BYTES:
        raise _err(file, f"file is too large ({len(raw)} bytes; the limit is {MAX_BYTES})")
    if b"\x00" in raw:
        nul = raw.index(b"\x00")
        start = raw.rfind(b"\n", 0, nul) + 1
        raise _err(
            file, "this is a binary file, not a text export", raw.count(b"\n", 0, nul) + 1, column=nul - start + 1
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        start = raw.rfind(b"\n", 0, exc.start) + 1
        raise _err(file, "the file is not UTF-8 text", line=line, column=exc.start - start + 1) from None
    lines = text.splitlines()
    if not any(s.strip() for s in lines):
        raise _err(file, "the file is empty", line=1)
    return lines


def _number(
    cell: str, file: str, line: int, column: str, *, at: int = 0, decimal_comma: bool = False, nan_ok: bool = False
) -> float | None:
    """The cell as a float (None when empty); ``at`` is the cell's column on the line, for errors."""
    s = cell.strip()
    if s == "":
        return None
    if decimal_comma:
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        raise _err(file, f"column '{column}': '{s[:40]}' is not a number", line, column=at) from None
    if math.isnan(value) and nan_ok:
        return None
    if not math.isfinite(value):
        raise _err(file, f"column '{column}': '{s[:40]}' is not a finite number", line, column=at)
    return value


def _check_time(file: str, time: list[float], where: list[tuple[int, int]]) -> None:
    """Enough rows, and time strictly increasing; ``where`` is (line, column) of each time cell."""
    if len(time) < MIN_ROWS:
        line = where[-1][0] if where else 1
        raise _err(file, f"only {len(time)} data rows; at least {MIN_ROWS} are needed", line)
    for i in range(1, len(time)):
        if time[i] <= time[i - 1]:
            raise _err(
                file,
                f"time does not increase ({time[i]:g} s after {time[i - 1]:g} s); rows must be in time order",
                where[i][0],
                column=where[i][1],
            )


def _duplicate(file: str, names: list[str], columns: list[int], line: int) -> None:
    seen: set[str] = set()
    for name, col in zip(names, columns, strict=True):
        if name in seen:
            raise _err(file, f"column '{name}' appears twice", line, column=col)
        seen.add(name)


# ----------------------------------------------------------------------------------- .mot


def _mot_split(s: str) -> list[str]:
    return s.split("\t") if "\t" in s else s.split()


def read_mot(raw: bytes, file: str) -> Table:
    """Read an OpenSim storage file (``.mot``/``.sto``, as written by OpenSim IK and OpenCap)."""
    lines = decode(raw, file)
    end = next((i for i, s in enumerate(lines) if s.strip().lower() == "endheader"), None)
    if end is None:
        raise _err(file, "not an OpenSim .mot file (no endheader line)", 1)
    meta: dict[str, str] = {}
    meta_at: dict[str, tuple[int, int]] = {}
    in_degrees: bool | None = None
    for i, s in enumerate(lines[:end]):
        if "=" in s:
            key, _, value = s.partition("=")
            value_col = len(key) + 2 + len(value) - len(value.lstrip())
            meta[key.strip()] = value.strip()
            meta_at[key.strip()] = (i + 1, value_col)
            if key.strip().lower() == "indegrees":
                word = value.strip().lower()
                if word not in ("yes", "no"):
                    raise _err(
                        file, f"inDegrees must be yes or no (got '{value.strip()[:20]}')", i + 1, column=value_col
                    )
                in_degrees = word == "yes"
    head = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), None)
    if head is None:
        raise _err(file, "no column names after endheader", end + 1)
    row = lines[head]
    delim = "\t" if "\t" in row else None
    names = [n.strip() for n in _mot_split(row)]
    name_cols = cell_columns(row, _mot_split(row), delim)
    if not names or names[0].lower() != "time":
        got = names[0][:40] if names else ""
        raise _err(
            file, f"the first column must be 'time' (got '{got}')", head + 1, column=name_cols[0] if names else 0
        )
    _duplicate(file, names, name_cols, head + 1)
    table = _rows(file, lines, head + 1, names, split=_mot_split, delimiter=lambda s: "\t" if "\t" in s else None)
    table.header_line = head + 1
    table.column_at = dict(zip(names, name_cols, strict=True))
    table.in_degrees = in_degrees
    table.meta = meta
    table.meta_at = meta_at
    table.end_header_line = end + 1
    n_rows = meta.get("nRows")
    if n_rows and n_rows.isdigit() and int(n_rows) != len(table.time):
        line, col = meta_at["nRows"]
        table.warnings.append(
            Diagnostic(
                file, line, col, "", f"header says nRows={n_rows} but {len(table.time)} rows were read", "warning"
            )
        )
    return table


def _rows(
    file: str,
    lines: list[str],
    start: int,
    names: list[str],
    *,
    split: Callable[[str], list[str]],
    delimiter: Callable[[str], str | None],
    order: list[int] | None = None,
    decimal_comma: bool = False,
    time_scale: float = 1.0,
    time_parser: Callable[[str, int, int], float | None] | None = None,
) -> Table:
    """Data rows from ``start`` on; ``order`` puts the time column first (file order otherwise)."""
    cols: dict[str, list[float | None]] = {n: [] for n in names[1:]}
    time: list[float] = []
    where: list[tuple[int, int]] = []
    for i in range(start, len(lines)):
        s = lines[i]
        if not s.strip():
            continue
        cells = split(s)
        while len(cells) > len(names) and cells[-1].strip() == "":
            cells.pop()
        at = cell_columns(s, cells, delimiter(s))
        if len(cells) != len(names):
            col = at[len(names)] if len(cells) > len(names) else len(s.rstrip()) + 1
            raise _err(file, f"row has {len(cells)} values but there are {len(names)} columns", i + 1, column=col)
        if order is not None:
            cells = [cells[k] for k in order]
            at = [at[k] for k in order]
        if time_parser is not None:
            t = time_parser(cells[0], i + 1, at[0])
        else:
            t = _number(cells[0], file, i + 1, names[0], at=at[0], decimal_comma=decimal_comma)
        if t is None:
            raise _err(file, f"column '{names[0]}': the time is empty", i + 1, column=at[0])
        time.append(t * time_scale)
        where.append((i + 1, at[0]))
        for name, cell, col in zip(names[1:], cells[1:], at[1:], strict=True):
            cols[name].append(_number(cell, file, i + 1, name, at=col, decimal_comma=decimal_comma))
    _check_time(file, time, where or [(start, 0)])
    return Table(file, time, cols, start, where[0][0])


# ----------------------------------------------------------------------------------- .trc

TRC_UNITS = {"m": 1.0, "mm": 0.001, "cm": 0.01}
"""Length units a .trc may declare (the ``Units`` field of its header), in metres."""


@dataclass
class Markers:
    """Marker trajectories from a .trc file (only the markers asked for are kept).

    Positions are in the file's axes and converted to metres (``Units`` m, mm or cm).
    """

    file: str
    time: list[float]
    positions: dict[str, list[tuple[float, float, float] | None]]
    names: list[str]
    header_line: int
    units: str = "m"
    """The file's ``Units`` as written (positions are already converted to metres)."""
    rate_hz: float | None = None
    name_at: dict[str, int] = field(default_factory=dict)
    """Column of each marker's name on line 4 (for errors about a marker)."""


def _trc_header(lines: list[str], file: str) -> tuple[str, float | None]:
    """``Units`` and ``DataRate`` from the .trc's second (names) and third (values) lines."""
    keys = lines[1].split("\t")
    values = lines[2].split("\t")
    spots = cell_columns(lines[2], values, "\t")
    fields = {k.strip(): j for j, k in enumerate(keys) if k.strip()}
    if "Units" not in fields:
        raise _err(file, "the .trc header names no Units field (m or mm)", 2, column=len(lines[1].rstrip()) + 1)
    j = fields["Units"]
    unit = values[j].strip() if j < len(values) else ""
    if unit not in TRC_UNITS:
        col = spots[j] if j < len(spots) else len(lines[2].rstrip()) + 1
        raise _err(file, f"Units must be m, mm or cm (got '{unit[:20]}')", 3, column=col)
    rate: float | None = None
    if "DataRate" in fields and fields["DataRate"] < len(values):
        k = fields["DataRate"]
        rate = _number(values[k], file, 3, "DataRate", at=spots[k])
    return unit, rate


def read_trc(raw: bytes, file: str, wanted: list[str] | None = None) -> Markers:
    """Read a ``.trc`` marker file (tab-separated; OpenSim/OpenCap layout).

    The layout, as OpenSim documents it ("Marker (.trc) Files",
    https://opensimconfluence.atlassian.net/wiki/spaces/OpenSim/pages/53089972) and as a real
    OpenCap export has it (stanfordnmbl/opencap-processing, ActivityAnalyses/Data/.../walk.trc,
    trimmed in tests/data/opencap-walk): line 1 ``PathFileType 4 (X/Y/Z) name``; line 2 the header
    field names ``DataRate CameraRate NumFrames NumMarkers Units OrigDataRate OrigDataStartFrame
    OrigNumFrames``; line 3 their values (``Units`` ``m`` in OpenCap, ``mm`` from most labs);
    line 4 ``Frame# Time`` then each marker's name over the first of its three columns; line 5
    ``X1 Y1 Z1 X2 ...``; a blank line; then one row per frame. A marker not seen in a frame is an
    empty cell or ``NaN``.
    """
    lines = decode(raw, file)
    if not lines[0].startswith("PathFileType"):
        raise _err(file, "not a .trc marker file (the first line is not PathFileType)", 1)
    if len(lines) < 6:
        raise _err(file, "the .trc header is incomplete (needs 5 header lines and data)", len(lines))
    unit, rate = _trc_header(lines, file)
    scale = TRC_UNITS[unit]
    name_row = lines[3].rstrip("\r\n").split("\t")
    name_cols = cell_columns(lines[3], name_row, "\t")
    if len(name_row) < 3 or not name_row[0].lower().startswith("frame") or name_row[1].strip().lower() != "time":
        raise _err(file, "line 4 must name the columns: Frame#, Time, then the markers", 4, column=1)
    markers: list[str] = []
    slots: dict[str, int] = {}
    for j in range(2, len(name_row)):
        n = name_row[j].strip()
        if n:
            if n in slots:
                raise _err(file, f"marker '{n}' appears twice", 4, column=name_cols[j])
            slots[n] = j
            markers.append(n)
    keep = markers if wanted is None else [m for m in markers if m in wanted]
    positions: dict[str, list[tuple[float, float, float] | None]] = {m: [] for m in keep}
    time: list[float] = []
    where: list[tuple[int, int]] = []
    width = 2 + 3 * len(markers)
    for i in range(5, len(lines)):
        s = lines[i]
        if not s.strip():
            continue
        cells = s.rstrip("\r\n").split("\t")
        if len(cells) < 2:
            raise _err(file, "a data row needs Frame# and Time", i + 1, column=len(s.rstrip()) + 1)
        if len(cells) > width and all(c.strip() == "" for c in cells[width:]):
            cells = cells[:width]
        at = cell_columns(s, cells, "\t")
        t = _number(cells[1], file, i + 1, "Time", at=at[1])
        if t is None:
            raise _err(file, "column 'Time': the time is empty", i + 1, column=at[1])
        time.append(t)
        where.append((i + 1, at[1]))
        end = len(s.rstrip()) + 1
        for m in keep:
            j = slots[m]
            x, y, z = (
                _number(
                    cells[j + d] if j + d < len(cells) else "",
                    file,
                    i + 1,
                    m,
                    at=at[j + d] if j + d < len(at) else end,
                    nan_ok=True,
                )
                for d in range(3)
            )
            positions[m].append(None if x is None or y is None or z is None else (x * scale, y * scale, z * scale))
    _check_time(file, time, where or [(6, 0)])
    return Markers(file, time, positions, markers, 4, unit, rate, {m: name_cols[slots[m]] for m in markers})


# ----------------------------------------------------------------------------------- CSV

_TIME_UNIT = re.compile(r"\((ms|s|sec|seconds|milliseconds)\)\s*$", re.IGNORECASE)


def _delimiter(header: str) -> str:
    if "\t" in header:
        return "\t"
    if ";" in header:
        return ";"
    return ","


def _clock(cell: str, file: str, line: int, column: str, decimal_comma: bool, at: int = 0) -> float | None:
    """Seconds from '12.5', or a clock time '0:00:01.23' / '00:01.23'."""
    s = cell.strip()
    if ":" in s:
        parts = s.replace(",", ".").split(":")
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise _err(file, f"column '{column}': '{s[:40]}' is not a time", line, column=at) from None
        if len(nums) > 3 or any(not math.isfinite(n) or n < 0 for n in nums):
            raise _err(file, f"column '{column}': '{s[:40]}' is not a time", line, column=at)
        total = 0.0
        for n in nums:
            total = total * 60 + n
        return total
    return _number(s, file, line, column, at=at, decimal_comma=decimal_comma)


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

    raw_names = split(lines[head])
    names = [n.strip() for n in raw_names]
    name_cols = cell_columns(lines[head], raw_names, delim)
    if len(names) < 2 or any(not n for n in names):
        empty = next((c for n, c in zip(names, name_cols, strict=True) if not n), 0)
        raise _err(file, "the header row must name every column (time, then the angles)", head + 1, column=empty)
    _duplicate(file, names, name_cols, head + 1)
    order: list[int] | None = None
    if time_column is not None:
        if time_column not in names:
            raise _err(
                file,
                f"no column '{time_column}' for the time",
                head + 1,
                hint="columns: " + ", ".join(names),
                column=len(lines[head].rstrip()) + 1,
            )
        idx = names.index(time_column)
        if idx != 0:
            order = [idx] + [k for k in range(len(names)) if k != idx]
            names = [names[k] for k in order]
            name_cols = [name_cols[k] for k in order]
    elif not names[0].lower().startswith("time"):
        raise _err(
            file,
            f"the first column must be the time (got '{names[0][:40]}')",
            head + 1,
            hint="or name it with --map COLUMN=time",
            column=name_cols[0],
        )
    unit = _TIME_UNIT.search(names[0])
    scale = 0.001 if unit and unit.group(1).lower().startswith("m") else 1.0

    def parse_time(cell: str, line: int, at: int) -> float | None:
        return _clock(cell, file, line, names[0], decimal_comma, at)

    table = _rows(
        file,
        lines,
        head + 1,
        names,
        split=split,
        delimiter=lambda s: delim,
        order=order,
        decimal_comma=decimal_comma,
        time_scale=scale,
        time_parser=parse_time,
    )
    table.header_line = head + 1
    table.column_at = dict(zip(names, name_cols, strict=True))
    return table
