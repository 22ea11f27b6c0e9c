"""Atomic output: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from engine.errors import OutputError


def check_target(path: Path, *, force: bool, protect: tuple[Path, ...] = ()) -> None:
    """Fail early (before any work) if ``path`` cannot or must not be written.

    Raises:
        OutputError: missing folder, a folder in the way, an input file, or an existing
            file without ``force``.
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
    if path.exists() and not force:
        raise OutputError.at(str(path), "already exists; use --force to replace it")
    if not os.access(parent, os.W_OK):
        raise OutputError.at(str(path), f"folder '{parent}' is not writable")


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write all of ``data`` to ``path`` or nothing (``-`` writes to stdout).

    Raises:
        OutputError: the file cannot be written; nothing is left behind.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if str(path) == "-":
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    parent = path.parent if str(path.parent) else Path()
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise OutputError.at(str(path), f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


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
