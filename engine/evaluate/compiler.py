"""Compile validated rules into durable_rules' JSON ruleset, in the safe normal form only.

Safe normal form (DURABLE.md §10), which a differential test checks against a reference:

* the top-level ``when`` tree is expanded to DNF: one durable rule per conjunction of patterns
  (``rule-id``, ``rule-id#1``, …), all sharing one action;
* a pattern with no join keeps its ``$and``/``$or`` tree; a pattern with a join (``ref``) is
  expanded to DNF too, each variant a *flat* ``$and``: kind, alpha tests, then join tests;
* joins are equalities only (non-equality joins read out of bounds, DURABLE.md B2);
* ``in`` becomes an ``$or`` of equalities (durable has no ``$in``);
* no negation: absence is a prepared fact attribute; ``exists: false`` is ``$nex``;
* ``pri`` is the rule priority (0..65534); a ``__sink__`` rule at 65535 runs last.

The output is plain JSON data (no durable import here), golden-testable and hashable.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from engine.errors import Diagnostic, RuleCompileError
from engine.models.rule import Ref, Rule, Test, When

SINK_KIND = "__run__"
SINK = "__sink__"
MAX_DURABLE_RULES = 4000  # engine limit is 4096 actions per ruleset (DURABLE.md §5)
MAX_VARIANTS_PER_RULE = 64
MAX_JOIN_TESTS = 30  # joins with > ~32 expressions fail to register (error 113)
_CMP = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


@dataclass(frozen=True)
class Pattern:
    """One fact pattern of one conjunction."""

    kind: str
    alias: str
    test: Test | None


@dataclass(frozen=True)
class CompiledRuleset:
    """The durable ruleset as data, and which rule each durable rule name belongs to."""

    name: str
    spec: dict[str, dict[str, Any]]
    rule_of: dict[str, str]
    aliases: dict[str, tuple[str, ...]]


def when_dnf(when: When) -> list[list[Pattern]]:
    """Expand a ``when`` tree into conjunctions of patterns."""
    if when.fact is not None:
        return [[Pattern(when.fact, when.alias, when.where)]]
    parts = [when_dnf(w) for w in (when.all or when.any or [])]
    if when.any is not None:
        return [conj for p in parts for conj in p]
    out: list[list[Pattern]] = [[]]
    for p in parts:
        out = [a + b for a in out for b in p]
    return out


def _has_ref(t: Test) -> bool:
    return any(isinstance(leaf.eq, Ref) for leaf in t.leaves())


def _test_dnf(t: Test) -> list[list[Test]]:
    if t.all is not None:
        out: list[list[Test]] = [[]]
        for c in t.all:
            out = [a + b for a in out for b in _test_dnf(c)]
        return out
    if t.any is not None:
        return [conj for c in t.any for conj in _test_dnf(c)]
    if t.op() == "in":
        return [[Test.model_validate({"field": t.field, "eq": v})] for v in t.value()]
    return [[t]]


def _leaf(t: Test) -> dict[str, Any]:
    op, field, value = t.op(), str(t.field), t.value()
    if op == "eq":
        if isinstance(value, Ref):
            alias, attr = value.ref.split(".", 1)
            return {field: {alias: attr}}
        return {field: value}
    if op == "in":
        return {"$or": [{field: v} for v in value]}
    if op == "exists":
        return {"$ex" if value else "$nex": {field: 1}}
    return {_CMP[str(op)]: {field: value}}


def _tree(t: Test) -> dict[str, Any]:
    if t.all is not None:
        return {"$and": [_tree(c) for c in t.all]}
    if t.any is not None:
        return {"$or": [_tree(c) for c in t.any]}
    return _leaf(t)


def _pattern_variants(p: Pattern) -> list[dict[str, Any]]:
    head = {"kind": p.kind}
    if p.test is None:
        return [{p.alias: head}]
    if not _has_ref(p.test):
        return [{p.alias: {"$and": [head, _tree(p.test)]}}]
    variants = []
    for conj in _test_dnf(p.test):
        alpha = [_leaf(x) for x in conj if not isinstance(x.eq, Ref)]
        joins = [_leaf(x) for x in conj if isinstance(x.eq, Ref)]
        variants.append({p.alias: {"$and": [head, *alpha, *joins]}})
    return variants


def _check_conjunction(rule: Rule, conj: list[Pattern], where: str) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    seen: list[str] = []
    for p in conj:
        if p.alias in seen:
            diags.append(
                Diagnostic(
                    where,
                    path=f"rules.{rule.id}.when",
                    code="compile.alias",
                    message=f"two patterns are both named '{p.alias}'; give each its own 'as'",
                )
            )
        for ref in _refs(p.test):
            if ref not in seen:
                diags.append(
                    Diagnostic(
                        where,
                        path=f"rules.{rule.id}.when",
                        code="compile.ref",
                        message=f"'ref: {ref}.…' must name a fact matched earlier in the rule",
                    )
                )
        seen.append(p.alias)
    return diags


def _refs(t: Test | None) -> list[str]:
    leaves = t.leaves() if t is not None else iter(())
    return [leaf.eq.ref.split(".")[0] for leaf in leaves if isinstance(leaf.eq, Ref)]


def compile_rules(rules: list[Rule], name_prefix: str = "rehab", *, where: str = "rules") -> CompiledRuleset:
    """Compile rules (any order) into one durable ruleset; ties fire by rule id.

    Raises:
        RuleCompileError: a rule the engine cannot run safely (limits, bad aliases).
    """
    spec: dict[str, dict[str, Any]] = {}
    rule_of: dict[str, str] = {}
    aliases: dict[str, tuple[str, ...]] = {}
    diags: list[Diagnostic] = []
    for rule in sorted(rules, key=lambda r: r.id):
        variants = []
        for conj in when_dnf(rule.when):
            diags += _check_conjunction(rule, conj, where)
            variants += [(conj, combo) for combo in itertools.product(*(_pattern_variants(p) for p in conj))]
        if len(variants) > MAX_VARIANTS_PER_RULE:
            diags.append(
                Diagnostic(
                    where,
                    path=f"rules.{rule.id}.when",
                    code="compile.too_many",
                    message=f"expands to {len(variants)} engine rules (limit {MAX_VARIANTS_PER_RULE}); split it",
                )
            )
        for k, (conj, combo) in enumerate(variants):
            for pattern in combo:
                (cond,) = pattern.values()
                if len(cond.get("$and", [])) > MAX_JOIN_TESTS:
                    diags.append(
                        Diagnostic(
                            where,
                            path=f"rules.{rule.id}.when",
                            code="compile.too_many",
                            message=f"a pattern has {len(cond['$and'])} tests after expansion "
                            f"(durable_rules refuses more than about {MAX_JOIN_TESTS + 2}); split it",
                        )
                    )
            dname = rule.id if k == 0 else f"{rule.id}#{k}"
            spec[dname] = {"all": [dict(c) for c in combo], "pri": rule.priority}
            rule_of[dname] = rule.id
            aliases[dname] = tuple(p.alias for p in conj)
    spec[SINK] = {"all": [{"m": {"kind": SINK_KIND}}], "pri": 65535}
    if len(spec) > MAX_DURABLE_RULES:
        diags.append(
            Diagnostic(
                where,
                code="compile.too_many",
                message=f"{len(spec)} engine rules; durable_rules allows {MAX_DURABLE_RULES}",
            )
        )
    if diags:
        raise RuleCompileError(diags)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return CompiledRuleset(f"{name_prefix}-{digest}", spec, rule_of, aliases)


def tested_fields(when: When) -> dict[str, set[str]]:
    """Return, per alias, the fields the rule's tests look at (for explanations)."""
    out: dict[str, set[str]] = {}
    for conj in when_dnf(when):
        for p in conj:
            out.setdefault(p.alias, set()).update(str(leaf.field) for leaf in (p.test.leaves() if p.test else ()))
    return out


ALPHA_SIBLINGS = 60  # durable fails every assert of a fact that makes > 64 sibling tests true (error 303)


def limit_warnings(compiled: CompiledRuleset, where: str) -> list[Diagnostic]:
    """Warn where many distinct tests look at one kind of fact (DURABLE.md §5, error 303)."""
    per_kind: dict[str, set[str]] = {}
    for dname, body in compiled.spec.items():
        if dname == SINK:
            continue
        for pattern in body["all"]:
            (cond,) = pattern.values()
            kind = cond.get("kind") or next((c.get("kind") for c in cond.get("$and", []) if "kind" in c), "?")
            per_kind.setdefault(str(kind), set()).add(json.dumps(cond, sort_keys=True))
    return [
        Diagnostic(
            where,
            severity="warning",
            code="compile.alpha_siblings",
            message=f"{len(tests)} different tests look at '{kind}' facts; durable_rules fails when more than 64 "
            "of them are true for one fact at once (error 303): merge thresholds into bands in the facts",
        )
        for kind, tests in sorted(per_kind.items())
        if len(tests) > ALPHA_SIBLINGS
    ]
