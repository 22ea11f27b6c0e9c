"""The ``rehab`` command line. Thin: parse arguments, call one stage function, map errors to exit codes.

Heavy modules (durable_rules, fpdf2, the engine stages) are imported inside commands so that
``rehab --help`` stays fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from engine import __version__
from engine.errors import EngineError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="rehab",
    help="Exercise prescription for runners: assessment in, explained plan and printable handout out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich + markdown-it doubled `rehab --help` (i15)
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="Check and test the rule set.", no_args_is_help=True)
exercises_app = typer.Typer(help="Browse the exercise library.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(exercises_app, name="exercises")

RulesDir = Annotated[
    Path | None,
    typer.Option(
        "--rules", envvar="REHAB_RULES", help="Rules folder (default: the shipped rules).", show_default=False
    ),
]
ExercisesDir = Annotated[
    Path | None,
    typer.Option(
        "--exercises",
        envvar="REHAB_EXERCISES",
        help="Exercises folder (default: the shipped library).",
        show_default=False,
    ),
]
TemplatesDir = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        envvar="REHAB_TEMPLATES",
        help="Templates folder (default: the shipped templates).",
        show_default=False,
    ),
]
OverridesFile = Annotated[
    Path | None,
    typer.Option(
        "--overrides",
        help="Clinician overrides (swap, dose, remove, add; each with a reason), recorded in the plan.",
        show_default=False,
    ),
]
Force = Annotated[bool, typer.Option("--force", "-f", help="Replace output files that already exist.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def guarded(fn: F) -> F:
    """Run a command; turn engine errors into diagnostics and exit 2, Ctrl-C into 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EngineError as exc:
            typer.echo(exc.render(), err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("REHAB_DEBUG"):
                raise
            typer.echo(
                f"internal error (a bug, please report it): {type(exc).__name__}: {exc}\n"
                "set REHAB_DEBUG=1 to see the traceback",
                err=True,
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


_OWN_PROCESS = False
"""Set by ``main()``: the command is the whole process (a test's runner calls ``app`` in its own)."""


def one_input(fn: F) -> F:
    """Mark a command that reads one input and writes its results: in its own process it runs with
    the cycle collector off (i15).

    Such a run is mostly loading (modules, content, fonts, validators: objects that live until the
    process ends) and makes little cyclic garbage, so each collection cost 20-40 ms to free a few
    hundred objects; ``main()`` freezes what is left at the end. A batch turns it back on
    (``_plan_batch``).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _OWN_PROCESS:
            gc.disable()
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rehab-rules {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Exercise prescription for runners: assessment in, explained plan and printable handout out.

    Example: `rehab plan examples/seed-marathon-bilateral-drop.yaml -o handout.pdf --json plan.json`
    """


@app.command()
@guarded
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Assessment, feedback, plan or overrides files ('-' for stdin).", show_default=False),
    ],
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help="Also check feedback files against this plan (exercises, sides, dates)."),
    ] = None,
) -> None:
    """Check assessment, feedback or plan files and list every problem with file:line:col.

    Example: `rehab validate examples/*.yaml`, `rehab validate feedback.yaml --plan plan-1.json`
    """
    from engine.app.checks import validate as validate_all
    from engine.app.planning import read_plan

    current = read_plan(None, plan_file) if plan_file is not None else None
    checks = validate_all(files, plan=current)
    for c in checks:
        if c.ok:
            typer.echo(f"{c.path}: OK ({c.label})")
        if c.diagnostics:
            _err("\n".join(d.render() for d in c.diagnostics))
    raise typer.Exit(0 if all(c.ok for c in checks) else 2)


@app.command()
@guarded
def schema(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="assessment | feedback | rules | rule-tests | exercise | ladders | references | thresholds | review | template | plan"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write <kind>.schema.json files into this folder.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every schema (with --out).")] = False,
    force: Force = False,
) -> None:
    """Print the JSON Schema of an input format, for YAML editors.

    Put `# yaml-language-server: $schema=<path>` at the top of a YAML file to get checks and completion.

    Example: `rehab schema assessment > assessment.schema.json`
    """
    from engine.app.catalogue import schema_kinds, schema_text, write_schemas

    kinds = schema_kinds(kind, out, all_)
    if out is None:
        if len(kinds) != 1:
            raise EngineError.at("schema", "--all needs --out DIR")
        typer.echo(schema_text(kinds[0]), nl=False)
        return
    for path in write_schemas(kinds, out, force=force):
        typer.echo(f"wrote {path}")


