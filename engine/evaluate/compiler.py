"""Compile validated rules into durable_rules' JSON ruleset, in the safe normal form only.

Safe normal form, which a differential test checks against a reference:

* the top-level ``when`` tree is expanded to DNF: one durable rule per conjunction of patterns
  (``rule-id``, ``rule-id#1``, …), all sharing one action;
* a rule's first pattern, unless it has a join (``ref``), keeps its ``$and``/``$or`` tree; every
  other pattern is expanded to DNF too, each variant a *flat* ``$and``: kind, alpha tests, then
  join tests (durable ignores a join after an ``$or``);
* joins are equalities only (durable_rules reads out of bounds on non-equality joins); every
  pattern after a rule's first also joins the first on ``_j`` (one evaluation's facts only);
* ``in`` becomes an ``$or`` of equalities (durable has no ``$in``);
* no negation: absence is a prepared fact attribute; ``exists: false`` is ``$nex``;
* ``pri`` is the rule priority (0..65534); a ``__sink__`` rule at 65535 runs last.

The output is plain JSON data (no durable import here), golden-testable and hashable.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.errors import Diagnostic, RuleCompileError
from engine.models.rule import Ref, Rule, Test, When

SINK_KIND = "__run__"
SINK = "__sink__"
MAX_DURABLE_RULES = 4000  # durable_rules' limit is 4096 actions per ruleset (measured)
MAX_VARIANTS_PER_RULE = 64
MAX_JOIN_TESTS = 30  # joins with > ~32 expressions fail to register (error 113)
_CMP = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}
MAX_BOOL_NODES = 15  # a pattern with 16 or more $and/$or nodes fails to register (error 113), measured
MAX_EQ_CHILDREN = 500  # 512 equality tests under one alpha node hang durable at 100 % CPU, measured
MAX_TRUE_SIBLINGS = 60  # more than 64 tests true at once under one alpha node: error 303, measured
MAX_RULES_AT_NODE = 250  # more than 256 rules ending on one alpha node (same conditions): error 108, measured
EVALUATION = "_j"
"""The field every fact sent to the engine carries: which evaluation it belongs to."""
RESERVED_FIELDS = frozenset({"kind", "fid", "sid", "id", "derived_by", EVALUATION})
"""Field names the engine itself uses in every fact; rules may not set or test them."""
SINGLETON_KINDS = frozenset({"assessment"})
"""Fact kinds with exactly one fact per evaluation: all patterns on one such kind bind that fact."""


@dataclass(frozen=True)
class Pattern:
    """One fact pattern of one conjunction."""

    kind: str
    alias: str
    test: Test | None


@dataclass(frozen=True)
class CompiledRuleset:
    """The durable ruleset as data, and which rule each durable rule name belongs to.

    ``aliases`` maps each durable rule to (alias the rule author wrote, alias durable binds) pairs,
    in pattern order: patterns merged onto one singleton fact share one durable alias.
    """

    name: str
    spec: dict[str, dict[str, Any]]
    rule_of: dict[str, str]
    aliases: dict[str, tuple[tuple[str, str], ...]]
    where: str = ""


def when_dnf(when: When) -> list[list[Pattern]]:
    """Expand a ``when`` tree into conjunctions of patterns (check :func:`count_variants` first)."""
    if when.fact is not None:
        return [[Pattern(when.fact, when.alias, when.where)]]
    parts = [when_dnf(w) for w in (when.all or when.any or [])]
    if when.any is not None:
        return [conj for p in parts for conj in p]
    out: list[list[Pattern]] = [[]]
    for p in parts:
        out = [a + b for a in out for b in p]
    return out


_CAP = 10**9


def _test_count(t: Test) -> int:
    """Number of conjunctions ``_test_dnf`` would produce, without producing them."""
    if t.all is not None:
        n = 1
        for c in t.all:
            n = min(_CAP, n * _test_count(c))
        return n
    if t.any is not None:
        return min(_CAP, sum(_test_count(c) for c in t.any))
    return len(t.value()) if t.op() == "in" else 1


def _conjunctions(when: When) -> int:
    """Number of pattern conjunctions :func:`when_dnf` would produce (capped)."""
    if when.fact is not None:
        return 1
    counts = [_conjunctions(w) for w in (when.all or when.any or [])]
    if when.any is not None:
        return min(_CAP, sum(counts))
    n = 1
    for c in counts:
        n = min(_CAP, n * c)
    return n


def _flat(conj: list[Pattern], i: int) -> bool:
    """Whether pattern ``i`` of a conjunction compiles to flat conjunctions of tests (DNF): when it
    joins (a ``ref``, or the ``_j`` join every pattern after the first gets). durable_rules
    ignores a join placed after an ``$or`` in the same ``$and`` (measured on 2.0.28)."""
    test = conj[i].test
    return test is not None and (i > 0 or _has_ref(test))


def count_variants(when: When) -> int:
    """Number of durable rules a ``when`` compiles to, counted without expanding tests (capped)."""
    conjunctions = _conjunctions(when)
    if conjunctions > MAX_VARIANTS_PER_RULE:  # each conjunction is at least one durable rule
        return conjunctions
    total = 0
    for written in when_dnf(when):
        conj, _ = merge_singletons(written)
        n = 1
        for i, p in enumerate(conj):
            if _flat(conj, i):
                n = min(_CAP, n * _test_count(p.test))  # type: ignore[arg-type]
        total = min(_CAP, total + n)
    return total


def _has_ref(t: Test) -> bool:
    return any(isinstance(leaf.eq, Ref) for leaf in t.leaves())


def _rename_refs(t: Test, names: dict[str, str]) -> Test:
    """Return ``t`` with every ``ref: alias.x`` whose alias is in ``names`` renamed."""
    if t.all is not None or t.any is not None:
        key = "all" if t.all is not None else "any"
        return Test.model_validate({key: [_rename_refs(c, names) for c in (t.all or t.any or [])]})
    if isinstance(t.eq, Ref):
        alias, attr = t.eq.ref.split(".", 1)
        if alias in names:
            return Test.model_validate({"field": t.field, "eq": {"ref": f"{names[alias]}.{attr}"}})
    return t


def merge_singletons(
    conj: list[Pattern], singletons: frozenset[str] = SINGLETON_KINDS
) -> tuple[list[Pattern], dict[str, str]]:
    """Merge the patterns of one conjunction that match the same singleton fact kind.

    There is one ``assessment`` fact, so ``{fact: assessment, as: a, …}`` plus ``{fact: assessment,
    as: b, …}`` means both tests hold on that one fact: one pattern (at the first one's place) with
    ``all`` of both tests. Returns the new conjunction and, per written alias, the alias bound.
    """
    first: dict[str, int] = {}
    names: dict[str, str] = {p.alias: p.alias for p in conj}
    out: list[Pattern] = []
    tests: dict[int, list[Test]] = {}
    for p in conj:
        if p.kind in singletons and p.kind in first:
            i = first[p.kind]
            names[p.alias] = out[i].alias
            if p.test is not None:
                tests[i].append(p.test)
            continue
        if p.kind in singletons:
            first[p.kind] = len(out)
            tests[len(out)] = [p.test] if p.test is not None else []
        out.append(p)
    if len(out) == len(conj):
        return conj, names
    renames = {a: b for a, b in names.items() if a != b}
    merged = []
    for i, p in enumerate(out):
        parts = tests.get(i)
        test: Test | None = p.test
        if parts is not None:
            test = None if not parts else parts[0] if len(parts) == 1 else Test.model_validate({"all": parts})
        if test is not None and renames:
            test = _rename_refs(test, renames)
        merged.append(Pattern(p.kind, p.alias, test))
    for i in sorted(tests, reverse=True):  # a merged pattern goes after the facts its tests join
        p = merged[i]
        order = [q.alias for q in merged]
        last = max((order.index(r) for r in _refs(p.test) if r in order and r != p.alias), default=-1)
        if last > i:
            merged.insert(last, merged.pop(i))
    return merged, names


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
    """Compile a test tree, splicing nested groups of the same kind (fewer $and/$or nodes)."""
    if t.all is not None or t.any is not None:
        op = "$and" if t.all is not None else "$or"
        items: list[dict[str, Any]] = []
        for c in t.all or t.any or []:
            sub = _tree(c)
            if len(sub) == 1 and op in sub:
                items += sub[op]
            else:
                items.append(sub)
        return items[0] if len(items) == 1 else {op: items}
    return _leaf(t)


def _pattern_variants(p: Pattern, flat: bool) -> list[dict[str, Any]]:
    head = {"kind": p.kind}
    if p.test is None:
        return [{p.alias: head}]
    if not flat:
        tree = _tree(p.test)
        return [{p.alias: {"$and": [head, *tree["$and"]] if list(tree) == ["$and"] else [head, tree]}}]
    variants = []
    for conj in _test_dnf(p.test):
        alpha = [_leaf(x) for x in conj if not isinstance(x.eq, Ref)]
        joins = [_leaf(x) for x in conj if isinstance(x.eq, Ref)]
        variants.append({p.alias: {"$and": [head, *alpha, *joins]}})
    return variants


def bool_nodes(cond: Any) -> int:
    """Count the $and/$or nodes of a compiled condition (durable refuses 16 or more: error 113)."""
    if isinstance(cond, dict):
        return sum((k in ("$and", "$or")) + bool_nodes(v) for k, v in cond.items())
    if isinstance(cond, list):
        return sum(bool_nodes(v) for v in cond)
    return 0


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
            if ref == p.alias and p.kind in SINGLETON_KINDS:
                message = f"'ref: {ref}.…' compares the one '{p.kind}' fact with itself; compare with a value"
            elif ref not in seen:
                message = f"'ref: {ref}.…' must name a fact matched earlier in the rule"
            else:
                continue
            diags.append(Diagnostic(where, path=f"rules.{rule.id}.when", code="compile.ref", message=message))
        seen.append(p.alias)
    return diags


def _refs(t: Test | None) -> list[str]:
    leaves = t.leaves() if t is not None else iter(())
    return [leaf.eq.ref.split(".")[0] for leaf in leaves if isinstance(leaf.eq, Ref)]


def rule_problems(rule: Rule, where: str = "rules") -> list[Diagnostic]:
    """Check one rule against the engine's per-rule limits without expanding it."""
    n = count_variants(rule.when)
    if n > MAX_VARIANTS_PER_RULE:
        return [
            Diagnostic(
                where,
                path=f"rules.{rule.id}.when",
                code="compile.too_many",
                message=f"expands to {n if n < _CAP else 'more than a billion'} engine rules "
                f"(limit {MAX_VARIANTS_PER_RULE}): too many 'any' alternatives; split it into several rules",
            )
        ]
    return []


def compile_rules(rules: list[Rule], name_prefix: str = "rehab", *, where: str = "rules") -> CompiledRuleset:
    """Compile rules (any order) into one durable ruleset; ties fire by rule id.

    Raises:
        RuleCompileError: a rule the engine cannot run safely (limits, bad aliases).
    """
    spec: dict[str, dict[str, Any]] = {}
    rule_of: dict[str, str] = {}
    aliases: dict[str, tuple[tuple[str, str], ...]] = {}
    diags: list[Diagnostic] = []
    for rule in sorted(rules, key=lambda r: r.id):
        problems = rule_problems(rule, where)
        if problems:
            diags += problems
            continue
        variants = []
        for written in when_dnf(rule.when):
            conj, names = merge_singletons(written)
            diags += _check_conjunction(rule, conj, where)
            pairs = tuple((p.alias, names[p.alias]) for p in written)
            options = [_pattern_variants(p, _flat(conj, i)) for i, p in enumerate(conj)]
            variants += [(pairs, combo) for combo in itertools.product(*options)]
        for k, (pairs, written_combo) in enumerate(variants):
            combo = same_evaluation(written_combo)
            for pattern in combo:
                (cond,) = pattern.values()
                if len(cond.get("$and", [])) > MAX_JOIN_TESTS and any(_is_join(x) for x in cond["$and"]):
                    diags.append(
                        Diagnostic(
                            where,
                            path=f"rules.{rule.id}.when",
                            code="compile.too_many",
                            message=f"a pattern has {len(cond['$and'])} tests after expansion "
                            f"(durable_rules refuses more than about {MAX_JOIN_TESTS + 2}); split it",
                        )
                    )
                if bool_nodes(cond) > MAX_BOOL_NODES:
                    diags.append(
                        Diagnostic(
                            where,
                            path=f"rules.{rule.id}.when",
                            code="compile.too_deep",
                            message=f"a pattern nests {bool_nodes(cond)} all/any groups (the engine refuses more "
                            f"than {MAX_BOOL_NODES}, error 113); use fewer nested groups or split the rule",
                        )
                    )
            dname = rule.id if k == 0 else f"{rule.id}#{k}"
            spec[dname] = {"all": combo, "pri": rule.priority}
            rule_of[dname] = rule.id
            aliases[dname] = pairs
    spec[SINK] = {"all": [{"m": {"kind": SINK_KIND}}], "pri": 65535}
    if len(spec) > MAX_DURABLE_RULES:
        diags.append(
            Diagnostic(
                where,
                code="compile.too_many",
                message=f"{len(spec)} engine rules; durable_rules allows {MAX_DURABLE_RULES}",
            )
        )
    if not diags:
        diags += network_problems(spec, rule_of, where)
    if diags:
        raise RuleCompileError(sorted(set(diags)))
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return CompiledRuleset(f"{name_prefix}-{digest}", spec, rule_of, aliases, where)


def same_evaluation(combo: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Join every pattern after the first to the first on ``_j``, the evaluation a fact belongs to.

    One engine session serves several evaluations and keeps their facts (runtime module
    docstring); this equality makes a rule match only facts of one evaluation. A rule's single
    pattern needs none: a fact is matched once, when it is asserted.
    """
    if len(combo) < 2:
        return [dict(p) for p in combo]
    ((first, _),) = combo[0].items()
    out = [dict(combo[0])]
    for pattern in combo[1:]:
        ((alias, cond),) = pattern.items()
        tests = cond["$and"] if list(cond) == ["$and"] else [cond]
        out.append({alias: {"$and": [*tests, {EVALUATION: {first: EVALUATION}}]}})
    return out


def pattern_kinds(spec: dict[str, dict[str, Any]]) -> Counter[str]:
    """How many patterns of a compiled ruleset test each fact kind (every pattern begins with its kind)."""
    kinds: Counter[str] = Counter()
    for body in spec.values():
        for pattern in body["all"]:
            ((_, cond),) = pattern.items()
            head = cond["$and"][0] if "$and" in cond else cond
            kinds[str(head["kind"])] += 1
    return kinds


def _is_join(test: dict[str, Any]) -> bool:
    (key, value), *_ = test.items()
    return not key.startswith("$") and isinstance(value, dict)


def network_problems(spec: dict[str, dict[str, Any]], rule_of: dict[str, str], where: str) -> list[Diagnostic]:
    """Check the alpha network durable will build against its limits (measured on durable_rules 2.0.28).

    Each pattern's top-level ``$and`` becomes a chain of alpha nodes (shared between rules where
    the chains agree); a group (``$or``) is one node whose tests count for its parent. Under one
    node: at most ~511 equality tests (more hang the engine) and at most 64 children true for one
    fact at once (error 303). A child counts as possibly true at once unless it is an equality on
    a field another counted child already tests; each join (a pattern of a rule with several
    patterns) hanging under a node counts as one child. At most 256 rule patterns may end on one
    node (error 108): rules with identical conditions.
    """
    children: dict[tuple[str, ...], dict[str, tuple[str | None, int, int]]] = {}
    joins: dict[tuple[str, ...], set[str]] = {}
    ends: dict[tuple[str, ...], list[str]] = {}
    blame: dict[tuple[str, ...], str] = {}
    for dname, body in spec.items():
        if dname == SINK:
            continue
        multi = len(body["all"]) > 1
        for n, pattern in enumerate(body["all"]):
            (cond,) = pattern.values()
            chain = cond.get("$and", [cond])
            path: tuple[str, ...] = ()
            for test in chain:
                if _is_join(test):
                    continue
                key = json.dumps(test, sort_keys=True)
                children.setdefault(path, {})[key] = _shape(test)
                blame.setdefault(path, rule_of[dname])
                path = (*path, key)
            if multi:
                joins.setdefault(path, set()).add(f"{dname}/{n}")
                blame.setdefault(path, rule_of[dname])
            ends.setdefault(path, []).append(rule_of[dname])
    diags = []
    for path, rules in sorted(ends.items()):
        if len(rules) > MAX_RULES_AT_NODE:
            diags.append(
                _net(
                    where,
                    rules[MAX_RULES_AT_NODE],
                    f"{len(rules)} rules end on exactly the same tests of '{_kind_of(path)}' facts (at most "
                    f"{MAX_RULES_AT_NODE}; the engine fails above 256, error 108): merge rules with the same conditions into one rule "
                    f"with several actions, or make their conditions differ",
                )
            )
    for path in sorted(set(children) | set(joins)):
        kids = children.get(path, {})
        eq = sum(shape[2] for shape in kids.values())
        fields = {shape[0] for shape in kids.values() if shape[0] is not None}
        at_once = len(fields) + sum(shape[1] for shape in kids.values()) + len(joins.get(path, ()))
        kind = _kind_of(path)
        if eq > MAX_EQ_CHILDREN:
            diags.append(
                _net(
                    where,
                    blame[path],
                    f"{eq} different equality tests on '{kind}' facts in one place of "
                    f"the engine's network (it hangs at 512): use fewer 'in' values or bands in the facts",
                )
            )
        if at_once > MAX_TRUE_SIBLINGS:
            diags.append(
                _net(
                    where,
                    blame[path],
                    f"up to {at_once} tests on '{kind}' facts can be true at once in one "
                    f"place of the engine's network (it fails above 64, error 303): merge thresholds "
                    f"into bands, or share conditions between rules",
                )
            )
    return diags


def _net(where: str, rule_id: str, message: str) -> Diagnostic:
    return Diagnostic(where, path=f"rules.{rule_id}.when", code="compile.engine_limit", message=message)


def _kind_of(path: tuple[str, ...]) -> str:
    return str(json.loads(path[0]).get("kind", "?")) if path else "?"


def _shape(test: dict[str, Any]) -> tuple[str | None, int, int]:
    """Classify an alpha test: (equality field or None, tests possibly true at once, equality tests)."""
    (key, value), *_ = test.items()
    if not key.startswith("$") and not isinstance(value, dict | list):
        return (key, 0, 1)
    leaves = set(_alpha_leaves(test))
    eq = {(k, v) for k, v in leaves if not k.startswith("$")}
    return (None, len({k for k, _ in eq}) + len(leaves - eq), len(eq))


def _alpha_leaves(cond: Any) -> Any:
    if isinstance(cond, dict):
        for k, v in cond.items():
            if k in ("$and", "$or"):
                for c in v:
                    yield from _alpha_leaves(c)
            else:
                yield (k if not k.startswith("$") else k + json.dumps(v, sort_keys=True), json.dumps(v))


def tested_fields(when: When) -> dict[str, set[str]]:
    """Return, per alias, the fields the rule's tests look at (for explanations)."""
    out: dict[str, set[str]] = {}
    stack = [when]
    while stack:
        w = stack.pop()
        if w.fact is not None:
            out.setdefault(w.alias, set()).update(str(leaf.field) for leaf in (w.where.leaves() if w.where else ()))
        else:
            stack += w.all or w.any or []
    return out
