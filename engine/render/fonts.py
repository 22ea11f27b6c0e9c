"""Fonts parsed once per process and font subsets cached by (face, glyph set).

fpdf2's ``add_font`` parses the TrueType file for every document (the cmap and width tables
of all ~6,000 DejaVu glyphs) and its output step subsets each face with fontTools, in place,
and closes it, so nothing can be reused. Here each face is parsed once per process (a forked
batch worker inherits it); a document gets a light copy whose per-document parts (glyph
subset, missing glyphs, descriptor) are fresh. At output the subsetting goes through a small
shim: the embedded font program for a face and a set of glyph names is computed once (from a
pristine copy of the file, exactly as fpdf2 would) and reused while it stays in a small LRU.
A new glyph set (each client's name brings a few glyphs) is subset from copies of the face's
big tables (glyph order, ``post``, ``hmtx``, ``cmap``, ``glyf``) parsed once per process, not
from the file again: about half the cost of a subset (``_Face._reparsed``). The first subset of
a face in a process reads the file with lazy ``hmtx`` and ``glyf`` tables (``_Face._first``:
metrics and glyph objects only for the glyphs the subsetter looks up, not for all ~6,000).

The PDF bytes are the same as with plain ``FPDF.add_font`` (``tests/test_render_fonts.py``
renders every example both ways). Faces this module cannot vouch for (variable, CFF, colour,
compressed, missing ``.notdef``) fall back to plain ``add_font``. ``REHAB_FONT_CACHE=0`` (or
``enabled = False``) turns the cache off.

A face is added to a document only when the document first selects it (``set_font``): the
handout and the report never use the two oblique faces, so those are neither parsed nor subset
nor embedded. The registry keeps the face's place in line (fpdf2 numbers fonts in the order they
are added) and the same happens with the cache off, so both give the same bytes. A file that
is not a font at all is still refused when it is registered.
"""

from __future__ import annotations

import array
import copy
import os
import struct
import sys
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Container
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO

import fpdf.output
from fontTools import subset as ftsubset  # type: ignore[import-untyped]
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import FontDescriptorFlags, TextEmphasis
from fpdf.fonts import PDFFontDescriptor, SubsetMap, TTFFont

__all__ = ["add_font", "clear", "enabled", "stats"]

enabled = os.environ.get("REHAB_FONT_CACHE", "1") != "0"
SUBSETS_PER_FACE = 64  # LRU bound: memory stays flat over any number of documents

# Tables fpdf2's TTFFont.__init__ reads; a pristine copy reads the same ones before subsetting so
# that fontTools writes every table exactly as it does on fpdf2's own (pre-read) font object.
_READ_BY_FPDF = ("head", "hhea", "hmtx", "OS/2", "post", "name", "cmap", "glyf")
# TTFFont attributes that belong to one document; every other slot is shared read-only.
_PER_DOCUMENT = {"i", "ttfont", "desc", "subset", "missing_glyphs", "biggest_size_pt", "_hbfont"}


@dataclass(frozen=True)
class _Subset:
    data: bytes
    glyph_ids: dict[str, int]


