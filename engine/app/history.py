"""``rehab history``: a client's plans in order, with what changed at each review."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import EngineError, InputError


@dataclass
class History:
    """The plans found in a folder, in order, and the files that were not readable plans."""

    folder: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """``skipped <file>: not a readable plan (<why>)`` lines."""

    def require_plans(self) -> None:
        """Refuse a folder without any readable plan.

        Raises:
            InputError: no plan JSON files here.
        """
        if not self.rows:
            raise InputError.at(str(self.folder), "no plan JSON files here")

    def json(self) -> str:
        """The rows as JSON."""
        return json.dumps(self.rows, indent=2, ensure_ascii=False) + "\n"

    def text(self) -> str:
        """One line per plan, one indented line per exercise."""
        out = []
        for r in self.rows:
            follows = f" (follows {r['follows']})" if r["follows"] else ""
            out.append(f"{r['client']} — revision {r['revision']}, {r['date']}, {r['status']}: {r['file']}{follows}")
            out += [
                f"    {e['change']:<7} {e['id']} ({e['side']}) level {e['level']}, dose {e['dose_step']}"
                for e in r["exercises"]
            ]
        return "\n".join(out) + "\n"


def history(folder: Path) -> History:
    """Read the plan JSON files in ``folder`` and order them by client, revision and date.

    Raises:
        InputError: not a folder (an empty ``rows`` means no readable plan: see ``require_plans``).
    """
    from engine.plan.progression import load_plan, plan_sha256

    if not folder.is_dir():
        raise InputError.at(str(folder), "folder not found")
    found = History(folder)
    plans = []
    for path in sorted(folder.glob("*.json")):
        try:
            plans.append((path, load_plan(path)))
        except EngineError as exc:
            found.skipped.append(f"skipped {path}: not a readable plan ({exc.diagnostics[0].message})")
    plans.sort(key=lambda pp: (pp[1].client.id or pp[1].client.name, pp[1].revision, pp[1].assessed_on, pp[0].name))
    hashes = {plan_sha256(p): path.name for path, p in plans}
    for path, p in plans:
        prev = hashes.get(p.previous.sha256, "?") if p.previous else None
        found.rows.append(
            {
                "file": path.name,
                "client": p.client.name,
                "revision": p.revision,
                "date": p.assessed_on,
                "status": p.status,
                "follows": prev,
                "exercises": [
                    {
                        "id": e.id,
                        "side": e.side,
                        "level": e.level,
                        "dose_step": e.dose_step,
                        "change": e.change or "new",
                    }
                    for e in p.exercises
                ],
            }
        )
    return found
