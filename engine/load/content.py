"""Load everything a plan needs (exercises, rules, thresholds, references, compiled rules) once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from engine.evaluate.compiler import CompiledRuleset, compile_rules
from engine.load.library import ExerciseLibrary, load_library
from engine.load.resources import data_dir
from engine.load.rulebook import RuleBook, load_rulebook
from engine.models.rule import Rule
from engine.models.thresholds import Thresholds
from engine.plan.planner import resolve


@dataclass(frozen=True)
class Content:
    """The loaded, linked and compiled clinical content."""

    library: ExerciseLibrary
    book: RuleBook
    compiled: dict[str, CompiledRuleset]

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds file."""
        assert self.book.thresholds is not None
        return self.book.thresholds

    def rules(self) -> dict[str, Rule]:
        """Every rule by id."""
        return self.book.by_id()


def derive_fn(rules: dict[str, Rule]) -> Any:
    """Return the callback the runtime calls to build derived facts for a firing."""

    def derive(rule_id: str, bindings: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        made = []
        for action in rules[rule_id].then:
            if action.derive is not None:
                fact: dict[str, Any] = {"kind": action.derive.fact, "derived_by": rule_id}
                for key, value in action.derive.set.items():
                    v = resolve(value, bindings)
                    if v is not None:
                        fact[key] = v
                made.append(fact)
        return made

    return derive


def load_content(rules_dir: Path | str | None = None, exercises_dir: Path | str | None = None) -> Content:
    """Load, link and compile the content under the given (or default) folders.

    Raises:
        InputError: any problem in the content files.
        RuleCompileError: a rule the engine cannot run safely.
    """
    return _load(str(data_dir("rules", rules_dir).resolve()), str(data_dir("exercises", exercises_dir).resolve()))


@cache
def _load(rules_dir: str, exercises_dir: str) -> Content:
    library = load_library(Path(exercises_dir))
    book = load_rulebook(Path(rules_dir), library)
    compiled = {
        stage: compile_rules(rules, f"rehab-{stage}", where=rules_dir) for stage, rules in book.rules.items() if rules
    }
    return Content(library, book, compiled)


def reload_content() -> None:
    """Forget every loaded content folder (the next ``load_content`` reads the files again)."""
    _load.cache_clear()
