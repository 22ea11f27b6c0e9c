"""Gait import, issue 16 follow-ups: step width from heel markers, a real OpenCap capture, and
errors that point at the real line and column."""

from __future__ import annotations

import itertools
import math
import statistics
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.errors import InputError
from engine.interop import synthetic
from engine.interop.gait import import_gait, render_yaml
from engine.interop.tables import read_mot, read_trc
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.assessment import Assessment

REAL = Path(__file__).parent / "data" / "opencap-walk"
RUN = synthetic.Capture(pelvic_drop={"left": 6.0, "right": 9.0}, cadence_spm=168.0)


def _files(tmp: Path, c: synthetic.Capture, **trc: object) -> tuple[Path, Path]:
    mot, heels = tmp / "run.mot", tmp / "run.trc"
    mot.write_text(synthetic.mot_text(c), encoding="utf-8")
    heels.write_text(synthetic.trc_text(c, **trc), encoding="utf-8")  # type: ignore[arg-type]
    return mot, heels


def _valid(data: dict) -> Assessment:
    text = render_yaml(data, "rehab import opencap")
    parsed, index = yamlio.parse(text, "imported.yaml")
    return validate(Assessment, parsed, index)


# ------------------------------------------------------------------------------ step width


@pytest.mark.parametrize(
    ("width", "heading", "units"),
    [(18.0, 0.0, "m"), (7.5, 25.0, "mm"), (11.0, -140.0, "m")],
    ids=["18cm-along-X", "7.5cm-turned-25deg-mm", "11cm-walking-back"],
)
def test_step_width_from_heel_markers_within_half_a_centimetre(
    tmp_path: Path, width: float, heading: float, units: str
) -> None:
    mot, heels = _files(tmp_path, RUN, step_width_cm=width, heading_deg=heading, units=units)
    data, _ = import_gait("opencap", [mot, heels], {"name": "W"})
    step = data["findings"]["step_width"]
    assert abs(step["cm"] - width) <= 0.5
    assert step["crossover"] is False
    per_step = [w["step_width_cm"] for w in data["source"]["windows"] if "step_width_cm" in w]
    assert len(per_step) == 2 * RUN.steps_per_side - 2  # the first and last contacts lack a second line point
    assert all(abs(x - width) <= 0.5 for x in per_step), per_step
    assert data["source"]["marker_units"] == units
    assert _valid(data).findings.step_width is not None


def test_step_width_survives_marker_noise(tmp_path: Path) -> None:
    mot, heels = _files(tmp_path, RUN, step_width_cm=9.0, heading_deg=-12.0)
    lines = heels.read_text().splitlines()
    noisy = lines[:6]
    for k, line in enumerate(lines[6:]):
        cells = line.split("\t")
        for col in (2, 4, 5, 7):  # X and Z of each heel: a ±6 mm wobble, and a one-frame 3 cm jump now and then
            jump = 0.03 if k % 11 == 5 else 0.0
            cells[col] = f"{float(cells[col]) + 0.006 * math.sin(k * 1.7 + col) + jump:.6f}"
        noisy.append("\t".join(cells))
    heels.write_text("\n".join(noisy) + "\n")
    data, _ = import_gait("opencap", [mot, heels], {"name": "N"})
    assert abs(data["findings"]["step_width"]["cm"] - 9.0) <= 0.5
    per_step = [w["step_width_cm"] for w in data["source"]["windows"] if "step_width_cm" in w]
    assert len(per_step) == 14 and all(abs(x - 9.0) <= 1.5 for x in per_step), per_step


def test_crossover_steps_are_negative_and_recorded(tmp_path: Path) -> None:
    mot, heels = _files(tmp_path, RUN, step_width_cm=-4.0, heading_deg=10.0)
    data, _ = import_gait("opencap", [mot, heels], {"name": "X"})
    step = data["findings"]["step_width"]
    assert abs(step["cm"] + 4.0) <= 0.5 and step["crossover"] is True
    assert all(w["step_width_cm"] < 0 for w in data["source"]["windows"] if "step_width_cm" in w)
    model = _valid(data).findings.step_width
    assert model is not None and model.crossover is True


