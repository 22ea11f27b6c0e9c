"""Load rule files, thresholds and references; link every reference; find rules that cannot work.

Errors carry file:line:col. Warnings (derived facts nobody uses, …) do not stop a plan.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, EngineError, LinkError, RuleCompileError
from engine.evaluate.compiler import MAX_VARIANTS_PER_RULE, compile_rules, count_variants, merge_singletons, when_dnf
from engine.evaluate.facts import CATALOGUE, FieldSpec, FieldType
from engine.load import yamlio
from engine.load.library import ExerciseLibrary, content_hash
from engine.load.validation import dotted_path, validate
from engine.load.yamlio import Loc, LocationIndex
from engine.models.assessment import MAX_PAINS, RED_FLAGS
from engine.models.exercise import TAGS, Reference, ReferenceFile
from engine.models.rule import From, Ref, Rule, RuleFile, Test, When
from engine.models.thresholds import Thresholds

THRESHOLDS_FILE = "thresholds.yaml"
REFERENCES_FILE = "references.yaml"
REVIEW_FILE = "review.yaml"  # review settings (engine/load/content.py reads it)
NOT_RULES = {THRESHOLDS_FILE, REFERENCES_FILE, REVIEW_FILE}
Catalogue = dict[str, dict[str, FieldSpec]]


@dataclass
class RuleSource:
    """Where a rule was written."""

    file: str
    index: LocationIndex
    loc: Loc

    def at(self, *sub: str | int) -> tuple[int, int]:
        """Return line and column of a place inside the rule."""
        pos = self.index.value((*self.loc, *sub))
        return pos.line, pos.column


@dataclass
class RuleBook:
    """Every rule by stage, with thresholds, references and where each rule lives."""

    rules: dict[str, list[Rule]] = field(default_factory=lambda: {"assessment": [], "progression": []})
    sources: dict[str, RuleSource] = field(default_factory=dict)
    thresholds: Thresholds | None = None
    references: dict[str, Reference] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    sha256: str = ""

    def by_id(self) -> dict[str, Rule]:
        """Return every rule keyed by id."""
        return {r.id: r for rules in self.rules.values() for r in rules}


def rule_files(folder: Path) -> list[Path]:
    """Return ``rules/**/*.yaml`` except thresholds, references and ``*.test.yaml``.

    Symlinked subfolders are followed; a link that loops back or leads nowhere is an error, and
    so is a ``.yml`` (or ``.YAML``) file, which would otherwise be skipped without a word.

    Raises:
        LinkError: a subfolder link that loops or dangles; a YAML file not named ``*.yaml``.
    """
    import os

    out: list[Path] = []
    seen: set[str] = set()
    for top, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            raise LinkError.at(top, "this folder link leads back to a folder already read (a loop); remove it")
        seen.add(real)
        dirs.sort()
        for name in files:
            path = Path(top) / name
            if name.lower().endswith((".yaml", ".yml")) and not name.endswith(".yaml"):
                raise LinkError.at(  # a skipped file would silently drop its rules (or its test cases)
                    str(path), "rule and test files must end in '.yaml' (lower case); rename this file"
                )
            if not name.endswith(".yaml") or name.endswith(".test.yaml"):
                continue
            if top == str(folder) and name in NOT_RULES:
                continue
            if not path.exists():
                raise LinkError.at(str(path), "this link leads to a file that does not exist")
            out.append(path)
        for name in dirs:
            if not (Path(top) / name).exists():
                raise LinkError.at(str(Path(top) / name), "this folder link leads nowhere")
    return sorted(out)


def load_rulebook(folder: Path, library: ExerciseLibrary, catalogues: dict[str, Catalogue] | None = None) -> RuleBook:
    """Load and link every rule file under ``folder``.

    Raises:
        InputError: schema errors and broken links, all at once.
    """
    if not folder.is_dir():
        raise LinkError.at(str(folder), "rules folder not found")
    book = RuleBook()
    errors: list[Diagnostic] = []
    for name, model in ((THRESHOLDS_FILE, Thresholds), (REFERENCES_FILE, ReferenceFile)):
        try:
            doc = validate(model, *yamlio.read(folder / name))
        except EngineError as exc:
            errors += exc.diagnostics
            continue
        if isinstance(doc, Thresholds):
            book.thresholds = doc
        elif isinstance(doc, ReferenceFile):
            book.references = {r.id: r for r in doc.references}
    try:
        files = rule_files(folder)
    except LinkError as exc:
        raise LinkError([*exc.diagnostics, *errors]) from None
    schema_ok = not errors
    for path in files:
        problems = _load_file(book, path)
        schema_ok = schema_ok and all(d.code == "link.duplicate_id" for d in problems)
        errors += problems
    if schema_ok:
        errors += Linker(book, library, catalogues or default_catalogues()).run()
    book.warnings.sort()
    errs = [d for d in errors if d.severity == "error"]
    book.warnings += [d for d in errors if d.severity != "error"]
    if errs:
        raise LinkError(sorted(errs))
    extra = [p for p in (folder / REVIEW_FILE,) if p.is_file()]
    book.sha256 = content_hash([*files, folder / THRESHOLDS_FILE, folder / REFERENCES_FILE, *extra], folder)
    return book


def default_catalogues() -> dict[str, Catalogue]:
    """Fact catalogues per stage (progression adds feedback facts)."""
    from engine.evaluate.review import CATALOGUE as PROGRESSION

    return {"assessment": CATALOGUE, "progression": PROGRESSION}


def _load_file(book: RuleBook, path: Path) -> list[Diagnostic]:
    try:
        data, index = yamlio.read(path)
        doc = validate(RuleFile, data, index)
    except EngineError as exc:
        return list(exc.diagnostics)
    diags = []
    for i, rule in enumerate(doc.rules):
        src = RuleSource(str(path), index, ("rules", i))
        if rule.id in book.sources:
            first = book.sources[rule.id]
            line, col = src.at("id")
            diags.append(
                Diagnostic(
                    str(path),
                    line,
                    col,
                    f"rules[{i}].id",
                    f"duplicate rule id '{rule.id}' (also in {first.file}:{first.at('id')[0]})",
                    code="link.duplicate_id",
                )
            )
            continue
        book.sources[rule.id] = src
        book.rules[doc.stage].append(rule)
    return diags


class Linker:
    """Cross-checks rules against exercises, references and the fact catalogue."""

    def __init__(self, book: RuleBook, library: ExerciseLibrary, catalogues: dict[str, Catalogue]) -> None:
        self.book, self.lib, self.catalogues = book, library, catalogues
        self.diags: list[Diagnostic] = []
        self._conflicts: set[tuple[Any, ...]] = set()
        self._alias_fields: dict[str, list[dict[str, FieldSpec]]] = {}

    def run(self) -> list[Diagnostic]:
        """Check everything; return diagnostics (errors and warnings)."""
        for stage, rules in self.book.rules.items():
            derived = self._derived(rules, self.catalogues[stage])
            used: set[str] = set()
            for rule in rules:
                src = self.book.sources[rule.id]
                self._evidence(rule, src)
                used |= self._when(rule, src, self.catalogues[stage], derived)
                self._actions(rule, src)
            if stage == "assessment":
                self._red_flag_coverage(rules)
                self._no_running_change(rules)
            self._cycles(rules, derived)
            self._bindings(rules, derived)
            self._engine(rules, self.catalogues[stage])
            for kind, (rule_id, _) in sorted(derived.items()):
                if kind not in used:
                    self._add(
                        self.book.sources[rule_id],
                        ("then",),
                        f"derived fact '{kind}' is not used by any rule",
                        "link.unused_derived",
                        severity="warning",
                    )
        return self.diags

    def _derive_at(self, rule: Rule, kind: str) -> Loc:
        i = next(i for i, a in enumerate(rule.then) if a.derive is not None and a.derive.fact == kind)
        return ("then", i, "derive", "fact")

    def _cycles(self, rules: list[Rule], derived: dict[str, tuple[str, dict[str, FieldSpec]]]) -> None:
        """Refuse derivation cycles: rules whose derived facts feed each other never finish."""
        edges: dict[str, list[tuple[str, Rule]]] = {}
        for rule in rules:
            made = sorted({a.derive.fact for a in rule.then if a.derive is not None})
            for _, p in _patterns(rule.when, ()):
                for kind in made:
                    edges.setdefault(str(p.fact), []).append((kind, rule))
        reported: set[frozenset[str]] = set()
        for start in sorted(derived):
            path = _cycle_from(start, edges)
            if path is None or frozenset(r.id for _, r in path) in reported:
                continue
            reported.add(frozenset(r.id for _, r in path))
            steps = []
            for kind, rule in path:
                src = self.book.sources[rule.id]
                line, _ = src.at(*self._derive_at(rule, kind))
                steps.append(f"'{rule.id}' ({Path(src.file).name}:{line}) derives '{kind}'")
            first_kind, first_rule = path[0]
            self._add(
                self.book.sources[first_rule.id],
                self._derive_at(first_rule, first_kind),
                "derivation cycle: " + ", which ".join(steps) + " again: plans would never finish",
                "link.derive_cycle",
                hint="derive a new fact kind that no rule of the cycle matches",
            )

    def _bindings(self, rules: list[Rule], derived: dict[str, tuple[str, dict[str, FieldSpec]]]) -> None:
        """Refuse rules whose patterns can bind more combinations of facts than an evaluation may
        fire (the firing budget): durable_rules builds every partial combination before any action
        runs, so five patterns on 20 'pain' facts ran 164 s and took 1 GB before the budget could
        stop them. Counted from the most facts of each kind an assessment can have (derived kinds:
        what their rules can derive), without the tests, so it is an upper bound."""
        counts: dict[str, int] = {}
        bounds: dict[str, tuple[int, str]] = {}
        for _ in range(len(derived) + 1):
            made: dict[str, int] = {}
            for rule in rules:
                bound, why = _rule_bindings(rule, counts, derived)
                bounds[rule.id] = (bound, why)
                kinds = _aliases(rule.when)
                for action in rule.then:
                    if action.derive is not None:  # derived facts are a set: as many as the copied values
                        distinct = 1
                        for alias in {v.from_.split(".")[0] for v in action.derive.set.values() if isinstance(v, From)}:
                            most = max(
                                (counts.get(k, 0) if k in derived else FACTS_PER_KIND.get(k, 1) for k in kinds[alias]),
                                default=1,
                            )
                            distinct = min(_CAP, distinct * most)
                        kind = action.derive.fact
                        made[kind] = min(_CAP, made.get(kind, 0) + min(bound, distinct))
            if made == counts:
                break
            counts = made
        total = sum(b for b, _ in bounds.values())
        if total > MAX_BINDINGS and all(b <= MAX_BINDINGS for b, _ in bounds.values()):
            biggest = sorted(rules, key=lambda r: (-bounds[r.id][0], r.id))[:3]
            self._add(
                self.book.sources[biggest[0].id],
                ("when",),
                f"together the rules of this stage can fire up to {total} times, more than the "
                f"{MAX_BINDINGS} an evaluation allows ("
                + ", ".join(f"'{r.id}' up to {bounds[r.id][0]} ({bounds[r.id][1]})" for r in biggest)
                + "); a plan could stop without its exercises or referrals",
                "link.too_many_bindings",
                hint="use fewer patterns on the same kind of fact, or derive a fact that sums them up",
            )
        for rule in rules:
            bound, why = bounds[rule.id]
            if bound > MAX_BINDINGS:
                self._add(
                    self.book.sources[rule.id],
                    ("when",),
                    f"this condition can match up to {bound if bound < _CAP else 'more than a billion'} "
                    f"combinations of facts ({why}); an evaluation fires at most {MAX_BINDINGS} times, so a "
                    "plan would stop without its exercises or referrals",
                    "link.too_many_bindings",
                    hint="use fewer patterns on the same kind of fact, or derive a fact that sums them up",
                )

    def _engine(self, rules: list[Rule], cat: Catalogue) -> None:
        """Compile every rule alone, then the whole stage, and place each engine problem."""
        ok = True
        for rule in rules:
            src = self.book.sources[rule.id]
            for i, action in enumerate(rule.then):
                if action.derive is not None and action.derive.fact in cat:
                    ok = False
                    self._add(
                        src,
                        ("then", i, "derive", "fact"),
                        f"'{action.derive.fact}' is a fact the assessment provides; a derived fact needs its own kind",
                        "link.derive_kind",
                    )
            try:
                compile_rules([rule], "check", where=src.file)
            except RuleCompileError as exc:
                ok = False
                for d in exc.diagnostics:
                    self._add(src, ("when",), d.message, d.code)
        if not ok or not rules:
            return
        try:
            compile_rules(rules, "check")
        except RuleCompileError as exc:
            for d in exc.diagnostics:
                rule_id = d.path.split(".")[1] if d.path.startswith("rules.") else ""
                if rule_id in self.book.sources:
                    self._add(self.book.sources[rule_id], ("when",), d.message, d.code)
                else:
                    self.diags.append(d)

    def _red_flag_coverage(self, rules: list[Rule]) -> None:
        """Every red flag in the vocabulary needs a rule that refers on it (else: warning)."""
        from engine.models.assessment import RED_FLAGS

        covered: set[str] = set()
        for rule in rules:
            if not any(a.refer is not None for a in rule.then):
                continue
            for _, p in _patterns(rule.when, ()):
                if p.fact == "red_flag":
                    covered |= _flag_values(p.where) if p.where is not None else set(RED_FLAGS)
        missing = [f for f in RED_FLAGS if f not in covered]
        if missing:
            self.diags.append(
                Diagnostic(
                    "rules",
                    severity="warning",
                    code="link.red_flag_uncovered",
                    message="no rule refers the client for red flag(s) "
                    + ", ".join(missing)
                    + "; a plan with one of these stops with an error",
                )
            )

    def _add(
        self, src: RuleSource, sub: Loc, message: str, code: str, *, hint: str = "", severity: str = "error"
    ) -> None:
        line, col = src.at(*sub)
        self.diags.append(
            Diagnostic(
                src.file, line, col, dotted_path((*src.loc, *sub)), message, severity=severity, code=code, hint=hint
            )
        )

    def _did_you_mean(self, value: str, known: Any) -> str:
        close = difflib.get_close_matches(value, sorted(known), n=1)
        return f"did you mean '{close[0]}'?" if close else ""

    def _evidence(self, rule: Rule, src: RuleSource) -> None:
        for i, ev in enumerate(rule.evidence):
            if ev not in self.book.references:
                self._add(
                    src,
                    ("evidence", i),
                    f"unknown reference '{ev}' (not in {REFERENCES_FILE})",
                    "link.unknown_reference",
                    hint=self._did_you_mean(ev, self.book.references),
                )

    def _derived(self, rules: list[Rule], cat: Catalogue) -> dict[str, tuple[str, dict[str, FieldSpec]]]:
        """Each derived kind, the first rule deriving it and its fields' types.

        A copied field (``from: alias.field``) has the type of the field it copies. A field set
        to different types by different derive actions is refused: the engine would compare a
        word with a number by converting one of them, which the rule language never does.
        """
        out: dict[str, tuple[str, dict[str, FieldSpec]]] = {}
        setters: dict[tuple[str, str], tuple[FieldType, Rule, int]] = {}
        for _ in range(3):  # derived facts copied from derived facts: settle their types
            for rule in rules:
                kinds = _aliases(rule.when)
                for i, action in enumerate(rule.then):
                    if action.derive is None:
                        continue
                    kind = action.derive.fact
                    fields = out.setdefault(kind, (rule.id, {}))[1]
                    for name, value in action.derive.set.items():
                        if isinstance(value, From):
                            alias, attr = value.from_.split(".", 1)
                            found = {
                                spec.type
                                for k in kinds.get(alias, ())
                                for spec in [(cat.get(k) or (out.get(k) or ("", {}))[1]).get(attr)]
                                if spec is not None
                            }
                            if len(found) != 1:
                                continue  # unknown source field (reported by _from) or not settled yet
                            typ: FieldType = found.pop()
                        else:
                            typ = "str" if isinstance(value, str) else "bool" if isinstance(value, bool) else "num"
                        first = setters.setdefault((kind, name), (typ, rule, i))
                        if first[0] != typ and (first[1].id, first[2]) != (rule.id, i):
                            self._type_conflict(kind, name, first, (typ, rule, i))
                        fields.setdefault(name, FieldSpec(first[0]))
        return out

    def _type_conflict(
        self, kind: str, name: str, first: tuple[FieldType, Rule, int], other: tuple[FieldType, Rule, int]
    ) -> None:
        loc = ("then", other[2], "derive", "set", name)
        key = (self.book.sources[other[1].id].file, *self.book.sources[other[1].id].at(*loc))
        if key in self._conflicts:
            return
        self._conflicts.add(key)
        src = self.book.sources[first[1].id]
        line, _ = src.at("then", first[2], "derive", "set", name)
        self._add(
            self.book.sources[other[1].id],
            loc,
            f"'{kind}.{name}' is {_TYPE_WORD[other[0]]} here but {_TYPE_WORD[first[0]]} where "
            f"'{first[1].id}' derives it ({Path(src.file).name}:{line}); a field has one type",
            "link.type_conflict",
            hint="use another field name for the other kind of value",
        )

    def _when(
        self, rule: Rule, src: RuleSource, cat: Catalogue, derived: dict[str, tuple[str, dict[str, FieldSpec]]]
    ) -> set[str]:
        used = set()
        self._alias_fields = {}
        for _, pattern in _patterns(rule.when, ("when",)):
            kind = str(pattern.fact)
            known = cat.get(kind) or ({"side": FieldSpec("str"), **derived[kind][1]} if kind in derived else None)
            if known is not None:
                self._alias_fields.setdefault(pattern.alias, []).append(known)
        for loc, pattern in _patterns(rule.when, ("when",)):
            kind = str(pattern.fact)
            used.add(kind)
            if kind in cat:
                fields = cat[kind]
            elif kind in derived:
                fields = {"side": FieldSpec("str"), **derived[kind][1]}
            else:
                self._add(
                    src,
                    (*loc, "fact"),
                    f"unknown fact '{kind}': no assessment fact and no rule derives it",
                    "link.unknown_fact",
                    hint=self._did_you_mean(kind, {*cat, *derived}),
                )
                continue
            if pattern.where is not None:
                self._tests(src, (*loc, "where"), pattern.where, kind, fields)
        return used

    def _tests(self, src: RuleSource, loc: Loc, test: Test, kind: str, fields: dict[str, FieldSpec]) -> None:
        if test.all is not None or test.any is not None:
            key = "all" if test.all is not None else "any"
            for i, child in enumerate(test.all or test.any or []):
                self._tests(src, (*loc, key, i), child, kind, fields)
            if test.all is not None:
                self._impossible(src, loc, test.all, kind)
            return
        name, op = str(test.field), str(test.op())
        spec = fields.get(name)
        if spec is None:
            self._add(
                src,
                (*loc, "field"),
                f"fact '{kind}' has no field '{name}'",
                "link.unknown_field",
                hint=self._did_you_mean(name, fields) or "fields: " + ", ".join(sorted(fields)),
            )
            return
        value = test.value()
        if isinstance(value, Ref):
            self._join_types(src, (*loc, "eq"), kind, name, spec, value)
            return
        if op == "exists":
            return
        values = value if isinstance(value, list) else [value]
        for v in values:
            self._check_value(src, (*loc, "in" if op == "in" else op), kind, name, spec, op, v)

    def _join_types(self, src: RuleSource, loc: Loc, kind: str, name: str, spec: FieldSpec, ref: Ref) -> None:
        """A join compares like with like: the engine would convert a word to a number (or not
        join a true with a 1), which the rule language never does."""
        alias, attr = ref.ref.split(".", 1)
        other = {f[attr].type for f in self._alias_fields.get(alias, []) if attr in f}
        if other and spec.type not in other:
            self._add(
                src,
                loc,
                f"'{kind}.{name}' is {_TYPE_WORD[spec.type]} but '{ref.ref}' is "
                + " or ".join(_TYPE_WORD[t] for t in sorted(other))
                + ": they are never equal",
                "link.type_mismatch",
                hint="join fields that hold the same kind of value",
            )

    def _check_value(self, src: RuleSource, loc: Loc, kind: str, name: str, spec: FieldSpec, op: str, v: Any) -> None:
        is_num = isinstance(v, int | float) and not isinstance(v, bool)
        ok = (
            (spec.type == "num" and is_num)
            or (spec.type == "bool" and isinstance(v, bool))
            or (spec.type == "str" and isinstance(v, str))
        )
        if not ok:
            self._add(
                src, loc, f"'{kind}.{name}' is {_TYPE_WORD[spec.type]}; {v!r} can never match", "link.type_mismatch"
            )
        elif op in ("lt", "lte", "gt", "gte") and spec.type != "num":
            self._add(
                src,
                loc,
                f"'{op}' needs a number field; '{kind}.{name}' is {_TYPE_WORD[spec.type]}",
                "link.type_mismatch",
            )
        elif spec.type == "str" and spec.values and v not in spec.values:
            self._add(
                src,
                loc,
                f"'{v}' is never a value of '{kind}.{name}'",
                "link.unknown_value",
                hint=self._did_you_mean(str(v), spec.values) or "values: " + ", ".join(spec.values),
            )

    def _impossible(self, src: RuleSource, loc: Loc, tests: list[Test], kind: str) -> None:
        lo: dict[str, tuple[float, bool]] = {}
        hi: dict[str, tuple[float, bool]] = {}
        for t in tests:
            op, v = t.op(), t.value()
            if op not in ("gt", "gte", "lt", "lte", "eq") or isinstance(v, bool) or not isinstance(v, int | float):
                continue
            f = str(t.field)
            if op in ("gt", "gte", "eq"):
                cand = (float(v), op == "gt")
                if f not in lo or cand[0] > lo[f][0] or (cand[0] == lo[f][0] and cand[1]):
                    lo[f] = cand
            if op in ("lt", "lte", "eq"):
                cand = (float(v), op == "lt")
                if f not in hi or cand[0] < hi[f][0] or (cand[0] == hi[f][0] and cand[1]):
                    hi[f] = cand
        for f in sorted(set(lo) & set(hi)):
            (a, a_strict), (b, b_strict) = lo[f], hi[f]
            if a > b or (a == b and (a_strict or b_strict)):
                self._add(
                    src,
                    loc,
                    f"'{kind}.{f}' can never be both above {a:g} and below {b:g}: the rule can never fire",
                    "link.never_true",
                )

    def _actions(self, rule: Rule, src: RuleSource) -> None:
        self._rule = rule
        aliases = _aliases(rule.when)
        for i, action in enumerate(rule.then):
            loc: Loc = ("then", i)
            if action.prescribe is not None:
                self._prescribe(
                    src, (*loc, "prescribe"), action.prescribe.exercise, action.prescribe.ladder, action.prescribe.level
                )
                self._from(src, (*loc, "prescribe", "side"), action.prescribe.side, aliases)
            if action.exclude is not None:
                ex = action.exclude
                self._known(src, (*loc, "exclude", "exercise"), "exercise", ex.exercise, self.lib.exercises)
                self._known(src, (*loc, "exclude", "tag"), "tag", ex.tag, TAGS, listing=True)
                self._known(src, (*loc, "exclude", "ladder"), "ladder", ex.ladder, self.lib.ladders)
            if action.limit is not None:
                for j, lad in enumerate(action.limit.ladders or []):
                    self._known(src, (*loc, "limit", "ladders", j), "ladder", lad, self.lib.ladders)
            if action.derive is not None:
                for key, value in action.derive.set.items():
                    self._from(src, (*loc, "derive", "set", key), value, aliases)
            if action.progress is not None and action.progress.of not in aliases:
                self._add(
                    src,
                    (*loc, "progress", "of"),
                    f"'{action.progress.of}' is not a fact matched by this rule",
                    "link.unknown_alias",
                    hint="matched: " + ", ".join(sorted(aliases)),
                )

    def _no_running_change(self, rules: list[Rule]) -> None:
        """``running.change`` moves the last plan's numbers: it means something at review only."""
        for rule in rules:
            for i, action in enumerate(rule.then):
                if action.running is not None and action.running.change is not None:
                    self._add(
                        self.book.sources[rule.id],
                        ("then", i, "running", "change"),
                        "'change' is for progression rules (it moves the last plan's running); "
                        "a first-visit rule sets the status only",
                        "link.running_change",
                    )

    def _known(
        self, src: RuleSource, loc: Loc, what: str, value: str | None, known: Any, *, listing: bool = False
    ) -> bool:
        """Report ``value`` (if given) unless it is one of ``known``; return whether it is."""
        if value is None or value in known:
            return True
        hint = self._did_you_mean(value, known) or (f"{what}s: " + ", ".join(known) if listing else "")
        self._add(src, loc, f"unknown {what} '{value}'", f"link.unknown_{what}", hint=hint)
        return False

    def _prescribe(
        self, src: RuleSource, loc: Loc, exercise: str | None, ladder: str | None, level: int | None
    ) -> None:
        self._known(src, (*loc, "exercise"), "exercise", exercise, self.lib.exercises)
        if not self._known(src, (*loc, "ladder"), "ladder", ladder, self.lib.ladders) or ladder is None:
            return
        if level is not None and self.lib.at(ladder, level) is None:
            self._add(
                src,
                (*loc, "level"),
                f"ladder '{ladder}' has no level {level} (1..{self.lib.top(ladder)})",
                "link.unknown_level",
            )

    def _from(self, src: RuleSource, loc: Loc, value: Any, aliases: dict[str, set[str]]) -> None:
        if not isinstance(value, From):
            return
        alias = value.from_.split(".")[0]
        if alias not in aliases:
            self._add(
                src,
                loc,
                f"'from: {value.from_}' names no fact matched by this rule",
                "link.unknown_alias",
                hint="matched: " + ", ".join(sorted(aliases)),
            )
            return
        if not _always_binds(self._rule.when, alias):
            self._add(
                src,
                loc,
                f"'from: {value.from_}': '{alias}' is not matched in every 'any' branch of "
                "'when', so this value would sometimes be missing",
                "link.partial_alias",
            )
        if loc[-1] == "side" and loc[-2] == "prescribe" and value.from_.split(".", 1)[1] != "side":
            self._add(src, loc, f"a side must come from a 'side' field, not '{value.from_}'", "link.side_field")


