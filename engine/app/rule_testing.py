"""Rule test cases (``rules/**/*.test.yaml``): one runner for ``rehab rules test`` and pytest.

A case is a partial assessment (defaults filled in) and what the plan must show::

    version: 1
    cases:
      - name: right-stance drop gets right-side work
        assessment: {findings: {pelvic_drop: {left_stance_deg: 3.0, right_stance_deg: 9.0}}}
        fires: [cpd-unilateral]
        silent: [cpd-bilateral]
        includes: [{exercise: wb-glute-med-hold, side: right}]
        excludes: [{tag: impact}]
        status: exercise
        referral: none
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from engine.errors import Diagnostic, EngineError, LinkError
from engine.load import yamlio
from engine.load.validation import dotted_path, message_of, validate
from engine.models.base import Range, Slug, StrictModel, Text, Word
from engine.models.plan import Plan

DEFAULT_ASSESSMENT: dict[str, Any] = {
    "version": 1,
    "client": {"name": "Test Runner"},
    "assessed_on": dt.date(2026, 11, 1),
}
DEFAULT_FEEDBACK_DATE = dt.date(2026, 11, 15)


class Match(StrictModel):
    """Describes plan exercises: every given key must match."""

    exercise: Slug | None = None
    """Exercise id."""
    ladder: Slug | None = None
    """Ladder id."""
    target: Word | None = None
    """A target the exercise trains."""
    tag: Word | None = None
    """A tag the exercise has."""
    side: Literal["left", "right", "both"] | None = None
    """Side in the plan."""
    level: Annotated[int, Range(1, 50)] | None = None
    """Ladder level."""
    dose_step: Annotated[int, Range(1, 10)] | None = None
    """Dose step (progression)."""
    change: Literal["new", "harder", "same", "easier"] | None = None
    """Change marked at review (progression)."""

    def matches(self, item: dict[str, Any]) -> bool:
        """Return whether a plan exercise (as JSON data) fits this description."""
        checks = {
            "exercise": item["id"],
            "ladder": item["ladder"],
            "side": item["side"],
            "level": item["level"],
            "dose_step": item.get("dose_step"),
            "change": item.get("change"),
        }
        for key, have in checks.items():
            want = getattr(self, key)
            if want is not None and want != have:
                return False
        if self.target is not None and self.target not in item["targets"]:
            return False
        return self.tag is None or self.tag in item["tags"]

    def label(self) -> str:
        """Return the description as text."""
        return "{" + ", ".join(f"{k}: {v}" for k, v in self.model_dump(exclude_none=True).items()) + "}"


class RunningExpect(StrictModel):
    """What the plan's running section must say (each field only when given)."""

    status: Literal["stop", "walk_run", "reduce", "continue", "none"] | None = None
    """Running status; none: the plan has no running section."""
    target_weekly_km: Annotated[float, Range(0, 1000)] | None = None
    """Weekly distance target (km)."""
    first_stage: Annotated[int, Range(1, 20)] | None = None
    """The first walk-run stage listed."""
    entry_criteria: bool | None = None
    """Whether the walk-run entry checks are listed."""

    def failures(self, run: Any) -> list[str]:
        """Differences from the plan's running section (a RunningSection or None)."""
        have = {
            "status": run.status if run else "none",
            "target_weekly_km": run.target_weekly_km if run else None,
            "first_stage": run.walk_run[0].stage if run and run.walk_run else None,
            "entry_criteria": bool(run.entry_criteria) if run else None,
        }
        return [
            f"expected running {k} {want}; got {have[k]}"
            for k, want in self.model_dump(exclude_none=True).items()
            if want != have[k]
        ]


class Case(StrictModel):
    """One test case."""

    name: Text
    """What the case shows."""
    assessment: dict[str, Any] = Field(default_factory=dict)
    """Partial assessment, merged over the file's base and the defaults."""
    feedback: list[dict[str, Any]] | None = None
    """Progression: feedback rounds, each a partial feedback; exercises omitted = all of the plan with these values."""
    fires: list[Slug] = Field(default_factory=list)
    """Rules that must fire (at the last round)."""
    silent: list[Slug] = Field(default_factory=list)
    """Rules that must not fire."""
    includes: list[Match] = Field(default_factory=list)
    """Each must match some plan exercise."""
    excludes: list[Match] = Field(default_factory=list)
    """None may match any plan exercise."""
    status: Literal["exercise", "refer_urgent", "refer_and_exercise", "no_findings"] | None = None
    """Plan status."""
    referral: Literal["emergency", "urgent", "soon", "routine", "none"] | None = None
    """Most urgent referral, or none."""
    count: list[Annotated[int, Range(0, 20)]] | None = Field(default=None, min_length=2, max_length=2)
    """Number of exercises must lie in [min, max]."""
    texts: list[Text] = Field(default_factory=list)
    """Each must appear (as part of a sentence) in the plan's cues, education, precautions or referrals."""
    review_in_days: Annotated[int, Range(1, 365)] | None = None
    """Review interval."""
    running: RunningExpect | None = None
    """The plan's running section (status, weekly distance, first walk-run stage)."""
    todo: Text | None = None
    """Known gap: the case is expected to fail until fixed."""