class _Face:
    """One font file parsed once: fpdf2's own TTFFont as the prototype, plus the file bytes."""

    def __init__(self, path: Path, style: str) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.subsets: OrderedDict[tuple[Any, ...], _Subset] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.parsed: _Parsed | None = None
        self.from_disk = False
        known = _metrics.load(path, style, self.data) if enabled else None
        if known is not None:
            self.proto, self.from_disk = known, True
            return
        self.proto = TTFFont(FPDF(), path, "proto", style)
        if enabled and self.cacheable:
            _metrics.store(self.proto, style, self.data)

    @property
    def cacheable(self) -> bool:
        if self.from_disk:
            return True  # only cacheable faces are stored
        p, t = self.proto, self.proto.ttfont
        return (
            not (p.is_cff or p.is_compressed or p.is_symbol or p.color_font is not None)
            and "glyf" in t
            and "fvar" not in t
            and ".notdef" in t["glyf"]
        )

    def new_font(self, pdf: FPDF, fontkey: str, style: str) -> TTFFont:
        """A TTFFont for one document sharing the parsed tables of the prototype."""
        font = TTFFont.__new__(TTFFont)
        for slot in TTFFont.__slots__:
            if slot not in _PER_DOCUMENT and hasattr(self.proto, slot):
                setattr(font, slot, getattr(self.proto, slot))
        font.i = len(pdf.fonts) + 1
        font.fontkey = fontkey
        font.ttfont = _Program(self)
        font.desc = copy.copy(self.proto.desc)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        return font

    def subset(self, glyphs: set[str], options: Any) -> _Subset:
        key = (frozenset(glyphs), repr(sorted(vars(options).items())))
        with self.lock:
            hit = self.subsets.get(key)
            if hit is not None:
                self.subsets.move_to_end(key)
                self.hits += 1
                return hit
        # the first subset of a face reads the file (a one-handout process never needs more);
        # the next ones copy the tables parsed once
        if not reuse_parsed:
            font = self._read()
        elif self.misses > 0 or self.parsed is not None:
            font = self._reparsed()
        else:
            font = self._first()
        made = self._subset(font, glyphs, options)
        with self.lock:
            self.misses += 1
            self.subsets[key] = made
            while len(self.subsets) > SUBSETS_PER_FACE:
                self.subsets.popitem(last=False)
        return made

    def _read(self) -> Any:
        """The face as fpdf2's output step has it: parsed from the file, the tables its parser
        read already read."""
        font = ttLib.TTFont(BytesIO(self.data), recalcTimestamp=False, lazy=True)
        for tag in _READ_BY_FPDF:
            if tag in font:
                font[tag]  # read the table as fpdf2's parser did
        return font

    def _first(self) -> Any:
        """``_read()`` with the ``hmtx`` and ``glyf`` tables made lazily: their mappings by glyph
        name (``_Lazy``) make a glyph's metrics or unexpanded ``Glyph`` from the table's raw data
        when first looked up, as parsing makes them for each of the ~6,000 glyphs. For the first
        subset of a face in a process (a one-handout process subsets each face once)."""
        font = ttLib.TTFont(BytesIO(self.data), recalcTimestamp=False, lazy=True)
        for tag in _READ_BY_FPDF:
            if tag == "hmtx" and tag in font and "maxp" in font and "hhea" in font:
                metrics = _lazy_hmtx(font)
                if metrics is not None:
                    hmtx = ttLib.newTable("hmtx")
                    font.tables["hmtx"] = hmtx
                    hmtx.metrics = metrics
                    continue
            if tag == "glyf" and tag in font and "loca" in font:
                loca = font["loca"]  # as glyf's parser reads it first
                order = font.getGlyphOrder()
                if len(loca) - 1 == len(order):
                    glyf = ttLib.newTable("glyf")
                    font.tables["glyf"] = glyf
                    glyf.glyphOrder = order
                    glyf._reverseGlyphOrder = {}
                    glyf.glyphs = _glyphs(*_raw_glyphs(font.reader["glyf"], loca.locations.tolist(), order))
                    continue
            if tag in font:
                font[tag]  # read the table as fpdf2's parser did
        return font

    def _reparsed(self) -> Any:
        """``_read()`` without parsing the big tables again: a fresh font whose small tables are
        read from the file and whose glyph order, ``post``, ``hmtx``, ``cmap`` and ``glyf`` are
        copies of those of a face parsed once (``_Parsed``). The subsetter replaces what it
        prunes (new dicts and lists) and changes glyphs in place, so each subsetting gets its own
        table objects, cmap subtables and glyph objects (made from the raw glyph data on first
        look-up), in the state parsing leaves them in; the bytes are those of ``_read()``
        (tests/test_render_speed.py subsets many glyph sets both ways)."""
        with self.lock:
            if self.parsed is None:
                self.parsed = _Parsed(self._read())
        parsed = self.parsed
        font = ttLib.TTFont(BytesIO(self.data), recalcTimestamp=False, lazy=True)
        font.glyphOrder = list(parsed.order)
        for tag in parsed.loaded:  # the tables _read() has read, in the same order
            if tag in parsed.copies:
                font.tables[tag] = parsed.copies[tag]()
            else:
                font[tag]  # a small table: read from the file
        return font

    @staticmethod
    def _subset(font: Any, glyphs: set[str], options: Any) -> _Subset:
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=glyphs)
        subsetter.subset(font)
        out = BytesIO()
        font.save(out)
        made = _Subset(out.getvalue(), dict(font.getReverseGlyphMap()))
        font.close()
        return made


reuse_parsed = os.environ.get("REHAB_FONT_REPARSE", "0") != "1"
"""Subset from copies of a face's tables parsed once per process (``_Face._reparsed``);
``False`` (or ``REHAB_FONT_REPARSE=1``) parses the file again for each subset."""


class _Lazy(dict[str, Any]):
    """A table's mapping by glyph name for one subsetting (``hmtx`` metrics, ``glyf`` glyphs):
    every glyph of the face is in it, and its value is made when the name is first looked up,
    as the table's parser would have made it; the subsetter's own mappings (``_dict_subset``)
    are plain dicts."""

    def __init__(self, names: Container[str], make: Callable[[str], Any]) -> None:
        super().__init__()
        self._names = names
        self._make = make

    def __missing__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        value = self[name] = self._make(name)
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._names