def test_a_few_crossing_steps_are_reported_not_called_a_crossover(tmp_path: Path) -> None:
    mot, heels = _files(tmp_path, RUN, step_width_cm=6.0)
    lines = heels.read_text().splitlines()
    # move the right heel 9 cm to the left during its third stance only (one crossing step)
    side, a, b = RUN.windows()[5]
    assert side == "right"
    out = lines[:6]
    for line in lines[6:]:
        cells = line.split("\t")
        if a <= float(cells[1]) <= b:
            cells[4] = f"{float(cells[4]) - 0.09:.6f}"
        out.append("\t".join(cells))
    heels.write_text("\n".join(out) + "\n")
    data, notes = import_gait("opencap", [mot, heels], {"name": "X"})
    step = data["findings"]["step_width"]
    assert "crossover" not in step and 4.0 < step["cm"] < 6.0
    assert any("1 of 14 steps land across" in n.message for n in notes)
    crossing = [w for w in data["source"]["windows"] if w.get("step_width_cm", 0) < 0]
    assert len(crossing) == 1 and crossing[0]["side"] == "right"
    assert crossing[0]["start_s"] <= b and crossing[0]["end_s"] >= a


def test_no_step_width_without_heel_markers(tmp_path: Path) -> None:
    mot = tmp_path / "run.mot"
    ev = tmp_path / "ev.yaml"
    mot.write_text(synthetic.mot_text(RUN))
    ev.write_text(synthetic.events_yaml(RUN))
    data, _ = import_gait("opencap", [mot, ev], {"name": "E"})
    assert "step_width" not in data["findings"]
    assert all("step_width_cm" not in w for w in data["source"]["windows"])


def test_implausible_step_width_is_a_warning_not_a_finding(tmp_path: Path) -> None:
    # a file written in mm but labelled m: every length is 1000x too large
    mot, heels = _files(tmp_path, RUN, step_width_cm=10.0, units="mm")
    heels.write_text(heels.read_text().replace("\tmm\t", "\tm\t", 1))
    data, notes = import_gait("opencap", [mot, heels], {"name": "U"})
    assert "step_width" not in data["findings"]
    assert any("outside -15..40; not recorded" in n.message for n in notes)


# ------------------------------------------------------------------------------ a real OpenCap capture


def test_real_opencap_capture_imports_with_the_documented_sign() -> None:
    mot, trc = REAL / "walk.mot", REAL / "walk.trc"
    data, _ = import_gait("opencap", [mot, trc], {"name": "Real"})
    windows = data["source"]["windows"]
    sides = [w["side"] for w in windows]
    assert len(windows) >= 6 and all(a != b for a, b in itertools.pairwise(sides)), sides
    # Walking shows a contralateral pelvic drop in every stance: positive in every window only if
    # +pelvis_list means the right side is lower (left stance) and -pelvis_list the left (right stance).
    drops = [w["pelvic_drop_deg"] for w in windows]
    assert all(d > 1.0 for d in drops), drops
    f = data["findings"]
    for side in ("left", "right"):
        assert 2.0 <= f["pelvic_drop"][f"{side}_stance_deg"] <= 10.0
    widths = [w["step_width_cm"] for w in windows if "step_width_cm" in w]
    assert len(widths) >= 3 and all(4.0 <= x <= 20.0 for x in widths), widths
    assert f["step_width"]["crossover"] is False
    assert 100 <= data["source"]["cadence_spm"] <= 140  # a walk, not a run
    _valid(data)


def test_real_capture_asis_markers_agree_with_the_pelvis_list_sign() -> None:
    """Independent of the importer: in the same trial, the right ASIS marker is lower than the left
    when pelvis_list is positive (the OpenSim model turns the pelvis about its forward X axis, and
    the right ASIS sits at +Z, so a positive turn lowers it)."""
    table = read_mot((REAL / "walk.mot").read_bytes(), "walk.mot")
    markers = read_trc((REAL / "walk.trc").read_bytes(), "walk.trc", ["r.ASIS_study", "L.ASIS_study"])
    assert markers.time == pytest.approx(table.time, abs=1e-4)
    drop_right = []
    for r, left in zip(markers.positions["r.ASIS_study"], markers.positions["L.ASIS_study"], strict=True):
        assert r is not None and left is not None
        across = math.dist(r, left)
        drop_right.append(math.degrees(math.asin((left[1] - r[1]) / across)))
    pelvis_list = [v for v in table.columns["pelvis_list"] if v is not None]
    assert statistics.correlation(pelvis_list, drop_right) > 0.6


# ------------------------------------------------------------------------------ errors with line and column

