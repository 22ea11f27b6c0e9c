"""The local web desk (``rehab serve``): forms, plans with their reasons, PDFs, reviews, rules.

Nothing heavy happens at import: ``create_app`` builds the FastAPI application for one clinic folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def create_app(
    clinic: Path,
    *,
    rules: Path | None = None,
    exercises: Path | None = None,
    templates: Path | None = None,
    paper: str = "a4",
    token: str | None = None,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]", "::1"),
) -> Any:
    """The desk over ``clinic`` (a folder; the store), using these content folders.

    The clinic's own ``rules/``, ``exercises/`` and ``templates/`` are used when present and no
    folder is given. With ``token`` every request needs it (remote use).
    """
    from engine.web.app import build

    clinic = Path(clinic)
    rules = rules if rules is not None else (clinic / "rules" if (clinic / "rules").is_dir() else None)
    exercises = (
        exercises if exercises is not None else (clinic / "exercises" if (clinic / "exercises").is_dir() else None)
    )
    templates = (
        templates if templates is not None else (clinic / "templates" if (clinic / "templates").is_dir() else None)
    )
    return build(clinic, rules=rules, exercises=exercises, templates=templates, paper=paper, token=token, hosts=hosts)
