"""Read-only views of the content: fact catalogue, exercise library, JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.app.clinic import Clinic
from engine.app.output import check_target, write_atomic
from engine.errors import InputError, OutputError

SCHEMA_BASE = "https://rehab-rules.invalid/schemas/"


def fact_catalogue() -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """Every fact kind rules can match, per stage, with its fields' types and allowed values."""
    from engine.evaluate.facts import CATALOGUE
    from engine.evaluate.review import CATALOGUE as PROGRESSION

    stages = {"assessment": CATALOGUE, "progression": PROGRESSION}
    return {
        stage: {
            kind: {name: {"type": f.type, "values": list(f.values)} for name, f in fields.items()}
            for kind, fields in cat.items()
        }
        for stage, cat in stages.items()
    }


def facts_text(data: dict[str, dict[str, dict[str, dict[str, Any]]]]) -> str:
    """The fact catalogue as indented text."""
    out = []
    for stage, cat in data.items():
        out.append(f"{stage} rules (stage: {stage}):")
        for kind, fields in cat.items():
            out.append(f"  {kind}")
            for name, f in fields.items():
                words = f": {' | '.join(f['values'])}" if f["values"] else ""
                out.append(f"    {name:<22} {f['type']}{words}")
    return "\n".join(out) + "\n"


def find_exercises(clinic: Clinic, target: str | None, tag: str | None, ladder: str | None) -> list[Any]:
    """The library's exercises by ladder and level, filtered.

    Raises:
        InputError: an unknown target, tag or ladder.
    """
    from engine.load.library import load_library
    from engine.load.resources import data_dir
    from engine.models.exercise import TAGS, TARGETS

    if target is not None and target not in TARGETS:
        raise InputError.at("--target", f"unknown target '{target}'", hint="one of: " + ", ".join(TARGETS))
    if tag is not None and tag not in TAGS:
        raise InputError.at("--tag", f"unknown tag '{tag}'", hint="one of: " + ", ".join(TAGS))
    lib = load_library(data_dir("exercises", clinic.exercises_dir))
    if ladder is not None and ladder not in lib.ladders:
        raise InputError.at("--ladder", f"unknown ladder '{ladder}'", hint="one of: " + ", ".join(sorted(lib.ladders)))
    return [
        e
        for lad in sorted(lib.ladders)
        for e in lib.ladder(lad)
        if (target is None or target in e.targets)
        and (tag is None or tag in e.tags)
        and (ladder is None or e.ladder == ladder)
    ]


def exercises_text(clinic: Clinic, chosen: list[Any], *, as_json: bool) -> str:
    """An exercise listing as text (grouped by ladder) or JSON."""
    from engine.load.library import load_library
    from engine.load.resources import data_dir

    if as_json:
        rows = [
            {
                "id": e.id,
                "name": e.name,
                "ladder": e.ladder,
                "level": e.level,
                "targets": list(e.targets),
                "tags": list(e.tags),
            }
            for e in chosen
        ]
        return json.dumps(rows, indent=2) + "\n"
    lib = load_library(data_dir("exercises", clinic.exercises_dir))
    lines, current = [], None
    for e in chosen:
        if e.ladder != current:
            current = e.ladder
            lines.append(f"{e.ladder}: {lib.ladders[e.ladder].name}")
        lines.append(f"  L{e.level:<2} {e.id:<32} {e.name}  [{', '.join(e.tags)}]")
    return "\n".join(lines) + ("\n" if lines else "no exercises match\n")


def show_exercise(clinic: Clinic, exercise_id: str, *, as_json: bool) -> str:
    """One exercise as text (steps, cues, doses, precautions, evidence) or JSON.

    Raises:
        InputError: no such exercise (with the closest id).
    """
    import difflib

    from engine.load.library import load_library
    from engine.load.resources import data_dir
    from engine.render.handout import dose_text

    lib = load_library(data_dir("exercises", clinic.exercises_dir))
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
    out += ["Doses (easiest first):"] + [f"  {i}. {dose_text(d.model_dump())}" for i, d in enumerate(ex.doses, 1)]
    if ex.precautions:
        out += ["Precautions:"] + [f"  - {p}" for p in ex.precautions]
    out += [f"Evidence: {', '.join(ex.evidence)}"]
    return "\n".join(out) + "\n"


def schema_models() -> dict[str, Any]:
    """Every exported schema's model by kind."""
    from engine.app.rule_testing import RuleTestFile
    from engine.models.assessment import Assessment
    from engine.models.exercise import Exercise, LadderFile, ReferenceFile
    from engine.models.feedback import Feedback, ReviewSettings
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
        "review": ReviewSettings,
        "template": Template,
        "plan": Plan,
    }


def schema_text(kind: str) -> str:
    """The JSON Schema of one format, deterministic, with ``$schema`` and ``$id``.

    Raises:
        InputError: unknown format.
    """
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


def schema_kinds(kind: str | None, out: Path | None, all_: bool) -> list[str]:
    """Which schemas ``rehab schema`` means: all (``--all``, or a folder and no kind) or one."""
    return list(schema_models()) if all_ or (kind is None and out is not None) else [kind or "assessment"]


def write_schemas(kinds: list[str], out: Path, *, force: bool = False) -> list[Path]:
    """Write ``<kind>.schema.json`` files into a folder; return the files written.

    Raises:
        OutputError: not a folder, or a file exists without ``force``.
        InputError: an unknown kind.
    """
    if not out.is_dir():
        raise OutputError.at(str(out), "is not a folder" if out.exists() else "folder does not exist")
    for k in kinds:
        check_target(out / f"{k}.schema.json", force=force)
    written = []
    for k in kinds:
        write_atomic(out / f"{k}.schema.json", schema_text(k))
        written.append(out / f"{k}.schema.json")
    return written
