"""Derived facts: what a rule's ``derive`` action asserts for a firing (forward chaining)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.models.rule import From, Rule

DeriveFn = Callable[[str, dict[str, dict[str, Any]]], list[dict[str, Any]]]


def resolve(value: Any, bindings: dict[str, dict[str, Any]]) -> Any:
    """Return a literal, or the field a ``{from: alias.field}`` names (None if unbound)."""
    if isinstance(value, From):
        alias, attr = value.from_.split(".", 1)
        return bindings.get(alias, {}).get(attr)
    return value


def derive_fn(rules: dict[str, Rule]) -> DeriveFn:
    """Return the callback the runtime calls to build derived facts for a firing."""

    derives = {rid: [a.derive for a in rule.then if a.derive is not None] for rid, rule in rules.items()}

    def derive(rule_id: str, bindings: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        made = []
        for d in derives[rule_id]:
            fact: dict[str, Any] = {"kind": d.fact, "derived_by": rule_id}
            for key, value in d.set.items():
                v = resolve(value, bindings)
                if v is not None:
                    fact[key] = v
            made.append(fact)
        return made

    return derive
