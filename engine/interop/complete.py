"""The gate between an imported assessment and a plan: nothing is planned while questions remain."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.errors import InputError

_WHAT = {
    "red_flags": "the red-flag questions were never answered",
    "pain": "the pain history was never taken",
    "client_name": "the client's name is a placeholder",
}
_FILL = {"red_flags": "red_flags", "pain": "pain", "client_name": "client.name"}


def _line_of(path: Path | str, key: str) -> int:
    try:
        with Path(path).open("rb") as fh:
            text = fh.read(2_000_000).decode("utf-8", "replace")
    except OSError:
        return 0
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(rf"{key}\s*:", line):
            return i
    return 0


def refuse_incomplete(assessment: Any, path: Path | str | None = None) -> None:
    """Refuse (exit 2) an assessment whose ``to_complete`` still lists questions never asked.

    Raises:
        InputError: with the file and the line of ``to_complete``.
    """
    todo = list(getattr(assessment, "to_complete", None) or [])
    if not todo:
        return
    order = [k for k in ("red_flags", "pain", "client_name") if k in todo]
    what = "; ".join(_WHAT[k] for k in order)
    fill = " and ".join(_FILL[k] for k in order)
    name = str(path) if path is not None else "assessment"
    raise InputError.at(
        name,
        f"not ready to plan: {what} (this assessment was imported from a gait file)",
        line=_line_of(path, "to_complete") if path is not None and name != "-" else 0,
        path="to_complete",
        code="import.incomplete",
        hint=f"ask them, fill in {fill}, then delete those words from to_complete",
    )