@app.command()
@guarded
@one_input
def plan(
    assessments: Annotated[list[Path], typer.Argument(help="Assessment YAML file(s).", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Handout PDF to write.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Plan JSON to write ('-' for stdout).")] = None,
    report: Annotated[Path | None, typer.Option("--clinician-report", help="Clinician report PDF to write.")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", help="Several assessments: write <name>.pdf and <name>.plan.json here (see --reports)."
        ),
    ] = None,
    reports: Annotated[
        bool, typer.Option("--reports", help="With --out-dir: also write <name>.report.pdf (doubles the time).")
    ] = False,
    paper: Annotated[str, typer.Option("--paper", help="a4 or letter.")] = "a4",
    overrides: OverridesFile = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes for --out-dir (default: cores, max 4).")
    ] = None,
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
    templates: TemplatesDir = None,
    force: Force = False,
) -> None:
    """Make the plan for an assessment: JSON plan, client handout and clinician report.

    Example: `rehab plan examples/seed-marathon-bilateral-drop.yaml -o handout.pdf --json plan.json --clinician-report report.pdf`

    Batch: `rehab plan examples/*.yaml --out-dir out/`
    """
    from engine.app.clinic import Clinic
    from engine.app.planning import Outputs, plan_assessment, read_assessment, read_overrides
    from engine.interop.complete import refuse_incomplete

    clinic = Clinic(rules, exercises, templates, paper)
    if out_dir is not None:
        if output or json_out or report:
            raise EngineError.at(
                "plan", "--out-dir names the outputs itself; leave out -o, --json and --clinician-report"
            )
        if overrides is not None:
            raise EngineError.at("plan", "--overrides is for one client's plan; leave it out with --out-dir")
        raise typer.Exit(_plan_batch(clinic, assessments, out_dir, force=force, jobs=jobs, reports=reports))
    if len(assessments) != 1:
        raise EngineError.at("plan", "give one assessment, or use --out-dir for several")
    path = assessments[0]
    clinic.paper_size()
    outputs = Outputs(output, json_out, report)
    outputs.check("plan", force=force, inputs=(path, *([overrides] if overrides else [])))
    clinic.content()
    assessment = read_assessment(path)
    refuse_incomplete(assessment, path)  # i16: an imported assessment with questions never asked (file:line)
    changes = read_overrides(overrides) if overrides is not None else None
    result = plan_assessment(
        clinic, assessment, overrides=changes, handout=output is not None, report=report is not None
    )
    for w in result.warnings:
        _err(w.render())
    _wrote(outputs.write(result, force=force))
    _err(f"{path}: {result.summary}")


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _wrote(paths: list[Path]) -> None:
    for p in paths:
        if str(p) != "-":
            _err(f"wrote {p}")


def _plan_batch(
    clinic: Any, paths: list[Path], out_dir: Path, *, force: bool, jobs: int | None, reports: bool = False
) -> int:
    from engine.app.planning import BatchItem, plan_batch

    gc.enable()  # many inputs: garbage is collected as it comes (plan_batch freezes the content)
    bar_cm = typer.progressbar(length=len(paths), label="planning", file=sys.stderr, hidden=not sys.stderr.isatty())
    with bar_cm as bar:

        def step(item: BatchItem) -> None:
            bar.update(1)
            if item.status is None:
                _err("\n" + item.error)

        result = plan_batch(clinic, paths, out_dir, force=force, jobs=jobs, on_item=step, reports=reports)
    _err(result.summary)
    return 2 if result.failed else 0


@app.command()
@guarded
@one_input
def explain(
    assessment: Annotated[Path, typer.Argument(help="Assessment YAML file.", show_default=False)],
    as_json: AsJson = False,
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
) -> None:
    """Show the decision path: findings → derived facts → rules fired → plan items.

    Example: `rehab explain examples/seed-marathon-bilateral-drop.yaml`
    """
    from engine.app.clinic import Clinic
    from engine.app.explain import explain as explain_plan
    from engine.app.explain import explain_json, explain_text
    from engine.app.planning import read_assessment

    clinic = Clinic(rules, exercises)
    clinic.content()
    data = explain_plan(clinic, read_assessment(assessment))
    typer.echo(explain_json(data) if as_json else explain_text(data), nl=False)


