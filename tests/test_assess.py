"""``rehab assess``: scripted answers in, a commented, valid assessment file out.

The end-to-end tests drive the real command in a subprocess (answers on stdin), including wrong
answers that must be re-asked with exactly the message ``rehab validate`` gives, then plan from
the file that was written.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.app.assess import RED_FLAG_QUESTIONS, run_assess, scalar
from engine.cli import app
from engine.errors import SchemaError
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.assessment import RED_FLAGS, Assessment

ROOT = Path(__file__).resolve().parents[1]

CLIENT = ["Zoë Ångström-Łukasiewicz", "C-0042", "9", "34", "female", "60", "Marathon: sub-3:30 (Valencia)", ""]
"""Name, id, age (9 is re-asked), sex, weekly km, goal, date (blank = today)."""
CLINICIAN = ["Sam Lee", "Harbour Physio"]
FINDINGS = [
    "45",
    "8.5",  # pelvic drop left: 45 re-asked, then 8.5
    "marked",  # pelvic drop right, as a grade
    "2.0",
    "7°",  # trunk lean left / right
    "3.0",
    "y",  # step width cm, crossover
    "162",
    "12",  # cadence, forward trunk lean
    "fair",
    "poor",
]  # single-leg squat left / right
PAIN = ["maybe", "y", "lateral_knee", "no", "right", "0", "6", "8", "itbs", "n", "n"]
"""'maybe' is re-asked; side 'no' is re-asked; one area, then no more."""
NO_FLAGS = ["n"] * len(RED_FLAGS)
NOTES = ["Seed case: entered with rehab assess"]


def script(*, flags: list[str] | None = None, save: str = "y") -> str:
    """Return the full answer script, one answer per line."""
    lines = [*CLIENT, *CLINICIAN, *FINDINGS, *PAIN, *(flags or NO_FLAGS), *NOTES, save]
    return "\n".join(lines) + "\n"


def rehab(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``python -m engine ARGS`` in a real subprocess."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        input=stdin,
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=env,
        check=False,
    )


def validator_message(yaml_text: str) -> str:
    """Return what ``rehab validate`` says about the one bad value in ``yaml_text``."""
    data, index = yamlio.parse(yaml_text, "x.yaml")
    with pytest.raises(SchemaError) as info:
        validate(Assessment, data, index)
    (diag,) = info.value.diagnostics
    return f"{diag.path}: {diag.message}"


BASE = "version: 1\nclient: {name: A}\nassessed_on: 2026-01-02\n"


def load(path: Path) -> Assessment:
    """Load a written file through the real loader and model."""
    data, index = yamlio.read(path)
    return validate(Assessment, data, index)


def test_end_to_end_subprocess_then_explain(tmp_path: Path) -> None:
    out = tmp_path / "zoe.yaml"
    run = rehab("assess", "-o", str(out), stdin=script())
    assert run.returncode == 0, run.stderr
    expected = [
        validator_message(BASE.replace("{name: A}", "{name: A, age: 9}")),
        validator_message(BASE + "findings: {pelvic_drop: {left_stance_deg: 45}}"),
        validator_message(BASE + "pain: [{region: shin, side: no, nrs_rest: 0, nrs_activity: 0, weeks: 1}]"),
    ]
    assert expected == [
        "client.age: must be between 10 and 100 (got 9)",
        "findings.pelvic_drop.left_stance_deg: must be between 0 and 30 (got 45)",
        "pain[0].side: 'no' is not allowed; use one of: left, right, both, central",
    ]
    for message in expected:
        assert message in run.stderr
    assert "answer y or n (got 'maybe')" in run.stderr
    assert "Saddle numbness (numbness around the back passage/genitals)?" in run.stderr

    text = out.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/assessment.schema.json\n")
    a = load(out)
    assert a.client.name == "Zoë Ångström-Łukasiewicz"
    assert a.client.age == 34 and a.client.goal == "Marathon: sub-3:30 (Valencia)"
    assert a.assessed_on == dt.date.today()
    assert a.findings.pelvic_drop is not None
    assert a.findings.pelvic_drop.left_stance_deg == 8.5
    assert a.findings.pelvic_drop.right_stance_grade == "marked"
    assert a.findings.trunk_lean is not None and a.findings.trunk_lean.right_stance_deg == 7
    assert a.findings.step_width is not None and a.findings.step_width.crossover is True
    assert [(p.region, p.side, p.nrs_activity, p.diagnosis) for p in a.pains] == [("lateral_knee", "right", 6, "itbs")]
    assert a.flags == [] and a.notes == NOTES[0]

    explained = rehab("explain", str(out))
    assert explained.returncode == 0, explained.stderr
    assert "pelvic_drop left: 8.5°" in explained.stdout


def test_red_flag_answered_yes_is_recorded_and_plans(tmp_path: Path) -> None:
    out = tmp_path / "flag.yaml"
    flags = ["y" if f == "saddle_anaesthesia" else "n" for f in RED_FLAGS]
    run = rehab("assess", "-o", str(out), stdin=script(flags=flags))
    assert run.returncode == 0, run.stderr
    assert load(out).flags == ["saddle_anaesthesia"]
    plan = rehab("plan", str(out), "--json", "-")
    assert plan.returncode == 0, plan.stderr
    assert '"status": "refer_urgent"' in plan.stdout  # needs rules/assessment/red-flags.yaml


def test_every_red_flag_is_asked_in_plain_words() -> None:
    assert set(RED_FLAG_QUESTIONS) == set(RED_FLAGS)
    run = rehab("assess", stdin=script())
    assert run.returncode == 0, run.stderr
    for flag in RED_FLAGS:
        assert f"{RED_FLAG_QUESTIONS[flag]}? [y/n]" in run.stderr


def test_eof_midway_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "partial.yaml"
    partial = "\n".join(script().splitlines()[:20]) + "\n"
    run = rehab("assess", "-o", str(out), stdin=partial)
    assert run.returncode == 2
    assert "input ended before every question was answered" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_declining_save_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "no.yaml"
    run = rehab("assess", "-o", str(out), stdin=script(save="n"))
    assert run.returncode == 130
    assert "nothing written" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "int.yaml"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "assess", "-o", str(out)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        # A parent that ignores SIGINT (pytest-xdist workers, background shells) passes SIG_IGN on,
        # and Python then never installs its Ctrl-C handler: give the child the terminal's default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write("\n".join([*CLIENT, *CLINICIAN]).encode() + b"\n")
    proc.stdin.flush()
    seen = b""
    while b"-- Findings" not in seen:
        line = proc.stderr.readline()
        assert line, seen.decode()
        seen += line
    proc.send_signal(signal.SIGINT)
    try:  # communicate() closes stdin: a child that missed the signal ends at EOF instead of hanging the suite
        _, raw = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("rehab assess did not stop within 30 s of Ctrl-C")
    err = raw.decode()
    assert proc.returncode == 130, err
    assert "cancelled, nothing written" in err
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_returns_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(CLIENT[:3])

    class Stdin:
        """Three answers, then Ctrl-C."""

        def isatty(self) -> bool:
            return False

        def readline(self) -> str:
            try:
                return next(answers) + "\n"
            except StopIteration:
                raise KeyboardInterrupt from None

    monkeypatch.setattr(sys, "stdin", Stdin())
    out = tmp_path / "x.yaml"
    assert run_assess(out, force=False) == 130
    assert not out.exists()


def test_cli_runner_writes_file(tmp_path: Path) -> None:
    out = tmp_path / "cli.yaml"
    result = CliRunner().invoke(app, ["assess", "-o", str(out)], input=script())
    assert result.exit_code == 0, result.stderr
    assert "client.age: must be between 10 and 100 (got 9)" in result.stderr
    assert result.stdout == ""
    assert load(out).client.id == "C-0042"


def test_cli_runner_stdout_is_only_the_yaml() -> None:
    result = CliRunner().invoke(app, ["assess"], input=script())
    assert result.exit_code == 0, result.stderr
    data, index = yamlio.parse(result.stdout, "<stdout>")
    assert validate(Assessment, data, index).client.age == 34
    assert result.stdout.startswith("# yaml-language-server:")


def test_existing_file_is_refused_before_asking(tmp_path: Path) -> None:
    out = tmp_path / "old.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["assess", "-o", str(out)], input=script())
    assert result.exit_code == 2
    assert "already exists; use --force" in result.stderr
    assert "Client name" not in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"
    forced = CliRunner().invoke(app, ["assess", "-o", str(out), "--force"], input=script())
    assert forced.exit_code == 0, forced.stderr
    assert load(out).client.age == 34


def test_blank_optional_answers_give_a_minimal_valid_file(tmp_path: Path) -> None:
    lines = [
        "Ann",
        "",
        "",
        "",
        "",
        "",
        "",  # client: only the name; date = today
        "",
        "",  # no clinician
        *[""] * 10,  # nothing assessed
        "n",
        *NO_FLAGS,
        "",
        "y",
    ]
    out = tmp_path / "min.yaml"
    result = CliRunner().invoke(app, ["assess", "-o", str(out)], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    a = load(out)
    assert a.client.name == "Ann" and a.clinician is None and a.notes is None
    assert a.findings.pelvic_drop is None and a.pain == [] and a.red_flags == []


def test_future_date_is_re_asked_with_the_validator_message(tmp_path: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    lines = script().splitlines()
    lines[7:8] = [future, "2026-01-02"]
    out = tmp_path / "d.yaml"
    result = CliRunner().invoke(app, ["assess", "-o", str(out)], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    assert f"assessed_on: is in the future ({future}); use the date it happened" in (result.stderr)
    assert load(out).assessed_on == dt.date(2026, 1, 2)


@pytest.mark.parametrize(
    "value",
    [
        "Zoë Ångström",
        "no",
        "Yes",
        "on",
        "null",
        "~",
        "12:30",
        "2026-11-20",
        "1e3",
        "0x10",
        "a: b",
        "a # b",
        "#tag",
        "- dash",
        "'single'",
        '"double"',
        "[x]",
        "{y}",
        "*alias",
        "&anchor",
        "!tag",
        "%pct",
        "@at",
        "`tick",
        "| pipe",
        "> fold",
        "back\\slash",
        "tab\there",
        "✓ unicode",
        "line\u2028sep",
    ],
)
def test_scalar_reads_back_exactly(value: str) -> None:
    data, _ = yamlio.parse(f"k: {scalar(value)}\n", "<t>")
    assert data == {"k": value}


def test_scalar_numbers_dates_and_bools() -> None:
    assert [scalar(v) for v in (True, False, 34, 8.5, 9.0, dt.date(2026, 1, 2))] == [
        "true",
        "false",
        "34",
        "8.5",
        "9.0",
        "2026-01-02",
    ]