_TYPE_WORD = {"num": "a number", "bool": "true/false", "str": "a word"}


MAX_BINDINGS = 10_000
"""The most combinations of facts the rules of one stage may bind: runtime.MAX_FIRINGS, the
evaluation's firing budget (a test keeps the two equal; runtime is not imported at load time)."""
_CAP = 10**9
FACTS_PER_KIND = {
    "pain": MAX_PAINS,
    "red_flag": len(RED_FLAGS),
    "pelvic_drop": 2,
    "trunk_lean": 2,
    "single_leg_squat": 2,
    "feedback": 24,  # one per plan exercise: at most 12 by the plan's cap, twice that for overrides
}
"""The most facts of one kind an assessment (or review) can give; every other kind gives one."""


def _rule_bindings(rule: Rule, derived: dict[str, int], derived_kinds: Any) -> tuple[int, str]:
    """Upper bound of the fact combinations ``rule`` can bind, and which kinds make it up."""
    if count_variants(rule.when) > MAX_VARIANTS_PER_RULE:
        return 0, ""  # refused by the compiler anyway
    best, most, why = 0, 0, ""
    for written in when_dnf(rule.when):
        conj, _ = merge_singletons(written)
        per_kind: dict[str, int] = {}
        for p in conj:
            per_kind[p.kind] = per_kind.get(p.kind, 0) + 1
        n = 1
        parts = []
        for kind, k in per_kind.items():
            have = derived.get(kind, 0) if kind in derived_kinds else FACTS_PER_KIND.get(kind, 1)
            for i in range(k):  # distinct facts, every order
                n = min(_CAP, n * max(have - i, 0))
            if k > 1 or have > 1:
                parts.append(f"{k} pattern{'s' if k > 1 else ''} on up to {have} '{kind}' facts")
        if n > most:
            most, why = n, ", ".join(parts)
        best = min(_CAP, best + n)  # each alternative binds its own combinations
    return best, why


