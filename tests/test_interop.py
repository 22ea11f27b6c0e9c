"""Gait-tool import (issue 16): synthetic waveforms with known peaks, sign convention, bad files."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.cli import app
from engine.errors import InputError
from engine.interop import synthetic
from engine.interop.gait import import_gait, render_yaml
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.assessment import Assessment

ASYM = synthetic.Capture(
    pelvic_drop={"left": 4.2, "right": 11.3},
    trunk_lean={"left": 6.1, "right": 1.4},
    hip_adduction={"left": 9.0, "right": 15.5},
    cadence_spm=171.0,
)


def _write(tmp: Path, c: synthetic.Capture, *, degrees: bool = True) -> dict[str, Path]:
    files = {
        "mot": tmp / "walk.mot",
        "events": tmp / "walk-events.yaml",
        "trc": tmp / "walk.trc",
        "kinovea": tmp / "kinovea.csv",
    }
    files["mot"].write_text(synthetic.mot_text(c, degrees=degrees), encoding="utf-8")
    files["events"].write_text(synthetic.events_yaml(c), encoding="utf-8")
    files["trc"].write_text(synthetic.trc_text(c), encoding="utf-8")
    files["kinovea"].write_text(synthetic.kinovea_csv(c), encoding="utf-8")
    return files


def _check_known(data: dict, c: synthetic.Capture) -> None:
    f = data["findings"]
    for side in ("left", "right"):
        assert abs(f["pelvic_drop"][f"{side}_stance_deg"] - c.pelvic_drop[side]) <= 0.1
        assert abs(f["trunk_lean"][f"{side}_stance_deg"] - c.trunk_lean[side]) <= 0.1
    assert f["cadence_spm"] == round(c.cadence_spm)
    for w in data["source"]["windows"]:
        assert abs(w["pelvic_drop_deg"] - c.pelvic_drop[w["side"]]) <= 0.1, w
        assert abs(w["trunk_lean_deg"] - c.trunk_lean[w["side"]]) <= 0.1, w


@pytest.mark.parametrize("degrees", [True, False], ids=["inDegrees=yes", "inDegrees=no"])
def test_mot_recovers_known_peaks_within_a_tenth_of_a_degree(tmp_path: Path, degrees: bool) -> None:
    files = _write(tmp_path, ASYM, degrees=degrees)
    data, notes = import_gait("opencap", [files["mot"], files["events"]], {"name": "Test Runner"})
    _check_known(data, ASYM)
    assert len(data["source"]["windows"]) == 16
    assert all(abs(w["hip_adduction_deg"] - ASYM.hip_adduction[w["side"]]) <= 0.1 for w in data["source"]["windows"])
    assert data["source"]["in_degrees"] is degrees
    assert data["source"]["columns"]["trunk_lean"] == "pelvis_list + lumbar_bending"
    assert notes == []
    parsed, index = yamlio.parse(render_yaml(data, "test"), "out.yaml")
    assert validate(Assessment, parsed, index).source is not None


def test_sign_convention_on_a_hand_made_waveform(tmp_path: Path) -> None:
    """+pelvis_list = right side lower. Standing on the LEFT leg with pelvis_list +5: left CPD 5.
    Standing on the RIGHT leg with pelvis_list +3 (the left side rose): no right CPD (0, warned).
    Trunk: global lean = pelvis_list + lumbar_bending, positive to the right; toward the stance side counts."""
    rows = []
    for i in range(101):
        t = i / 100
        left = math.sin(math.pi * (t - 0.1) / 0.3) ** 2 if 0.1 <= t <= 0.4 else 0.0
        right = math.sin(math.pi * (t - 0.6) / 0.3) ** 2 if 0.6 <= t <= 0.9 else 0.0
        pelvis = 5 * left + 3 * right
        trunk = -4 * left + 6 * right  # left stance: leans left 4; right stance: leans right 6
        rows.append(f"{t:.2f}\t{pelvis:.6f}\t{trunk - pelvis:.6f}")
    mot = tmp_path / "hand.mot"
    mot.write_text("inDegrees=yes\nendheader\ntime\tpelvis_list\tlumbar_bending\n" + "\n".join(rows) + "\n")
    ev = tmp_path / "ev.yaml"
    ev.write_text(
        "version: 1\nstance:\n  - {side: left, contact: 0.1, toe_off: 0.4}\n  - {side: right, contact: 0.6, toe_off: 0.9}\n"
    )
    data, notes = import_gait("opensim", [mot, ev], {"name": "X"})
    f = data["findings"]
    assert f["pelvic_drop"] == {"left_stance_deg": 5.0, "right_stance_deg": 0.0}
    assert f["trunk_lean"] == {"left_stance_deg": 4.0, "right_stance_deg": 6.0}
    right = next(w for w in data["source"]["windows"] if w["side"] == "right")
    assert right["pelvic_drop_deg"] == 0.0  # the left side never went below level
    assert [n.message for n in notes if "average at least 7" not in n.message] == []
    assert "cadence_spm" not in f  # two contacts are not enough for a cadence
    # --trunk pelvis: lumbar_bending alone (trunk relative to the pelvis)
    data, _ = import_gait("opensim", [mot, ev], {"name": "X", "trunk": "pelvis"})
    assert data["findings"]["trunk_lean"]["left_stance_deg"] == pytest.approx(9.0, abs=0.1)


def test_stance_windows_from_trc_heel_markers(tmp_path: Path) -> None:
    files = _write(tmp_path, ASYM)
    data, _ = import_gait("opencap", [files["mot"], files["trc"]], {"name": "T"})
    _check_known(data, ASYM)
    assert data["source"]["events"]["kind"] == "trc"
    assert data["source"]["columns"]["heel_right"] == "RHeel"
    assert [w["side"] for w in data["source"]["windows"]] == ["left", "right"] * 8


def test_trc_noise_does_not_split_or_invent_stance_windows(tmp_path: Path) -> None:
    files = _write(tmp_path, ASYM)
    lines = files["trc"].read_text().splitlines()
    noisy = lines[:6]
    for k, line in enumerate(lines[6:]):
        cells = line.split("\t")
        for col in (3, 6):  # the Y of each heel: a ±4 mm wobble and a one-frame 5 cm glitch now and then
            glitch = 0.05 if k % 9 == 4 else 0.0
            cells[col] = f"{float(cells[col]) + 0.004 * math.sin(k * 2.3 + col) + glitch:.6f}"
        noisy.append("\t".join(cells))
    files["trc"].write_text("\n".join(noisy) + "\n")
    data, _ = import_gait("opencap", [files["mot"], files["trc"]], {"name": "N"})
    assert [w["side"] for w in data["source"]["windows"]] == ["left", "right"] * 8
    _check_known(data, ASYM)


def test_kinovea_csv_and_generic_csv_with_map(tmp_path: Path) -> None:
    files = _write(tmp_path, ASYM)
    data, _ = import_gait("kinovea", [files["kinovea"], files["events"]], {"name": "K"})
    _check_known(data, ASYM)
    assert data["source"]["columns"] == {"pelvis_list": "Pelvis", "trunk_lean": "Trunk"}
    # generic: semicolon, decimal comma, time in its own named column, pelvis sign flipped
    lines = ["frame;obliquity;t_s;lean"]
    for i, t in enumerate(ASYM.times()):
        a = ASYM.angles(t)
        lines.append(f"{i};{-a['pelvis_list']:.5f};{t:.4f};{a['trunk']:.5f}".replace(".", ","))
    generic = tmp_path / "generic.csv"
    generic.write_text("\n".join(lines) + "\n")
    maps = ("t_s=time", "obliquity=-pelvis_list", "lean=trunk_lean")
    data, _ = import_gait("csv", [generic, files["events"]], {"name": "G", "mapping": maps})
    _check_known(data, ASYM)
    assert data["source"]["columns"]["pelvis_list"] == "-obliquity"


def test_cli_import_validate_and_plan_refuses_until_completed(tmp_path: Path) -> None:
    files = _write(tmp_path, synthetic.Capture())
    out = tmp_path / "imported.yaml"
    runner = CliRunner()
    args = ["import", "opencap", str(files["mot"]), str(files["events"]), "--name", "Zoë Ångström", "-o", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "to_complete: [pain, red_flags]" in text and "sha256:" in text
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    r = runner.invoke(app, ["plan", str(out), "--json", str(tmp_path / "p.json")])
    assert r.exit_code == 2
    assert "to_complete: not ready to plan: the red-flag questions were never answered" in r.stderr
    assert f"{out}:" in r.stderr and not (tmp_path / "p.json").exists()
    r = runner.invoke(app, args)  # no silent overwrite
    assert r.exit_code == 2 and "already exists; use --force" in r.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    # without a name the name is also left to complete
    r = runner.invoke(app, ["import", "opencap", str(files["mot"]), str(files["events"]), "-o", "-"])
    assert r.exit_code == 0 and "to_complete: [client_name, pain, red_flags]" in r.stdout


BAD_CASES = [
    ("walk.mot", "x\ty\n1\t2\n", "walk.mot:1:1: not an OpenSim .mot file (no endheader line)"),
    (
        "walk.mot",
        "version=1\nnRows=3\nendheader\ntime\tpelvis_list\n0\t1\n0.1\t2\n0.2\t3\n",
        "walk.mot:3:1: no inDegrees=yes|no line",
    ),
    ("walk.mot", "inDegrees=maybe\nendheader\ntime\tpelvis_list\n", "walk.mot:1:11: inDegrees must be yes or no"),
    ("walk.mot", "inDegrees=yes\nendheader\ntime\tpelvis_list\n0\t1\n0.1\n", "walk.mot:5:4: row has 1 values"),
    (
        "walk.mot",
        "inDegrees=yes\nendheader\ntime\tpelvis_list\n0\t1\n0.1\tabc\n0.2\t1\n",
        "walk.mot:5:5: column 'pelvis_list': 'abc' is not a number",
    ),
    (
        "walk.mot",
        "inDegrees=yes\nendheader\ntime\tpelvis_list\n0\t1\n0.1\t1\n0.05\t1\n",
        "walk.mot:6:1: time does not increase",
    ),
    ("walk.mot", "inDegrees=yes\nendheader\nframe\tpelvis_list\n", "walk.mot:3:1: the first column must be 'time'"),
    (
        "walk.mot",
        "inDegrees=yes\nendheader\ntime\tknee\n0\t1\n0.1\t1\n0.2\t1\n",
        "walk.mot:3:1: no column for pelvis_list",
    ),
    ("walk.mot", "inDegrees=yes\x00", "walk.mot:1:14: this is a binary file"),
]


@pytest.mark.parametrize(("name", "body", "expected"), BAD_CASES, ids=[c[2].split(": ", 1)[1][:30] for c in BAD_CASES])
def test_bad_files_are_file_line_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str, expected: str
) -> None:
    (tmp_path / name).write_text(body, encoding="utf-8")
    (tmp_path / "ev.yaml").write_text(synthetic.events_yaml(synthetic.Capture()))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["import", "opencap", name, "ev.yaml", "-o", "out.yaml"], catch_exceptions=False)
    assert r.exit_code == 2, r.stderr
    assert expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out.yaml").exists()


def test_bad_events_point_at_their_line(tmp_path: Path) -> None:
    files = _write(tmp_path, synthetic.Capture())
    ev = tmp_path / "ev.yaml"
    ev.write_text(
        "version: 1\nstance:\n  - {side: left, contact: 0.2, toe_off: 0.4}\n  - {side: right, contact: 99, toe_off: 99.2}\n"
    )
    with pytest.raises(InputError) as exc:
        import_gait("opencap", [files["mot"], ev], None)
    assert exc.value.diagnostics[0].render().startswith(f"{ev}:4:")
    assert "outside the recording" in exc.value.render()
    ev.write_text("version: 1\nstance:\n  - {side: left, contact: 0.4, toe_off: 0.2}\n")
    with pytest.raises(InputError, match="toe_off must come after contact"):
        import_gait("opencap", [files["mot"], ev], None)
    with pytest.raises(InputError, match="exactly one source of stance windows"):
        import_gait("opencap", [files["mot"]], None)
    with pytest.raises(InputError, match="unknown signal 'pelvis'"):
        import_gait("opencap", [files["mot"], files["events"]], {"mapping": ["pelvis_list=pelvis"]})
    with pytest.raises(InputError, match="unknown format"):
        import_gait("vicon", [files["mot"], files["events"]], None)


def test_radians_read_as_degrees_are_caught(tmp_path: Path) -> None:
    files = _write(tmp_path, synthetic.Capture(), degrees=False)
    _, notes = import_gait("opencap", [files["mot"], files["events"]], {"units": "deg"})
    assert any("radians" in n.message for n in notes)
    _write(tmp_path, synthetic.Capture())
    with pytest.raises(InputError, match="above 30°"):
        import_gait("opencap", [files["mot"], files["events"]], {"units": "rad"})


# ------------------------------------------------------------------------------ fuzz

_GOOD_MOT = synthetic.mot_text(synthetic.Capture(steps_per_side=2, rate_hz=50))
_GOOD_EVENTS = synthetic.events_yaml(synthetic.Capture(steps_per_side=2, rate_hz=50))
_GOOD_TRC = synthetic.trc_text(synthetic.Capture(steps_per_side=2, rate_hz=50))
_GOOD_CSV = synthetic.kinovea_csv(synthetic.Capture(steps_per_side=2, rate_hz=50))


@st.composite
def _mutated(draw: st.DrawFn, good: str) -> bytes:
    """A valid file with lines dropped, duplicated or cut, characters replaced, or plain garbage."""
    kind = draw(st.sampled_from(["lines", "chars", "cut", "garbage"]))
    if kind == "garbage":
        return draw(st.binary(max_size=400))
    lines = good.splitlines()
    if kind == "lines":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(lines) - 1))
            op = draw(st.sampled_from(["drop", "dup", "swap"]))
            if op == "drop" and len(lines) > 1:
                lines.pop(i)
            elif op == "dup":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
        return ("\n".join(lines) + "\n").encode()
    text = good
    if kind == "cut":
        return text[: draw(st.integers(0, len(text)))].encode()
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text) - 1))
        text = (
            text[:i]
            + draw(st.sampled_from(["\t", "\n", "-", "x", "1e999", "nan", ";", ",", "=", " ", "é", ""]))
            + text[i + 1 :]
        )
    return text.encode("utf-8")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from(["mot", "events", "trc", "csv"]),
    data=st.data(),
)
def test_garbage_only_ever_gives_input_errors(which: str, data: st.DataObject) -> None:
    good = {"mot": _GOOD_MOT, "events": _GOOD_EVENTS, "trc": _GOOD_TRC, "csv": _GOOD_CSV}[which]
    blob = data.draw(_mutated(good))
    if which == "csv":
        files = [("k.csv", blob), ("e.yaml", _GOOD_EVENTS.encode())]
        fmt = "kinovea"
    else:
        files = [
            ("w.mot", blob if which == "mot" else _GOOD_MOT.encode()),
            ("w.trc", blob) if which == "trc" else ("e.yaml", blob if which == "events" else _GOOD_EVENTS.encode()),
        ]
        fmt = "opencap"
    try:
        out, _ = import_gait(fmt, files, {"name": "F"})
    except InputError as exc:
        assert exc.exit_code == 2 and exc.render()
        return
    # whatever survives must still be a valid assessment
    text = render_yaml(out, "fuzz")
    parsed, index = yamlio.parse(text, "fuzz.yaml")
    validate(Assessment, parsed, index)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(["mot", "events", "trc", "csv"]), data=st.data())
def test_garbage_through_the_cli_exits_2_or_writes_a_valid_file(which: str, data: st.DataObject) -> None:
    import tempfile

    good = {"mot": _GOOD_MOT, "events": _GOOD_EVENTS, "trc": _GOOD_TRC, "csv": _GOOD_CSV}[which]
    blob = data.draw(_mutated(good))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        names = {"mot": "w.mot", "events": "e.yaml", "trc": "w.trc", "csv": "k.csv"}
        for kind, text in (("mot", _GOOD_MOT), ("events", _GOOD_EVENTS), ("trc", _GOOD_TRC), ("csv", _GOOD_CSV)):
            (d / names[kind]).write_bytes(blob if kind == which else text.encode())
        if which == "csv":
            args = ["kinovea", str(d / "k.csv"), str(d / "e.yaml")]
        elif which == "trc":
            args = ["opencap", str(d / "w.mot"), str(d / "w.trc")]
        else:
            args = ["opencap", str(d / "w.mot"), str(d / "e.yaml")]
        r = CliRunner().invoke(app, ["import", *args, "--name", "F", "-o", str(d / "o.yaml")])
        assert r.exit_code in (0, 2), (r.exit_code, r.stderr, r.exception)
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr
        if r.exit_code == 2:
            assert not (d / "o.yaml").exists()
        else:
            assert CliRunner().invoke(app, ["validate", str(d / "o.yaml")]).exit_code == 0


@pytest.mark.parametrize("blob", [b"", b"\xff\xfe\x00garbage", b"endheader\n", b"PathFileType\n\n\n\n\n"])
def test_garbage_on_the_command_line_exits_2(tmp_path: Path, blob: bytes) -> None:
    for name in ("w.mot", "w.trc"):
        (tmp_path / name).write_bytes(blob)
    (tmp_path / "e.yaml").write_bytes(blob)
    for files in (["w.mot", "e.yaml"], ["w.mot", "w.trc"]):
        r = CliRunner().invoke(
            app, ["import", "opencap", *(str(tmp_path / f) for f in files), "-o", str(tmp_path / "o.yaml")]
        )
        assert r.exit_code == 2, (files, r.stderr, r.exception)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_help_does_not_import_interop() -> None:
    code = "import sys, runpy; sys.argv=['rehab','--help']\ntry:\n runpy.run_module('engine', run_name='__main__')\nexcept SystemExit: pass\nprint(sorted(m for m in sys.modules if m.startswith('engine.interop') or m.startswith('fhir')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_plan_path_refuses_an_unfinished_import(tmp_path: Path) -> None:
    """The web desk's plan_assessment and `rehab plan --out-dir` refuse too, not only `rehab plan`."""
    from engine.app.clinic import Clinic
    from engine.app.planning import plan_assessment, plan_batch, read_assessment
    from engine.interop.gait import ImportOptions, import_to_file

    files = _write(tmp_path, synthetic.Capture())
    out = tmp_path / "imported.yaml"
    import_to_file("opencap", [files["mot"], files["events"]], ImportOptions(name="B"), out, force=False, command="t")
    with pytest.raises(InputError, match="not ready to plan: the red-flag questions were never answered"):
        plan_assessment(Clinic(), read_assessment(out))
    folder = tmp_path / "out"
    folder.mkdir()
    result = plan_batch(Clinic(), [out], folder, jobs=1)
    assert len(result.failed) == 1 and f"{out}:" in result.failed[0].error and list(folder.iterdir()) == []
