"""Validated content kept between runs, keyed by a hash of every file it was read from (issue 15).

Reading, validating, linking and compiling the shipped rules and exercises costs about as much
as drawing a handout, and it is the same work on every command. A cache entry is the finished
object (the ``Content`` or the handout ``Template``) written after a successful load; the next
run uses it only if its key matches, and the key is a SHA-256 over

* the entry format, the Python, pydantic, pydantic-core and PyYAML versions, the engine version
  and the bytes of the engine source that defines and validates content (``engine/models``,
  ``engine/load``, ``engine/evaluate``, ``engine/errors.py``), so a code change is a new key;
* the resolved folder paths (diagnostics and ``library.files`` name them);
* every input file's name and **bytes** (not its mtime): every ``*.yaml`` under the rules
  folder (subfolders and folder links followed, ``*.test.yaml`` aside), every ``*.yaml`` in the
  exercises folder (all of them), the template file. Adding, removing or editing any of them changes the key.

An entry is never stale: the key is recomputed from the files on every run (about 2 ms for the
shipped content) and compared with the one stored in the entry. Load errors are never cached.

Format and trust. An entry is a pickle of our own objects, because the alternative, JSON plus
re-validation, is most of the cost we want to skip, and the content holds plain dataclasses
(positions, rule sources) that JSON would need a bespoke codec for. Pickle is only safe for
files we wrote, so an entry is read only when all of these hold, and is otherwise ignored
(rebuilt and replaced), never trusted:

* it is a regular file owned by this user, not writable by group or others, in a folder
  created ``0700``;
* it starts with our magic line and format number, then the key, then the SHA-256 of the
  payload, and both match (a truncated, corrupt or foreign file fails here);
* the payload unpickles with a restricted unpickler that resolves only classes defined in
  ``engine.models``, ``engine.load``, ``engine.evaluate`` and ``engine.errors`` plus a few
  value types (paths, dates, sets): no function or other global can be reached, so even a
  crafted file cannot run code; and the result has the expected type.

Where: ``$REHAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/rehab-rules``, else ``~/.cache/rehab-rules``.
``REHAB_NO_CACHE=1`` turns it off (every run loads the files; the plans are the same bytes).
Entries are written atomically (a temporary file in the same folder, then ``os.replace``); one
entry per kind and folder set is kept (a new key replaces it), at most ``MAX_ENTRIES`` in all.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from engine.errors import EngineError

__all__ = ["cache_dir", "cached", "enabled", "key_for", "read_blob", "write_blob"]

T = TypeVar("T")

FORMAT = 1
MAGIC = b"rehab-rules cache\n"
MAX_ENTRIES = 64
_ENGINE = Path(__file__).resolve().parents[1]
_CODE = ("models", "load", "evaluate", "errors.py", "__init__.py")
_CLASSES_FROM = ("engine.models.", "engine.load.", "engine.evaluate.")
_VALUE_TYPES = {
    ("pathlib", "PosixPath"),
    ("pathlib", "PurePosixPath"),
    ("pathlib", "WindowsPath"),
    ("pathlib", "PureWindowsPath"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("collections", "OrderedDict"),
}


def enabled() -> bool:
    """Whether the cache is on (``REHAB_NO_CACHE=1`` turns it off)."""
    return os.environ.get("REHAB_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    """The cache folder (it may not exist yet)."""
    explicit = os.environ.get("REHAB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "rehab-rules"


@cache
def _code_fingerprint() -> bytes:
    import pydantic
    import pydantic_core
    import yaml

    from engine import __version__

    h = hashlib.sha256()
    versions = (FORMAT, sys.version, pydantic.VERSION, pydantic_core.__version__, yaml.__version__, __version__)
    h.update(repr(versions).encode())
    for part in _CODE:
        top = _ENGINE / part
        files = sorted(top.rglob("*.py")) if top.is_dir() else [top]
        for p in files:
            h.update(p.relative_to(_ENGINE).as_posix().encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.digest()


def key_for(kind: str, folders: Sequence[Path], files: Iterable[Path]) -> tuple[str, str]:
    """Return (entry name, content key) for ``kind`` read from ``files`` under ``folders``.

    Raises:
        OSError: a file cannot be read.
    """
    where = hashlib.sha256(_code_fingerprint())
    where.update(kind.encode() + b"\0")
    for folder in folders:
        where.update(str(folder.resolve()).encode() + b"\0")
    key = where.copy()
    for p in sorted(files):
        key.update(str(p).encode() + b"\0")
        data = p.read_bytes()
        key.update(len(data).to_bytes(8, "big") + data)
    return f"{kind}-{where.hexdigest()[:24]}.cache", key.hexdigest()


class _Unpickler(pickle.Unpickler):
    """Resolves only the engine's own content classes and a few value types."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _VALUE_TYPES:
            return super().find_class(module, name)
        ours = module == "engine.errors" or module.startswith(_CLASSES_FROM)
        if ours and name.isidentifier():
            found = super().find_class(module, name)  # at most imports one of our own modules
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def read_blob(name: str, key: str) -> bytes | None:
    """The payload of entry ``name`` if it is ours (owner, mode, magic, format, ``key`` and the
    payload's SHA-256 all check), else ``None``."""
    path = cache_dir() / name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o022:
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            blob = fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    head = MAGIC + f"{FORMAT}\n{key}\n".encode()
    if not blob.startswith(head):
        return None
    digest, _, payload = blob[len(head) :].partition(b"\n")
    if digest.decode("ascii", "replace") != hashlib.sha256(payload).hexdigest():
        return None
    return payload


def write_blob(name: str, key: str, payload: bytes) -> None:
    """Write entry ``name`` atomically (temporary file, then ``os.replace``) in a ``0700``
    folder; keep at most ``MAX_ENTRIES`` entries.

    Raises:
        OSError: the folder cannot be written.
    """
    folder = cache_dir()
    blob = MAGIC + f"{FORMAT}\n{key}\n".encode() + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".cache")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    entries = sorted(folder.glob("*.cache"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)


def _read(name: str, key: str, expect: type) -> Any | None:
    payload = read_blob(name, key)
    if payload is None:
        return None
    was = gc.isenabled()
    gc.disable()  # unpickling makes many small objects and no garbage
    try:
        value = _Unpickler(io.BytesIO(payload)).load()
    except Exception:
        return None
    finally:
        if was:
            gc.enable()
    return value if isinstance(value, expect) else None


def cached(
    kind: str, folders: Sequence[Path], files: Callable[[], Iterable[Path]], build: Callable[[], T], expect: type[T]
) -> T:
    """Return the cached value for ``kind`` if its key (over ``files()``) matches, else
    ``build()`` it and store it. Errors from ``build`` propagate and nothing is stored; a cache
    that cannot be read or written is ignored."""
    if not enabled():
        return build()
    try:
        name, key = key_for(kind, folders, files())
    except (OSError, EngineError):
        return build()  # a missing folder, a link loop, a misnamed file: the loader reports it
    hit = _read(name, key, expect)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = build()
    try:
        write_blob(name, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        pass  # a read-only home, a full disk: the run goes on uncached
    return value
