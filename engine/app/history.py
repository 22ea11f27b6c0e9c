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
        last = None
        for r in self.rows:
            key = r["client_id"] or r["client"]
            if last is not None and key != last:
                out.append("")
            last = key
            follows = f" (follows {r['follows']})" if r["follows"] else ""
            out.append(f"{r['client']} — revision {r['revision']}, {r['date']}, {r['status']}: {r['file']}{follows}")
            out += [
                f"    {e['change']:<7} {e['id']} ({e['side']}) level {e['level']}, dose {e['dose_step']}"
                for e in r["exercises"]
            ]
        return "\n".join(out) + "\n"


def _client_key(plan: Any) -> str:
    return str(plan.client.id or plan.client.name)


def _refuse_mixed_clients(plans: list[tuple[Path, Any]]) -> None:
    """One client id must name one client (the id groups the plans).

    Raises:
        InputError: two names under one client id.
    """
    names: dict[str, tuple[str, str]] = {}
    for path, p in plans:
        if p.client.id is None:
            continue
        have = names.setdefault(p.client.id, (p.client.name, path.name))
        if have[0] != p.client.name:
            raise InputError.at(
                str(path),
                f"client id {p.client.id} is {p.client.name} here but {have[0]} in {have[1]}; "
                "one id must be one client",
            )


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
    plans.sort(key=lambda pp: (_client_key(pp[1]), pp[1].revision, pp[1].assessed_on, pp[0].name))
    _refuse_mixed_clients(plans)
    hashes = {plan_sha256(p): (path.name, _client_key(p)) for path, p in plans}
    for path, p in plans:
        prev_file, prev_client = hashes.get(p.previous.sha256, ("?", None)) if p.previous else (None, None)
        if prev_client is not None and prev_client != _client_key(p):
            raise InputError.at(
                str(path), f"follows {prev_file}, a plan of another client; keep each client's plans apart"
            )
        prev = prev_file
        found.rows.append(
            {
                "client_id": p.client.id,
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
