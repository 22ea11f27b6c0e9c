"""Red-team reproducers (issue 11, second pass): shapes `rules check` used to accept that then
fired a rule whose condition is false by the rule language, or missed one whose condition holds.

Each either works exactly as README "What a rule means exactly" says (checked against the
reference evaluator, tests/reference.py) or is refused by `rules check` with file:line:col.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.evaluate.compiler import compile_rules
from engine.evaluate.runtime import runtime
from engine.load.content import derive_fn
from engine.models.rule import RuleFile
from tests.conftest import ROOT
from tests.reference import binding_key
from tests.reference import evaluate as reference


def rules_dir(tmp_path: Path, body: str) -> tuple[Path, Path]:
    r = tmp_path / "rules"
    r.mkdir(parents=True, exist_ok=True)
    for name in ("thresholds.yaml", "references.yaml"):
        shutil.copy(ROOT / "rules" / name, r / name)
    f = r / "t.yaml"
    f.write_text("version: 1\nrules:\n" + body, encoding="utf-8")
    return r, f


def rule(rid: str, when: str, then: str = "[{cue: x}]") -> str:
    return f"  - id: {rid}\n    description: x\n    evidence: [bramah-2018]\n    when: {when}\n    then: {then}\n"


def check(r: Path) -> Any:
    return CliRunner().invoke(app, ["rules", "check", "--rules", str(r)])


def line_of(f: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if needle in ln)


def refused_at(result: Any, f: Path, needle: str, words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    where = rf"{re.escape(str(f))}:{line_of(f, needle)}:\d+: [^\n]*{words}"
    assert re.search(where, result.output), (where, result.output)


# Typed derived fields: durable_rules converts between words and numbers when it compares them
# ("1" equalled a derived 1, "true" equalled true), the rule language never does.


def test_a_derived_side_set_to_a_number_is_a_number_field(tmp_path: Path) -> None:
    # before: the derived 'side' was always typed a word, so `eq: "1"` passed the check and fired
    body = rule("mk", "{fact: assessment}", "[{derive: {fact: ee, set: {side: 1}}}]") + rule(
        "use", '{fact: ee, where: {field: side, eq: "1"}}'
    )
    r, f = rules_dir(tmp_path, body)
    refused_at(check(r), f, 'eq: "1"', "is a number; '1' can never match")


def test_a_copied_field_has_the_type_of_the_field_it_copies(tmp_path: Path) -> None:
    # before: `from: drop.deg` was typed a word; `eq: "9"` passed, `gt: 5` was refused
    body = rule("mk", "{fact: pelvic_drop, as: drop}", "[{derive: {fact: dd, set: {v: {from: drop.deg}}}}]")
    body += rule("use-word", '{fact: dd, where: {field: v, eq: "9"}}')
    body += rule("use-num", "{fact: dd, where: {field: v, gt: 5}}")
    r, f = rules_dir(tmp_path, body)
    result = check(r)
    refused_at(result, f, 'eq: "9"', "is a number")
    assert f":{line_of(f, 'gt: 5')}:" not in result.output, result.output


def test_one_derived_field_with_two_types_is_refused_naming_both_places(tmp_path: Path) -> None:
    body = rule("as-word", "{fact: assessment}", '[{derive: {fact: dd, set: {v: "5"}}}]')
    body += rule("as-num", "{fact: pain}", "[{derive: {fact: dd, set: {v: 5}}}]")
    body += rule("use", "{fact: dd, where: {field: v, eq: 5}}")
    r, f = rules_dir(tmp_path, body)
    result = check(r)
    first = line_of(f, 'v: "5"')
    refused_at(result, f, "set: {v: 5}", rf"a number here but a word where 'as-word' derives it \(t.yaml:{first}\)")


def test_a_join_between_fields_of_different_types_is_refused(tmp_path: Path) -> None:
    body = rule("mk", "{fact: assessment}", "[{derive: {fact: ee, set: {n: 1, w: left}}}]")
    body += rule("j-bool", "{all: [{fact: ee, as: e}, {fact: pelvic_drop, where: {field: flagged, eq: {ref: e.n}}}]}")
    body += rule("j-word", "{all: [{fact: ee, as: e}, {fact: pelvic_drop, where: {field: deg, eq: {ref: e.w}}}]}")
    body += rule("j-ok", "{all: [{fact: ee, as: e}, {fact: pelvic_drop, where: {field: side, eq: {ref: e.w}}}]}")
    r, f = rules_dir(tmp_path, body)
    result = check(r)
    for rid in ("j-bool", "j-word"):  # each rule's one-line 'when' is 3 lines below its id
        assert re.search(rf"{re.escape(str(f))}:{line_of(f, 'id: ' + rid) + 3}:\d+: [^\n]*never equal", result.output)
    assert result.output.count("never equal") == 2, result.output


def test_a_long_word_in_a_rule_is_refused(tmp_path: Path) -> None:
    # before: durable compared only the start of a 70,000-character word (a different one matched)
    r, f = rules_dir(
        tmp_path, rule("long", "{fact: assessment}", "[{derive: {fact: dd, set: {v: " + "x" * 70000 + "}}}]")
    )
    result = check(r)
    assert result.exit_code == 2 and "at most 1000 characters (this one has 70000)" in result.output, result.output[
        :500
    ]
    assert f"{f}:" in result.output


# Numbers by value: 3 joins 3.0 and -0.0 joins 0 (durable joined neither).

JOINS = [
    {
        "id": "r",
        "description": "t",
        "evidence": ["x"],
        "when": {"all": [{"fact": "a", "as": "x"}, {"fact": "b", "where": {"field": "f", "eq": {"ref": "x.f"}}}]},
        "then": [{"derive": {"fact": "d", "set": {"v": {"from": "x.f"}}}}],
    },
    {
        "id": "s",
        "description": "t",
        "evidence": ["x"],
        "when": {"all": [{"fact": "d", "as": "dd"}, {"fact": "b", "where": {"field": "f", "eq": {"ref": "dd.v"}}}]},
        "then": [{"cue": "c"}],
    },
]


@pytest.mark.parametrize(("left", "right"), [(1, 1.0), (2.0, 2), (-0.0, 0), (0, -0.0), (10**16, 10**17), (3, 4.0)])
def test_numbers_join_by_value(left: float, right: float) -> None:
    doc = RuleFile.model_validate({"version": 1, "rules": JOINS})
    compiled = compile_rules(doc.rules, "redteam")
    rt = runtime()
    rt.register(compiled, derive_fn({x.id: x for x in doc.rules}))
    facts = [{"kind": "a", "fid": "a1", "f": left}, {"kind": "b", "fid": "b1", "f": right}]
    try:
        firings = rt.evaluate(compiled, facts)
    finally:
        rt.unregister(compiled.name)
    got = {(x.rule, binding_key(x.bindings)) for x in firings}
    assert got == reference(list(doc.rules), facts)
    assert bool(got) == (left == right or min(left, right) >= 1e15)
    for x in firings:  # whole numbers reach the actions whole
        if x.rule == "r" and abs(left) < 1e15:
            assert type(x.bindings["x"]["f"]) is type(left), x.bindings


# Rules with identical conditions: durable_rules refuses more than 256 rules ending on one node of
# its network (error 108). Before: `rules check` said "durable_rules refuses these rules" with no
# position, and `rehab plan` exited 3.

PIRIFORMIS = ROOT / "examples" / "piriformis-buttock.yaml"


def _same(n: int) -> str:
    return "".join(
        f"  - {{id: r{i:03d}, description: x, evidence: [bramah-2018], when: {{fact: assessment}}, then: [{{cue: c{i}}}]}}\n"
        for i in range(n)
    )


def test_too_many_rules_with_identical_conditions_are_refused_at_a_rule(tmp_path: Path) -> None:
    r, f = rules_dir(tmp_path, _same(257))
    result = check(r)
    refused_at(result, f, "id: r250,", "257 rules end on exactly the same tests")
    planned = CliRunner().invoke(app, ["plan", "--rules", str(r), str(PIRIFORMIS), "--json", str(tmp_path / "p.json")])
    assert planned.exit_code == 2, planned.output
    assert not (tmp_path / "p.json").exists()


def test_the_most_rules_with_identical_conditions_all_fire(tmp_path: Path) -> None:
    r, _ = rules_dir(tmp_path, _same(250))
    assert check(r).exit_code == 0
    out = tmp_path / "p.json"
    planned = CliRunner().invoke(app, ["plan", "--rules", str(r), str(PIRIFORMIS), "--json", str(out)])
    assert planned.exit_code == 0, planned.output
    assert len(json.loads(out.read_text())["trace"]) == 250


@pytest.mark.parametrize("name", ["red-flags.yml", "Red-Flags.YAML", "sub/cases.test.yml"])
def test_a_rule_file_not_named_yaml_is_refused_not_skipped(tmp_path: Path, name: str) -> None:
    # before: `rules check` said OK with 0 rules; a clinic's red-flags.yml referrals never fired
    r, f = rules_dir(tmp_path, rule("a", "{fact: assessment}"))
    other = r / name
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text(f.read_text().replace("id: a", "id: b"), encoding="utf-8")
    result = check(r)
    assert result.exit_code == 2, result.output
    assert f"{other}: rule and test files must end in '.yaml'" in result.output.replace("\n", ""), result.output


# Combinations: k patterns on one kind of fact bind n!/(n-k)! ordered combinations, and durable_rules
# builds them all before any action (where the firing budget is counted) runs. Before: five
# patterns on 'pain' passed `rules check`; a client with 20 pains ran 164 s, 1 GB, then exit 2.

TWENTY_PAINS = "version: 1\nclient: {name: P, weekly_km: 30}\nassessed_on: 2026-11-01\npain:\n" + "".join(
    f"  - {{region: {region}, side: {side}, nrs_rest: 1, nrs_activity: 4, weeks: {i + 1}}}\n"
    for i, (region, side) in enumerate(
        (r, s)
        for s in ("left", "right")
        for r in (
            "shin",
            "calf",
            "medial_knee",
            "lateral_hip",
            "buttock",
            "foot",
            "achilles",
            "hamstring",
            "groin",
            "lumbar",
        )
    )
)


def _pains(rid: str, k: int, then: str = "[{cue: c}]") -> str:
    pats = ", ".join(f"{{fact: pain, as: p{i}}}" for i in range(k))
    return rule(rid, f"{{all: [{pats}]}}", then)


def test_a_rule_binding_more_combinations_than_the_budget_is_refused(tmp_path: Path) -> None:
    r, f = rules_dir(tmp_path, _pains("five", 5))
    result = check(r)
    refused_at(result, f, "when: {all: [{fact: pain, as: p0", "this condition can match")
    assert "1860480 combinations" in result.output and "5 patterns on up to 20 'pain' facts" in result.output
    a = tmp_path / "a.yaml"
    a.write_text(TWENTY_PAINS, encoding="utf-8")
    planned = CliRunner().invoke(app, ["plan", "--rules", str(r), str(a), "--json", str(tmp_path / "p.json")])
    assert planned.exit_code == 2 and "1860480 combinations" in planned.output, planned.output


def test_rules_that_together_exceed_the_budget_are_refused_and_one_below_runs(tmp_path: Path) -> None:
    derive = "[{derive: {fact: dd, set: {s: {from: p0.side}}}}]"
    both = _pains("three", 3, derive) + rule("join", "{all: [{fact: dd}, {fact: pain, as: q}, {fact: pain, as: w}]}")
    r, _ = rules_dir(tmp_path, both)
    result = check(r)
    assert result.exit_code == 2 and "together the rules of this stage can fire up to 14440 times" in result.output
    r2, _ = rules_dir(tmp_path / "ok", _pains("three", 3))
    assert check(r2).exit_code == 0
    a = tmp_path / "a.yaml"
    a.write_text(TWENTY_PAINS, encoding="utf-8")
    out = tmp_path / "p.json"
    planned = CliRunner().invoke(app, ["plan", "--rules", str(r2), str(a), "--json", str(out)])
    assert planned.exit_code == 0, planned.output
    assert sum(t["rule"] == "three" for t in json.loads(out.read_text())["trace"]) == 20 * 19 * 18


def test_the_binding_budget_is_the_firing_budget() -> None:
    from engine.evaluate.runtime import MAX_FIRINGS
    from engine.load.rulebook import MAX_BINDINGS

    assert MAX_BINDINGS == MAX_FIRINGS


# A typed differential run (seeded): numbers that are equal as values but not as JSON (1 and 1.0,
# 0 and -0.0), words that look like numbers or booleans, joins between number fields, derived
# facts copying them. test_differential's generator joins only on 'side'.

_NUMS = [0, -0.0, 1, 1.0, 2.5, 3, 3.0, 1e-9, -1e-9, 10**16, -7, 0.1, 0.30000000000000004]
_TYPED = {"n": _NUMS, "m": _NUMS, "s": ["1", "a", "true", "", "é😀", "1.0", "0"], "b": [True, False]}


def _literal(rng: Any, values: list[Any]) -> Any:
    v = rng.choice(values)
    return 4 if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) >= 1e15 else v


def _typed_leaf(rng: Any, joinable: list[str]) -> dict[str, Any]:
    f = rng.choice(list(_TYPED))
    if joinable and rng.random() < 0.3:
        other = {"n": "m", "m": "n"}.get(f, f) if rng.random() < 0.3 else f
        return {"field": f, "eq": {"ref": f"{rng.choice(joinable)}.{other}"}}
    if rng.random() < 0.1:
        return {"field": f, "exists": rng.random() < 0.5}
    op = rng.choice(["eq", "ne", "in"] + (["lt", "lte", "gt", "gte"] if f in "nm" else []))
    if op == "in":
        return {"field": f, "in": [_literal(rng, _TYPED[f]) for _ in range(rng.randint(1, 3))]}
    return {"field": f, op: _literal(rng, _TYPED[f])}


def _typed_tree(rng: Any, joinable: list[str], depth: int = 2) -> dict[str, Any]:
    if depth == 0 or rng.random() < 0.5:
        return _typed_leaf(rng, joinable)
    return {rng.choice(["all", "any"]): [_typed_tree(rng, joinable, depth - 1) for _ in range(rng.randint(1, 3))]}


def _typed_rules(rng: Any) -> list[dict[str, Any]]:
    out = []
    copy = [{"derive": {"fact": "d", "set": {"n": {"from": "x.n"}, "s": {"from": "x.s"}}}}]
    for i in range(rng.randint(1, 4)):
        pats: list[dict[str, Any]] = [{"fact": "a", "as": "x", "where": _typed_tree(rng, [])}]
        if rng.random() < 0.6:
            pats.append({"fact": rng.choice(["a", "b"]), "as": "y", "where": _typed_tree(rng, ["x"])})
        when = {"all": pats} if len(pats) > 1 else pats[0]
        then = copy if rng.random() < 0.4 else [{"cue": "c"}]
        out.append({"id": f"r{i}", "description": "t", "evidence": ["x"], "when": when, "then": then})
    join_d = {"all": [{"fact": "d", "as": "q"}, {"fact": "b", "where": {"field": "n", "eq": {"ref": "q.n"}}}]}
    out.append({"id": "dd", "description": "t", "evidence": ["x"], "when": join_d, "then": [{"cue": "c"}]})
    return out


def test_typed_values_match_the_reference() -> None:
    import random

    rng = random.Random(20261202)
    rt = runtime()
    evaluations = 0
    for _ in range(40):
        doc = RuleFile.model_validate({"version": 1, "rules": _typed_rules(rng)})
        compiled = compile_rules(doc.rules, "typed")
        rt.register(compiled, derive_fn({x.id: x for x in doc.rules}))
        try:
            for _ in range(10):
                facts = [
                    {
                        "kind": kind,
                        "fid": f"{kind}{i}",
                        **{k: rng.choice(v) for k, v in _TYPED.items() if rng.random() < 0.85},
                    }
                    for kind, most in (("a", 3), ("b", 2))
                    for i in range(rng.randint(0, most))
                ]
                got = {(x.rule, binding_key(x.bindings)) for x in rt.evaluate(compiled, facts)}
                assert got == reference(list(doc.rules), facts), facts
                evaluations += 1
        finally:
            rt.unregister(compiled.name)
    assert evaluations == 400
