"""The clinic folder is the store: one folder per client holding the files the CLI reads and writes.

```
CLINIC/
  .rehab.lock                      clinic lock: creating a client, editing rules (fcntl.flock, across processes)
  rules/ exercises/ templates/     optional: the clinic's own content (used instead of the shipped one)
  <client>/                        one folder per client, named from the client id (or name)
    .rehab.lock                    this client's lock: every read-modify-write of the client takes it
    client.yaml                    name and id
    001-assessment.yaml            visit 1 (rehab validate / rehab plan read it)
    001-plan.json                  rehab plan 001-assessment.yaml --json 001-plan.json
    001-handout.pdf 001-report.pdf written on first download (the bytes rehab plan writes)
    002-feedback.yaml              review (Contract 3)
    002-overrides.yaml             the clinician's overrides at that review, if any (rehab progress --overrides)
    002-plan.json                  rehab progress 001-plan.json 002-feedback.yaml --json 002-plan.json
    drafts/assessment.yaml         what was typed into a form that did not validate yet
```

Every write is atomic (temporary file + rename, ``engine.app.output.write_atomic``); numbered files
are never replaced (a new visit gets the next number); a crash leaves no half file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FOLDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FILE_RE = re.compile(r"^(\d{3})-(assessment\.yaml|feedback\.yaml|overrides\.yaml|plan\.json|handout\.pdf|report\.pdf)$")
RESERVED = {"rules", "exercises", "templates", "drafts"}
LOCK_FILE = ".rehab.lock"


class NotFound(Exception):
    """A client or file name that is not in the clinic folder (or not allowed)."""


def safe_child(root: Path, name: str) -> Path:
    """Return ``root/name`` for a plain folder or file name, or raise NotFound.

    Refuses anything but ``[A-Za-z0-9][A-Za-z0-9._-]*`` (no separators, no ``..``, no hidden
    files), anything that resolves outside ``root`` and symbolic links.
    """
    if not isinstance(name, str) or not FOLDER_RE.match(name) or ".." in name:
        raise NotFound(name)
    path = root / name
    if path.is_symlink():
        raise NotFound(name)
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()) or resolved.parent != root.resolve():
        raise NotFound(name)
    return path


def slug(text: str) -> str:
    """A folder name from a client id or name (ASCII letters, digits, '-')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:48]
    return s or "client"


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Serialise read-modify-write across threads and processes (the CLI may write too)."""
    key = str(lock_file.resolve())
    with _GUARD:
        tlock = _THREAD_LOCKS.setdefault(key, threading.Lock())
    with tlock:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


@dataclass(frozen=True)
class Clinic:
    """A clinic folder."""

    root: Path

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """The clinic-wide lock (creating clients, editing content)."""
        return _locked(self.root / LOCK_FILE)

    def clients(self) -> list[Client]:
        """Every client folder (those with a client.yaml), by name."""
        out = []
        for p in sorted(self.root.iterdir()):
            if p.is_dir() and not p.is_symlink() and FOLDER_RE.match(p.name) and (p / "client.yaml").is_file():
                out.append(Client(self, p.name))
        return sorted(out, key=lambda c: (c.info().get("name", "").casefold(), c.folder))

    def client(self, folder: str) -> Client:
        """One client by folder name (NotFound for anything else)."""
        path = safe_child(self.root, folder)
        if folder in RESERVED or not (path / "client.yaml").is_file():
            raise NotFound(folder)
        return Client(self, folder)

    def new_client(self, name: str, client_id: str | None, dump: Any) -> Client:
        """Create a client folder (a fresh name when taken); call under ``lock()``."""
        from engine.app.output import write_atomic

        base = slug(client_id or name)
        folder, n = base, 2
        while (self.root / folder).exists() or folder in RESERVED:
            folder, n = f"{base}-{n}", n + 1
        path = safe_child(self.root, folder)
        path.mkdir()
        write_atomic(path / "client.yaml", dump({"name": name, **({"id": client_id} if client_id else {})}))
        return Client(self, folder)


@dataclass(frozen=True)
class Entry:
    """One numbered file of a client."""

    number: int
    kind: str  # assessment | feedback | plan | handout | report
    name: str


@dataclass(frozen=True)
class Client:
    """A client folder."""

    clinic: Clinic
    folder: str

    @property
    def path(self) -> Path:
        """The folder."""
        return self.clinic.root / self.folder

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """This client's lock: one writer at a time per client, other clients go on in parallel."""
        return _locked(self.path / LOCK_FILE)

    def info(self) -> dict[str, Any]:
        """Name and id from client.yaml (empty when unreadable)."""
        from engine.errors import EngineError
        from engine.load import yamlio

        try:
            data, _ = yamlio.read(self.path / "client.yaml")
        except EngineError:
            return {}
        return data if isinstance(data, dict) else {}

    def entries(self) -> list[Entry]:
        """Numbered files in order (visit number, then assessment/feedback before plan)."""
        order = {"assessment": 0, "feedback": 0, "overrides": 0, "plan": 1, "handout": 2, "report": 3}
        out = []
        for p in self.path.iterdir():
            m = FILE_RE.match(p.name)
            if m and p.is_file() and not p.is_symlink():
                out.append(Entry(int(m.group(1)), m.group(2).split(".")[0], p.name))
        return sorted(out, key=lambda e: (e.number, order[e.kind]))

    def file(self, number: int, kind: str) -> Path:
        """Path of a numbered file (it may not exist yet)."""
        ext = {
            "assessment": "yaml",
            "feedback": "yaml",
            "overrides": "yaml",
            "plan": "json",
            "handout": "pdf",
            "report": "pdf",
        }[kind]
        name = f"{number:03d}-{kind}.{ext}"
        if not FILE_RE.match(name):
            raise NotFound(name)
        return self.path / name

    def next_number(self) -> int:
        """The number of the next visit."""
        return max((e.number for e in self.entries()), default=0) + 1

    def plans(self) -> list[int]:
        """Visit numbers that have a plan."""
        return [e.number for e in self.entries() if e.kind == "plan"]

    def draft_path(self, kind: str) -> Path:
        """Where an unfinished form is kept."""
        return self.path / "drafts" / f"{kind}.yaml"

    def write_new(self, path: Path, data: bytes | str) -> None:
        """Write a file that must not exist yet (numbered files are never replaced)."""
        from engine.app.output import write_atomic
        from engine.errors import OutputError

        if path.exists():
            raise OutputError.at(path.name, "already exists; a new revision gets the next number")
        write_atomic(path, data)

    def write_draft(self, kind: str, data: str) -> None:
        """Keep what was typed (replaces the previous draft of that form)."""
        from engine.app.output import write_atomic

        self.draft_path(kind).parent.mkdir(exist_ok=True)
        write_atomic(self.draft_path(kind), data, force=True)  # a draft is replaced, atomically

    def drop_draft(self, kind: str) -> None:
        """Forget a draft once the form was saved."""
        with contextlib.suppress(FileNotFoundError):
            self.draft_path(kind).unlink()
