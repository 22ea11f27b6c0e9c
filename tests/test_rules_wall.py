"""Issue 11 reproducers, one per class: each shape works as the rule language says or is refused
with file:line:col and a reason; outputs are exclusive and all-or-nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from engine.app import output
from engine.cli import app
from engine.errors import EngineError, OutputError, RunawayError, YamlError
from engine.evaluate.compiler import compile_rules, count_variants
from engine.evaluate.runtime import engine_json, limit_warnings, runtime
from engine.load import yamlio
from engine.load.content import derive_fn, load_content
from engine.load.library import load_library
from engine.load.rulebook import load_rulebook
from engine.models.rule import RuleFile, When
from engine.plan.pipeline import evaluate, parse_assessment
from tests.conftest import EXAMPLES, ROOT

SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"


def content(tmp_path: Path, rules: str) -> tuple[Path, Path]:
    r = tmp_path / "rules"
    r.mkdir(parents=True, exist_ok=True)
    for name in ("thresholds.yaml", "references.yaml"):
        shutil.copy(ROOT / "rules" / name, r / name)
    (r / "t.yaml").write_text("version: 1\nrules:\n" + rules, encoding="utf-8")
    return r, ROOT / "exercises"


def rule(rid: str, when: str, then: str = "[{cue: x}]", pri: int = 10) -> str:
    return (
        f"  - id: {rid}\n    description: x\n    priority: {pri}\n    evidence: [bramah-2018]\n"
        f"    when: {when}\n    then: {then}\n"
    )


def check(runner: Any, r: Path, e: Path) -> Any:
    return runner.invoke(app, ["rules", "check", "--rules", str(r), "--exercises", str(e)])


ASSESS = """version: 1
client: {name: T, weekly_km: %s}
assessed_on: 2026-11-01
findings:
  single_leg_squat: {left: fair, right: fair}
  step_width: {cm: %s}
