"""A tiny reference evaluator for the rule language: the oracle of the differential test.

It lives in tests/ only; the product evaluates with durable_rules. Semantics mirror the
documented language: a missing field makes every test false except ``exists: false``;
``ne`` needs the field present; joins are equalities on fields of facts bound earlier.
"""

from __future__ import annotations

import itertools
from typing import Any

from engine.evaluate.compiler import when_dnf
from engine.models.rule import From, Ref, Rule, Test


def test_holds(t: Test, fact: dict[str, Any], bound: dict[str, dict[str, Any]]) -> bool:
    if t.all is not None:
        return all(test_holds(c, fact, bound) for c in t.all)
    if t.any is not None:
        return any(test_holds(c, fact, bound) for c in t.any)
    op, name, value = t.op(), str(t.field), t.value()
    present = name in fact
    have = fact.get(name)
    if op == "exists":
        return present == value
    if not present:
        return False
    if isinstance(value, Ref):
        alias, attr = value.ref.split(".", 1)
        other = bound.get(alias, {})
        return attr in other and other[attr] == have
    if op == "eq":
        return have == value
    if op == "ne":
        return have != value
    if op == "in":
        return have in value
    return {"lt": have < value, "lte": have <= value, "gt": have > value, "gte": have >= value}[op]


def canon(fact: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, v) for k, v in fact.items() if k not in ("fid", "sid", "_j")))


def evaluate(rules: list[Rule], facts: list[dict[str, Any]]) -> set[tuple[str, tuple[Any, ...]]]:
    """Fire rules to a fixpoint; return {(rule id, sorted canonical bound facts)}."""
    working = [dict(f) for f in facts]
    fired: set[tuple[str, tuple[Any, ...]]] = set()
    changed = True
    while changed:
        changed = False
        for rule in rules:
            for conj in when_dnf(rule.when):
                pools = [[f for f in working if f["kind"] == p.kind] for p in conj]
                for combo in itertools.product(*pools):
                    bound: dict[str, dict[str, Any]] = {}
                    ok = True
                    for p, fact in zip(conj, combo, strict=True):
                        if p.test is not None and not test_holds(p.test, fact, bound):
                            ok = False
                            break
                        bound[p.alias] = fact
                    if not ok:
                        continue
                    key = (rule.id, tuple(sorted(canon(f) for f in bound.values())))
                    if key in fired:
                        continue
                    fired.add(key)
                    changed = True
                    for action in rule.then:
                        if action.derive is not None:
                            new = {"kind": action.derive.fact, "derived_by": rule.id}
                            for k, v in action.derive.set.items():
                                val = (
                                    bound.get(v.from_.split(".")[0], {}).get(v.from_.split(".")[1])
                                    if isinstance(v, From)
                                    else v
                                )
                                if val is not None:
                                    new[k] = val
                            working.append(new)
    return fired
