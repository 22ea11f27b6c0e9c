"""The clinic's content folders, loaded once and kept in memory (a server keeps one ``Clinic``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.load.content import Content, load_content, reload_content

PAPERS = ("a4", "letter")


def paper_size(value: str) -> str:
    """Return the paper size in lower case.

    Raises:
        InputError: not a4 or letter.
    """
    paper = value.lower()
    if paper not in PAPERS:
        raise InputError.at("--paper", f"'{value}' is not a paper size; use a4 or letter")
    return paper


@dataclass
class Clinic:
    """Where the rules, exercises and templates live (``None`` = the shipped ones) and the paper size.

    ``content()`` loads, links and compiles the rules and exercises on first use and keeps them;
    ``reload()`` forgets them (after a rule or exercise file was edited).
    """

    rules_dir: Path | None = None
    exercises_dir: Path | None = None
    templates_dir: Path | None = None
    paper: str = "a4"
    _content: Content | None = field(default=None, init=False, repr=False, compare=False)

    def content(self) -> Content:
        """The loaded content (loaded on first call).

        Raises:
            InputError: a problem in the content files.
            RuleCompileError: a rule the engine cannot run safely.
        """
        if self._content is None:
            self._content = load_content(self.rules_dir, self.exercises_dir)
        return self._content

    def template(self) -> Any:
        """The validated handout template (loaded once per process).

        Raises:
            InputError: the template file is invalid.
        """
        from engine.render.handout import load_template

        return load_template(self.templates_dir)[0]

    def reload(self) -> None:
        """Forget loaded content and templates so the next call reads the files again."""
        from engine.render.handout import _load_template

        self._content = None
        reload_content()
        _load_template.cache_clear()

    def paper_size(self) -> str:
        """The paper size, checked.

        Raises:
            InputError: not a4 or letter.
        """
        return paper_size(self.paper)
