"""Property tests for the rule and exercise validators and for plan determinism."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.evaluate.compiler import compile_rules
from engine.evaluate.facts import prepare
from engine.evaluate.runtime import runtime
from engine.load import yamlio
from engine.load.content import Content, derive_fn, load_content
from engine.load.validation import validate
from engine.models.exercise import Exercise
from engine.models.rule import RuleFile
from engine.plan.pipeline import load_assessment
from engine.plan.planner import Planner
from tests.conftest import EXAMPLES

_keys = st.sampled_from(
    [
        "version",
        "rules",
        "id",
        "description",
        "priority",
        "evidence",
        "when",
        "then",
        "all",
        "any",
        "fact",
        "as",
        "where",
        "field",
        "eq",
        "in",
        "gt",
        "prescribe",
        "exercise",
        "side",
        "from",
        "cue",
        "doses",
        "sets",
        "reps",
        "picture",
        "poses",
        "joints",
        "x",
    ]
)
_leaf = st.one_of(st.integers(-5, 70000), st.floats(allow_nan=True), st.booleans(), st.none(), st.text(max_size=8))
_docs = st.recursive(
    _leaf, lambda ch: st.one_of(st.lists(ch, max_size=3), st.dictionaries(_keys, ch, max_size=5)), max_leaves=30
)


@settings(max_examples=300, deadline=None)
@given(_docs)
def test_rule_and_exercise_validators_never_crash(doc: object) -> None:
    text = yamlio.dump(doc)
    for model in (RuleFile, Exercise):
        try:
            validate(model, *yamlio.parse(text, "f.yaml"))
        except EngineError as exc:
            assert all(d.file == "f.yaml" and d.line >= 1 for d in exc.diagnostics)


def _plan_json(content: Content, rules: list, path) -> str:  # type: ignore[no-untyped-def]
    compiled = compile_rules(rules, "perm")
    rt = runtime()
    by_id = {r.id: r for r in rules}
    rt.register(compiled, derive_fn(by_id))
    a = load_assessment(path)
    facts = prepare(a, content.thresholds)
    firings = rt.evaluate(compiled, facts.facts)
    planner = Planner(content.library, by_id, content.thresholds, content.book.sha256)
    return planner.build(a, facts, firings, content.library.sha256).to_json()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_plans_do_not_depend_on_rule_order(seed: int) -> None:
    content = load_content()
    rules = list(content.book.rules["assessment"])
    shuffled = rules[:]
    random.Random(seed).shuffle(shuffled)
    for path in EXAMPLES[:6]:
        assert _plan_json(content, rules, path) == _plan_json(content, shuffled, path)
