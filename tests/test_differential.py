"""Differential property test: durable_rules (through the compiler) against the reference.

Random rule sets (patterns, nested all/any, every operator, equality joins, forward chaining,
two patterns on one fact kind, several patterns on the one ``assessment`` fact, numbers Python
writes with exponents) and random facts; the set of firings (rule, which alias bound which fact)
must be identical. A rule set counts when ``rules check`` would accept it: it compiles and the
durable probe (a scratch-process evaluation) passes.

It runs in the test process: a crash of durable_rules' C core takes the run down and fails it
(issue 11: the old retract-all session clean-up corrupted memory; the runtime now deletes each
session). REHAB_DIFF_EXAMPLES raises the count (``REHAB_DIFF_EXAMPLES=2000`` for a large run);
REHAB_DIFF_STATS=<file> writes the counts (sets generated, accepted, evaluations, mismatches) as
JSON there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RuleCompileError
from engine.evaluate.compiler import compile_rules
from engine.evaluate.runtime import probe, runtime
from engine.load.content import derive_fn
from engine.models.rule import RuleFile
from tests.reference import binding_key
from tests.reference import evaluate as reference

EXAMPLES = int(os.environ.get("REHAB_DIFF_EXAMPLES", "150"))

FACT_SETS = 25
SIDES = ["left", "right"]
GRADES = ["x", "y", "z"]

side_v = st.sampled_from(SIDES)
grade_v = st.sampled_from(GRADES)
num_v = st.one_of(st.integers(0, 10), st.sampled_from([2.5, 5.0, 7.5, 0.00001, 1e-09, 0.0001, 123456.5]))
fact_num_v = st.one_of(num_v, st.sampled_from([1e16, 10**17, float("inf"), float("-inf"), float("nan"), 2e-05, -1e-07]))


FIELDS = ("side", "g", "n", "flag")
DERIVED_FIELDS = ("side", "g")
"""The fields a derived ``d`` fact has (what the derive actions set): rules test only these."""


@st.composite
def leaf(draw: Any, joinable: list[str], fields: tuple[str, ...] = FIELDS) -> dict[str, Any]:
    field = draw(st.sampled_from(fields))
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


def cond_tree(
    joinable: list[str], fields: tuple[str, ...] = FIELDS, depth: int = 2
) -> st.SearchStrategy[dict[str, Any]]:
    if depth == 0:
        return leaf(joinable, fields)
    sub = cond_tree(joinable, fields, depth - 1)
    return st.one_of(
        leaf(joinable, fields),
        st.builds(lambda xs: {"all": xs}, st.lists(sub, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(sub, min_size=1, max_size=3)),
    )


def pattern(kind: str, alias: str, joinable: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    fields = DERIVED_FIELDS if kind == "d" else FIELDS
    return st.one_of(
        st.builds(lambda: {"fact": kind, "as": alias}),  # a fresh dict each time (no YAML aliases)
        cond_tree(joinable, fields).map(lambda t: {"fact": kind, "as": alias, "where": t}),
    )


BOUND = {0: "p", 1: "p", 2: None, 3: "p", 4: "q", 5: "p", 6: "p", 7: "p", 8: "x"}
"""Per ``when`` shape, an alias matched in every branch (a derive may copy a field from it)."""


@st.composite
def when(draw: Any, first: str, second: str, shape: int | None = None) -> dict[str, Any]:
    shape = draw(st.integers(0, 8)) if shape is None else shape
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
    chained = draw(st.integers(0, 3))  # rules on the derived fact d
    for i in range(draw(st.integers(1, 6))):
        shape = draw(st.integers(0, 8))
        then: list[dict[str, Any]] = [{"cue": "c"}]
        if draw(st.booleans()) or (i == 0 and chained):  # something derives d when rules use it
            bound = BOUND[shape]
            side = {"from": f"{bound}.side"} if bound and draw(st.integers(0, 3)) else draw(side_v)
            then = [{"derive": {"fact": "d", "set": {"side": side, "g": draw(grade_v)}}}]
        rules.append(
            {
                "id": f"r{i}",
                "description": "t",
                "priority": draw(st.integers(0, 5)),
                "evidence": ["x"],
                "when": draw(when("a", "b", shape)),
                "then": then,
            }
        )
    for i in range(chained):
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


STATS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _counts() -> Iterator[None]:
    """Check (and optionally write) the run's counts once every example has run."""
    yield
    if os.environ.get("REHAB_DIFF_STATS"):
        Path(os.environ["REHAB_DIFF_STATS"]).write_text(json.dumps(dict(STATS), sort_keys=True) + "\n")
    if STATS["generated"] >= 20:  # the generator must mostly produce sets the checker accepts
        assert STATS["accepted"] >= 0.8 * STATS["generated"], dict(STATS)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rules=rulesets(), sets=fact_sets())
def test_durable_matches_reference(rules: list[dict[str, Any]], sets: list[list[dict[str, Any]]]) -> None:
    STATS["generated"] += 1
    doc = RuleFile.model_validate({"version": 1, "rules": rules})
    try:
        compiled = compile_rules(doc.rules, "diff")
    except RuleCompileError:  # refused with a reason (e.g. joins in a circle through merged patterns)
        STATS["refused_compile"] += 1
        return
    if probe(compiled, "diff"):  # `rules check` refuses what the engine fails on in a scratch process
        STATS["refused_probe"] += 1
        return
    STATS["accepted"] += 1
    rt = runtime()
    rt.register(compiled, derive_fn({r.id: r for r in doc.rules}))
    try:
        for facts in sets:
            got = {(f.rule, binding_key(f.bindings)) for f in rt.evaluate(compiled, facts)}
            want = reference(list(doc.rules), facts)
            STATS["evaluations"] += 1
            STATS["firings"] += len(got)
            if got != want:
                STATS["mismatches"] += 1
            assert got == want, f"facts={facts}\nonly engine={got - want}\nonly reference={want - got}"
    finally:
        rt.unregister(compiled.name)
