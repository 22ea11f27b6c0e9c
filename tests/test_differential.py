"""Differential property test: durable_rules (through the compiler) against the reference.

Random rule sets (patterns, nested all/any, every operator, equality joins, forward chaining,
two patterns on one fact kind, several patterns on the one ``assessment`` fact, numbers Python
writes with exponents) and random facts; the set of firings (rule, which alias bound which fact)
must be identical. REHAB_DIFF_EXAMPLES raises the count.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RuleCompileError
from engine.evaluate.compiler import compile_rules
from engine.evaluate.runtime import runtime
from engine.load.content import derive_fn
from engine.models.rule import RuleFile
from tests.reference import binding_key
from tests.reference import evaluate as reference

EXAMPLES = int(os.environ.get("REHAB_DIFF_EXAMPLES", "150"))

# durable_rules' C core sometimes dies with SIGSEGV inside retract_facts on random rule sets of this
# generator (heap-layout dependent: the same seed crashes or passes from run to run). A crash must
# not take the whole suite down with it, so this test runs in a child process started by
# tests/test_differential_isolated.py, which reports a crash as the known engine defect and any
# mismatch as a failure.
pytestmark = pytest.mark.skipif(
    os.environ.get("REHAB_DIFF_CHILD") != "1", reason="runs in a child process (test_differential_isolated.py)"
)
FACT_SETS = 25
SIDES = ["left", "right"]
GRADES = ["x", "y", "z"]

side_v = st.sampled_from(SIDES)
grade_v = st.sampled_from(GRADES)
num_v = st.one_of(st.integers(0, 10), st.sampled_from([2.5, 5.0, 7.5, 0.00001, 1e-09, 0.0001, 123456.5]))
fact_num_v = st.one_of(num_v, st.sampled_from([1e16, 10**17, float("inf"), float("-inf"), float("nan"), 2e-05, -1e-07]))


@st.composite
def leaf(draw: Any, joinable: list[str]) -> dict[str, Any]:
    field = draw(st.sampled_from(["side", "g", "n", "flag"]))
    if field == "side" and joinable and draw(st.booleans()):
        return {"field": "side", "eq": {"ref": f"{draw(st.sampled_from(joinable))}.side"}}
    if draw(st.integers(0, 9)) == 0:
        return {"field": field, "exists": draw(st.booleans())}
    if field == "n":
        op = draw(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte", "in"]))
        if op == "in":
            return {"field": "n", "in": draw(st.lists(st.integers(0, 10), min_size=1, max_size=3))}
        return {"field": "n", op: draw(num_v)}
    values = {"side": side_v, "g": grade_v, "flag": st.booleans()}[field]
    op = draw(st.sampled_from(["eq", "ne", "in"] if field != "flag" else ["eq", "ne"]))
    if op == "in":
        return {"field": field, "in": draw(st.lists(values, min_size=1, max_size=2, unique=True))}
    return {"field": field, op: draw(values)}


def cond_tree(joinable: list[str], depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    if depth == 0:
        return leaf(joinable)
    return st.one_of(
        leaf(joinable),
        st.builds(lambda xs: {"all": xs}, st.lists(cond_tree(joinable, depth - 1), min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(cond_tree(joinable, depth - 1), min_size=1, max_size=3)),
    )


def pattern(kind: str, alias: str, joinable: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.just({"fact": kind, "as": alias}), cond_tree(joinable).map(lambda t: {"fact": kind, "as": alias, "where": t})
    )


@st.composite
def when(draw: Any, first: str, second: str) -> dict[str, Any]:
    shape = draw(st.integers(0, 8))
    if shape == 0:
        return draw(pattern(first, "p", []))
    if shape == 1:
        return {"all": [draw(pattern(first, "p", [])), draw(pattern(second, "q", ["p"]))]}
    if shape == 2:
        return {"any": [draw(pattern(first, "p", [])), draw(pattern(second, "q", []))]}
    if shape == 3:
        return {
            "all": [
                draw(pattern(first, "p", [])),
                {"any": [draw(pattern(second, "q", ["p"])), draw(pattern(second, "q", ["p"]))]},
            ]
        }
    if shape == 4:
        return {
            "any": [
                {"all": [draw(pattern(first, "p", [])), draw(pattern(second, "q", ["p"]))]},
                draw(pattern(second, "q", [])),
            ]
        }
    if shape == 5:  # two patterns on the same kind: distinct facts, every ordered pair
        return {"all": [draw(pattern(first, "p", [])), draw(pattern(first, "q", ["p"]))]}
    if shape == 6:  # same kind three times, one joined
        return {"all": [draw(pattern(first, "p", [])), draw(pattern(first, "q", [])), draw(pattern(first, "r", ["q"]))]}
    if shape == 7:  # several patterns on the one assessment fact (merged), around another pattern
        return {
            "all": [
                draw(pattern("assessment", "x", [])),
                draw(pattern(first, "p", ["x"])),
                draw(pattern("assessment", "y", ["p"])),
            ]
        }
    return {"all": [draw(pattern("assessment", "x", [])), draw(pattern("assessment", "y", []))]}


@st.composite
def rulesets(draw: Any) -> list[dict[str, Any]]:
    rules = []
    for i in range(draw(st.integers(1, 6))):
        rules.append(
            {
                "id": f"r{i}",
                "description": "t",
                "priority": draw(st.integers(0, 5)),
                "evidence": ["x"],
                "when": draw(when("a", "b")),
                "then": [{"derive": {"fact": "d", "set": {"side": {"from": "p.side"}, "g": draw(grade_v)}}}]
                if draw(st.booleans())
                else [{"cue": "c"}],
            }
        )
    for i in range(draw(st.integers(0, 3))):
        rules.append(
            {
                "id": f"s{i}",
                "description": "t",
                "priority": draw(st.integers(0, 5)),
                "evidence": ["x"],
                "when": draw(when("d", "a")),
                "then": [{"cue": "c"}],
            }
        )
    return rules


@st.composite
def fact(draw: Any, kind: str, i: int) -> dict[str, Any]:
    f: dict[str, Any] = {"kind": kind, "fid": f"{kind}{i}"}
    for name, values in (("side", side_v), ("g", grade_v), ("n", fact_num_v), ("flag", st.booleans())):
        if draw(st.integers(0, 5)) > 0:
            f[name] = draw(values)
    return f


@st.composite
def fact_sets(draw: Any) -> list[list[dict[str, Any]]]:
    out = []
    for _ in range(FACT_SETS):
        facts = [draw(fact("a", i)) for i in range(draw(st.integers(0, 3)))]
        facts += [draw(fact("b", i)) for i in range(draw(st.integers(0, 3)))]
        facts += [draw(fact("assessment", 0)) for _ in range(draw(st.integers(0, 1)))]
        out.append(facts)
    return out


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rules=rulesets(), sets=fact_sets())
def test_durable_matches_reference(rules: list[dict[str, Any]], sets: list[list[dict[str, Any]]]) -> None:
    doc = RuleFile.model_validate({"version": 1, "rules": rules})
    try:
        compiled = compile_rules(doc.rules, "diff")
    except RuleCompileError:  # refused with a reason (e.g. joins in a circle through merged patterns)
        return
    rt = runtime()
    rt.register(compiled, derive_fn({r.id: r for r in doc.rules}))
    try:
        for facts in sets:
            got = {(f.rule, binding_key(f.bindings)) for f in rt.evaluate(compiled, facts)}
            want = reference(list(doc.rules), facts)
            assert got == want, f"facts={facts}\nonly engine={got - want}\nonly reference={want - got}"
    finally:
        rt.unregister(compiled.name)
