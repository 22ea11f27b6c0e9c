"""The durable_rules wrapper: errors surface, sessions stay clean, explanations show the chain."""

from __future__ import annotations

import json

import pytest

from engine.cli import app
from engine.errors import EvaluationError
from engine.evaluate.compiler import compile_rules
from engine.evaluate.runtime import runtime
from engine.models.rule import RuleFile
from tests.conftest import ROOT

DOC = RuleFile.model_validate(
    {
        "version": 1,
        "rules": [
            {
                "id": "boom",
                "description": "x",
                "evidence": ["x"],
                "when": {"fact": "a", "where": {"field": "n", "gt": 5}},
                "then": [{"derive": {"fact": "d", "set": {"side": {"from": "a.side"}}}}],
            },
            {"id": "chain", "description": "x", "evidence": ["x"], "when": {"fact": "d"}, "then": [{"cue": "c"}]},
        ],
    }
)


def test_action_errors_are_raised_not_swallowed_and_the_next_run_is_clean() -> None:
    compiled = compile_rules(DOC.rules, "rt-err")
    calls = {"n": 0}

    def derive(rule_id, bindings):  # type: ignore[no-untyped-def]
        if rule_id != "boom":
            return []
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("broken action")
        return [{"kind": "d", "side": bindings["a"]["side"], "derived_by": rule_id}]

    rt = runtime()
    rt.register(compiled, derive)
    try:
        with pytest.raises(EvaluationError, match="broken action"):
            rt.evaluate(compiled, [{"kind": "a", "fid": "a1", "n": 9, "side": "left"}])
        for _ in range(3):  # the failed session is abandoned; later runs see no stale facts
            fired = rt.evaluate(compiled, [{"kind": "a", "fid": "a1", "n": 9, "side": "left"}])
            assert [f.rule for f in fired] == ["boom", "chain"]
        assert rt.evaluate(compiled, [{"kind": "a", "fid": "a1", "n": 1, "side": "left"}]) == []
    finally:
        rt.unregister(compiled.name)


def test_explain_shows_findings_derived_facts_rules_and_plan(runner) -> None:  # type: ignore[no-untyped-def]
    seed = str(ROOT / "examples" / "seed-marathon-bilateral-drop.yaml")
    text = runner.invoke(app, ["explain", seed]).stdout
    order = [
        "Findings",
        "pelvic_drop left: 8.5°",
        "Derived facts",
        "stance_control_deficit(side=",
        "Rules fired",
        "cpd-flagged-side",
        "Plan: exercise",
        "because cpd-",
    ]
    at = 0
    for piece in order:  # each piece appears after the previous one
        at = text.index(piece, at) + len(piece)
    data = json.loads(runner.invoke(app, ["explain", seed, "--json"]).stdout)
    assert {"findings", "facts", "derived", "rules", "plan"} <= set(data)
    assert data["rules"][0]["fired_on"] and data["plan"]["trace"]


PAIR = RuleFile.model_validate(
    {
        "version": 1,
        "rules": [
            {
                "id": "pair",
                "description": "x",
                "evidence": ["x"],
                "when": {
                    "all": [
                        {"fact": "a", "as": "p"},
                        {"fact": "a", "as": "q", "where": {"field": "side", "eq": {"ref": "p.side"}}},
                    ]
                },
                "then": [{"cue": "c"}],
            }
        ],
    }
)
PAIR_FACTS = [{"kind": "a", "fid": f"a{i}", "side": "left"} for i in range(3)]


