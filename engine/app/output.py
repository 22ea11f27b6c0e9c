"""Outputs are created whole or not at all, and never over a file that appeared meanwhile.

Each output is written to a neutrally named temporary file beside its target (``.rehab-*.tmp``,
no client name in it), flushed to disk, then *linked* into place: ``link`` fails if the name
exists, so two runs writing the same new path cannot both succeed (the existence check and the
creation are one step). ``--force`` replaces with an atomic rename instead. One run's outputs are
all-or-nothing: every temporary file is complete before the first one is put in place, and if
any cannot be placed, those already placed by this run are removed again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
import time
from pathlib import Path

from engine.errors import OutputError

TMP_PREFIX = ".rehab-"
TMP_SUFFIX = ".tmp"
STALE_SECONDS = 3600


def _exists(path: Path) -> bool:
    """A name is taken by anything, including a symlink that points nowhere."""
    return os.path.lexists(path)


def check_target(path: Path, *, force: bool, protect: tuple[Path, ...] = ()) -> None:
    """Fail early (before any work) if ``path`` cannot or must not be written.

    Raises:
        OutputError: missing folder, a folder in the way, an input file, or an existing
            file (or link) without ``force``.
    """
    if str(path) == "-":
        return
    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        raise OutputError.at(str(path), f"folder '{parent}' does not exist")
    if path.is_dir():
        raise OutputError.at(str(path), "is a folder; give a file name")
    if path.exists() and not path.is_file():
        raise OutputError.at(str(path), "is not a regular file (a device or pipe); give a file name")
    for p in protect:
        if p.exists() and path.exists() and path.resolve() == p.resolve():
            raise OutputError.at(str(path), "is one of the input files; choose another output name")
    if _exists(path) and not force:
        what = "already exists" if path.exists() else "already exists as a link to a missing file"
        raise OutputError.at(str(path), f"{what}; use --force to replace it")
    if not os.access(parent, os.W_OK):
        raise OutputError.at(str(path), f"folder '{parent}' is not writable")


def _sweep(folder: Path) -> None:
    """Remove our temporary files that a killed run left behind (older than an hour)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(TMP_PREFIX) and entry.name.endswith(TMP_SUFFIX):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                        os.unlink(entry.path)


def _temp(path: Path, raw: bytes) -> str:
    parent = path.parent if str(path.parent) else Path()
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(name, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return name


def _place(tmp: str, path: Path, *, force: bool) -> None:
    """Put a finished temporary file at ``path``: atomically replacing (force) or exclusively."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # no hard links here: claim the name exclusively, then rename the content over the claim
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.close(fd)
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_all(items: list[tuple[Path, bytes | str]], *, force: bool = False) -> None:
    """Write every ``(path, data)`` or none of them (``-`` goes to stdout, last).

    Raises:
        OutputError: a file cannot be written or a name was taken meanwhile (without
            ``force``); nothing of this run is left behind.
    """
    blobs = [(p, d.encode("utf-8") if isinstance(d, str) else d) for p, d in items]
    temps: list[tuple[str, Path]] = []
    placed: list[Path] = []
    current = Path()
    try:
        for path, raw in blobs:
            if str(path) != "-":
                current = path
                temps.append((_temp(path, raw), path))
        for tmp, path in temps:
            current = path
            _place(tmp, path, force=force)
            placed.append(path)
        for folder in {p.parent if str(p.parent) else Path() for _, p in temps}:
            _sync_dir(folder)
            _sweep(folder)
    except OSError as exc:
        if not force:
            for path in placed:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        if isinstance(exc, FileExistsError):
            raise OutputError.at(
                str(current), "already exists (another run wrote it meanwhile); use --force to replace it"
            ) from None
        raise OutputError.at(str(current), f"cannot write: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                if os.path.lexists(tmp):
                    os.unlink(tmp)
    for path, raw in blobs:
        if str(path) == "-":
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()


def write_atomic(path: Path, data: bytes | str, *, force: bool = False) -> None:
    """Write all of ``data`` to ``path`` or nothing (``-`` writes to stdout).

    Without ``force`` the file must not exist when it is put in place (exclusive creation).

    Raises:
        OutputError: the file cannot be written, or exists without ``force``.
    """
    write_all([(path, data)], force=force)


def same_file_twice(paths: list[Path]) -> list[str]:
    """Return outputs that name one file twice, however spelt (``a/../a/x`` = ``a/x``, links)."""
    seen: dict[Path, str] = {}
    clashes = []
    for p in paths:
        if str(p) == "-":
            continue
        key = p.resolve()
        if key in seen:
            clashes.append(f"{seen[key]} and {p}")
        seen[key] = str(p)
    return clashes
