"""Errors and diagnostics: every user-fixable problem becomes ``file:line:col: field: message``.

Exit codes: 0 success, 2 bad input or bad rules, anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one place of one input file."""

    file: str
    line: int = 0
    column: int = 0
    path: str = ""
    message: str = ""
    severity: str = "error"
    code: str = ""
    hint: str = field(default="", compare=False)

    def render(self) -> str:
        """Return the GCC-style line terminals and editors make clickable."""
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        parts = [where]
        if self.severity != "error":
            parts.append(self.severity)
        if self.path:
            parts.append(self.path)
        text = ": ".join(parts) + f": {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        """Return the diagnostic as JSON-ready data."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
            "code": self.code,
            "hint": self.hint,
        }


class EngineError(Exception):
    """Base of every error the engine raises on purpose; carries diagnostics."""

    exit_code = 2

    def __init__(self, diagnostics: Iterable[Diagnostic] | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(file="", message=diagnostics)]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @classmethod
    def at(
        cls, file: str, message: str, *, line: int = 0, column: int = 0, path: str = "", code: str = "", hint: str = ""
    ) -> EngineError:
        """Build an error with a single diagnostic."""
        return cls([Diagnostic(file, line, column, path, message, code=code, hint=hint)])

    def render(self) -> str:
        """Return all diagnostics, one per line."""
        return "\n".join(d.render() for d in self.diagnostics)


class InputError(EngineError):
    """A user-fixable problem in an input file (YAML, schema, references)."""


class YamlError(InputError):
    """The file is not readable, safe YAML."""


class SchemaError(InputError):
    """The YAML is well formed but does not match the model."""


class LinkError(InputError):
    """A reference to something that does not exist (exercise, ladder, evidence, fact)."""


class RuleCompileError(EngineError):
    """A well-formed rule the compiler cannot express safely in durable_rules."""


class EvaluationError(EngineError):
    """The rules engine failed while evaluating; never read as 'no exercise indicated'."""

    exit_code = 3


class RunawayError(EngineError):
    """An evaluation went past its firing or time budget: a rules problem (exit 2), not a crash."""


class RenderError(EngineError):
    """The handout or report could not be rendered (template, font, picture)."""


class OutputError(EngineError):
    """An output path cannot be written."""


def merge(errors: Sequence[EngineError]) -> InputError:
    """Combine several errors into one input error (all diagnostics, in order)."""
    return InputError([d for e in errors for d in e.diagnostics])
