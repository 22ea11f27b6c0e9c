"""A tiny reference evaluator for the rule language: the oracle of the differential test.

It lives in tests/ only; the product evaluates with durable_rules. Semantics mirror the
documented language (README "Rule language semantics"):

* a missing field makes every test false except ``exists: false``; ``ne`` needs the field;
* joins are equalities on fields of facts bound earlier in the rule;
* the patterns of one alternative bind *distinct* facts, and every ordered binding fires once
  (two ``single_leg_squat`` patterns fire for left/right and for right/left);
* all patterns on the one ``assessment`` fact bind that same fact (their tests all hold on it);
* derived facts are a set: deriving one identical to one already there adds nothing;
* numbers: beyond ±1e15 a fact's number counts as ±1e15; a NaN field counts as absent.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from engine.evaluate.compiler import SINGLETON_KINDS, when_dnf
from engine.models.rule import From, Ref, Rule, Test

BOUND = 1e15


def engine_value(v: Any) -> Any:
    if isinstance(v, float | int) and not isinstance(v, bool) and (v > BOUND or v < -BOUND):
        return math.copysign(BOUND, v)
    return v


def engine_fact(fact: dict[str, Any]) -> dict[str, Any]:
    return {k: engine_value(v) for k, v in fact.items() if not (isinstance(v, float) and math.isnan(v))}


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
        return bool(have == value)
    if op == "ne":
        return bool(have != value)
    if op == "in":
        return have in value
    return bool({"lt": have < value, "lte": have <= value, "gt": have > value, "gte": have >= value}[op])


def canon(fact: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, v) for k, v in fact.items() if k not in ("fid", "sid", "_j")))


def binding_key(bindings: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    """A firing's identity: which alias bound which fact (by content)."""
    return tuple(sorted((alias, canon(f)) for alias, f in bindings.items()))


def evaluate(rules: list[Rule], facts: list[dict[str, Any]]) -> set[tuple[str, tuple[Any, ...]]]:
    """Fire rules to a fixpoint; return {(rule id, binding key)}."""
    working = [engine_fact(f) for f in facts]
    fired: set[tuple[str, tuple[Any, ...]]] = set()
    changed = True
    while changed:
        changed = False
        for rule in rules:
            for conj in when_dnf(rule.when):
                pools = [[i for i, f in enumerate(working) if f["kind"] == p.kind] for p in conj]
                for combo in itertools.product(*pools):
                    if not _distinct(conj, combo):
                        continue
                    bound: dict[str, dict[str, Any]] = {}
                    ok = True
                    for p, i in zip(conj, combo, strict=True):
                        fact = working[i]
                        if p.test is not None and not test_holds(p.test, fact, bound):
                            ok = False
                            break
                        bound[p.alias] = fact
                    if not ok:
                        continue
                    key = (rule.id, binding_key(bound))
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
                            new = engine_fact(new)
                            if all(canon(new) != canon(f) for f in working):
                                working.append(new)
    return fired


def _distinct(conj: list[Any], combo: tuple[int, ...]) -> bool:
    """Singleton kinds: every pattern binds the same fact; other kinds: distinct facts."""
    seen: dict[int, str] = {}
    one: dict[str, int] = {}
    for p, i in zip(conj, combo, strict=True):
        if p.kind in SINGLETON_KINDS:
            if one.setdefault(p.kind, i) != i:
                return False
            continue
        if i in seen:
            return False
        seen[i] = p.kind
    return True
