"""``validate`` and ``rules check`` as data: each file or folder with its diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from engine.app.clinic import Clinic
from engine.errors import Diagnostic, EngineError

Kind = Literal["assessment", "feedback", "plan", "overrides"]


@dataclass(frozen=True)
class FileCheck:
    """One validated file: what it is, the model when valid, every problem when not."""

    path: Path
    kind: Kind | None
    document: Any = None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def label(self) -> str:
        """``assessment of <name>``, ``plan for <name>`` or ``feedback``."""
        name = getattr(getattr(self.document, "client", None), "name", "")
        words = {"feedback": "feedback", "overrides": "overrides", "plan": f"plan for {name}"}
        return words.get(self.kind or "", f"assessment of {name}")


def kind_of(data: Any) -> Kind:
    """Tell an assessment, a feedback file and a plan apart by their keys."""
    if isinstance(data, dict) and "generated_with" in data:
        return "plan"
    if isinstance(data, dict) and "overrides" in data and "client" not in data:
        return "overrides"
    if isinstance(data, dict) and "reported_on" in data and "client" not in data:
        return "feedback"
    return "assessment"


def _model(kind: Kind) -> Any:
    from engine.models.assessment import Assessment
    from engine.models.feedback import Feedback
    from engine.models.overrides import Overrides
    from engine.models.plan import Plan

    return {"assessment": Assessment, "feedback": Feedback, "plan": Plan, "overrides": Overrides}[kind]


def validate_file(path: Path, *, plan: Any = None) -> FileCheck:
    """Validate one assessment, feedback or plan file (``-`` for stdin).

    With ``plan`` (a ``Plan``), a feedback file is also checked against it: every entry must be an
    exercise and side of the plan, the date not before it, not already applied; a plan exercise
    without an entry is a warning.
    """
    from engine.load import yamlio
    from engine.load.validation import validate

    kind: Kind | None = None
    try:
        data, index = yamlio.read(path)
        kind = kind_of(data)
        doc = validate(_model(kind), data, index)
        warnings: tuple[Diagnostic, ...] = ()
        if kind == "feedback" and plan is not None:
            from engine.plan.progression import match_feedback

            paired = match_feedback(plan, doc, index)
            have = {id(e) for e in paired.values()}
            warnings = tuple(
                Diagnostic(
                    index.file,
                    message=f"no feedback for {e.id} ({e.side}): it would be kept as it was",
                    severity="warning",
                    code="feedback.missing",
                )
                for e in plan.exercises
                if id(e) not in have
            )
    except EngineError as exc:
        return FileCheck(path, kind, None, exc.diagnostics)
    return FileCheck(path, kind, doc, warnings)


def validate(paths: list[Path], *, plan: Any = None) -> list[FileCheck]:
    """Validate each file (feedback files also against ``plan`` when given); every problem is a
    diagnostic with file:line:col."""
    return [validate_file(p, plan=plan) for p in paths]


@dataclass(frozen=True)
class RulesCheck:
    """The verdict of ``rules check``."""

    diagnostics: tuple[Diagnostic, ...]
    summary: str
    """``N rules, N exercises, N ladders, N references`` (empty when loading failed)."""

    @property
    def errors(self) -> list[Diagnostic]:
        """The errors (the rest are warnings)."""
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors


def check_rules(clinic: Clinic) -> RulesCheck:
    """Load, link and compile every rule, exercise, threshold and reference file; collect diagnostics."""
    from engine.evaluate.compiler import compile_rules
    from engine.evaluate.runtime import limit_warnings
    from engine.load.content import load_review
    from engine.load.library import load_library
    from engine.load.resources import data_dir
    from engine.load.rulebook import REVIEW_FILE, load_rulebook

    diags: list[Diagnostic] = []
    summary = ""
    rules_dir = data_dir("rules", clinic.rules_dir)
    try:
        lib = load_library(data_dir("exercises", clinic.exercises_dir))
        book = load_rulebook(rules_dir, lib)
        diags += lib.warnings + book.warnings
        try:
            load_review(rules_dir / REVIEW_FILE)
        except EngineError as exc:
            diags += exc.diagnostics
        for stage, rs in book.rules.items():
            if rs:
                compiled = compile_rules(rs, stage, where=str(rules_dir))
                diags += limit_warnings(compiled, str(rules_dir))
        from engine.app.rule_testing import case_files, coverage, expected_in

        # A tested rule set must be tested completely (the verdict of `rules test` and of CI);
        # a folder without any test file yet only gets warnings.
        found = coverage(rules_dir, set(book.by_id()), expected_in(rules_dir))
        if not case_files(rules_dir):
            found = [replace(d, severity="warning") for d in found]
        diags += found
        summary = (
            f"{sum(len(r) for r in book.rules.values())} rules, {len(lib.exercises)} exercises, "
            f"{len(lib.ladders)} ladders, {len(book.references)} references"
        )
    except EngineError as exc:
        diags = list(exc.diagnostics) + diags
    return RulesCheck(tuple(diags), summary)
