"""Issue 11 hostile reproducers, one per class, run the way a clinic runs them.

Every case goes through the real command line in a subprocess (`rehab rules check --rules DIR`,
`rehab plan --rules DIR ...`), with time bounds generous enough for a loaded 2-core machine and, for
`rules check`, the peak memory of the command and its probe child measured. Each shape either works
exactly as the rule language says (README "What a rule means exactly") or is refused with
file:line:col. The unit-level tests of the same classes are in test_rules_wall.py.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from engine.app import output
from engine.cli import app
from tests.conftest import ROOT

PIRIFORMIS = ROOT / "examples" / "piriformis-buttock.yaml"
SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
CHECK_SECONDS = 150.0  # `rules check` on a loaded 2-core machine: ~5-15 s measured, probe child included
PLAN_SECONDS = 150.0
PEAK_MB = 600  # rules check plus its probe child; a few tens of MB measured, the 18-any DNF was > 1 GB


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def rehab(*args: str, timeout: float = PLAN_SECONDS, cwd: Path = ROOT) -> Run:
    """Run `rehab ARGS` in its own process group; measure wall time and the peak RSS of the
    command and every child it waited for (wait4 reports both); kill the group on timeout."""
    exe = Path(sys.executable).with_name("rehab")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([*cmd, *args], cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                pytest.fail(f"`rehab {' '.join(args)}` did not finish in {timeout:.0f} s")
            time.sleep(0.05)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            usage.ru_maxrss / 1024,
        )


def rule(rid: str, when: str, then: str = "[{cue: x}]", pri: int = 10) -> str:
    return (
        f"  - id: {rid}\n    description: x\n    priority: {pri}\n    evidence: [bramah-2018]\n"
        f"    when: {when}\n    then: {then}\n"
    )


def rules_dir(tmp: Path, body: str, *, full: bool = False) -> tuple[Path, Path]:
    """A clinic's rules folder with ``body`` (rule YAML) in one file; return (folder, that file).

    ``full``: the shipped rules (without their test files, so coverage is only a warning) plus the
    file, as a clinic adds a rule to its copy; else thresholds and references only.
    """
    r = tmp / "rules"
    if full:
        shutil.copytree(ROOT / "rules", r, ignore=shutil.ignore_patterns("*.test.yaml"))
        f = r / "assessment" / "zz-issue11.yaml"
    else:
        r.mkdir(parents=True)
        for name in ("thresholds.yaml", "references.yaml"):
            shutil.copy(ROOT / "rules" / name, r / name)
        f = r / "t.yaml"
    f.write_text("version: 1\nrules:\n" + body, encoding="utf-8")
    return r, f


def check(r: Path) -> Run:
    return rehab("rules", "check", "--rules", str(r), timeout=CHECK_SECONDS)


def plan_json(r: Path, assessment: Path, *extra: str) -> dict[str, Any]:
    run = rehab("plan", "--rules", str(r), str(assessment), "--json", "-", *extra)
    assert run.code == 0, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    return data


def fired(plan: dict[str, Any]) -> list[str]:
    return [t["rule"] for t in plan["trace"]]


def line_of(f: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if needle in ln)


def assert_refused_at(run: Run, f: Path, line: int | None = None) -> None:
    """Exit 2, a file:line:col diagnostic (on ``line`` when given), no traceback."""
    assert run.code == 2, (run.code, run.stderr)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    num = str(line) if line else r"\d+"
    where = re.escape(str(f)) + ":" + num + r":\d+: "
    assert re.search(where, run.stderr), (where, run.stderr)


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


# Two pains on the right shin and the left calf: the probe assessment of the limit shapes.
TWO_PAINS = """version: 1
client: {name: Lim Test, weekly_km: 30}
assessed_on: 2026-11-01
pain:
  - {region: shin, side: right, nrs_rest: 1, nrs_activity: 4, weeks: 2}
  - {region: calf, side: left, nrs_rest: 1, nrs_activity: 4, weeks: 2}