@app.command()
@guarded
@one_input
def progress(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN.json", help="The current plan (JSON).", show_default=False)
    ],
    feedback: Annotated[
        Path, typer.Argument(metavar="FEEDBACK.yaml", help="The client's feedback.", show_default=False)
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Next handout PDF.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Next plan JSON ('-' for stdout).")] = None,
    report: Annotated[Path | None, typer.Option("--clinician-report", help="Clinician report PDF.")] = None,
    paper: Annotated[str, typer.Option("--paper", help="a4 or letter.")] = "a4",
    overrides: OverridesFile = None,
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
    templates: TemplatesDir = None,
    force: Force = False,
) -> None:
    """Review: move each exercise up, hold it or move it down from the client's feedback.

    Writes plan revision n+1; the earlier plan is never changed.

    Example: `rehab progress zoe/plan-1.json zoe/feedback-2026-12-04.yaml --json zoe/plan-2.json -o zoe/handout-2.pdf`
    """
    from engine.app.clinic import Clinic
    from engine.app.planning import Outputs, read_feedback, read_overrides, read_plan
    from engine.app.planning import progress as next_plan

    clinic = Clinic(rules, exercises, templates, paper)
    clinic.paper_size()
    outputs = Outputs(output, json_out, report)
    outputs.check("progress", force=force, inputs=(plan_file, feedback, *([overrides] if overrides else [])))
    clinic.content()
    if output or report:
        clinic.template()
    current = read_plan(clinic, plan_file)
    fb, index = read_feedback(feedback)
    result = next_plan(
        clinic,
        current,
        fb,
        index=index,
        plans_dir=plan_file.parent if str(plan_file) != "-" else None,
        overrides=read_overrides(overrides) if overrides is not None else None,
        handout=output is not None,
        report=report is not None,
    )
    for w in result.warnings:
        _err(w.render())
    _wrote(outputs.write(result, force=force))
    _err(result.summary)


@app.command()
@guarded
def history(
    folder: Annotated[Path, typer.Argument(help="Folder with a client's plan JSON files.", show_default=False)],
    as_json: AsJson = False,
) -> None:
    """List a client's plans in order with what changed at each review.

    Example: `rehab history clients/zoe/`
    """
    from engine.app.history import history as read_history

    found = read_history(folder)
    for line in found.skipped:
        _err(line)
    found.require_plans()
    typer.echo(found.json() if as_json else found.text(), nl=False)


@rules_app.command("check")
@guarded
def rules_check(
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
    as_json: AsJson = False,
) -> None:
    """Check every rule, exercise, threshold and reference file; errors exit 2.

    Example: `rehab rules check --rules my-clinic/rules`
    """
    import json

    from engine.app.checks import check_rules
    from engine.app.clinic import Clinic

    verdict = check_rules(Clinic(rules, exercises))
    if as_json:
        typer.echo(json.dumps({"ok": verdict.ok, "diagnostics": [d.as_dict() for d in verdict.diagnostics]}, indent=2))
    else:
        for d in verdict.diagnostics:
            _err(d.render())
        if verdict.ok:
            n = len(verdict.diagnostics)
            typer.echo(f"OK: {verdict.summary}" + (f" ({n} warnings)" if n else ""))
        else:
            _err(f"{len(verdict.errors)} errors")
    raise typer.Exit(0 if verdict.ok else 2)


@rules_app.command("facts")
@guarded
def rules_facts(as_json: AsJson = False) -> None:
    """List the facts rules can match, with their fields and allowed values.

    Example: `rehab rules facts`
    """
    import json

    from engine.app.catalogue import fact_catalogue, facts_text

    data = fact_catalogue()
    typer.echo(json.dumps(data, indent=2) + "\n" if as_json else facts_text(data), nl=False)


@rules_app.command("test")
@guarded
def rules_test(
    path: Annotated[
        Path | None, typer.Argument(help="A *.test.yaml file or a folder (default: the rules folder).")
    ] = None,
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every case.")] = False,
) -> None:
    """Run the rule test cases (*.test.yaml beside the rules).

    Example: `rehab rules test rules/`
    """
    from engine.app.clinic import Clinic
    from engine.app.rule_testing import test_rules

    run = test_rules(Clinic(rules, exercises), path)
    for r in run.results:
        if not r.ok:
            if r.todo is not None:
                _err(f"{r.file}:{r.line}: {r.name}: marked todo but passes now; remove 'todo'")
            for failure in r.failures:
                _err(f"{r.file}:{r.line}: {r.name}: {failure}")
        elif verbose:
            typer.echo(f"{r.file}:{r.line}: ok {'(todo) ' if r.todo else ''}{r.name}")
    for d in [*run.file_errors, *run.coverage]:
        _err(d.render())
    typer.echo(f"{len(run.results) - len(run.failed)} passed, {len(run.failed)} failed")
    raise typer.Exit(0 if run.ok else 2)


