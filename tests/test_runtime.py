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


def test_sessions_are_deleted_never_retracted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: retracting the facts of a fired two-pattern match overruns durable's match array
    (deleteMessageFromFrame), corrupting memory at random; the runtime deletes sessions instead,
    and more evaluations than durable's 1024 live sessions run on one ruleset."""
    from durable.engine import Ruleset

    def refuse(self: Ruleset, facts: object) -> None:
        raise AssertionError("the runtime retracted facts from a session")

    monkeypatch.setattr(Ruleset, "retract_facts", refuse)
    monkeypatch.setattr(Ruleset, "retract_fact", refuse)
    compiled = compile_rules(PAIR.rules, "rt-delete")
    rt = runtime()
    rt.register(compiled, lambda rule_id, bindings: [])
    sids: list[str] = []
    run = rt._host.assert_fact
    monkeypatch.setattr(rt._host, "assert_fact", lambda name, fact: sids.append(fact["sid"]) or run(name, fact))
    try:
        for _ in range(1100):
            fired = rt.evaluate(compiled, PAIR_FACTS)
            assert len(fired) == 6  # every ordered pair of distinct facts, nothing left from before
        assert len(set(sids)) == 1100
        with pytest.raises(Exception, match="error code: 309"):  # no such session any more
            rt._host.get_ruleset(compiled.name).get_facts(sids[-1])
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