red_flags: []
"""


# 1. engine keys in derive.set (and in tests)

RESERVED = ["kind", "id", "sid", "fid", "derived_by", "_j"]


def test_c1_engine_keys_in_derive_set_are_refused_by_check_and_plan(tmp_path: Path) -> None:
    body = "".join(
        rule(f"set-{i}", "{fact: pain, as: p}", f"[{{derive: {{fact: weak{i}, set: {{{name}: s1, side: left}}}}}}]")
        + rule(f"use-{i}", f"{{fact: weak{i}}}", "[{refer: {urgency: routine, reason: weak side}}]")
        for i, name in enumerate(RESERVED)
    ) + rule("test-sid", "{fact: pain, where: {field: sid, eq: w0}}")
    r, f = rules_dir(tmp_path, body)
    result = check(r)
    assert_refused_at(result, f)
    for i, name in enumerate(RESERVED):
        assert re.search(
            rf"{re.escape(str(f))}:{line_of(f, f'weak{i}, set')}:\d+: .*{re.escape(name)}", result.stderr
        ), (
            name,
            result.stderr,
        )
    assert re.search(rf"{re.escape(str(f))}:{line_of(f, 'field: sid')}:\d+: ", result.stderr), result.stderr
    # a plan with these rules is refused the same way, never planned without the referral
    planned = rehab(
        "plan", "--rules", str(r), str(write(tmp_path, "a.yaml", TWO_PAINS)), "--json", str(tmp_path / "p.json")
    )
    assert_refused_at(planned, f)
    assert not (tmp_path / "p.json").exists()


# 2. two patterns on the one assessment fact


def test_c2_two_patterns_on_the_assessment_fact_mean_and(tmp_path: Path) -> None:
    both = (
        "{all: [{fact: assessment, as: dx, where: {field: dx_piriformis_syndrome, eq: true}}, "
        "{fact: assessment, as: other, where: {field: dx_hamstring_tendinopathy, eq: false}}]}"
    )
    r, _ = rules_dir(
        tmp_path, rule("pir-not-ham", both, "[{refer: {urgency: routine, reason: piriformis}}]"), full=True
    )
    assert check(r).code == 0
    referred = [x["rule"] for x in plan_json(r, PIRIFORMIS)["referrals"]]
    assert "pir-not-ham" in referred  # piriformis AND NOT hamstring: the referral fires
    text = PIRIFORMIS.read_text().replace(
        "    radicular: false\n",
        "    radicular: false\n  - {region: hamstring, side: left, nrs_rest: 0, nrs_activity: 3, weeks: 6, "
        "diagnosis: hamstring_tendinopathy}\n",
        1,
    )
    both_dx = write(tmp_path, "both.yaml", text)
    assert "pir-not-ham" not in [x["rule"] for x in plan_json(r, both_dx)["referrals"]]


# 3. two patterns on one fact kind: distinct facts, every ordered pair (README)


def test_c3_two_same_kind_patterns_bind_every_ordered_pair_of_distinct_facts(tmp_path: Path) -> None:
    pair = (
        "{all: [{fact: single_leg_squat, as: a, where: {field: quality, eq: fair}}, "
        "{fact: single_leg_squat, as: b, where: {field: quality, in: [fair, poor]}}]}"
    )
    r, _ = rules_dir(tmp_path, rule("pair", pair, "[{prescribe: {exercise: clam, side: {from: a.side}}}]"))
    assert check(r).code == 0
    base = "version: 1\nclient: {name: P, weekly_km: 30}\nassessed_on: 2026-11-01\nfindings:\n"
    cases = {
        ("fair", "fair"): (2, {"left", "right"}),  # (left, right) and (right, left): both legs
        ("fair", "poor"): (1, {"left"}),  # only a=left qualifies for 'fair'
        ("fair", "good"): (0, set()),  # one fact never fills both patterns
    }
    for (left, right), (times, sides) in cases.items():
        a = write(tmp_path, f"{left}-{right}.yaml", base + f"  single_leg_squat: {{left: {left}, right: {right}}}\n")
        plan = plan_json(r, a)
        assert fired(plan).count("pair") == times, (left, right, plan["trace"])
        got = {x["side"] for x in plan["exercises"] if x["id"] == "clam"}
        assert got == sides or (sides == {"left", "right"} and got == {"both"}), (left, right, got)


# 4. derivation cycles


def test_c4_derivation_cycles_are_refused_quickly_by_check_and_plan(tmp_path: Path) -> None:
    body = (
        rule("a-to-b", "{fact: ping}", "[{derive: {fact: pong, set: {side: {from: ping.side}, n: 1}}}]")
        + rule("b-to-a", "{fact: pong}", "[{derive: {fact: ping, set: {side: {from: pong.side}, n: 2}}}]")
        + rule("seed", "{fact: pain, as: s}", "[{derive: {fact: ping, set: {side: {from: s.side}}}}]")
    )
    r, f = rules_dir(tmp_path, body, full=True)
    result = check(r)
    assert_refused_at(result, f)
    assert "cycle" in result.stderr and "'a-to-b'" in result.stderr and "'b-to-a'" in result.stderr
    out = tmp_path / "out"
    out.mkdir()
    planned = rehab(
        "plan", "--rules", str(r), str(PIRIFORMIS), "--json", str(out / "p.json"),
        "--clinician-report", str(out / "r.pdf"), timeout=90,
    )  # fmt: skip
    assert_refused_at(planned, f)
    assert planned.seconds < 90 and list(out.iterdir()) == []


# 5. engine limits: refused statically with a position, or accepted and then evaluated correctly


def _in_rules() -> str:
    return "".join(
        rule(f"in{i}", f"{{fact: pain, where: {{field: nrs_activity, in: {list(range(i * 30, i * 30 + 30))}}}}}")
        for i in range(18)
    )


def _five_any_of_in() -> str:
    group = "{any: [{field: region, in: [shin, calf]}, {field: side, in: [left, right]}]}"
    return rule("five-any", "{fact: pain, where: {all: [" + ", ".join([group] * 5) + "]}}")


LIMITS: dict[str, tuple[str, set[str]]] = {
    # name: (rules, the rules that must fire on TWO_PAINS when `rules check` accepts the set)
    "512-equality-tests": (_in_rules(), {"in0"}),
    "all-of-five-any-of-in": (_five_any_of_in(), {"five-any"}),
    "61-thresholds": (
        "".join(rule(f"t{i}", f"{{fact: pain, where: {{field: weeks, gt: {i / 10}}}}}") for i in range(61)),
        {f"t{i}" for i in range(20)},
    ),
    "250-derived-fields": (
        rule("wide", "{fact: pain, as: p}", "[{derive: {fact: wide, set: {" + ", ".join(f"f{i}: {i}" for i in range(250)) + "}}}]")
        + rule("use-wide", "{fact: wide, where: {field: f249, eq: 249}}"),
        {"wide", "use-wide"},
    ),
    "260-joins-one-pattern": (
        rule("join", "{all: [{fact: pain, as: a}, {fact: pain, where: {all: [" + ", ".join(["{field: weeks, eq: {ref: a.weeks}}"] * 260) + "]}}]}"),
        {"join"},
    ),
    "260-join-rules": (
        "".join(
            rule(f"j{i}", f"{{all: [{{fact: pain, as: a}}, {{fact: pain, where: {{all: [{{field: weeks, eq: {{ref: a.weeks}}}}, {{field: nrs_rest, gt: {i}}}]}}}}]}}")
            for i in range(260)
        ),
        {"j0"},
    ),
    "130-exists-false-one-pattern": (
        rule("absent", "{fact: pain, where: {all: [" + ", ".join(["{field: settles_hours, exists: false}"] * 130) + "]}}"),
        {"absent"},
    ),
    "130-exists-false-rules": (
        "".join(
            rule(f"x{i}", f"{{fact: pain, where: {{all: [{{field: settles_hours, exists: false}}, {{field: weeks, eq: {i}}}]}}}}")
            for i in range(130)
        ),
        {"x2"},
    ),
    "18-nested-any-patterns": (
        rule("deep", "{all: [" + ", ".join(f"{{any: [{{fact: pain, as: p{i}}}, {{fact: cadence, as: c{i}}}]}}" for i in range(18)) + "]}"),
        {"deep"},
    ),
    "18-nested-any-tests": (
        rule("deep-test", "{fact: pain, where: " + "{any: [{field: weeks, eq: 1}, " * 18 + "{field: weeks, eq: 2}" + "]}" * 18 + "}"),
        {"deep-test"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("shape", list(LIMITS))
def test_c5_engine_limits_are_checked_before_anything_runs(tmp_path: Path, shape: str) -> None:
    body, must_fire = LIMITS[shape]
    r, f = rules_dir(tmp_path, body)
    result = check(r)
    assert result.seconds < CHECK_SECONDS and result.peak_mb < PEAK_MB, (result.seconds, result.peak_mb)
    assert "Traceback" not in result.stderr and result.code in (0, 2), result.stderr
    if result.code == 2:
        assert_refused_at(result, f)
        planned = rehab("plan", "--rules", str(r), str(write(tmp_path, "a.yaml", TWO_PAINS)), "--json", "-")
        assert_refused_at(planned, f)  # what check refuses, plan refuses the same way (not exit 3)
        return
    # accepted: then the engine runs it, exactly as written
    plan = plan_json(r, write(tmp_path, "a.yaml", TWO_PAINS))
    assert set(fired(plan)) == must_fire, (shape, sorted(set(fired(plan))))


# 6. numbers with exponents, in facts and in rule literals


def test_c6_exponent_numbers_in_facts_and_rules_plan(tmp_path: Path) -> None:
    body = (
        rule("tiny-width", "{fact: step_width, where: {field: cm, gt: 0.000001}}")
        + rule("tiny-km", "{fact: assessment, where: {field: weekly_km, gte: 0.00001}}")
        + rule("under-a-billionth", "{fact: assessment, where: {field: weekly_km, lt: 1e-08}}")
    )
    r, _ = rules_dir(tmp_path, body)
    assert check(r).code == 0
    base = "version: 1\nclient: {name: N, weekly_km: %s}\nassessed_on: 2026-11-01\nfindings:\n  step_width: {cm: %s}\n"
    for km, cm, want in (
        ("1e-09", "0.00001", {"tiny-width", "under-a-billionth"}),
        ("0.00001", "1e-07", {"tiny-km"}),
        ("999.99999", "1E-5", {"tiny-width", "tiny-km"}),
    ):
        plan = plan_json(r, write(tmp_path, "n.yaml", base % (km, cm)))
        assert set(fired(plan)) == want, (km, cm, fired(plan))
    huge, f = rules_dir(tmp_path / "huge", rule("huge", "{fact: step_width, where: {field: cm, gt: 1e16}}"))
    result = check(huge)
    assert_refused_at(result, f, 7)
    assert "out of range" in result.stderr
    for value in (".inf", "1e16", ".nan"):
        run = rehab("plan", "--rules", str(r), str(write(tmp_path, "x.yaml", base % ("30", value))), "--json", "-")
        assert run.code in (0, 2) and "Traceback" not in run.stderr, (value, run.code, run.stderr)
        if run.code == 2:
            assert str(tmp_path / "x.yaml") + ":5:" in run.stderr, run.stderr


# 7. a runaway is never a hang


def test_c7_runaway_that_passes_check_stops_with_exit_2_naming_the_rule(tmp_path: Path) -> None:
    five = "{all: [" + ", ".join(f"{{fact: pain, as: p{i}}}" for i in range(5)) + "]}"
    r, f = rules_dir(tmp_path, rule("explode", five))
    checked = check(r)
    assert checked.code in (0, 2) and "Traceback" not in checked.stderr
    if checked.code == 2:  # refused statically one day: also closes the class
        assert_refused_at(checked, f)
        return
    pains = "".join(
        f"  - {{region: calf, side: left, nrs_rest: 1, nrs_activity: {i % 10}, weeks: {i + 1}}}\n" for i in range(9)
    )
    many = write(tmp_path, "many.yaml", TWO_PAINS.split("pain:")[0] + "pain:\n" + pains + "red_flags: []\n")
    out = tmp_path / "out"
    out.mkdir()
    run = rehab("plan", "--rules", str(r), str(many), "--json", str(out / "p.json"), timeout=120)
    assert run.code == 2 and "'explode' kept firing" in run.stderr and str(r) in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and run.seconds < 120 and list(out.iterdir()) == []


# inputs: YAML tags and control characters


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nclient: !!timestamp hello\nassessed_on: 2026-11-01\n", "2:9"),
        ("version: 1\nclient: {name: !!bool maybe}\nassessed_on: 2026-11-01\n", "2:16"),
        ("version: 1\nclient: {name: x, !!str : y}\nassessed_on: 2026-11-01\n", None),
        ("version: 1\nclient: {name: Ana\x07}\n", "2:19"),
    ],
    ids=["timestamp", "bool", "flow-key-tag", "control-character"],
)
def test_yaml_tags_exit_2_with_a_position(tmp_path: Path, text: str, where: str | None) -> None:
    f = tmp_path / "a.yaml"
    f.write_bytes(text.encode())
    for args in (("validate", str(f)), ("plan", str(f), "--json", str(tmp_path / "p.json"))):
        run = rehab(*args)
        assert run.code == 2 and "Traceback" not in run.stderr, run.stderr
        assert re.match(re.escape(str(f)) + ":" + (where or r"\d+:\d+") + ":", run.stderr), run.stderr
    assert not (tmp_path / "p.json").exists()


def test_yaml_tag_in_a_rule_file_is_refused_by_check_with_a_position(tmp_path: Path) -> None:
    r, f = rules_dir(tmp_path, rule("tagged", "{fact: pain, where: {field: weeks, gt: !!float 2}}"))
    assert_refused_at(check(r), f, 7)


# templates: broken font, decompression-bomb logo, SVG with outside references


def _template(tmp_path: Path, kind: str) -> Path:
    t = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", t)
    if kind == "truncated-ttf":
        font = t / "fonts" / "DejaVuSans.ttf"
        font.write_bytes(font.read_bytes()[:20_000])
        return t
    from PIL import Image

    if kind == "png-bomb":
        Image.new("1", (16000, 16000)).save(t / "logo.png", optimize=True)  # 30 kB on disk, 256 Mpx
        logo = "logo.png"
    else:
        (t / "logo.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
            '<image xlink:href="file:///etc/passwd" width="10" height="10"/>'
            '<image href="https://example.com/x.png" width="10" height="10"/></svg>',
            encoding="utf-8",
        )
        logo = "logo.svg"
    text = (t / "handout.yaml").read_text(encoding="utf-8")
    (t / "handout.yaml").write_text(re.sub(r"(?m)^  logo: null", f"  logo: {logo}", text), encoding="utf-8")
    return t


@pytest.mark.parametrize("kind", ["truncated-ttf", "png-bomb", "svg-outside-refs"])
def test_broken_template_files_exit_2_naming_the_template(tmp_path: Path, kind: str) -> None:
    t = _template(tmp_path, kind)
    out = tmp_path / "out"
    out.mkdir()
    run = rehab(
        "plan", str(PIRIFORMIS), "--templates", str(t), "-o", str(out / "h.pdf"),
        "--json", str(out / "p.json"), "--clinician-report", str(out / "r.pdf"),
    )  # fmt: skip
    assert run.code == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith(str(t / "handout.yaml")), run.stderr
    assert {"truncated-ttf": "DejaVuSans.ttf", "png-bomb": "logo.png", "svg-outside-refs": "logo.svg"}[
        kind
    ] in run.stderr
    assert list(out.iterdir()) == []  # all or nothing: not even the JSON


# outputs: the overwrite race, dangling links, a full disk, temp-file names


@pytest.mark.slow
def test_two_concurrent_plans_to_the_same_new_paths_one_wins_whole(tmp_path: Path) -> None:
    from pypdf import PdfReader

    exe = Path(sys.executable).with_name("rehab")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine"]
    sources = {SEED: "Zoë", PIRIFORMIS: "Tomás"}
    for attempt in range(2):
        pdf, js = tmp_path / f"h{attempt}.pdf", tmp_path / f"p{attempt}.json"
        procs = {
            src: subprocess.Popen(
                [*cmd, "plan", str(src), "-o", str(pdf), "--json", str(js)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for src in sources
        }
        errs = {src: p.communicate(timeout=PLAN_SECONDS)[1] for src, p in procs.items()}
        codes = {src: p.returncode for src, p in procs.items()}
        assert sorted(codes.values()) == [0, 2], (codes, errs)
        winner = next(src for src, c in codes.items() if c == 0)
        loser = next(src for src, c in codes.items() if c == 2)
        assert "already exists" in errs[loser] and "Traceback" not in errs[loser], errs[loser]
        # the winner's files, both of them: the loser replaced neither
        assert json.loads(js.read_text())["client"]["name"].startswith(sources[winner])
        assert sources[winner] in PdfReader(pdf).pages[0].extract_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h0.pdf", "h1.pdf", "p0.json", "p1.json"]


def test_a_dangling_symlink_counts_as_existing(tmp_path: Path) -> None:
    link = tmp_path / "plan.json"
    link.symlink_to(tmp_path / "nowhere.json")
    run = rehab("plan", str(SEED), "--json", str(link), "-o", str(tmp_path / "h.pdf"))
    assert run.code == 2 and run.stderr.startswith(f"{link}: ") and "link to a missing file" in run.stderr
    assert link.is_symlink() and link.readlink() == tmp_path / "nowhere.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # nothing else written
    assert rehab("plan", str(SEED), "--json", str(link), "--force").code == 0
    assert not link.is_symlink() and json.loads(link.read_text())["client"]["name"].startswith("Zoë")


def test_a_full_disk_leaves_nothing_and_the_rerun_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [
        "plan",
        str(SEED),
        "--json",
        str(out / "p.json"),
        "-o",
        str(out / "h.pdf"),
        "--clinician-report",
        str(out / "r.pdf"),
    ]
    real = os.fsync
    calls = {"n": 0}

    def disk_full(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the last of the three outputs: two finished temp files exist by then
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(output.os, "fsync", disk_full)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "No space left on device" in result.stderr, result.stderr
    assert re.match(rf"{re.escape(str(out))}/(p\.json|h\.pdf|r\.pdf): ", result.stderr), result.stderr
    assert calls["n"] == 3 and list(out.iterdir()) == []  # no JSON without its PDFs, no temp files
    monkeypatch.setattr(output.os, "fsync", real)
    again = CliRunner().invoke(app, args)  # the rerun is not refused by leftovers
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == ["h.pdf", "p.json", "r.pdf"]


def test_temp_files_are_named_neutrally_and_stale_ones_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = tmp_path / "zoe-angstrom"
    client.mkdir()
    src = client / "zoe-angstrom-2026-11-20.yaml"
    shutil.copy(SEED, src)
    stale = client / ".rehab-abandoned.tmp"  # a kill -9 two hours ago
    stale.write_text("x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = client / ".rehab-running.tmp"  # another run, right now
    fresh.write_text("x")
    seen: list[str] = []
    real = output._place

    def spy(tmp: str, path: Path, *, force: bool) -> None:
        seen.append(Path(tmp).name)
        real(tmp, path, force=force)

    monkeypatch.setattr(output, "_place", spy)
    stem = "zoe-angstrom-2026-11-20"
    result = CliRunner().invoke(
        app, ["plan", str(src), "--json", str(client / f"{stem}.json"), "-o", str(client / f"{stem}.pdf")]
    )
    assert result.exit_code == 0, result.stderr
    assert len(seen) == 2
    for name in seen:
        assert re.fullmatch(r"\.rehab-[a-z0-9_]+\.tmp", name), name
        assert not {"zoe", "angstrom", "2026", "json", "pdf"} & set(re.split(r"[-_.]", name.lower())), name
    assert sorted(p.name for p in client.iterdir()) == sorted(
        [".rehab-running.tmp", src.name, f"{stem}.json", f"{stem}.pdf"]
    )


# rule folders: a symlinked subfolder is followed, a link loop refused


def _ok_count(run: Run) -> str:
    m = re.search(r"OK: (\d+) rules", run.stdout)
    assert run.code == 0 and m, run.stderr
    return m.group(1)


def test_symlinked_rule_subfolders_are_followed_or_refused_loudly(tmp_path: Path) -> None:
    r = tmp_path / "rules"
    r.mkdir()
    for entry in (ROOT / "rules").iterdir():
        (r / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    assert _ok_count(check(r)) == _ok_count(check(ROOT / "rules"))
    mine = plan_json(r, SEED)
    shipped = json.loads(rehab("plan", str(SEED), "--json", "-").stdout)
    assert fired(mine) == fired(shipped) and mine["exercises"] == shipped["exercises"]
    (r / "assessment-again").symlink_to(r, target_is_directory=True)  # a loop
    run = check(r)
    assert run.code == 2 and "loop" in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith(str(r)), run.stderr


# PDF metadata


def test_no_client_data_in_pdf_metadata(tmp_path: Path) -> None:
    from pypdf import PdfReader

    text = PIRIFORMIS.read_text(encoding="utf-8")
    secrets = ["Tomás", "Súilleabháin", "C-0163", "Sub-40 10K"]
    assert all(s in text for s in secrets)
    run = rehab("plan", str(PIRIFORMIS), "-o", str(tmp_path / "h.pdf"), "--clinician-report", str(tmp_path / "r.pdf"))
    assert run.code == 0, run.stderr
    for pdf in ("h.pdf", "r.pdf"):
        reader = PdfReader(tmp_path / pdf)
        meta = " ".join(str(v) for v in (reader.metadata or {}).values())
        xmp = reader.xmp_metadata
        outline: list[str] = []
        stack: list[Any] = list(reader.outline)
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            else:
                outline.append(str(item.title))
        blob = meta + " " + " ".join(outline) + (" " + str(xmp.rdf_root.toxml()) if xmp is not None else "")
        for s in secrets:
            assert s not in blob, (pdf, s, blob)
        assert "Tomás" in reader.pages[0].extract_text()  # the page text is enough


# engine error messages


def test_engine_error_message_has_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import durable_rules_engine

    def boom(*args: Any) -> None:
        raise ValueError('boom inside durable\nTraceback (most recent call last):\n  File "x.py", line 1')

    monkeypatch.setattr(durable_rules_engine, "complete_and_start_action", boom)  # after every firing
    result = CliRunner().invoke(app, ["plan", str(SEED), "--json", "-"])
    assert result.exit_code == 3 and "boom inside durable" in result.stderr, (
        result.stderr
    )  # an engine failure is a bug: exit 3
    for leak in ("Traceback", 'File "', "durable/engine.py", ", line ", "traceback"):
        assert leak not in result.stderr, (leak, result.stderr)
    assert not result.stderr.startswith(":"), result.stderr  # names the rule set, not an empty file


def test_thousands_of_pain_entries_are_refused_at_their_line(tmp_path: Path) -> None:
    """A pain list far past what a runner has is bad input at its line (exit 2), not a runaway
    evaluation blamed on a rule."""
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    pain = {"region": "lateral_hip", "side": "left", "nrs_rest": 0, "nrs_activity": 3, "weeks": 4}
    data["pain"] = [dict(pain) for _ in range(4000)]
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(path), "--json", "-"])
    assert result.exit_code == 2, result.stderr
    assert re.search(r"many\.yaml:\d+:\d+: pain: holds at most 20 entries \(got 4000\)", result.stderr), result.stderr
