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
