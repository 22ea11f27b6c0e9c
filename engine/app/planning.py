"""Plan an assessment, progress a plan at review, plan a batch: results as data, no printing."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from engine.app.clinic import Clinic
from engine.app.output import check_target, same_file_twice, write_all
from engine.errors import Diagnostic, EngineError, EvaluationError, InputError, OutputError
from engine.interop.complete import refuse_incomplete
from engine.load.yamlio import LocationIndex
from engine.models.assessment import Assessment
from engine.models.feedback import Feedback
from engine.models.plan import Plan

if TYPE_CHECKING:
    from engine.models.overrides import Overrides  # imported by read_overrides: most plans have none (i15)


@dataclass(frozen=True)
class PlanResult:
    """A plan and what was asked of it: the JSON text and, on request, the PDFs (bytes)."""

    plan: Plan
    assessment: Assessment | None
    """The first-visit assessment (``None`` for a plan made at review)."""
    facts: Any
    """The facts the rules saw (``FactSet``)."""
    json: str
    """The plan JSON exactly as ``rehab plan --json`` writes it."""
    handout: bytes | None = None
    report: bytes | None = None
    warnings: tuple[Diagnostic, ...] = ()
    """Things the clinician should know (e.g. an exercise without feedback)."""

    @property
    def summary(self) -> str:
        """One line: status and counts (first visit) or revision and changes (review)."""
        p = self.plan
        if p.revision > 1:
            changes = ", ".join(f"{e.id} {e.change}" for e in p.exercises) or "no exercises"
            return f"revision {p.revision}: {p.status}; {changes}"
        return f"{p.status}, {len(p.exercises)} exercises, {len(p.referrals)} referrals"


def _render(clinic: Clinic, plan: Plan, assessment: Assessment | None, *, report: bool) -> bytes:
    from engine.render.handout import render

    return render(
        plan,
        clinic.content(),
        assessment,
        report=report,
        templates_dir=clinic.templates_dir,
        paper=clinic.paper_size(),
    )


def _finish(
    clinic: Clinic,
    plan: Plan,
    assessment: Assessment | None,
    facts: Any,
    *,
    handout: bool,
    report: bool,
    warnings: tuple[Diagnostic, ...] = (),
) -> PlanResult:
    return PlanResult(
        plan=plan,
        assessment=assessment,
        facts=facts,
        json=plan.to_json(),
        handout=_render(clinic, plan, assessment, report=False) if handout else None,
        report=_render(clinic, plan, assessment, report=True) if report else None,
        warnings=warnings,
    )


def read_assessment(path: Path | str, *, today: dt.date | None = None) -> Assessment:
    """Read and validate an assessment file (``-`` for stdin).

    Raises:
        InputError: every problem in the file, with positions.
    """
    from engine.plan.pipeline import load_assessment

    return load_assessment(path, today=today)


def read_overrides(path: Path | str) -> tuple[Overrides, LocationIndex]:
    """Read and validate a clinician's overrides file.

    Raises:
        InputError: every problem in the file, with positions.
    """
    from engine.load import yamlio
    from engine.load.validation import validate
    from engine.models.overrides import Overrides

    data, index = yamlio.read(path)
    return validate(Overrides, data, index), index


Changes: TypeAlias = "tuple[Overrides, LocationIndex] | Overrides | None"
"""Overrides with their file positions (from ``read_overrides``), bare, or none."""


def _override(clinic: Clinic, plan: Plan, overrides: Changes) -> Plan:
    if overrides is None:
        return plan
    from engine.plan.overrides import apply_overrides

    doc, index = overrides if isinstance(overrides, tuple) else (overrides, None)
    return apply_overrides(clinic.content(), plan, doc, index)


def _warnings(warnings: list[str], file: str) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic(file, message=w, severity="warning", code="plan.warning") for w in warnings)


def _file(overrides: Changes) -> str:
    return overrides[1].file if isinstance(overrides, tuple) else "overrides"


def plan_assessment(
    clinic: Clinic,
    assessment: Assessment,
    *,
    overrides: Changes = None,
    handout: bool = False,
    report: bool = False,
) -> PlanResult:
    """First visit: run the assessment rules, apply the clinician's overrides (if any), build the
    plan and the PDFs asked for.

    Raises:
        InputError: overrides that do not fit the plan (see ``apply_overrides``).
    """
    from engine.plan.pipeline import evaluate

    refuse_incomplete(assessment)  # i16: never plan an imported assessment whose questions were not asked
    clinic.paper_size()
    content = clinic.content()
    if handout or report:
        clinic.template()
    result = evaluate(content, assessment)
    plan = _override(clinic, result.plan, overrides)
    warnings = _warnings(plan.warnings, _file(overrides))
    return _finish(clinic, plan, result.assessment, result.facts, handout=handout, report=report, warnings=warnings)


def read_plan(clinic: Clinic | None, path: Path | str) -> Plan:
    """Read a plan JSON file; with a clinic, also check it against the exercise library.

    Raises:
        InputError: unreadable, invalid, or not matching the library.
    """
    from engine.plan.progression import load_plan

    return load_plan(path, clinic.content() if clinic is not None else None)


def read_feedback(path: Path | str) -> tuple[Feedback, LocationIndex]:
    """Read and validate a feedback file; the index gives positions for later checks.

    Raises:
        InputError: every problem in the file, with positions.
    """
    from engine.plan.progression import load_feedback

    return load_feedback(path)


def applied_in(folder: Path, plan: Plan, feedback: Feedback) -> Path | None:
    """A plan JSON file in ``folder`` that was already made from ``plan`` with this feedback."""
    from engine.plan.progression import feedback_sha256, load_plan, plan_sha256

    want = (plan_sha256(plan), feedback_sha256(feedback))
    for path in sorted(folder.glob("*.json")):
        try:
            other = load_plan(path)
        except EngineError:
            continue
        if other.previous is not None and (other.previous.sha256, other.previous.feedback_sha256) == want:
            return path
    return None


def progress(
    clinic: Clinic,
    plan: Plan,
    feedback: Feedback,
    *,
    index: LocationIndex | None = None,
    plans_dir: Path | None = None,
    overrides: Changes = None,
    handout: bool = False,
    report: bool = False,
) -> PlanResult:
    """Review: the next plan (revision + 1) from a plan and the client's feedback; the plan is not changed.

    With ``plans_dir`` (the client's folder), feedback already applied to this plan there is refused.
    Exercises without a feedback entry keep their dose and come back as ``warnings``.

    Raises:
        InputError: feedback that does not fit the plan (positions from ``index``), feedback older
            than the plan, or feedback already applied.
    """
    from engine.plan.progression import progress as next_plan

    clinic.paper_size()
    content = clinic.content()
    if handout or report:
        clinic.template()
    file = index.file if index is not None else "<feedback>"
    if plans_dir is not None:
        made = applied_in(plans_dir, plan, feedback)
        if made is not None:
            raise InputError.at(
                file,
                f"this feedback was already applied to this plan: {made} was made from it",
                code="feedback.applied",
            )
    nxt = next_plan(content, plan, feedback, index)
    warnings = _warnings(nxt.warnings, file)
    n = len(nxt.warnings)
    nxt = _override(clinic, nxt, overrides)
    warnings += _warnings(nxt.warnings[n:], _file(overrides))
    return _finish(clinic, nxt, None, None, handout=handout, report=report, warnings=warnings)


@dataclass(frozen=True)
class Outputs:
    """Where one plan goes: handout PDF, plan JSON (``-`` = stdout), clinician report PDF."""

    handout: Path | None = None
    json: Path | None = None
    report: Path | None = None

    def check(self, command: str, *, force: bool, inputs: tuple[Path, ...] = ()) -> None:
        """Refuse before any work: nothing asked, a name used twice, or an unwritable target.

        Raises:
            InputError: nothing to write.
            OutputError: two outputs on stdout or on one file, or a target that cannot be written.
        """
        targets = [p for p in (self.handout, self.json, self.report) if p is not None]
        if not targets:
            raise InputError.at(
                command,
                "nothing to write: give -o handout.pdf, --json plan.json (or -) or --clinician-report report.pdf",
            )
        if sum(str(t) == "-" for t in targets) > 1:
            raise OutputError.at(command, "only one output can go to standard output ('-')")
        clashes = same_file_twice(targets)
        if clashes:
            raise OutputError.at(command, f"two outputs are the same file: {clashes[0]}")
        for t in targets:
            check_target(t, force=force, protect=inputs)

    def write(self, result: PlanResult, *, force: bool = False) -> list[Path]:
        """Write the requested files (JSON, handout, report) all or nothing; return the files written.

        Without ``force`` each file is created exclusively: a name taken meanwhile fails (issue 11).
        """
        blobs: list[tuple[Path, bytes | str | None]] = [
            (p, b)
            for p, b in ((self.json, result.json), (self.handout, result.handout), (self.report, result.report))
            if p is not None
        ]
        ready: list[tuple[Path, bytes | str]] = []
        for target, blob in blobs:
            assert blob is not None, f"{target}: the result was made without this output"
            ready.append((target, blob))
        write_all(ready, force=force)
        return [t for t, _ in blobs]


@dataclass(frozen=True)
class BatchItem:
    """The outcome of one assessment of a batch."""

    path: str
    status: str | None
    """The plan's status, or ``None`` when the file could not be planned."""
    error: str = ""
    """The diagnostics (rendered) when it failed."""


@dataclass
class BatchResult:
    """What a batch run did."""

    out_dir: Path
    items: list[BatchItem] = field(default_factory=list)

    @property
    def failed(self) -> list[BatchItem]:
        """Items that could not be planned."""
        return [i for i in self.items if i.status is None]

    @property
    def summary(self) -> str:
        """``N planned (k status, ...), M failed; output in DIR``."""
        counts: dict[str, int] = {}
        for i in self.items:
            if i.status is not None:
                counts[i.status] = counts.get(i.status, 0) + 1
        text = ", ".join(f"{k} {s}" for s, k in sorted(counts.items()))
        return f"{len(self.items) - len(self.failed)} planned ({text or 'none'}), {len(self.failed)} failed; output in {self.out_dir}"


@dataclass(frozen=True)
class _Batch:
    clinic: Clinic
    out_dir: Path
    force: bool
    reports: bool = False


_BATCH: _Batch | None = None  # set before the worker processes fork; read by _plan_into


def _plan_into(job: tuple[Path, str]) -> BatchItem:
    assert _BATCH is not None
    path, stem = job
    b = _BATCH
    try:
        report = b.out_dir / f"{stem}.report.pdf" if b.reports else None
        outputs = Outputs(b.out_dir / f"{stem}.pdf", b.out_dir / f"{stem}.plan.json", report)
        outputs.check("plan", force=b.force, inputs=(path,))
        assessment = read_assessment(path)
        refuse_incomplete(assessment, path)  # i16: file:line for an imported, unfinished assessment
        result = plan_assessment(b.clinic, assessment, handout=True, report=b.reports)
        outputs.write(result, force=b.force)
    except EngineError as exc:
        return BatchItem(str(path), None, exc.render())
    return BatchItem(str(path), result.plan.status)


def _take(result: BatchResult, item: BatchItem, on_item: Callable[[BatchItem], None] | None) -> None:
    result.items.append(item)
    if on_item is not None:
        on_item(item)


def _jobs(requested: int | None, count: int) -> int:
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = requested if requested is not None else min(os.cpu_count() or 1, 4)
    return max(1, min(wanted, count))


def plan_batch(
    clinic: Clinic,
    paths: list[Path],
    out_dir: Path,
    *,
    force: bool = False,
    jobs: int | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
    reports: bool = False,
) -> BatchResult:
    """Plan many assessments into a folder (``<name>.pdf``, ``.plan.json`` and, with ``reports``,
    ``.report.pdf``), in worker processes when there are several cores; a bad file is reported and
    the rest go on.

    Raises:
        InputError / OutputError: before any work, for a missing folder, stdin or clashing names.
    """
    global _BATCH  # handed to the forked workers
    clinic.paper_size()
    if not out_dir.is_dir():
        raise OutputError.at(str(out_dir), "is not a folder" if out_dir.exists() else "output folder does not exist")
    if any(str(p) == "-" for p in paths):
        raise InputError.at("plan", "--out-dir needs assessment files; '-' (standard input) has no file name")
    stems = [p.name.removesuffix(".yaml").removesuffix(".yml") for p in paths]
    outs = [out_dir / f"{stem}{ext}" for stem in stems for ext in (".pdf", ".plan.json", ".report.pdf")]
    clashes = same_file_twice(outs)
    if clashes:
        raise InputError.at("plan", f"two assessments would write the same output file: {clashes[0]}")
    clinic.content()
    clinic.template()
    _BATCH = _Batch(clinic, out_dir, force, reports)
    work = list(zip(paths, stems, strict=True))
    n = _jobs(jobs, len(work))
    gc.freeze()  # i15: the loaded content is never garbage; not scanned, not copied-on-write by workers
    try:
        return _run_batch(work, n, on_item, BatchResult(out_dir))
    finally:
        gc.unfreeze()  # for callers that go on in this process (the web desk, tests)


def _run_batch(
    work: list[tuple[Path, str]], n: int, on_item: Callable[[BatchItem], None] | None, result: BatchResult
) -> BatchResult:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if n == 1:
        for item in map(_plan_into, work):
            _take(result, item, on_item)
        return result
    # An executor, not multiprocessing.Pool: a worker killed by a signal breaks the pool with an
    # error instead of losing its task and waiting for it forever.
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
        try:
            for item in pool.map(_plan_into, work):
                _take(result, item, on_item)
        except BrokenProcessPool:
            raise EvaluationError(
                f"a worker process stopped unexpectedly (rules engine failure) after {len(result.items)} of "
                f"{len(work)} assessments; the rest were not planned and nothing of theirs was written. "
                "Run the batch again with --jobs 1 to find the file that stops it"
            ) from None
    return result
