"""What each CLI command does, as plain functions (the CLI only parses arguments)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from engine.app.output import check_target, same_file_twice, write_all, write_atomic
from engine.errors import Diagnostic, EngineError, InputError, OutputError

SCHEMA_BASE = "https://rehab-rules.invalid/schemas/"


def _err(text: str) -> None:
    typer.echo(text, err=True)


def validate_files(files: list[Path]) -> bool:
    """Validate each file as an assessment or feedback; print OK or every error."""
    from engine.load import yamlio
    from engine.load.validation import validate

    ok = True
    for path in files:
        try:
            data, index = yamlio.read(path)
            model: Any = _kind_of(data)
            doc = validate(model, data, index)
        except EngineError as exc:
            _err(exc.render())
            ok = False
            continue
        what = {"Feedback": "feedback", "Plan": f"plan for {getattr(getattr(doc, 'client', None), 'name', '')}"}.get(
            model.__name__, f"assessment of {getattr(getattr(doc, 'client', None), 'name', '')}"
        )
        typer.echo(f"{path}: OK ({what})")
    return ok


def _kind_of(data: Any) -> Any:
    """Tell an assessment, a feedback file and a plan apart by their keys."""
    from engine.models.assessment import Assessment
    from engine.models.feedback import Feedback
    from engine.models.plan import Plan

    if isinstance(data, dict) and "generated_with" in data:
        return Plan
    if isinstance(data, dict) and "reported_on" in data and "client" not in data:
        return Feedback
    return Assessment


def schema_models() -> dict[str, Any]:
    """Return every exported schema's model (or type adapter) by kind."""
    from engine.app.rule_testing import RuleTestFile
    from engine.models.assessment import Assessment
    from engine.models.exercise import Exercise, LadderFile, ReferenceFile
    from engine.models.feedback import Feedback
    from engine.models.plan import Plan
    from engine.models.rule import RuleFile
    from engine.models.template import Template
    from engine.models.thresholds import Thresholds

    return {
        "assessment": Assessment,
        "feedback": Feedback,
        "rules": RuleFile,
        "rule-tests": RuleTestFile,
        "exercise": Exercise,
        "ladders": LadderFile,
        "references": ReferenceFile,
        "thresholds": Thresholds,
        "template": Template,
        "plan": Plan,
    }


def schema_text(kind: str) -> str:
    """Return the JSON Schema of one format, deterministic, with $schema and $id."""
    models = schema_models()
    if kind not in models:
        raise InputError.at("schema", f"unknown format '{kind}'", hint="one of: " + ", ".join(models))
    mode = "serialization" if kind == "plan" else "validation"
    schema = models[kind].model_json_schema(by_alias=True, mode=mode)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{kind}.schema.json",
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def export_schemas(kind: str | None, out: Path | None, all_: bool, *, force: bool = False) -> None:
    """Print one schema, or write some/all into a folder."""
    kinds = list(schema_models()) if all_ or (kind is None and out is not None) else [kind or "assessment"]
    if out is None:
        if len(kinds) != 1:
            raise InputError.at("schema", "--all needs --out DIR")
        typer.echo(schema_text(kinds[0]), nl=False)
        return
    if not out.is_dir():
        raise OutputError.at(str(out), "is not a folder" if out.exists() else "folder does not exist")
    for k in kinds:
        check_target(out / f"{k}.schema.json", force=force)
    for k in kinds:
        write_atomic(out / f"{k}.schema.json", schema_text(k), force=force)
        typer.echo(f"wrote {out / f'{k}.schema.json'}")


@dataclass(frozen=True)
class PlanOptions:
    """Options shared by single and batch planning."""

    rules: Path | None
    exercises: Path | None
    templates: Path | None
    paper: str
    force: bool


def _paper(value: str) -> str:
    paper = value.lower()
    if paper not in ("a4", "letter"):
        raise InputError.at("--paper", f"'{value}' is not a paper size; use a4 or letter")
    return paper