pain: [{region: buttock, side: left, nrs_rest: 1, nrs_activity: 5, weeks: 8, diagnosis: piriformis_syndrome}]
"""


def plan(r: Path, e: Path, km: str = "40", cm: str = "5") -> dict[str, Any]:
    return evaluate(load_content(r, e), parse_assessment(ASSESS % (km, cm))).plan.model_dump(mode="json")


# 1. engine keys


@pytest.mark.parametrize("name", ["kind", "id", "sid", "fid", "derived_by"])
def test_engine_keys_are_reserved_in_derived_facts_and_tests(tmp_path: Path, runner: Any, name: str) -> None:
    r, e = content(
        tmp_path,
        rule("d", "{fact: single_leg_squat, as: s}", f"[{{derive: {{fact: weak, set: {{{name}: s1}}}}}}]")
        + rule("u", "{fact: weak}"),
    )
    result = check(runner, r, e)
    assert result.exit_code == 2 and f"'{name}' is a name the engine uses itself" in result.stderr
    assert "t.yaml:8:" in result.stderr  # the position of the key


def test_catalogue_fields_avoid_engine_keys() -> None:
    from engine.evaluate.compiler import RESERVED_FIELDS
    from engine.load.rulebook import default_catalogues

    for cat in default_catalogues().values():
        for kind, fields in cat.items():
            assert not set(fields) & RESERVED_FIELDS, kind


# 2. two patterns on the one assessment fact


def test_two_patterns_on_the_assessment_fact_are_merged(tmp_path: Path) -> None:
    both = "{all: [{fact: assessment, as: dx, where: {field: dx_piriformis_syndrome, eq: true}}, " + (
        "{fact: assessment, as: other, where: {field: dx_hamstring_tendinopathy, eq: false}}]}"
    )
    r, e = content(tmp_path, rule("pir", both, "[{refer: {urgency: routine, reason: piriformis}}]"))
    assert [x["rule"] for x in plan(r, e)["referrals"]] == ["pir"]


# 3. two patterns on one fact kind: distinct facts, every ordered pair


def test_two_patterns_on_one_kind_bind_every_ordered_pair(tmp_path: Path) -> None:
    pair = (
        "{all: [{fact: single_leg_squat, as: a, where: {field: quality, eq: fair}}, "
        "{fact: single_leg_squat, as: b, where: {field: quality, eq: fair}}]}"
    )
    r, e = content(tmp_path, rule("both", pair, "[{prescribe: {exercise: clam, side: {from: a.side}}}]"))
    sides = sorted(x["side"] for x in plan(r, e)["exercises"] if x["id"] == "clam")
    assert sides in (["left", "right"], ["both"])


# 4. derivation cycles


def test_derivation_cycles_are_refused_with_every_rule_and_position(tmp_path: Path, runner: Any) -> None:
    r, e = content(
        tmp_path,
        rule("a-to-b", "{fact: ping}", "[{derive: {fact: pong, set: {side: {from: ping.side}}}}]")
        + rule("b-to-a", "{fact: pong}", "[{derive: {fact: ping, set: {side: {from: pong.side}}}}]")
        + rule("seed", "{fact: single_leg_squat, as: s}", "[{derive: {fact: ping, set: {side: {from: s.side}}}}]"),
    )
    result = check(runner, r, e)
    assert result.exit_code == 2 and "derivation cycle" in result.stderr
    assert "'a-to-b' (t.yaml:8)" in result.stderr and "'b-to-a' (t.yaml:14)" in result.stderr


# 5. engine limits, statically and by the probe


@pytest.mark.parametrize(
    "rules",
    [
        "".join(
            rule(f"in{i}", f"{{fact: pain, where: {{field: nrs_activity, in: {list(range(i * 30, i * 30 + 30))}}}}}")
            for i in range(18)
        ),
        rule(
            "groups",
            "{fact: pain, where: {all: ["
            + ", ".join(
                ["{any: [{all: [{field: region, in: [shin, calf]}, {field: weeks, gt: 1}]}, {field: side, eq: left}]}"]
                * 8
            )
            + "]}}",
        ),
        "".join(rule(f"t{i}", f"{{fact: pain, where: {{field: weeks, gt: {i / 10}}}}}") for i in range(61)),
        rule(
            "deep",
            "{all: ["
            + ", ".join(f"{{any: [{{fact: pain, as: p{i}}}, {{fact: cadence, as: c{i}}}]}}" for i in range(18))
            + "]}",
        ),
    ],
    ids=["equality-hang", "error-113", "error-303", "nested-any"],
)
def test_engine_limits_are_refused_by_check_with_positions(tmp_path: Path, runner: Any, rules: str) -> None:
    r, e = content(tmp_path, rules)
    result = check(runner, r, e)
    assert result.exit_code == 2, result.stderr
    assert "t.yaml:" in result.stderr and "Traceback" not in result.stderr


def test_nested_any_is_counted_not_expanded() -> None:
    groups = [{"any": [{"fact": "a", "as": f"a{i}"}, {"fact": "b", "as": f"b{i}"}]} for i in range(40)]
    assert count_variants(When.model_validate({"all": groups})) == 10**9  # 2**40, capped; nothing expanded


def test_probe_registers_and_evaluates_in_a_scratch_process() -> None:
    doc = RuleFile.model_validate(
        {
            "version": 1,
            "rules": [
                {
                    "id": f"g{i}",
                    "description": "x",
                    "evidence": ["x"],
                    "then": [{"cue": "c"}],
                    "when": {"all": [{"fact": "a", "where": {"field": f"f{i}", "gt": 1}}, {"fact": "b"}]},
                }
                for i in range(3)
            ],
        }
    )
    assert limit_warnings(compile_rules(doc.rules, "probe"), "rules") == []


# 6. numbers durable cannot parse


def test_numbers_reach_the_engine_without_exponents() -> None:
    text = engine_json({"a": 1e-09, "b": 0.00001, "c": 1e16, "d": float("inf"), "e": float("nan"), "f": "1e-05"})
    assert json.loads(text) == {"a": 1e-09, "b": 1e-05, "c": 1e15, "d": 1e15, "f": "1e-05"}
    assert "e-" not in text.replace('"1e-05"', "") and "Infinity" not in text


def test_exponent_numbers_in_facts_and_rule_literals_plan(tmp_path: Path, runner: Any) -> None:
    r, e = content(
        tmp_path,
        rule("tiny", "{fact: step_width, where: {field: cm, gt: 0.000001}}")
        + rule("km", "{fact: assessment, where: {field: weekly_km, gte: 0.00001}}"),
    )
    for km, cm in (("1e-09", "0.00001"), ("999.99999", "1e-05"), ("0.0000001", "0.000002"), ("1e-05", "1e-07")):
        got = {x["rule"] for x in plan(r, e, km, cm)["trace"]}
        assert ("tiny" in got) == (float(cm) > 0.000001) and ("km" in got) == (float(km) >= 0.00001)
    bad, _ = content(tmp_path / "b", rule("huge", "{fact: step_width, where: {field: cm, gt: 1e16}}"))
    result = check(runner, bad, e)
    assert result.exit_code == 2 and "t.yaml:7:" in result.stderr and "out of range" in result.stderr


# 7. runaway


def test_a_runaway_evaluation_stops_with_exit_2_naming_the_rule() -> None:
    doc = RuleFile.model_validate(
        {
            "version": 1,
            "rules": [
                {
                    "id": "explode",
                    "description": "x",
                    "evidence": ["x"],
                    "when": {"all": [{"fact": "a", "as": f"p{i}"} for i in range(4)]},
                    "then": [{"cue": "c"}],
                }
            ],
        }
    )
    compiled = compile_rules(doc.rules, "runaway", where="rules/x.yaml")
    rt = runtime()
    rt.register(compiled, derive_fn({r.id: r for r in doc.rules}))
    try:
        with pytest.raises(RunawayError) as err:
            rt.evaluate(compiled, [{"kind": "a", "fid": f"a{i}", "n": i} for i in range(12)])
        assert err.value.exit_code == 2 and "'explode' kept firing" in err.value.render()
        assert "rules/x.yaml" in err.value.render()
        assert len(rt.evaluate(compiled, [{"kind": "a", "fid": f"a{i}"} for i in range(4)])) == 24
    finally:
        rt.unregister(compiled.name)


# inputs


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nclient: !!timestamp hello\n", "2:9"),
        ("version: 1\nclient: {name: !!bool maybe}\n", "2:16"),
        ("{version: 1, !!bool : x}\n", "1:14"),
        ("version: 1\nnotes: a\x07b\n", "2:9"),
        ("-\x850", "1:4"),
        ("a: 1\u2028b: 2\nc: [\n", "3:1"),
    ],
)
def test_yaml_tags_and_control_characters_are_positioned(text: str, where: str) -> None:
    with pytest.raises(YamlError) as err:
        yamlio.parse(text, "f.yaml")
    assert err.value.render().startswith(f"f.yaml:{where}:"), err.value.render()


def test_rule_files_in_a_symlinked_subfolder_are_read(tmp_path: Path) -> None:
    r = tmp_path / "rules"
    r.mkdir()
    for name in ("thresholds.yaml", "references.yaml"):
        shutil.copy(ROOT / "rules" / name, r / name)
    (r / "assessment").symlink_to(ROOT / "rules" / "assessment", target_is_directory=True)
    (r / "progression").symlink_to(ROOT / "rules" / "progression", target_is_directory=True)
    lib = load_library(ROOT / "exercises")
    assert load_rulebook(r, lib).by_id().keys() == load_rulebook(ROOT / "rules", lib).by_id().keys()
    (r / "loop").symlink_to(r, target_is_directory=True)
    with pytest.raises(EngineError, match="loop"):
        load_rulebook(r, lib)


def test_engine_errors_carry_no_traceback() -> None:
    from engine.evaluate.runtime import _reason

    text = 'Traceback (most recent call last):\n  File "engine.py", line 1, in x\n    y()\nValueError: boom'
    assert _reason(text) == "ValueError: boom"
    assert "error 303" in _reason(Exception("Could not assert fact, error code: 303"))


# outputs


def test_outputs_are_exclusive_under_a_thread_race(tmp_path: Path) -> None:
    target = tmp_path / "p.json"
    results: list[str] = []

    def one(n: int) -> None:
        try:
            output.write_all([(target, f"run {n}")])
            results.append(f"ok {n}")
        except OutputError:
            results.append("refused")

    threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r.startswith("ok")]
    assert len(winners) == 1 and target.read_text() == f"run {winners[0].split()[1]}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_two_plan_processes_never_overwrite_each_other(tmp_path: Path) -> None:
    for attempt in range(3):
        out = tmp_path / f"same{attempt}.json"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "engine", "plan", str(src), "--json", str(out)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for src in (EXAMPLES[0], EXAMPLES[3])
        ]
        errs = [p.communicate(timeout=120)[1] for p in procs]
        codes = [p.returncode for p in procs]
        assert sorted(codes) == [0, 2], (codes, errs)
        winner = (EXAMPLES[0], EXAMPLES[3])[codes.index(0)]
        name = yamlio.read(winner)[0]["client"]["name"]
        assert json.loads(out.read_text())["client"]["name"] == name
        assert "already exists" in errs[codes.index(2)]
    assert all(p.name.startswith("same") for p in tmp_path.iterdir())


def test_one_assessments_outputs_are_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = output._temp
    calls = {"n": 0}

    def full_disk(path: Path, raw: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(path, raw)

    monkeypatch.setattr(output, "_temp", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        output.write_all([(tmp_path / "a.json", "x"), (tmp_path / "a.pdf", b"y"), (tmp_path / "b.pdf", b"z")])
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(output, "_temp", real)
    (tmp_path / "b.pdf").symlink_to(tmp_path / "missing")  # a dangling link counts as existing
    with pytest.raises(OutputError, match="already exists"):
        output.check_target(tmp_path / "b.pdf", force=False)
    with pytest.raises(OutputError, match="already exists"):
        output.write_all([(tmp_path / "a.json", "x"), (tmp_path / "b.pdf", b"y")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pdf"]
    output.write_all([(tmp_path / "a.json", "x"), (tmp_path / "b.pdf", b"y")], force=True)
    assert (tmp_path / "b.pdf").read_bytes() == b"y" and not (tmp_path / "b.pdf").is_symlink()