class RuleTestFile(StrictModel):
    """A *.test.yaml file."""

    version: Literal[1]
    """Format version."""
    base: dict[str, Any] = Field(default_factory=dict)
    """Partial assessment merged into every case."""
    cases: list[Case] = Field(min_length=1)
    """The cases."""


@dataclass
class CaseResult:
    """Outcome of one case."""

    file: str
    line: int
    name: str
    failures: list[str] = field(default_factory=list)
    todo: str | None = None
    fired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Passed (or a todo that still fails)."""
        return not self.failures if self.todo is None else bool(self.failures)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Merge mappings recursively; lists and scalars in ``over`` win."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def case_files(path: Path) -> list[Path]:
    """Return the *.test.yaml files under a folder (or the file itself)."""
    return [path] if path.is_file() else sorted(path.rglob("*.test.yaml"))


def _check(case: Case, plan: Plan) -> list[str]:
    data = plan.model_dump(mode="json")
    items = data["exercises"]
    fired = [t["rule"] for t in data["trace"]]
    failures = [f"expected rule {r} to fire; got {', '.join(fired) or 'nothing'}" for r in case.fires if r not in fired]
    failures += [f"expected rule {r} to stay silent; it fired" for r in case.silent if r in fired]
    plan_list = ", ".join(f"{i['id']}({i['side']},L{i['level']})" for i in items) or "no exercises"
    failures += [
        f"expected plan to include {m.label()}; got {plan_list}"
        for m in case.includes
        if not any(m.matches(i) for i in items)
    ]
    failures += [
        f"expected plan to exclude {m.label()}; got {plan_list}"
        for m in case.excludes
        if any(m.matches(i) for i in items)
    ]
    if case.status is not None and case.status != plan.status:
        failures.append(f"expected status {case.status}; got {plan.status}")
    if case.referral is not None:
        top = plan.referrals[0].urgency if plan.referrals else "none"
        if top != case.referral:
            failures.append(f"expected referral {case.referral}; got {top}")
    if case.count is not None and not case.count[0] <= len(items) <= case.count[1]:
        failures.append(f"expected {case.count[0]}-{case.count[1]} exercises; got {len(items)}")
    said = [t["text"] for k in ("cues", "education", "precautions") for t in data[k]] + [
        r["reason"] for r in data["referrals"]
    ]
    failures += [
        f"expected a cue, education point, precaution or referral saying '{t}'; got none"
        for t in case.texts
        if not any(t.lower() in x.lower() for x in said)
    ]
    if case.review_in_days is not None and case.review_in_days != plan.review_in_days:
        failures.append(f"expected review in {case.review_in_days} days; got {plan.review_in_days}")
    if case.running is not None:
        failures += case.running.failures(plan.running)
    return failures


def run_case(content: Any, file_base: dict[str, Any], case: Case) -> tuple[Plan, list[str]]:
    """Build the case's plan (and progressions) and check the expectations."""
    from engine.models.assessment import Assessment
    from engine.plan.pipeline import evaluate

    data = deep_merge(deep_merge(DEFAULT_ASSESSMENT, file_base), case.assessment)
    assessment = Assessment.model_validate(data)
    plan = evaluate(content, assessment).plan
    if case.feedback:
        from engine.plan.progression import progress_rounds

        plan = progress_rounds(content, plan, case.feedback, assessment)
    return plan, _check(case, plan)


def link_cases(content: Any, doc: RuleTestFile, index: yamlio.LocationIndex) -> None:
    """Refuse test files naming rules, exercises, ladders, targets or tags that do not exist.

    Raises:
        LinkError: one positioned message per unknown name.
    """
    from engine.models.exercise import TAGS, TARGETS

    rules = content.rules()
    lib = content.library
    known = {"exercise": lib.exercises, "ladder": lib.ladders, "target": TARGETS, "tag": TAGS}
    diags: list[Diagnostic] = []
    names: dict[str, int] = {}

    def add(loc: tuple[Any, ...], message: str, value: str = "", choices: Any = ()) -> None:
        pos = index.value(loc)
        close = difflib.get_close_matches(value, list(choices), n=1) if value else []
        diags.append(
            Diagnostic(
                index.file,
                pos.line,
                pos.column,
                dotted_path(loc),
                message,
                code="test.link",
                hint=f"did you mean '{close[0]}'?" if close else "",
            )
        )

    for i, case in enumerate(doc.cases):
        if case.name in names:
            add(("cases", i, "name"), f"'{case.name}' is also the name of case {names[case.name] + 1}")
        names[case.name] = i
        for key in ("fires", "silent"):
            for j, rule_id in enumerate(getattr(case, key)):
                if rule_id not in rules:
                    add(("cases", i, key, j), f"'{rule_id}' is not a rule", rule_id, rules)
        for key in ("includes", "excludes"):
            for j, match in enumerate(getattr(case, key)):
                for what, choices in known.items():
                    value = getattr(match, what)
                    if value is not None and value not in choices:
                        add(("cases", i, key, j, what), f"'{value}' is not a known {what}", str(value), choices)
        if case.count is not None and case.count[0] > case.count[1]:
            add(("cases", i, "count"), f"'count' needs [min, max], got {case.count}")
    if diags:
        raise LinkError(diags)


