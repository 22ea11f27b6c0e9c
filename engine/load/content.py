"""Load everything a plan needs (exercises, rules, thresholds, references, compiled rules) once."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import Diagnostic, LinkError
from engine.evaluate.compiler import CompiledRuleset, compile_rules
from engine.evaluate.derive import derive_fn
from engine.load import cache, yamlio
from engine.load.library import ExerciseLibrary, load_library
from engine.load.resources import data_dir
from engine.load.rulebook import NOT_RULES, REVIEW_FILE, RuleBook, load_rulebook, rule_files
from engine.load.validation import validate
from engine.models.feedback import ReviewSettings
from engine.models.rule import Rule
from engine.models.thresholds import Thresholds

__all__ = ["Content", "derive_fn", "load_content", "load_review", "reload_content"]


@dataclass(frozen=True)
class Content:
    """The loaded, linked and compiled clinical content."""

    library: ExerciseLibrary
    book: RuleBook
    compiled: dict[str, CompiledRuleset]
    review: ReviewSettings = field(default_factory=ReviewSettings)
    """rules/review.yaml (defaults when the folder has none)."""

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds file."""
        assert self.book.thresholds is not None
        return self.book.thresholds

    def rules(self) -> dict[str, Rule]:
        """Every rule by id."""
        return self.book.by_id()


def load_content(rules_dir: Path | str | None = None, exercises_dir: Path | str | None = None) -> Content:
    """Load, link and compile the content under the given (or default) folders.

    Raises:
        InputError: any problem in the content files.
        RuleCompileError: a rule the engine cannot run safely.
    """
    return _load(str(data_dir("rules", rules_dir).resolve()), str(data_dir("exercises", exercises_dir).resolve()))


@functools.cache
def _load(rules_dir: str, exercises_dir: str) -> Content:
    rules, exercises = Path(rules_dir), Path(exercises_dir)
    return cache.cached(
        "content",
        (rules, exercises),
        lambda: content_files(rules, exercises),
        lambda: _build(rules_dir, exercises_dir),
        Content,
    )


def content_files(rules: Path, exercises: Path) -> list[Path]:
    """Every file ``load_content`` reads (the cache key): the rule files as the rule book finds
    them, the rules folder's settings files and the exercise files.

    Raises:
        LinkError: a folder link that loops or dangles, a rule file not named ``*.yaml``.
    """
    settings = [rules / name for name in sorted(NOT_RULES) if (rules / name).is_file()]
    return [*rule_files(rules), *settings, *sorted(exercises.glob("*.yaml"))]


def _build(rules_dir: str, exercises_dir: str) -> Content:
    library = load_library(Path(exercises_dir))
    book = load_rulebook(Path(rules_dir), library)
    compiled = {
        stage: compile_rules(rules, f"rehab-{stage}", where=rules_dir) for stage, rules in book.rules.items() if rules
    }
    return Content(library, book, compiled, load_review(Path(rules_dir) / REVIEW_FILE, set(book.by_id())))


def load_review(path: Path, rule_ids: set[str] | None = None) -> ReviewSettings:
    """Read rules/review.yaml (defaults when there is none); ``rule_ids``: the rules it may name.

    Raises:
        InputError: the file is invalid.
        LinkError: ``while_running`` names a rule that does not exist.
    """
    if not path.is_file():
        return ReviewSettings()
    data, index = yamlio.read(path)
    settings = validate(ReviewSettings, data, index)
    diags = []
    for i, rid in enumerate(settings.while_running):
        if rule_ids is not None and rid not in rule_ids:
            pos = index.value(("while_running", i))
            diags.append(
                Diagnostic(
                    index.file,
                    pos.line,
                    pos.column,
                    f"while_running[{i}]",
                    f"unknown rule '{rid}'",
                    code="link.unknown_rule",
                )
            )
    if diags:
        raise LinkError(diags)
    return settings


def reload_content() -> None:
    """Forget every loaded content folder (the next ``load_content`` reads the files again)."""
    _load.cache_clear()
