"""Validate parsed YAML against a model and turn pydantic errors into positioned diagnostics."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.errors import Diagnostic, SchemaError
from engine.load.yamlio import LocationIndex

M = TypeVar("M", bound=BaseModel)
_NO_DATA: Any = object()

_TYPE_WORDS = {
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "date_type": "must be a date written like 2026-11-20",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "none_required": "must be empty",
}


def validate(model: type[M], data: Any, index: LocationIndex, *, context: Any = None) -> M:
    """Validate ``data`` into ``model``; report every problem at once with its position.

    Raises:
        SchemaError: one diagnostic per problem, sorted by position in the file.
    """
    if data is None:
        raise SchemaError.at(index.file, "the file is empty", line=1, column=1)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        diags = [_diagnostic(model, err, index, data) for err in exc.errors(include_url=False)]
        raise SchemaError(sorted(set(_merge_alternatives(diags)))) from None


def _diagnostic(model: type[BaseModel], err: Any, index: LocationIndex, data: Any = _NO_DATA) -> Diagnostic:
    loc = _clean_loc(tuple(err["loc"]), data)
    kind = err["type"]
    dotted = dotted_path(loc)
    hint = ""
    if kind == "extra_forbidden":
        pos = index.key(loc)
        allowed = _fields_at(model, loc[:-1])
        message = f"unknown key {_key(loc[-1])}" if loc else "unknown key"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif allowed:
            hint = "allowed keys: " + ", ".join(allowed)
    elif kind == "missing":
        pos = index.value(loc[:-1])
        message = "is required but missing"
    else:
        pos = index.value(loc)
        message = message_of(err)
    return Diagnostic(index.file, pos.line, pos.column, dotted, message, code=f"schema.{kind}", hint=hint)


_TYPE_MESSAGE = re.compile(r"must be (.+) \(got (.+)\)")


def _merge_alternatives(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One line for a value that fits none of a union's types, not one line per type.

    ``must be a number (got a list)`` + ``must be text (got a list)`` at one place become
    ``must be a number, text or true or false (got a list)``.
    """
    wanted: dict[tuple[Any, ...], list[str]] = {}
    first: dict[tuple[Any, ...], Diagnostic] = {}
    out: list[Diagnostic] = []
    for d in diags:
        m = _TYPE_MESSAGE.fullmatch(d.message)
        if m is None:
            out.append(d)
            continue
        key = (d.file, d.line, d.column, d.path, m.group(2))
        if key not in first:
            first[key] = d
            wanted[key] = []
        if m.group(1) not in wanted[key]:
            wanted[key].append(m.group(1))
    for key, kinds in wanted.items():
        if "a number" in kinds and "a whole number" in kinds:
            kinds.remove("a whole number")
        words = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
        out.append(replace(first[key], message=f"must be {words} (got {key[4]})"))
    return out


def message_of(err: Any) -> str:
    kind = err["type"]
    got = err.get("input")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        words = expected.replace("'", "").replace(" or ", ", ")
        return f"{_show(got)} is not allowed; use one of: {words}"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]} (got {_show(got)})"
    ctx = err.get("ctx", {})
    if kind == "too_long" and "max_length" in ctx and isinstance(got, list):
        return f"holds at most {ctx['max_length']} entries (got {len(got)})"
    if kind == "too_short" and "min_length" in ctx and isinstance(got, list):
        return f"needs at least {ctx['min_length']} entries (got {len(got)})"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg[:1].lower() + msg[1:]


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    return text if len(text) < 60 else text[:57] + "..."


def unwrap(tp: Any) -> list[Any]:
    """Return the model classes or containers hiding in an annotation."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(tp) for t in unwrap(a)]
    return [tp]


def _step(tp: Any, part: str | int) -> Any:
    for cand in unwrap(tp):
        origin = typing.get_origin(cand)
        if isinstance(part, int) and origin in (list, tuple):
            return typing.get_args(cand)[0]
        if isinstance(part, str) and origin is dict:
            return typing.get_args(cand)[1]
        if isinstance(cand, type) and issubclass(cand, BaseModel) and part in cand.model_fields:
            return cand.model_fields[part].annotation
    return None


def _models_in(tp: Any) -> list[type[BaseModel]]:
    return [c for c in unwrap(tp) if isinstance(c, type) and issubclass(c, BaseModel)]


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    return sorted({f.alias or name for m in _models_in(tp) for name, f in m.model_fields.items()})


def _clean_loc(loc: tuple[Any, ...], data: Any = _NO_DATA) -> tuple[Any, ...]:
    """Drop union-member tags pydantic inserts into ``loc`` (e.g. 'function-after[...]', 'str').

    A part that is a key (or index) of the validated data at that point is the file's own, kept
    whatever it looks like: a clinician's key 'x[1]' or 'str' is an unknown key, not a tag.
    """
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
            continue
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
            continue
        if isinstance(part, str) and ("[" in part or part in _TAGS or part[:1].isupper()):
            continue  # 'function-after[...]', 'str', a union member's model name ('From', 'Ref')
        out.append(part)
        node = _NO_DATA  # not in the data (a missing field or a discriminator tag): stop following it
    return tuple(out)


def _key(name: Any) -> str:
    """A key as the message quotes it; invisible characters (no-break space, zero width) escaped."""
    text = str(name)
    if all(c.isprintable() and (c == " " or not c.isspace()) for c in text):
        return f"'{text}'"
    return repr(text)


_TAGS = {"str", "int", "float", "bool", "list", "dict"}


def dotted_path(loc: tuple[Any, ...]) -> str:
    """Render a location as ``findings.pelvic_drop.left_stance_deg`` / ``pain[0].side``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