@exercises_app.command("list")
@guarded
def exercises_list(
    target: Annotated[str | None, typer.Option("--target", help="Only exercises with this target.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only exercises with this tag.")] = None,
    ladder: Annotated[str | None, typer.Option("--ladder", help="Only this ladder.")] = None,
    as_json: AsJson = False,
    exercises: ExercisesDir = None,
) -> None:
    """List exercises by ladder and level.

    Example: `rehab exercises list --target pelvic_control`
    """
    from engine.app.catalogue import exercises_text, find_exercises
    from engine.app.clinic import Clinic

    clinic = Clinic(exercises_dir=exercises)
    typer.echo(exercises_text(clinic, find_exercises(clinic, target, tag, ladder), as_json=as_json), nl=False)


@exercises_app.command("show")
@guarded
def exercises_show(
    exercise_id: Annotated[str, typer.Argument(help="Exercise id.", show_default=False)],
    as_json: AsJson = False,
    exercises: ExercisesDir = None,
) -> None:
    """Show one exercise: steps, cues, doses, precautions, evidence.

    Example: `rehab exercises show wb-glute-med-hold`
    """
    from engine.app.catalogue import show_exercise
    from engine.app.clinic import Clinic

    typer.echo(show_exercise(Clinic(exercises_dir=exercises), exercise_id, as_json=as_json), nl=False)


@app.command()
@guarded
def assess(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Assessment YAML to write (default: print it).")
    ] = None,
    force: Force = False,
) -> None:
    """Enter an assessment step by step in the terminal; writes a commented, valid YAML file.

    Answers can be piped in (one per line) for scripting.

    Example: `rehab assess -o clients/zoe-2026-11-20.yaml`
    """
    from engine.app.assess import run_assess

    raise typer.Exit(run_assess(output, force=force))


@app.command()
@guarded
def new(
    kind: Annotated[str, typer.Argument(help="assessment | feedback | rule | exercise", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: print it).")] = None,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="feedback: one entry per exercise and side of this plan.")
    ] = None,
    force: Force = False,
) -> None:
    """Write a commented template to fill in, with the $schema line for editors.

    Example: `rehab new assessment -o clients/new-client.yaml`,
    `rehab new feedback --plan zoe/plan-1.json -o zoe/feedback-2026-12-04.yaml`
    """
    from engine.app.planning import read_plan
    from engine.app.scaffold import new_file

    new_file(kind, output, force=force, plan=read_plan(None, plan_file) if plan_file is not None else None)