@dataclass(frozen=True)
class Outputs:
    """Where one plan goes: handout PDF, plan JSON (``-`` = stdout), clinician report PDF."""

    handout: Path | None
    json: Path | None
    report: Path | None

    def check(self, command: str, opts: PlanOptions, inputs: tuple[Path, ...]) -> None:
        """Refuse before any work: nothing asked, a name used twice, or an unwritable target."""
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
            check_target(t, force=opts.force, protect=inputs)

    def write(self, plan: Any, assessment: Any, content: Any, opts: PlanOptions, *, quiet: bool = False) -> None:
        """Render everything first, then write each file atomically."""
        from engine.render.handout import render

        paper = _paper(opts.paper)
        blobs: list[tuple[Path, bytes | str]] = []
        if self.json is not None:
            blobs.append((self.json, plan.to_json()))
        for target, report in ((self.handout, False), (self.report, True)):
            if target is not None:
                blobs.append(
                    (
                        target,
                        render(plan, assessment, content, report=report, templates_dir=opts.templates, paper=paper),
                    )
                )
        write_all(blobs, force=opts.force)  # all or nothing, exclusive without --force (issue 11)
        for target, _ in blobs:
            if str(target) != "-" and not quiet:
                _err(f"wrote {target}")

    def write_quietly(self, plan: Any, assessment: Any, content: Any, opts: PlanOptions) -> None:
        """Write without a line per file (batch runs)."""
        self.write(plan, assessment, content, opts, quiet=True)


def plan_one(path: Path, outputs: Outputs, opts: PlanOptions) -> None:
    """Plan one assessment and write the requested outputs atomically."""
    from engine.load.content import load_content
    from engine.plan.pipeline import evaluate, load_assessment
    from engine.render.handout import load_template

    _paper(opts.paper)
    outputs.check("plan", opts, (path,))
    content = load_content(opts.rules, opts.exercises)
    if outputs.handout or outputs.report:
        load_template(opts.templates)
    result = evaluate(content, load_assessment(path))
    outputs.write(result.plan, result.assessment, content, opts)
    plan = result.plan
    _err(f"{path}: {plan.status}, {len(plan.exercises)} exercises, {len(plan.referrals)} referrals")


@dataclass(frozen=True)
class _Batch:
    content: Any
    out_dir: Path
    opts: PlanOptions


_BATCH: _Batch | None = None  # set before the worker processes fork; read by _plan_into


def _plan_into(job: tuple[Path, str]) -> tuple[str, str | None, str]:
    """Plan one assessment of a batch: return (path, status or None, error text)."""
    from engine.plan.pipeline import evaluate, load_assessment

    assert _BATCH is not None
    path, stem = job
    b = _BATCH
    try:
        outputs = Outputs(b.out_dir / f"{stem}.pdf", b.out_dir / f"{stem}.plan.json", b.out_dir / f"{stem}.report.pdf")
        outputs.check("plan", b.opts, (path,))
        result = evaluate(b.content, load_assessment(path))
        outputs.write_quietly(result.plan, result.assessment, b.content, b.opts)
    except EngineError as exc:
        return str(path), None, exc.render()
    return str(path), result.plan.status, ""


def _jobs(requested: int | None, count: int) -> int:
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = requested if requested is not None else min(os.cpu_count() or 1, 4)
    return max(1, min(wanted, count))


def plan_batch(paths: list[Path], out_dir: Path, opts: PlanOptions, jobs: int | None = None) -> int:
    """Plan many assessments into a folder (in parallel worker processes when there are several
    cores); report bad files and go on; return the exit code."""
    import multiprocessing

    from engine.load.content import load_content
    from engine.render.handout import load_template

    global _BATCH  # handed to the forked workers
    _paper(opts.paper)
    if not out_dir.is_dir():
        raise OutputError.at(str(out_dir), "is not a folder" if out_dir.exists() else "output folder does not exist")
    if any(str(p) == "-" for p in paths):
        raise InputError.at("plan", "--out-dir needs assessment files; '-' (standard input) has no file name")
    stems = [p.name.removesuffix(".yaml").removesuffix(".yml") for p in paths]
    outs = [out_dir / f"{stem}{ext}" for stem in stems for ext in (".pdf", ".plan.json", ".report.pdf")]
    clashes = same_file_twice(outs)
    if clashes:
        raise InputError.at("plan", f"two assessments would write the same output file: {clashes[0]}")
    _BATCH = _Batch(load_content(opts.rules, opts.exercises), out_dir, opts)
    load_template(opts.templates)
    work = list(zip(paths, stems, strict=True))
    n = _jobs(jobs, len(work))
    failed: list[str] = []
    counts: dict[str, int] = {}
    with typer.progressbar(length=len(work), label="planning", file=sys.stderr, hidden=not sys.stderr.isatty()) as bar:
        pool = multiprocessing.get_context("fork").Pool(n) if n > 1 else None
        try:
            results = pool.imap(_plan_into, work) if pool is not None else map(_plan_into, work)
            for path, status, error in results:
                bar.update(1)
                if status is None:
                    _err("\n" + error)
                    failed.append(path)
                else:
                    counts[status] = counts.get(status, 0) + 1
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    summary = ", ".join(f"{k} {s}" for s, k in sorted(counts.items()))
    _err(f"{len(paths) - len(failed)} planned ({summary or 'none'}), {len(failed)} failed; output in {out_dir}")
    return 2 if failed else 0