def _glyphs(names: Container[str], raw: Callable[[str], bytes]) -> _Lazy:
    """``glyf``'s glyphs: a fresh, unexpanded ``Glyph`` from the raw data, as parsing makes one."""
    return _Lazy(names, lambda name: _GLYPH(raw(name)))


def _lazy_hmtx(font: Any) -> _Lazy | None:
    """``hmtx``'s metrics as its parser makes them ((advance, left side bearing) by glyph name,
    the last advance repeated for the glyphs past ``hhea.numberOfHMetrics``), each made when
    first looked up; None for a table the parser would warn about or refuse."""
    glyphs = font["maxp"].numGlyphs
    count = int(font["hhea"].numberOfHMetrics)
    data = font.reader["hmtx"]
    if not 0 < count <= glyphs or len(data) != 4 * count + 2 * (glyphs - count):
        return None
    order = font.getGlyphOrder()
    if len(order) != glyphs:
        return None
    longs = struct.unpack(">" + "Hh" * count, data[: 4 * count])
    if max(longs[0::2]) > 32767:
        return None  # the parser warns about a huge advance
    sides = array.array("h", data[4 * count :])
    if sys.byteorder != "big":
        sides.byteswap()
    index = {name: i for i, name in enumerate(order)}
    last = longs[-2]

    def metric(name: str) -> tuple[int, int]:
        i = index[name]
        return (longs[2 * i], longs[2 * i + 1]) if i < count else (last, sides[i - count])

    return _Lazy(index, metric)


def _raw_glyphs(data: bytes, offsets: list[int], order: list[str]) -> tuple[dict[str, int], Callable[[str], bytes]]:
    """The glyph names of a ``glyf`` table, and each glyph's raw data by name (from ``loca``'s
    offsets, taken before the subsetter sets new ones)."""
    index = {name: i for i, name in enumerate(order)}

    def raw(name: str) -> bytes:
        i = index[name]
        return data[offsets[i] : offsets[i + 1]]

    return index, raw


_GLYPH: Any = ttLib.getTableModule("glyf").Glyph


class _Parsed:
    """A face's big tables parsed once (per process; a forked worker inherits them), and how to
    copy each for one subsetting."""

    def __init__(self, font: Any) -> None:
        self.order: list[str] = list(font.getGlyphOrder())
        self.loaded = list(font.tables)
        tables = {tag: font[tag] for tag in ("post", "hmtx", "cmap", "glyf")}
        for sub in tables["cmap"].tables:
            sub.ensureDecompiled()  # the subsetter reads every subtable it keeps
        glyf = tables["glyf"]
        raw = {name: getattr(glyph, "data", b"") for name, glyph in glyf.glyphs.items()}
        if any(not hasattr(g, "data") and g.numberOfContours != 0 for g in glyf.glyphs.values()):
            raise ValueError("glyf glyphs already expanded")  # not parsing's state: do not copy

        def post() -> Any:
            return copy.copy(tables["post"])

        def hmtx() -> Any:
            table = copy.copy(tables["hmtx"])
            table.metrics = dict(table.metrics)
            return table

        def cmap() -> Any:
            table = copy.copy(tables["cmap"])
            table.tables = [copy.copy(sub) for sub in table.tables]
            return table

        def glyphs() -> Any:
            table = copy.copy(glyf)
            table.glyphs = _glyphs(raw, raw.__getitem__)
            table.glyphOrder = list(self.order)
            table._reverseGlyphOrder = {}
            return table

        self.copies: dict[str, Callable[[], Any]] = {"post": post, "hmtx": hmtx, "cmap": cmap, "glyf": glyphs}
        font.close()


class _Program:
    """Stands in for a document font's fontTools object: reads go to the shared parsed face;
    subsetting (through ``_Subsetter``) and saving use the cached subset."""

    def __init__(self, face: _Face) -> None:
        self._face = face
        self._subset: _Subset | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._face.proto.ttfont, name)

    def __getitem__(self, tag: str) -> Any:
        return self._face.proto.ttfont[tag]

    def __contains__(self, tag: str) -> bool:
        return tag in self._face.proto.ttfont

    def getGlyphID(self, name: str) -> int:  # fontTools' method name
        if self._subset is None:
            return int(self._face.proto.ttfont.getGlyphID(name))
        return self._subset.glyph_ids[name]

    def save(self, file: BinaryIO) -> None:
        assert self._subset is not None, "a cached face is saved only after subsetting"
        file.write(self._subset.data)

    def close(self) -> None:
        """Nothing to close: the parsed face is kept for the next document."""