def run_file(content: Any, path: Path) -> list[CaseResult]:
    """Run every case of one test file."""
    data, index = yamlio.read(path)
    doc = validate(RuleTestFile, data, index)
    link_cases(content, doc, index)
    results = []
    for i, case in enumerate(doc.cases):
        line = index.value(("cases", i)).line
        res = CaseResult(str(path), line, case.name, todo=case.todo)
        try:
            plan, res.failures = run_case(content, doc.base, case)
            res.fired = [t.rule for t in plan.trace]
        except EngineError as exc:
            res.failures = [f"case input is invalid: {d.message} at {d.path}" for d in exc.diagnostics]
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            res.line = _field_line(index, i, tuple(errors[0]["loc"])) if errors else line
            res.failures = [f"case input is invalid: {dotted_path(tuple(e['loc']))}: {message_of(e)}" for e in errors]
        results.append(res)
    return results


def _field_line(index: yamlio.LocationIndex, i: int, loc: tuple[Any, ...]) -> int:
    """The line of the case's (or the file base's) assessment field that ``loc`` names."""
    loc = tuple(p for p in loc if not (isinstance(p, str) and "[" in p))
    for where in (("cases", i, "assessment", *loc), ("base", *loc)):
        for cut in range(len(where), len(where) - len(loc) - 1, -1):
            if index.has(where[:cut]) and cut > len(where) - len(loc):
                return index.value(where[:cut]).line
    return index.value(("cases", i)).line


@dataclass
class RuleTestRun:
    """Every case of every test file, test files that could not be read, and coverage errors.

    A run over the whole rules folder enforces what the project's own CI enforces: every rule file
    has a ``.test.yaml`` beside it, every rule is expected to fire in some case and to stay silent
    in some case, and does fire in some case.
    """

    results: list[CaseResult]
    never_fired: list[str]
    file_errors: list[Diagnostic] = field(default_factory=list)
    coverage: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        """The cases that failed (or todo cases that pass now)."""
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        """Every case passed, every test file was readable, and coverage is complete."""
        return not self.failed and not self.file_errors and not self.coverage


def test_rules(clinic: Any, path: Path | None = None) -> RuleTestRun:
    """Run the ``*.test.yaml`` cases under ``path`` (default: the clinic's rules folder).

    Raises:
        EngineError: no test files found; content or test-file problems.
    """
    from engine.load.resources import data_dir

    content = clinic.content()
    root = path or data_dir("rules", clinic.rules_dir)
    files = case_files(root)
    if not files:
        raise EngineError.at(str(root), "no *.test.yaml files found")
    run = RuleTestRun([], [])
    expected: dict[str, set[str]] = {"fires": set(), "silent": set()}
    for f in files:
        try:
            run.results += run_file(content, f)
            doc = validate(RuleTestFile, *yamlio.read(f))
        except EngineError as exc:  # one bad test file does not stop the others
            run.file_errors += exc.diagnostics
            continue
        for case in doc.cases:
            expected["fires"].update(case.fires)
            expected["silent"].update(case.silent)
    if path is None:
        fired = {rule for r in run.results for rule in r.fired}
        run.never_fired = sorted(set(content.rules()) - fired)
        run.coverage = coverage(root, set(content.rules()), expected, run.never_fired)
    return run


def expected_in(root: Path) -> dict[str, set[str]]:
    """The rules the readable test files under ``root`` expect to fire and to stay silent."""
    expected: dict[str, set[str]] = {"fires": set(), "silent": set()}
    for f in case_files(root):
        try:
            doc = validate(RuleTestFile, *yamlio.read(f))
        except EngineError:
            continue
        for case in doc.cases:
            expected["fires"].update(case.fires)
            expected["silent"].update(case.silent)
    return expected


def coverage(
    root: Path, rules: set[str], expected: dict[str, set[str]], never_fired: list[str] | None = None
) -> list[Diagnostic]:
    """Coverage errors for a rules folder: rule files without tests, rules no case expects to fire
    or to stay silent, rules that fire in no case (``never_fired``, when the cases were run)."""
    from engine.load.rulebook import rule_files

    out = [
        Diagnostic(
            str(p), message=f"has no test file; add {p.name.removesuffix('.yaml')}.test.yaml", code="test.missing"
        )
        for p in rule_files(root)
        if not p.with_name(p.name.removesuffix(".yaml") + ".test.yaml").exists()
    ]
    for key, words in (("fires", "to fire"), ("silent", "to stay silent")):
        out += [
            Diagnostic(
                str(root), message=f"rule {r} is expected {words} in no test case ('{key}:')", code="test.coverage"
            )
            for r in sorted(rules - expected[key])
        ]
    out += [
        Diagnostic(str(root), message=f"rule {r} fires in no test case", code="test.coverage")
        for r in never_fired or []
    ]
    return out