def check_rules(rules: Path | None, exercises: Path | None, *, as_json: bool) -> int:
    """Load, link and compile all content; print errors and warnings; return the exit code."""
    from engine.evaluate.compiler import compile_rules, limit_warnings
    from engine.load.library import load_library
    from engine.load.resources import data_dir
    from engine.load.rulebook import load_rulebook

    diags: list[Diagnostic] = []
    summary = ""
    try:
        lib = load_library(data_dir("exercises", exercises))
        book = load_rulebook(data_dir("rules", rules), lib)
        diags += book.warnings
        for stage, rs in book.rules.items():
            if rs:
                compiled = compile_rules(rs, stage, where=str(data_dir("rules", rules)))
                diags += limit_warnings(compiled, str(data_dir("rules", rules)))
        summary = (
            f"{sum(len(r) for r in book.rules.values())} rules, {len(lib.exercises)} exercises, "
            f"{len(lib.ladders)} ladders, {len(book.references)} references"
        )
    except EngineError as exc:
        diags = list(exc.diagnostics) + diags
    errors = [d for d in diags if d.severity == "error"]
    if as_json:
        typer.echo(json.dumps({"ok": not errors, "diagnostics": [d.as_dict() for d in diags]}, indent=2))
    else:
        for d in diags:
            _err(d.render())
        if not errors:
            typer.echo(f"OK: {summary}" + (f" ({len(diags)} warnings)" if diags else ""))
        else:
            _err(f"{len(errors)} errors")
    return 2 if errors else 0


def list_exercises(
    folder: Path | None, target: str | None, tag: str | None, ladder: str | None, *, as_json: bool
) -> str:
    """Return the library listing, filtered."""
    from engine.load.library import load_library
    from engine.load.resources import data_dir
    from engine.models.exercise import TAGS, TARGETS

    if target is not None and target not in TARGETS:
        raise InputError.at("--target", f"unknown target '{target}'", hint="one of: " + ", ".join(TARGETS))
    if tag is not None and tag not in TAGS:
        raise InputError.at("--tag", f"unknown tag '{tag}'", hint="one of: " + ", ".join(TAGS))
    lib = load_library(data_dir("exercises", folder))
    if ladder is not None and ladder not in lib.ladders:
        raise InputError.at("--ladder", f"unknown ladder '{ladder}'", hint="one of: " + ", ".join(sorted(lib.ladders)))
    chosen = [
        e
        for lad in sorted(lib.ladders)
        for e in lib.ladder(lad)
        if (target is None or target in e.targets)
        and (tag is None or tag in e.tags)
        and (ladder is None or e.ladder == ladder)
    ]
    if as_json:
        return (
            json.dumps(
                [
                    {
                        "id": e.id,
                        "name": e.name,
                        "ladder": e.ladder,
                        "level": e.level,
                        "targets": list(e.targets),
                        "tags": list(e.tags),
                    }
                    for e in chosen
                ],
                indent=2,
            )
            + "\n"
        )
    lines, current = [], None
    for e in chosen:
        if e.ladder != current:
            current = e.ladder
            lines.append(f"{e.ladder}: {lib.ladders[e.ladder].name}")
        lines.append(f"  L{e.level:<2} {e.id:<32} {e.name}  [{', '.join(e.tags)}]")
    return "\n".join(lines) + ("\n" if lines else "no exercises match\n")


def show_exercise(folder: Path | None, exercise_id: str, *, as_json: bool) -> str:
    """Return one exercise as text or JSON."""
    import difflib

    from engine.load.library import load_library
    from engine.load.resources import data_dir

    lib = load_library(data_dir("exercises", folder))
    ex = lib.exercises.get(exercise_id)
    if ex is None:
        close = difflib.get_close_matches(exercise_id, list(lib.exercises), n=1)
        raise InputError.at(
            exercise_id,
            "no such exercise",
            hint=f"did you mean '{close[0]}'?" if close else "see `rehab exercises list`",
        )
    if as_json:
        return json.dumps(ex.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False) + "\n"
    out = [
        f"{ex.name} ({ex.id})",
        f"ladder {ex.ladder}, level {ex.level} of {lib.top(ex.ladder)}",
        f"targets: {', '.join(ex.targets)}",
        f"tags: {', '.join(ex.tags) or '-'}",
        f"equipment: {', '.join(ex.equipment) or 'none'}",
        "",
        ex.purpose,
        "",
        "Steps:",
    ]
    out += [f"  {i}. {s}" for i, s in enumerate(ex.steps, 1)]
    out += ["Cues:"] + [f"  - {c}" for c in ex.cues]
    from engine.render.handout import dose_text

    out += ["Doses (easiest first):"] + [f"  {i}. {dose_text(d.model_dump())}" for i, d in enumerate(ex.doses, 1)]
    if ex.precautions:
        out += ["Precautions:"] + [f"  - {p}" for p in ex.precautions]
    out += [f"Evidence: {', '.join(ex.evidence)}"]
    return "\n".join(out) + "\n"