def _patterns(when: When, loc: Loc) -> Iterator[tuple[Loc, When]]:
    if when.fact is not None:
        yield loc, when
        return
    key = "all" if when.all is not None else "any"
    for i, child in enumerate(when.all or when.any or []):
        yield from _patterns(child, (*loc, key, i))


def _always_binds(when: When, alias: str) -> bool:
    """Whether every alternative of ``when`` binds ``alias`` (without expanding the DNF)."""
    if when.fact is not None:
        return when.alias == alias
    if when.all is not None:
        return any(_always_binds(w, alias) for w in when.all)
    return all(_always_binds(w, alias) for w in when.any or [])


def _cycle_from(start: str, edges: dict[str, list[tuple[str, Rule]]]) -> list[tuple[str, Rule]] | None:
    """Return a path of (derived kind, rule) steps from ``start`` back to ``start``, if any."""
    stack: list[tuple[str, list[tuple[str, Rule]]]] = [(start, [])]
    visited: set[str] = set()
    while stack:
        kind, path = stack.pop()
        for nxt, rule in edges.get(kind, []):
            step = [*path, (nxt, rule)]
            if nxt == start:
                return step[-1:] + step[:-1] if len(step) > 1 else step
            if nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, step))
    return None


def _flag_values(t: Test) -> set[str]:
    out: set[str] = set()
    for leaf in t.leaves():
        if leaf.field == "flag" and leaf.op() in ("eq", "in"):
            value = leaf.value()
            out |= {str(v) for v in (value if isinstance(value, list) else [value])}
    return out


def _aliases(when: When) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for _, p in _patterns(when, ()):
        out.setdefault(p.alias, set()).add(str(p.fact))
    return out
