"""Rule-set fuzzer through the real check (issue 11): what the check accepts, the engine runs.

Random schema-valid rule sets, including every shape issue 11 found (two patterns on one fact
kind, several on the one ``assessment`` fact, joins, numbers Python writes with exponents,
derivation cycles, deep ``any`` nesting, many ``in`` values and thresholds) are written to a
rules folder and go through ``load_rulebook`` (link + per-rule and whole-stage compile checks),
``compile_rules`` and the durable probe of ``rules check``. Every accepted set must then evaluate
random fact sets with no engine error and exactly the reference evaluator's firings.

Small in ``make test``; ``REHAB_FUZZ_EXAMPLES=2000`` for the large run (prints the counts).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.evaluate.compiler import compile_rules
from engine.evaluate.facts import FieldSpec
from engine.evaluate.runtime import limit_warnings, runtime
from engine.load import yamlio
from engine.load.content import derive_fn
from engine.load.library import load_library
from engine.load.rulebook import load_rulebook
from tests.conftest import ROOT
from tests.reference import binding_key
from tests.reference import evaluate as reference
from tests.test_differential import fact_sets, num_v, rulesets

EXAMPLES = int(os.environ.get("REHAB_FUZZ_EXAMPLES", "25"))
STATS = {"sets": 0, "accepted": 0, "refused": 0, "evaluations": 0, "firings": 0}

_FIELDS = {
    "side": FieldSpec("str", ("left", "right")),
    "g": FieldSpec("str", ("x", "y", "z")),
    "n": FieldSpec("num"),
    "flag": FieldSpec("bool"),
}
CATALOGUES = {"assessment": {"a": _FIELDS, "b": _FIELDS, "assessment": _FIELDS}, "progression": {}}


def _rule(rid: str, when: dict[str, Any], then: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": rid, "description": "t", "evidence": ["x"], "when": when, "then": then or [{"cue": "c"}]}


@st.composite
def extras(draw: Any) -> list[dict[str, Any]]:
    """The issue's hard shapes, a few per set."""
    out: list[dict[str, Any]] = []
    if draw(st.integers(0, 9)) == 7:  # a derivation cycle (d -> e -> d), refused by the check
        out.append(_rule("cyc-a", {"fact": "d"}, [{"derive": {"fact": "e", "set": {"side": {"from": "d.side"}}}}]))
        out.append(_rule("cyc-b", {"fact": "e"}, [{"derive": {"fact": "d", "set": {"side": {"from": "e.side"}}}}]))
    if draw(st.integers(0, 4)) == 3:  # deep any nesting: counted, never expanded
        depth = draw(st.integers(2, 18))
        w: dict[str, Any] = {"fact": "a", "as": "p", "where": {"field": "side", "eq": {"ref": "q.side"}}}
        for i in range(depth):
            w = {"all": [{"any": [w, {"fact": "a", "as": "p", "where": {"field": "n", "gt": i}}]}]}
        out.append(_rule("deep", {"all": [{"fact": "b", "as": "q"}, w]}))
    if draw(st.integers(0, 4)) == 3:  # many thresholds on one field
        for i in range(draw(st.integers(20, 70))):
            out.append(_rule(f"thr{i}", {"fact": "a", "where": {"field": "n", "gt": draw(num_v) + i / 1000}}))
    if draw(st.integers(0, 4)) == 3:  # many equality tests through long in-lists
        for i in range(draw(st.integers(5, 20))):
            values = [i * 30 + k for k in range(30)]
            out.append(_rule(f"in{i}", {"fact": "a", "where": {"field": "n", "in": values}}))
    if draw(st.integers(0, 4)) == 3:  # all of several any-of-in groups in one pattern
        groups = draw(st.integers(2, 9))
        test = {"all": [{"any": [{"field": "n", "in": [1, 2]}, {"field": "g", "in": ["x", "y"]}]}] * groups}
        out.append(_rule("groups", {"fact": "a", "where": test}))
    return out


def _write(folder: Path, rules: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("thresholds.yaml", "references.yaml"):
        shutil.copy(ROOT / "rules" / name, folder / name)
    refs = yamlio.read(ROOT / "rules" / "references.yaml")[0]["references"]
    for r in rules:
        r["evidence"] = [refs[0]["id"]]
    plain = json.loads(json.dumps(rules))  # no shared sub-objects: the dump must not write YAML aliases
    (folder / "fuzz.yaml").write_text(yamlio.dump({"version": 1, "rules": plain}), encoding="utf-8")


def check(folder: Path) -> Any:
    """What `rules check` does; returns the accepted rules or None when refused."""
    lib = load_library(ROOT / "exercises")
    try:
        book = load_rulebook(folder, lib, CATALOGUES)
        rules = book.rules["assessment"]
        compiled = compile_rules(rules, "fuzz", where=str(folder))
    except EngineError:
        return None
    if [d for d in limit_warnings(compiled, str(folder)) if d.severity == "error"]:
        return None
    return rules, compiled


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rules=rulesets(), hard=extras(), sets=fact_sets())
def test_what_the_check_accepts_the_engine_runs(
    tmp_path_factory: pytest.TempPathFactory, rules: list[dict[str, Any]], hard: list[dict[str, Any]], sets: Any
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    _write(folder, [*rules, *hard])
    STATS["sets"] += 1
    accepted = check(folder)
    if accepted is None:
        STATS["refused"] += 1
        return
    STATS["accepted"] += 1
    doc_rules, compiled = accepted
    rt = runtime()
    rt.register(compiled, derive_fn({r.id: r for r in doc_rules}))
    try:
        for facts in sets:
            fired = rt.evaluate(compiled, facts)  # any EngineError here fails the test
            got = {(f.rule, binding_key(f.bindings)) for f in fired}
            want = reference(list(doc_rules), facts)
            STATS["evaluations"] += 1
            STATS["firings"] += len(fired)
            assert got == want, f"facts={facts}\nonly engine={got - want}\nonly reference={want - got}"
    finally:
        rt.unregister(compiled.name)


def teardown_module() -> None:
    if "REHAB_FUZZ_EXAMPLES" in os.environ:
        sys.stderr.write(f"\nrule-set fuzz: {STATS}\n")