BAD = [
    (
        "run.trc",
        "PathFileType\t4\t(X/Y/Z)\tx.trc\nDataRate\tNumFrames\tUnits\n100\t3\tinches\nFrame#\tTime\tRHeel\t\t\tLHeel\n\t\tX1\n1\t0\t0\t0\t0\t0\t0\t0\n",
        "run.trc:3:7: Units must be m, mm or cm (got 'inches')",
    ),
    (
        "run.trc",
        "PathFileType\t4\n\tRate\nx\nFrame#\tTime\tRHeel\t\t\tLHeel\n\n1\t0\t0\t0\t0\t0\t0\t0\n",
        "run.trc:2:6: the .trc header names no Units field",
    ),
    (
        "run.trc",
        "PathFileType\t4\nUnits\nm\nFrame#\tTime\tRHeel\t\t\tRHeel\n\n1\t0\n",
        "run.trc:4:21: marker 'RHeel' appears twice",
    ),
    (
        "run.trc",
        "PathFileType\t4\nUnits\nm\nFrame#\tTime\tRHeel\t\t\tLHeel\n\n1\t0\t1\t2\t3\t4\t5\t6\n2\t0.01\t1\t2\t3\t4\tfive\t6\n",
        "run.trc:7:16: column 'LHeel': 'five' is not a number",
    ),
    (
        "run.trc",
        "PathFileType\t4\nUnits\nm\nFrame#\tTime\tRHeel\t\t\tLHeel\n\n"
        + "".join(f"{k}\t{k / 100}\t0\t{0.1 * (k % 2)}\t0\t0\t0.03\t0\n" for k in range(1, 9)),
        "run.trc:4:21: marker 'LHeel' never moves up or down",
    ),
    (
        "run.mot",
        "nRows=3\ninDegrees=yes\nendheader\ntime\tpelvis_list\tpelvis_list\n",
        "run.mot:4:18: column 'pelvis_list' appears twice",
    ),
    (
        "run.mot",
        "inDegrees=yes\nendheader\ntime\tpelvis_list\n  0.0\t  1.0\n  0.1\t  1.0\n  0.2\t  1.0 \t 7\n",
        "run.mot:6:15: row has 3 values but there are 2 columns",
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), BAD, ids=[b[2].split(": ", 1)[1][:28] for b in BAD])
def test_bad_files_point_at_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str, expected: str
) -> None:
    (tmp_path / name).write_text(body, encoding="utf-8")
    other = ("run.mot", synthetic.mot_text(RUN)) if name.endswith(".trc") else ("ev.yaml", synthetic.events_yaml(RUN))
    (tmp_path / other[0]).write_text(other[1], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    pair = [other[0], name] if name.endswith(".trc") else [name, other[0]]
    r = CliRunner().invoke(app, ["import", "opencap", *pair, "-o", "out.yaml"], catch_exceptions=False)
    assert r.exit_code == 2, r.stderr
    assert expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out.yaml").exists()


def test_csv_errors_point_at_the_cell(tmp_path: Path) -> None:
    ev = tmp_path / "ev.yaml"
    ev.write_text(synthetic.events_yaml(RUN))
    bad = tmp_path / "k.csv"
    bad.write_text('Time (ms),"Pelvis, deg",Trunk\n0,1,2\n10,"1,5",2\n')
    with pytest.raises(InputError) as exc:
        import_gait("kinovea", [bad, ev], {"mapping": ["Pelvis, deg=pelvis_list"]})
    assert exc.value.render().startswith(f"{bad}:3:4: column 'Pelvis, deg': '1,5' is not a number")
    bad.write_text("Time;Pelvis;Trunk;Pelvis\n0;1;2;3\n")
    with pytest.raises(InputError) as exc:
        import_gait("kinovea", [bad, ev], None)
    assert exc.value.render().startswith(f"{bad}:1:19: column 'Pelvis' appears twice")
    bad.write_text("t;p\n0,0;1\n0,1;x\n")
    with pytest.raises(InputError) as exc:
        import_gait("csv", [bad, ev], {"mapping": ["t=time", "p=pelvis_list"]})
    assert exc.value.render().startswith(f"{bad}:3:5: column 'p': 'x' is not a number")


def test_a_radian_file_read_as_degrees_points_at_the_pelvis_column(tmp_path: Path) -> None:
    mot = tmp_path / "run.mot"
    ev = tmp_path / "ev.yaml"
    ev.write_text(synthetic.events_yaml(RUN))
    mot.write_text(synthetic.mot_text(RUN, degrees=False).replace("inDegrees=no", "inDegrees=yes"))
    _, notes = import_gait("opencap", [mot, ev], None)
    hint = next(n for n in notes if "radians" in n.message)
    assert (hint.line, hint.column) == (5, 11)  # the inDegrees value
    # the other way round: degrees declared as radians → peaks far above 30°, at the pelvis_list name
    mot.write_text(synthetic.mot_text(RUN).replace("inDegrees=yes", "inDegrees=no"))
    with pytest.raises(InputError) as exc:
        import_gait("opencap", [mot, ev], None)
    header = synthetic.mot_text(RUN).splitlines().index("endheader") + 2
    column = "\t".join(("time", *synthetic.MOT_COLUMNS)).index("pelvis_list") + 1
    assert exc.value.render().startswith(f"{mot}:{header}:{column}: pelvic_drop: mean peak")