def test_sessions_serve_many_evaluations_and_are_deleted_never_retracted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: retracting the facts of a fired two-pattern match overruns durable's match array
    (deleteMessageFromFrame), corrupting memory at random, so the runtime never retracts. One
    session serves SESSION_EVALUATIONS evaluations (issue 15: beginning one costs ~1 ms at 1,000
    rules) and is then deleted whole; more evaluations than durable's 1024 live sessions run."""
    from durable.engine import Ruleset

    from engine.evaluate.runtime import SESSION_EVALUATIONS

    def refuse(self: Ruleset, facts: object) -> None:
        raise AssertionError("the runtime retracted facts from a session")

    monkeypatch.setattr(Ruleset, "retract_facts", refuse)
    monkeypatch.setattr(Ruleset, "retract_fact", refuse)
    compiled = compile_rules(PAIR.rules, "rt-delete")
    rt = runtime()
    rt.register(compiled, lambda rule_id, bindings: [])
    sids: list[str] = []
    begun = rt.sessions_begun
    try:
        for _ in range(1100):
            fired = rt.evaluate(compiled, PAIR_FACTS)
            assert len(fired) == 6  # every ordered pair of distinct facts, nothing left from before
            live = rt._live.get(compiled.name)
            if live is not None and live.sid not in sids:
                sids.append(live.sid)
        assert len(sids) == rt.sessions_begun - begun >= -(-1100 // SESSION_EVALUATIONS) >= 2
        for sid in sids[:-1]:
            with pytest.raises(Exception, match="error code: 309"):  # no such session any more
                rt._host.get_ruleset(compiled.name).get_facts(sid)
    finally:
        rt.unregister(compiled.name)


EARLIER = RuleFile.model_validate(
    {
        "version": 1,
        "rules": [
            {
                "id": "two",
                "description": "x",
                "evidence": ["x"],
                "when": {
                    "all": [
                        {"fact": "a", "as": "p", "where": {"any": [{"field": "n", "gt": 5}, {"field": "n", "lt": 0}]}},
                        {"fact": "b", "as": "q", "where": {"field": "level", "in": ["x", "y"]}},
                        {"fact": "c", "as": "r", "where": {"field": "side", "eq": {"ref": "p.side"}}},
                    ]
                },
                "then": [{"derive": {"fact": "d", "set": {"side": {"from": "p.side"}}}}],
            },
            {
                "id": "after",
                "description": "x",
                "evidence": ["x"],
                "when": {
                    "all": [{"fact": "d", "as": "d"}, {"fact": "b", "as": "q", "where": {"field": "level", "eq": "y"}}]
                },
                "then": [{"cue": "c"}],
            },
        ],
    }
)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_no_fact_of_an_earlier_evaluation_in_the_session_ever_matches(order: int) -> None:
    """Each evaluation's facts carry its number and every join requires it to agree, also in
    patterns whose tests are an ``any``/``in`` (durable ignores a join after an ``$or``)."""
    from engine.load.content import derive_fn

    compiled = compile_rules(EARLIER.rules, f"rt-earlier{order}")
    rt = runtime()
    rt.register(compiled, derive_fn({r.id: r for r in EARLIER.rules}))
    a = {"kind": "a", "fid": "a", "n": 9, "side": "left"}
    b = {"kind": "b", "fid": "b", "level": "y"}
    c = {"kind": "c", "fid": "c", "side": "left"}
    parts = [[a], [b], [c], [a, b], [b, c], [a, c]]
    parts = parts[order:] + parts[:order]
    try:
        for _ in range(3):
            for facts in parts:  # each one piece short: nothing may fire with the pieces left before
                assert rt.evaluate(compiled, facts) == []
            fired = rt.evaluate(compiled, [a, b, c])
            assert [f.rule for f in fired] == ["after", "two"] or [f.rule for f in fired] == ["two", "after"]
            assert len(fired) == 2
    finally:
        rt.unregister(compiled.name)


def test_a_fact_the_engine_refuses_fails_cleanly_and_the_session_is_still_deleted() -> None:
    compiled = compile_rules(PAIR.rules, "rt-refused")
    rt = runtime()
    rt.register(compiled, lambda rule_id, bindings: [])
    leaked = rt.leaked
    too_wide = {"kind": "a", "fid": "wide", "side": "left", **{f"f{i}": i for i in range(300)}}
    try:
        with pytest.raises(EvaluationError, match="rules engine failure: a fact with too many fields"):
            rt.evaluate(compiled, [PAIR_FACTS[0], too_wide])
        assert rt.leaked == leaked  # a sink ran in the failed session, so it could be deleted
        assert len(rt.evaluate(compiled, PAIR_FACTS)) == 6
    finally:
        rt.unregister(compiled.name)
