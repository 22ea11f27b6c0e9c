"""A rule firing, as the runtime reports it (kept apart from the runtime: no durable import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Firing:
    """One rule firing: which rule, on which facts (alias → fact), what it derived."""

    rule: str
    bindings: dict[str, dict[str, Any]]
    derived: tuple[dict[str, Any], ...] = ()
