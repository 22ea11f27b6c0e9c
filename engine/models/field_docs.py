"""Field descriptions from attribute docstrings, without parsing the source on every start (i15).

A field's description (in the JSON Schemas under schemas/, in the web desk's help) is the
docstring written under it, as with pydantic's ``use_attribute_docstrings``. Pydantic finds those
docstrings by reading, tokenizing and parsing each class's source when the class is created:
about 80 ms of every command for the ~130 models. Instead ``field_docs.json`` holds them,
extracted once per module (by pydantic's own extraction) together with the SHA-256 of the
module's source; ``python -m engine.models.field_docs`` (part of ``make schemas``) rewrites it and
tests/test_schemas.py checks it is current.

The table is used for a module only while the module's bytes are the ones it was made from
(hashing a module costs microseconds). An edited module that has not been regenerated yet, and any
model defined outside ``engine/models`` (rule tests, gait import, tests), gets its docstrings the
slow way, from the source, so a description is always the docstring as written.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

from pydantic._internal._docs_extraction import extract_docstrings_from_cls

__all__ = ["TABLE", "build_table", "field_docs", "table_text"]

TABLE = Path(__file__).with_name("field_docs.json")
"""The generated table: module → {"sha256": source digest, "classes": qualname → field → docstring}."""


@functools.cache
def _table() -> dict[str, Any]:
    try:
        data = json.loads(TABLE.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@functools.cache
def _module_classes(module: str) -> dict[str, dict[str, str]] | None:
    """The table's classes of ``module`` if its source is the one the table was made from."""
    entry = _table().get(module)
    path = getattr(sys.modules.get(module), "__file__", None)
    if not isinstance(entry, dict) or path is None or entry.get("sha256") != _digest(path):
        return None
    classes = entry.get("classes")
    return classes if isinstance(classes, dict) else None


def field_docs(cls: type[Any]) -> dict[str, str]:
    """The docstrings under the fields ``cls`` declares itself (name → cleaned docstring)."""
    classes = _module_classes(cls.__module__)
    docs = classes.get(cls.__qualname__) if classes is not None else None
    if docs is None:
        return extract_docstrings_from_cls(cls)  # from the source, as pydantic does (frames on 3.11/3.12)
    return docs


def build_table() -> dict[str, Any]:
    """Extract the table from the sources of every module in ``engine/models`` (imports them)."""
    from pydantic import BaseModel

    package = sys.modules[__package__ or "engine.models"]
    names = sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__))
    modules = {name: importlib.import_module(name) for name in names}

    def subclasses(cls: type[Any]) -> list[type[Any]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    table: dict[str, Any] = {}
    for name, module in modules.items():
        classes: dict[str, dict[str, str]] = {}
        for cls in sorted({c for c in subclasses(BaseModel) if c.__module__ == name}, key=lambda c: c.__qualname__):
            if cls.__qualname__ in classes or "<locals>" in cls.__qualname__:
                raise ValueError(f"{name}.{cls.__qualname__}: two classes of that name, or one inside a function")
            classes[cls.__qualname__] = extract_docstrings_from_cls(cls, use_inspect=True)
        if classes:
            assert module.__file__ is not None
            table[name] = {"sha256": _digest(module.__file__), "classes": classes}
    return table


def table_text() -> str:
    """The text of ``field_docs.json`` for the current sources."""
    return json.dumps(build_table(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    TABLE.write_text(table_text(), encoding="utf-8")
    print(f"wrote {TABLE}")