# ------------------------------------------------------------------------------------------------
# i16 interop: `rehab import`, `rehab export fhir`, `rehab note` (one self-contained block; every
# engine import is inside the command, so `rehab --help` stays fast).
export_app = typer.Typer(help="Export a plan for other systems (FHIR R4).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@app.command("import")
@guarded
def import_gait_cmd(
    format: Annotated[str, typer.Argument(help="opencap | opensim | kinovea | csv", show_default=False)],
    files: Annotated[
        list[Path],
        typer.Argument(
            help="The kinematics file (.mot, or .csv for kinovea/csv) and the stance windows: an events .yaml "
            "or a .trc heel-marker file.",
            show_default=False,
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Assessment YAML to write ('-' for stdout).")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="COLUMN=SIGNAL: time, pelvis_list, lumbar_bending, trunk_lean, hip_adduction_r, hip_adduction_l "
            "(COLUMN=-SIGNAL flips the sign).",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Client's name (else left to complete).")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="Clinic's client id.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Date of the capture (default: today).")] = None,
    clinician: Annotated[str | None, typer.Option("--clinician", help="Clinician's name.")] = None,
    clinic: Annotated[str | None, typer.Option("--clinic", help="Clinic name.")] = None,
    units: Annotated[str | None, typer.Option("--units", help="deg | rad: override the file's angle units.")] = None,
    trunk: Annotated[
        str,
        typer.Option(
            "--trunk", help="global: trunk to vertical (pelvis_list + lumbar_bending); pelvis: lumbar_bending."
        ),
    ] = "global",
    heel_markers: Annotated[
        str | None, typer.Option("--heel-markers", help="RIGHT,LEFT heel marker names in the .trc.")
    ] = None,
    force: Force = False,
) -> None:
    """Import a gait-tool export as an assessment: pelvic drop, trunk lean and cadence measured,
    pain history and red flags left for you to complete (`rehab plan` refuses until then).

    Example: `rehab import opencap walk.mot walk-events.yaml --name "Zoë Ångström" -o zoe.yaml`
    """
    from engine.interop.gait import ImportOptions, _date, import_to_file

    heels = None
    if heel_markers is not None:
        parts = [p.strip() for p in heel_markers.split(",")]
        if len(parts) != 2 or not all(parts):
            raise EngineError.at("--heel-markers", "give two marker names: RIGHT,LEFT")
        heels = (parts[0], parts[1])
    opts = ImportOptions(
        mapping=tuple(mapping or ()),
        name=name,
        client_id=client_id,
        assessed_on=_date(date) if date else None,
        clinician=clinician,
        clinic=clinic,
        units=units,  # type: ignore[arg-type]
        trunk=trunk,  # type: ignore[arg-type]
        heel_markers=heels,
    )
    command = "rehab import " + " ".join([format, *(p.name for p in files)])
    for d in import_to_file(format, files, opts, output, force=force, command=command):
        typer.echo(d.render(), err=True)
    if str(output) != "-":
        typer.echo(f"wrote {output} (complete pain and red flags before `rehab plan`)", err=True)


@export_app.command("fhir")
@guarded
@one_input
def export_fhir_cmd(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="The plan (JSON).", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Bundle JSON to write ('-' for stdout).")],
    handout: Annotated[
        Path | None, typer.Option("--handout", help="Embed this handout PDF instead of rendering one.")
    ] = None,
    assessment: Annotated[
        Path | None, typer.Option("--assessment", help="The assessment, for a handout identical to `rehab plan`'s.")
    ] = None,
    paper: Annotated[str, typer.Option("--paper", help="a4 or letter.")] = "a4",
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
    templates: TemplatesDir = None,
    force: Force = False,
) -> None:
    """Write the plan as a FHIR R4 collection Bundle (Patient, CarePlan, ServiceRequests, handout).

    Example: `rehab export fhir zoe/plan-1.json -o zoe/plan-1.fhir.json`
    """
    from engine.interop.fhir import export_fhir

    export_fhir(
        plan_file,
        output,
        handout=handout,
        assessment=assessment,
        rules=rules,
        exercises=exercises,
        templates=templates,
        paper=paper,
        force=force,
    )
    if str(output) != "-":
        typer.echo(f"wrote {output}", err=True)


@app.command("note")
@guarded
@one_input
def note_cmd(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="The plan (JSON).", show_default=False)],
    templates: TemplatesDir = None,
) -> None:
    """Print a paste-in summary of a plan (at most 2,000 characters) for a practice system.

    Example: `rehab note zoe/plan-1.json`
    """
    from engine.interop.note import note_for_file

    typer.echo(note_for_file(plan_file, templates), nl=False)


# ------------------------------------------------------------------------------------------------ end i16


@app.command()
@guarded
def serve(
    clinic: Annotated[Path, typer.Argument(help="Clinic folder: one folder per client (the store).")] = Path(),
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback only unless --allow-remote).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")] = 8765,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback --host (needs --token).")
    ] = False,
    token: Annotated[
        str | None, typer.Option("--token", envvar="REHAB_SERVE_TOKEN", help="Access token for remote use.")
    ] = None,
    rules: RulesDir = None,
    exercises: ExercisesDir = None,
    templates: TemplatesDir = None,
) -> None:
    """Open the clinic desk in a browser: clients, assessment forms, plans with reasons, PDFs, reviews, rules.

    Listens on 127.0.0.1 and prints the address. The clinic's own rules/, exercises/ and templates/
    are used when present.

    Example: `rehab serve clinic/`
    """
    from engine.web.serve import serve as run_serve

    run_serve(
        clinic,
        host=host,
        port=port,
        allow_remote=allow_remote,
        token=token,
        rules=rules,
        exercises=exercises,
        templates=templates,
    )


def main() -> None:
    """Console entry point."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    # i15: a command makes hundreds of thousands of long-lived objects (models, fonts, content)
    # and little garbage; collecting every 700 allocations cost ~15 % of `rehab plan`. Cycles
    # are still collected, less often (memory over 1,000 plans: benchmarks/run.py).
    gc.set_threshold(50_000, 20, 20)
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - outside a command
        sys.exit(130)
    finally:
        # i15: tearing the interpreter down runs full collections over every object left (the
        # models, fpdf2's and fontTools' modules, the fonts): 20-50 ms a pass, ~200 ms a run,
        # for objects the process is about to drop anyway. Frozen, the collector skips them;
        # modules are still cleared and atexit handlers still run.
        gc.freeze()