class _Subsetter:
    """``fontTools.subset.Subsetter`` as fpdf2's output step uses it; cached for our faces."""

    def __init__(self, options: Any = None) -> None:
        self._options = options
        self._args: dict[str, Any] = {}

    def populate(self, **kwargs: Any) -> None:
        self._args = kwargs

    def subset(self, font: Any) -> None:
        if isinstance(font, _Program) and set(self._args) == {"glyphs"}:
            font._subset = font._face.subset(set(self._args["glyphs"]), self._options)
            return
        real = ftsubset.Subsetter(self._options)
        real.populate(**self._args)
        real.subset(font)


class _FileFont:
    """The fontTools object of a face whose metrics came from the cache: the file is opened
    only if something reads it (the output step does not: it uses the subset)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._font: Any = None

    def _open(self) -> Any:
        if self._font is None:
            self._font = ttLib.TTFont(str(self._path), recalcTimestamp=False, lazy=True)
        return self._font

    def __getattr__(self, name: str) -> Any:
        return getattr(self._open(), name)

    def __getitem__(self, tag: str) -> Any:
        return self._open()[tag]

    def __contains__(self, tag: str) -> bool:
        return tag in self._open()

    def close(self) -> None:
        if self._font is not None:
            self._font.close()
            self._font = None


class _Metrics:
    """What fpdf2's ``TTFFont.__init__`` reads from a face (widths, cmap, glyph ids, descriptor,
    name, lines), kept between runs in the user cache (engine/load/cache.py) as JSON, keyed by
    the SHA-256 of the font file, the style and the fontTools and fpdf2 versions. A face is then
    parsed once per machine, not once per process. JSON, not pickle: plain numbers and names."""

    FORMAT = 2  # 2: each mapping as [codes, values] (two flat lists parse faster than pairs)
    _FIELDS = ("name", "sp", "ss", "up", "ut", "scale", "type", "is_compressed", "is_cff", "is_cid_keyed")
    _MORE = ("is_symbol", "cff_ros", "collection_font_number", "palette_index")

    @staticmethod
    def _key(style: str, data: bytes) -> tuple[str, str]:
        import hashlib

        import fontTools
        from fpdf import FPDF_VERSION

        digest = hashlib.sha256(data).hexdigest()
        versions = (_Metrics.FORMAT, digest, style, fontTools.version, FPDF_VERSION)
        return f"font-{digest[:24]}-{style or 'R'}-{_Metrics.FORMAT}.cache", hashlib.sha256(
            repr(versions).encode()
        ).hexdigest()

    def load(self, path: Path, style: str, data: bytes) -> TTFFont | None:
        import json

        from engine.load import cache

        if not cache.enabled():
            return None
        name, key = self._key(style, data)
        blob = cache.read_blob(name, key)
        if blob is None:
            return None
        try:
            m = json.loads(blob)
            font = TTFFont.__new__(TTFFont)
            for attr in (*self._FIELDS, *self._MORE):
                setattr(font, attr, m[attr])
            font.cff_ros = tuple(m["cff_ros"]) if m["cff_ros"] is not None else None
            default = int(m["default_width"])
            font.cw = defaultdict(lambda: default, self._mapping(m["cw"]))
            font.cmap = self._mapping(m["cmap"])
            font.glyph_ids = self._mapping(m["glyph_ids"])
            d = m["desc"]
            font.desc = PDFFontDescriptor(
                d["ascent"],
                d["descent"],
                d["cap_height"],
                FontDescriptorFlags(d["flags"]),
                d["font_b_box"],
                d["italic_angle"],
                d["stem_v"],
                d["missing_width"],
            )
        except (ValueError, KeyError, TypeError):
            return None
        font.i = 1
        font.ttffile = path
        font.fontkey = "proto"
        font.emphasis = TextEmphasis.coerce(style)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.color_font = None
        font._hbfont = None
        font.ttfont = _FileFont(path)
        font.subset = SubsetMap(font)
        return font

    @staticmethod
    def _columns(mapping: dict[int, Any]) -> list[list[Any]]:
        """A mapping by character code as [codes, values], in code order."""
        items = sorted(mapping.items())
        return [[c for c, _ in items], [v for _, v in items]]

    @staticmethod
    def _mapping(columns: list[list[Any]]) -> dict[int, Any]:
        codes, values = columns
        if len(codes) != len(values) or not all(type(c) is int for c in codes):
            raise ValueError("a font metrics cache mapping is not codes and values")
        return dict(zip(codes, values, strict=True))

    def store(self, font: TTFFont, style: str, data: bytes) -> None:
        import json

        from engine.load import cache

        if not cache.enabled():
            return
        d = font.desc
        m = {attr: getattr(font, attr) for attr in (*self._FIELDS, *self._MORE)}
        m |= {
            "default_width": font.cw.default_factory() if isinstance(font.cw, defaultdict) else 0,  # type: ignore[misc]
            "cw": self._columns(font.cw),
            "cmap": self._columns(font.cmap),
            "glyph_ids": self._columns(font.glyph_ids),
            "desc": {
                "ascent": d.ascent,
                "descent": d.descent,
                "cap_height": d.cap_height,
                "flags": d.flags.value,
                "font_b_box": d.font_b_box,
                "italic_angle": d.italic_angle,
                "stem_v": d.stem_v,
                "missing_width": d.missing_width,
            },
        }
        name, key = self._key(style, data)
        try:
            cache.write_blob(name, key, json.dumps(m, separators=(",", ":")).encode())
        except OSError:
            pass  # a read-only home: parsed again next time


_metrics = _Metrics()
_faces: dict[tuple[str, int, int, str], _Face] = {}
_faces_lock = threading.Lock()


def _install() -> None:
    module: Any = fpdf.output
    if not isinstance(module.ftsubset, SimpleNamespace):
        module.ftsubset = SimpleNamespace(Options=ftsubset.Options, Subsetter=_Subsetter)


def _face(path: Path, style: str) -> _Face:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, style)
    with _faces_lock:
        face = _faces.get(key)
        if face is None:
            face = _faces[key] = _Face(path, style)
        return face


class _LazyRegistry(dict[str, Any]):
    """fpdf2's font registry (``pdf.fonts``) holding faces that are added on first use.

    A pending face answers ``in`` (so ``set_font`` accepts it) and is added when fpdf2 first
    looks it up (``registry[key]``, through ``__missing__``); iterating and ``len`` see only the
    faces added so far, so the output step embeds only those. Scratch documents that share the
    registry (the renderer's measuring pages) add to the same one.
    """

    def __init__(self, fonts: dict[str, Any]) -> None:
        super().__init__(fonts)
        self.pending: dict[str, Callable[[], None]] = {}

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.pending

    def __missing__(self, key: str) -> Any:
        add = self.pending.pop(key)  # KeyError as before for a font nobody registered
        add()
        return dict.__getitem__(self, key)


def _registry(pdf: FPDF) -> _LazyRegistry:
    catalog: Any = pdf._resource_catalog
    if not isinstance(catalog.font_registry, _LazyRegistry):
        catalog.font_registry = _LazyRegistry(catalog.font_registry)
    registry: _LazyRegistry = catalog.font_registry
    return registry


def _check_font_file(path: Path) -> None:
    """Refuse a file that is not a font (its table directory does not read) at registration."""
    with path.open("rb") as fh:
        ttLib.TTFont(fh, lazy=True)


def add_font(pdf: FPDF, family: str, style: str, path: Path | str) -> None:
    """``pdf.add_font(family, style, path)``, added when the document first selects the face,
    with the face parsed once per process and its subsets cached; the bytes are those of
    plain fpdf2 adding the face at that moment.

    Raises:
        Exception: fontTools' error for a file that is not a font (at registration); a face that
            fails to load at first use raises ``ValueError``.
    """
    path = Path(path)
    style = "".join(sorted(style.upper()))
    fontkey = f"{family.lower()}{style}"
    registry = _registry(pdf)
    if fontkey in registry:
        pdf.add_font(family, style, str(path))  # fpdf2's own warning: already added
        return
    _check_font_file(path)

    def add() -> None:
        try:
            face = _face(path, style) if enabled else None
            if face is None or not face.cacheable:
                pdf.add_font(family, style, str(path))
                return
            _install()
            dict.__setitem__(registry, fontkey, face.new_font(pdf, fontkey, style))
        except Exception as exc:
            raise ValueError(f"{path.name} is not a usable font file ({type(exc).__name__}: {exc})") from None

    registry.pending[fontkey] = add


def clear() -> None:
    """Forget every parsed face and cached subset (and close their files)."""
    with _faces_lock:
        for face in _faces.values():
            face.proto.ttfont.close()
        _faces.clear()


def stats() -> dict[str, int]:
    """Parsed faces and subset cache hits/misses (for benchmarks)."""
    with _faces_lock:
        faces = list(_faces.values())
    return {
        "faces": len(faces),
        "hits": sum(f.hits for f in faces),
        "misses": sum(f.misses for f in faces),
    }
