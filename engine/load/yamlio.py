"""Strict, safe YAML loading that keeps a position for every key and value.

The only module that imports PyYAML. Rules enforced for clinician-edited files:

* safe loading only, one document, no anchors/aliases/merge keys (no "billion laughs");
* duplicate keys are errors naming both lines;
* YAML 1.2 scalars: only ``true``/``false`` are booleans (``side: no`` stays the string
  ``"no"`` and is then rejected by the model), no octal ``010`` or base-60 ``12:30`` ints,
  ``1e3`` is a float;
* no explicit tags (``!!timestamp x``, ``!!bool maybe``, ``!!set``…) except ``!!str``;
* bounded input size; non-UTF-8 and binary input is a clear error;
* every error has file:line:col, counted as editors count: only LF, CRLF and CR end a line
  (NEL U+0085, U+2028 and U+2029 do not, although YAML itself breaks lines there).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import Diagnostic, YamlError

MAX_BYTES = 1_000_000
Loc = tuple[str | int, ...]


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~5x faster


class _StrictLoader(_Base):  # type: ignore[misc]
    """Safe loader with YAML 1.2 core-schema scalars, no aliases, no duplicate keys.

    With libyaml the C composer builds the node graph (``compose_node`` below only runs in the
    pure-Python fallback); an alias there shows up as a node reached twice, which the position
    walk rejects before anything is constructed.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's per-class registry, reset here

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _PositionedProblem("anchors and aliases (*name) are not allowed", event.start_mark)
        node: Node | None = super().compose_node(parent, index)
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (_PositionedProblem, yaml.MarkedYAMLError):
            raise
        except Exception as exc:  # a constructor choking on a value (e.g. an odd explicit tag)
            raise _PositionedProblem(f"cannot read the value {node.value!r}: {exc}", node.start_mark) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, ScalarNode) and key_node.value == "<<" and not key_node.style
            ):
                raise _PositionedProblem("merge keys (<<) are not allowed", key_node.start_mark)
            if not isinstance(key_node, ScalarNode):
                raise _PositionedProblem("keys must be plain words, not lists or mappings", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise _PositionedProblem(f"key {key_node.value!r} must be a word (quote it)", key_node.start_mark)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise _PositionedProblem(f"duplicate key '{key}' (first defined on line {first})", key_node.start_mark)
            seen[key] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class _PositionedProblem(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _resolver(tag: str, pattern: str, first: str, *, empty: bool = False) -> None:
    _StrictLoader.add_implicit_resolver(tag, re.compile(pattern, re.X), [*first, *([""] if empty else [])])


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
_resolver(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    "-+0123456789.",
)
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN", empty=True)
_resolver(
    "tag:yaml.org,2002:timestamp",
    r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?)$",
    "0123456789",
)


def _construct_int(loader: _StrictLoader, node: ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    if text.startswith(("0o", "0x")):
        return int(text, 0)
    return int(text, 10)


def _construct_float(loader: _StrictLoader, node: ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


@dataclass(frozen=True)
class Position:
    """1-based line and column of a key or value in a file."""

    line: int
    column: int


class LocationIndex:
    """Maps a path of keys/indices (as pydantic reports it) to a place in the file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._values: dict[Loc, Position] = {}
        self._keys: dict[Loc, Position] = {}

    def add(self, loc: Loc, value: Position, key: Position | None = None) -> None:
        """Record where the value (and, for mapping entries, the key) of ``loc`` is."""
        self._values[loc] = value
        if key is not None:
            self._keys[loc] = key

    def value(self, loc: Loc) -> Position:
        """Return the position of the value at ``loc`` or of its nearest recorded ancestor."""
        return self._nearest(self._values, loc)

    def key(self, loc: Loc) -> Position:
        """Return the position of the key at ``loc`` (the value if no key), else an ancestor."""
        if loc in self._keys:
            return self._keys[loc]
        return self.value(loc)

    def has(self, loc: Loc) -> bool:
        """Return whether ``loc`` exists in the file."""
        return loc in self._values

    def __getstate__(self) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
        """A compact pickled form for the content cache (engine/load/cache.py): positions as
        flat (path, line, column) triples, turned back into positions on first use."""
        return (
            self.file,
            tuple(x for loc, p in self._values.items() for x in (loc, p.line, p.column)),
            tuple(x for loc, p in self._keys.items() for x in (loc, p.line, p.column)),
        )

    def __setstate__(self, state: tuple[str, tuple[Any, ...], tuple[Any, ...]]) -> None:
        self.file, values, keys = state
        self.__dict__["_packed"] = (values, keys)

    def __getattr__(self, name: str) -> Any:
        if name not in ("_values", "_keys") or "_packed" not in self.__dict__:
            raise AttributeError(name)
        packed = self.__dict__.pop("_packed")
        for attr, flat in zip(("_values", "_keys"), packed, strict=True):
            it = iter(flat)
            setattr(self, attr, {loc: Position(line, col) for loc, line, col in zip(it, it, it, strict=True)})
        return getattr(self, name)

    def _nearest(self, table: dict[Loc, Position], loc: Loc) -> Position:
        for cut in range(len(loc), -1, -1):
            hit = table.get(loc[:cut])
            if hit is not None:
                return hit
        return Position(1, 1)


class _Lines:
    """Turns a character offset into line and column as editors count them (LF, CRLF, CR only)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def at(self, offset: int) -> Position:
        i = bisect.bisect_right(self.starts, offset) - 1
        return Position(i + 1, offset - self.starts[i] + 1)

    def pos(self, mark: Any) -> Position:
        return self.at(int(mark.index))


_ALLOWED_EXPLICIT = {"tag:yaml.org,2002:str"}
_DEFAULT_TAGS: dict[type[Node], str] = {MappingNode: "tag:yaml.org,2002:map", SequenceNode: "tag:yaml.org,2002:seq"}


def _explicit_tag(loader: _StrictLoader, node: Node) -> str | None:
    """Return the tag written on ``node`` if it is one we refuse, else None."""
    if isinstance(node, ScalarNode):
        plain = not node.style
        expected = loader.resolve(ScalarNode, node.value, (plain, not plain))
    else:
        expected = _DEFAULT_TAGS.get(type(node), node.tag)
    if node.tag == expected or node.tag in _ALLOWED_EXPLICIT:
        return None
    tag = str(node.tag)
    return "!!" + tag.rsplit(":", 1)[1] if tag.startswith("tag:yaml.org,2002:") else tag


def _walk(root: Node, index: LocationIndex, lines: _Lines, loader: _StrictLoader) -> None:
    """Record every key/value position; reject a node reached twice (an alias) or a tag."""
    _pos = lines.pos
    seen: set[int] = set()
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            raise _PositionedProblem("anchors and aliases (*name) are not allowed", node.start_mark)
        seen.add(id(node))
        tag = _explicit_tag(loader, node)
        if tag is not None:
            raise _PositionedProblem(
                f"explicit tags such as '{tag}' are not allowed; write the plain value (quote text)", node.start_mark
            )
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise _PositionedProblem("keys must be plain words, not lists or mappings", key_node.start_mark)
                tag = _explicit_tag(loader, key_node)
                if tag is not None:
                    raise _PositionedProblem(
                        f"explicit tags such as '{tag}' are not allowed on keys", key_node.start_mark
                    )
                child = (*loc, key_node.value)
                index.add(child, _pos(value_node.start_mark), _pos(key_node.start_mark))
                stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                child = (*loc, i)
                index.add(child, _pos(item.start_mark))
                stack.append((item, child))


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_BYTES:
        raise YamlError.at(file, f"file is too large ({len(raw)} bytes; the limit is {MAX_BYTES})")
    if b"\x00" in raw:
        raise YamlError.at(file, "this is a binary file, not a YAML text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError.at(file, "the file is not UTF-8 text (save it as UTF-8)", line=line, column=1) from None
    return text


def parse(source: str | bytes, file: str) -> tuple[Any, LocationIndex]:
    """Parse one YAML document strictly; return the data and its location index.

    Raises:
        YamlError: unreadable, unsafe or malformed YAML, with the file position.
    """
    text = _decode(source.encode("utf-8") if isinstance(source, str) else source, file)
    index = LocationIndex(file)
    lines = _Lines(text)
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None, index
        index.add((), lines.pos(node.start_mark))
        _walk(node, index, lines, loader)
        data = loader.construct_document(node)
    except _PositionedProblem as exc:
        pos = lines.pos(exc.mark)
        raise YamlError.at(file, exc.message, line=pos.line, column=pos.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = lines.pos(mark) if mark is not None else Position(1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError.at(file, f"invalid YAML: {problem}", line=pos.line, column=pos.column) from None
    except yaml.reader.ReaderError as exc:
        pos = lines.at(min(int(exc.position), len(text)))
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise YamlError.at(
            file,
            f"invalid YAML: the character U+{ord(char):04X} is not allowed (control characters cannot appear in YAML)",
            line=pos.line,
            column=pos.column,
        ) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise YamlError.at(file, f"invalid YAML: {exc}", line=1, column=1) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, index


def read(path: Path | str) -> tuple[Any, LocationIndex]:
    """Read and parse a YAML file (``-`` reads standard input)."""
    name = str(path)
    if name == "-":
        import sys

        return parse(sys.stdin.buffer.read(MAX_BYTES + 1), "<stdin>")
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise YamlError.at(name, "file not found") from None
    except IsADirectoryError:
        raise YamlError.at(name, "is a folder, not a file") from None
    except OSError as exc:
        raise YamlError.at(name, f"cannot read: {exc.strerror}") from None
    return parse(raw, name)


class _StrictDumper(yaml.SafeDumper):
    """Quotes every string the strict loader would read as something else (``0E0``, ``no``…)."""

    yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers


def dump(data: Any) -> str:
    """Serialise plain data as block-style YAML that :func:`parse` reads back unchanged."""
    return yaml.dump(data, Dumper=_StrictDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


__all__ = ["Diagnostic", "LocationIndex", "Position", "dump", "parse", "read"]