def assessment_from_plan(plan: Any) -> Any:
    """A minimal assessment (client, date, clinician) for rendering a plan made at review."""
    from engine.models.assessment import Assessment

    return Assessment.model_validate(
        {
            "version": 1,
            "client": plan.client.model_dump(exclude_none=True),
            "assessed_on": __import__("datetime").date.fromisoformat(plan.assessed_on),
            **({"clinician": plan.clinician.model_dump(exclude_none=True)} if plan.clinician else {}),
        },
        context={"today": __import__("datetime").date.max},
    )


def progress_files(plan_path: Path, feedback_path: Path, outputs: Outputs, opts: PlanOptions) -> None:
    """Write the next plan (and handouts) from a plan and the client's feedback."""
    from engine.load.content import load_content
    from engine.plan.progression import load_feedback, load_plan, progress
    from engine.render.handout import load_template

    _paper(opts.paper)
    outputs.check("progress", opts, (plan_path, feedback_path))
    content = load_content(opts.rules, opts.exercises)
    if outputs.handout or outputs.report:
        load_template(opts.templates)
    plan = load_plan(plan_path, content)
    feedback, index = load_feedback(feedback_path)
    nxt = progress(content, plan, feedback, index)
    outputs.write(nxt, assessment_from_plan(nxt), content, opts)
    changes = ", ".join(f"{e.id} {e.change}" for e in nxt.exercises) or "no exercises"
    _err(f"revision {nxt.revision}: {nxt.status}; {changes}")


def history(folder: Path, *, as_json: bool) -> str:
    """List a client's plans (plan JSON files in a folder) in order, with what changed."""
    from engine.plan.progression import load_plan, plan_sha256

    if not folder.is_dir():
        raise InputError.at(str(folder), "folder not found")
    plans = []
    for path in sorted(folder.glob("*.json")):
        try:
            plans.append((path, load_plan(path)))
        except EngineError as exc:
            _err(f"skipped {path}: not a readable plan ({exc.diagnostics[0].message})")
    if not plans:
        raise InputError.at(str(folder), "no plan JSON files here")
    plans.sort(key=lambda pp: (pp[1].client.id or pp[1].client.name, pp[1].revision, pp[1].assessed_on, pp[0].name))
    hashes = {plan_sha256(p): path.name for path, p in plans}
    rows: list[dict[str, Any]] = []
    for path, p in plans:
        prev = hashes.get(p.previous.sha256, "?") if p.previous else None
        rows.append(
            {
                "file": path.name,
                "client": p.client.name,
                "revision": p.revision,
                "date": p.assessed_on,
                "status": p.status,
                "follows": prev,
                "exercises": [
                    {
                        "id": e.id,
                        "side": e.side,
                        "level": e.level,
                        "dose_step": e.dose_step,
                        "change": e.change or "new",
                    }
                    for e in p.exercises
                ],
            }
        )
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    out = []
    for r in rows:
        follows = f" (follows {r['follows']})" if r["follows"] else ""
        out.append(f"{r['client']} — revision {r['revision']}, {r['date']}, {r['status']}: {r['file']}{follows}")
        out += [
            f"    {e['change']:<7} {e['id']} ({e['side']}) level {e['level']}, dose {e['dose_step']}"
            for e in r["exercises"]
        ]
    return "\n".join(out) + "\n"


def list_facts(*, as_json: bool) -> str:
    """Describe every fact kind (assessment and progression stage) and its fields."""
    from engine.evaluate.facts import CATALOGUE
    from engine.plan.progression import CATALOGUE as PROGRESSION

    stages = {"assessment": CATALOGUE, "progression": PROGRESSION}
    data = {
        stage: {
            kind: {name: {"type": f.type, "values": list(f.values)} for name, f in fields.items()}
            for kind, fields in cat.items()
        }
        for stage, cat in stages.items()
    }
    if as_json:
        return json.dumps(data, indent=2) + "\n"
    out = []
    for stage, cat in data.items():
        out.append(f"{stage} rules (stage: {stage}):")
        for kind, fields in cat.items():
            out.append(f"  {kind}")
            for name, f in fields.items():
                words = f": {' | '.join(f['values'])}" if f["values"] else ""
                out.append(f"    {name:<22} {f['type']}{words}")
    return "\n".join(out) + "\n"
