"""HTML forms ↔ the strict models: field specs, decoding raw strings, errors beside their field.

Each field's ``name`` is the dotted path ``rehab validate`` prints (``findings.pelvic_drop.left_stance_deg``,
``pain[0].side``), so a diagnostic lands beside its input. Kinds and choices are read from the
models, so a new vocabulary word appears in the form without touching this file.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from engine.load.validation import unwrap
from engine.models.assessment import RED_FLAGS, Assessment, Pain
from engine.models.feedback import ExerciseFeedback, Feedback, RunningFeedback

INT_RE = re.compile(r"^[+-]?\d+$")
NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Field:
    """One input: its dotted name, label, kind (int, num, date, choice, bool, text, longtext), choices."""

    name: str
    label: str
    kind: str
    choices: tuple[str, ...] = ()
    required: bool = False
    hint: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Group:
    """Fields a clinician fills in together."""

    title: str
    fields: tuple[Field, ...]
    note: str = ""
    side_by_side: bool = False


def _annotation(model: type[BaseModel], path: str) -> tuple[Any, bool]:
    """The annotation of a dotted field path inside ``model`` and whether it is required."""
    tp: Any = model
    required = True
    for part in path.split("."):
        part = part.split("[")[0]
        m = next(c for c in unwrap(tp) if isinstance(c, type) and issubclass(c, BaseModel))
        info = m.model_fields[part]
        tp = info.annotation
        required = required and info.is_required()
        if typing.get_origin(tp) is list or any(typing.get_origin(c) is list for c in unwrap(tp)):
            tp = next(typing.get_args(c)[0] for c in unwrap(tp) if typing.get_origin(c) is list)
    return tp, required


def _kind(tp: Any) -> tuple[str, tuple[str, ...]]:
    parts = [t for t in unwrap(tp) if t is not type(None)]
    if any(typing.get_origin(t) is typing.Literal for t in parts):
        return "choice", tuple(str(v) for t in parts for v in typing.get_args(t))
    base = parts[0]
    return {int: "int", float: "num", bool: "bool", dt.date: "date"}.get(base, "text"), ()


def field(model: type[BaseModel], path: str, label: str, *, kind: str = "", hint: str = "", unit: str = "") -> Field:
    """A field whose kind, choices and requiredness come from the model."""
    tp, required = _annotation(model, path.replace("[]", ""))
    k, choices = _kind(tp)
    return Field(path, label, kind or k, choices, required, hint, unit)


def _range_hint(model: type[BaseModel], path: str) -> str:
    """'lo–hi' from the field's range marker (``Range(lo, hi)`` or ``ge``/``le``), else ''."""
    tp, _ = _annotation(model, path)
    for t in [tp, *typing.get_args(tp)]:
        for meta in getattr(t, "__metadata__", ()):
            lo = getattr(meta, "lo", getattr(meta, "ge", None))
            hi = getattr(meta, "hi", getattr(meta, "le", None))
            if lo is not None and hi is not None:
                # "-15–40" reads as a dash; a negative bound is written out: "−15 to 40"
                return f"{lo:g} to {hi:g}".replace("-", "−") if lo < 0 else f"{lo:g}–{hi:g}"
    return ""


def _f(path: str, label: str, unit: str = "", kind: str = "") -> Field:
    return field(Assessment, path, label, kind=kind, unit=unit, hint=_range_hint(Assessment, path))


def _sides(finding: str, title: str, note: str) -> Group:
    fields = []
    for side in ("left", "right"):
        fields.append(_f(f"findings.{finding}.{side}_stance_deg", f"{side.title()} stance: degrees", "°"))
        fields.append(_f(f"findings.{finding}.{side}_stance_grade", f"…or {side} stance grade"))
    return Group(title, tuple(fields), note, side_by_side=True)


ASSESSMENT_GROUPS: tuple[Group, ...] = (
    Group(
        "Client",
        (
            _f("client.name", "Name"),
            _f("client.id", "Client id"),
            _f("client.age", "Age", "years"),
            _f("client.sex", "Sex"),
            _f("client.weekly_km", "Running per week", "km"),
            _f("client.weekly_km_change_pct", "Change in weekly distance, last 4 weeks", "%"),
            _f("client.goal", "Goal"),
        ),
    ),
    Group(
        "Visit",
        (
            _f("assessed_on", "Assessed on"),
            _f("clinician.name", "Clinician"),
            _f("clinician.clinic", "Clinic"),
        ),
    ),
    _sides(
        "pelvic_drop",
        "Contralateral pelvic drop (frontal video, midstance)",
        "Standing on the LEFT leg, the right side of the pelvis drops. Degrees or a grade per side, not both.",
    ),
    _sides(
        "trunk_lean",
        "Lateral trunk lean toward the stance side",
        "Degrees or a grade per side, not both.",
    ),
    Group(
        "Step width, cadence, forward lean",
        (
            _f("findings.step_width.cm", "Step width", "cm"),
            _f("findings.step_width.crossover", "Crossover (a foot lands across the midline)"),
            _f("findings.cadence_spm", "Cadence", "steps/min"),
            _f("findings.forward_trunk_lean_deg", "Forward trunk lean", "°"),
        ),
        "Leave a field empty when it was not assessed (not the same as normal).",
    ),
    Group(
        "Single-leg squat",
        (_f("findings.single_leg_squat.left", "Left"), _f("findings.single_leg_squat.right", "Right")),
        side_by_side=True,
    ),
)

PAIN_FIELDS: tuple[Field, ...] = tuple(
    field(Pain, name, label, hint=_range_hint(Pain, name))
    for name, label in (
        ("region", "Region"),
        ("side", "Side"),
        ("nrs_rest", "Pain at rest (0–10)"),
        ("nrs_activity", "Worst pain running (0–10)"),
        ("weeks", "For how many weeks"),
        ("diagnosis", "Working diagnosis"),
        ("radicular", "Radicular (leg symptoms from the spine)"),
        ("settles_hours", "Settles within (hours)"),
        ("night_pain", "Night pain"),
        ("irritability", "Irritability (your grade; overrides the derived one)"),
        ("bone_site", "Bone site (suspected bone stress)"),
    )
)
NOTES = _f("notes", "Notes", kind="longtext")


IMPORT_OPTION_FIELDS: dict[str, str] = {
    "import.units": "--units",
    "import.trunk": "--trunk",
    "import.heel_markers": "--heel-markers",
    "import.map": "--map",
    "import.date": "--date",
}
"""The upload form's fields for ``rehab import``'s options, and the option each one is."""


def import_options(fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``ImportOptions`` fields from the upload form (empty = the CLI's default), and errors by field."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    units = fields.get("import.units", "").strip()
    if units:
        out["units"] = units
    trunk = fields.get("import.trunk", "").strip()
    if trunk:
        out["trunk"] = trunk
    heels = fields.get("import.heel_markers", "").strip()
    if heels:
        parts = [p.strip() for p in heels.split(",")]
        if len(parts) != 2 or not all(parts):
            errors["import.heel_markers"] = "give two marker names: RIGHT,LEFT"
        else:
            out["heel_markers"] = (parts[0], parts[1])
    mapping = [line.strip() for line in fields.get("import.map", "").splitlines() if line.strip()]
    if mapping:
        out["mapping"] = tuple(mapping)
    day = fields.get("import.date", "").strip()
    if day:
        try:
            out["assessed_on"] = dt.date.fromisoformat(day)
        except ValueError:
            errors["import.date"] = f"must be a date written like 2026-11-20 (got '{day}')"
    return out, errors


IMPORT_ONLY = frozenset({"source", "to_complete"})
NO_PAIN = "to_complete.no_pain"
"""Completing a gait import: the checkbox that says the pain history was asked and there is none."""
"""Written by ``rehab import`` (gait tools), not typed by a clinician: the form leaves them out."""


def every_assessment_leaf() -> set[str]:
    """Every leaf field of the assessment model (a test checks that the form asks each one)."""
    out: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            if not prefix and name in IMPORT_ONLY:
                continue
            models = [c for c in unwrap(info.annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
            lists = [c for c in unwrap(info.annotation) if typing.get_origin(c) is list]
            if models:
                walk(models[0], f"{prefix}{name}.")
            elif (
                lists
                and isinstance(typing.get_args(lists[0])[0], type)
                and issubclass(typing.get_args(lists[0])[0], BaseModel)
            ):
                walk(typing.get_args(lists[0])[0], f"{prefix}{name}[].")
            else:
                out.add(prefix + name)

    walk(Assessment, "")
    return out


def assessment_form_names() -> set[str]:
    """Every model path the assessment form asks."""
    names = {f.name for g in ASSESSMENT_GROUPS for f in g.fields}
    names |= {f"pain[].{f.name}" for f in PAIN_FIELDS} | {"red_flags", "notes", "version"}
    return names


# ---- decoding ----------------------------------------------------------------------------------------


class FormData:
    """Raw form values (every value a string; repeated keys kept)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = [(k, v) for k, v in items]
        self.map: dict[str, str] = {}
        for k, v in self.items:
            self.map[k] = v

    def get(self, name: str) -> str:
        """The value as typed, stripped ('' when absent)."""
        return self.map.get(name, "").strip()


def _set(out: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = out
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def decode_value(f: Field, raw: str) -> tuple[Any, str | None]:
    """A typed value from the typed text as YAML would give it, or an error in the CLI's words."""
    if f.kind == "int":
        if INT_RE.match(raw):
            return int(raw), None
        if NUM_RE.match(raw):
            return float(raw), None  # the model says 'must be a whole number (got 2.5)'
        return None, f"must be a whole number (got '{raw}')"
    if f.kind == "num":
        if INT_RE.match(raw):
            return int(raw), None
        if NUM_RE.match(raw.replace(",", ".")):
            return float(raw.replace(",", ".")), None
        return None, f"must be a number (got '{raw}')"
    if f.kind == "date":
        try:
            return dt.date.fromisoformat(raw), None
        except ValueError:
            return None, f"must be a date written like 2026-11-20 (got '{raw}')"
    if f.kind == "bool":
        if raw in (YES, NO):
            return raw == YES, None
        return None, "answer yes or no"
    if f.kind == "choice":
        return raw, None  # the model names the allowed words when it is not one
    return raw, None


def pain_rows(form: FormData) -> list[int]:
    """Row numbers of the pain entries present in the form, in order."""
    rows = sorted({int(m.group(1)) for k in form.map if (m := re.match(r"^pain\[(\d{1,2})\]\.", k))})
    return rows


def decode_assessment(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The nested dict an assessment YAML file gives, and decoding errors by field name."""
    out: dict[str, Any] = {"version": 1}
    errors: dict[str, str] = {}
    for g in ASSESSMENT_GROUPS:
        for f in g.fields:
            raw = form.get(f.name)
            if raw == "":
                continue
            value, err = decode_value(f, raw)
            if err:
                errors[f.name] = err
            else:
                _set(out, f.name, value)
    pains = []
    for new_i, row in enumerate(pain_rows(form)):
        entry: dict[str, Any] = {}
        for f in PAIN_FIELDS:
            raw = form.get(f"pain[{row}].{f.name}")
            if raw == "":
                continue
            value, err = decode_value(f, raw)
            if err:
                errors[f"pain[{new_i}].{f.name}"] = err
            else:
                entry[f.name] = value
        pains.append(entry)
    if pains:
        out["pain"] = pains
    flags = []
    for flag in RED_FLAGS:
        answer = form.get(f"red_flags.{flag}")
        if answer == YES:
            flags.append(flag)
        elif answer != NO:
            errors[f"red_flags.{flag}"] = "answer yes or no"
    out["red_flags"] = flags
    notes = form.map.get("notes", "").strip()
    if notes:
        out["notes"] = notes
    return out, errors


def renumber_pain(form: FormData) -> FormData:
    """Pain rows numbered 0..n-1 (after a row was removed), so errors and inputs line up."""
    mapping = {row: i for i, row in enumerate(pain_rows(form))}
    items = []
    for k, v in form.items:
        m = re.match(r"^pain\[(\d{1,2})\]\.(.*)$", k)
        items.append((f"pain[{mapping[int(m.group(1))]}].{m.group(2)}", v) if m else (k, v))
    return FormData(items)


def values_from_assessment(data: dict[str, Any]) -> dict[str, str]:
    """Form values (strings) from an assessment dict (to prefill a form from a saved file)."""
    out: dict[str, str] = {}

    def text(v: Any) -> str:
        if isinstance(v, bool):
            return YES if v else NO
        if isinstance(v, float) and v.is_integer():
            return f"{v:.1f}"
        return str(v)

    def walk(node: Any, prefix: str) -> None:
        for k, v in node.items():
            name = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(v, name + ".")
            elif k == "pain" and isinstance(v, list):
                for i, p in enumerate(v):
                    walk(p, f"pain[{i}].")
            elif k == "red_flags" and isinstance(v, list):
                for flag in RED_FLAGS:
                    out[f"red_flags.{flag}"] = YES if flag in v else NO
            else:
                out[name] = text(v)

    walk(data, "")
    return out


# ---- feedback -----------------------------------------------------------------------------------------

FEEDBACK_EXERCISE_FIELDS: tuple[Field, ...] = tuple(
    field(ExerciseFeedback, name, label, hint=_range_hint(ExerciseFeedback, name))
    for name, label in (
        ("completed", "Did all the sets"),
        ("pain_during", "Pain during (0–10)"),
        ("pain_next_morning", "Pain next morning (0–10)"),
        ("control", "Control"),
    )
)
RUNNING_FIELDS: tuple[Field, ...] = tuple(
    field(RunningFeedback, name, label, hint=_range_hint(RunningFeedback, name))
    for name, label in (
        ("pain_during", "Running: pain during (0–10)"),
        ("pain_next_morning", "Running: pain next morning (0–10)"),
        ("walk_run_stage", "Walk-run: highest stage done twice without a flare"),
    )
)
WALK_RUN_STAGE = "walk_run_stage"
"""Asked only when the plan under review is on the walk-run plan (the next plan goes on from it)."""
REPORTED_ON = field(Feedback, "reported_on", "Review date")
SPREADING = field(Feedback, "spreading_leg_symptoms", "Leg symptoms spread further down the leg")


def decode_feedback(form: FormData, rows: list[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Feedback as the YAML file would give it; ``rows`` are the plan's (id, side) pairs in order."""
    out: dict[str, Any] = {"version": 1}
    errors: dict[str, str] = {}
    raw = form.get("reported_on")
    if raw:
        value, err = decode_value(REPORTED_ON, raw)
        if err:
            errors["reported_on"] = err
        else:
            out["reported_on"] = value
    entries = []
    for i, (ex_id, side) in enumerate(rows):
        entry: dict[str, Any] = {"id": ex_id, "side": side}
        for f in FEEDBACK_EXERCISE_FIELDS:
            raw = form.get(f"exercises[{i}].{f.name}")
            if raw == "":
                continue
            value, err = decode_value(f, raw)
            if err:
                errors[f"exercises[{i}].{f.name}"] = err
            else:
                entry[f.name] = value
        entries.append(entry)
    out["exercises"] = entries
    running: dict[str, Any] = {}
    for f in RUNNING_FIELDS:
        raw = form.get(f"running.{f.name}")
        if raw == "":
            continue
        value, err = decode_value(f, raw)
        if err:
            errors[f"running.{f.name}"] = err
        else:
            running[f.name] = value
    if running:
        out["running"] = running
    flags = []
    for flag in RED_FLAGS:
        answer = form.get(f"new_red_flags.{flag}")
        if answer == YES:
            flags.append(flag)
        elif answer != NO:
            errors[f"new_red_flags.{flag}"] = "answer yes or no"
    out["new_red_flags"] = flags
    spreading = form.get("spreading_leg_symptoms")
    if spreading in (YES, NO):
        out["spreading_leg_symptoms"] = spreading == YES
    elif spreading:
        errors["spreading_leg_symptoms"] = "answer yes or no"
    return out, errors


OVERRIDE_KINDS = ("swap", "dose", "remove", "add")
OVERRIDE_ROWS = 2
OVERRIDE_SIDES = ("both", "left", "right")


def decode_overrides(form: FormData) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The overrides file (``rehab progress --overrides``) the rows give, or None when no row is used."""
    items = []
    errors: dict[str, str] = {}
    for i in range(OVERRIDE_ROWS):
        kind = form.get(f"ov[{i}].kind")
        if not kind:
            continue
        if kind not in OVERRIDE_KINDS:
            errors[f"ov[{i}].kind"] = f"'{kind}' is not allowed; use one of: {', '.join(OVERRIDE_KINDS)}"
            continue
        body: dict[str, Any] = {}
        keys = OVERRIDE_KEYS[kind]
        for key in ("exercise", "side", "with", "reason", "despite_exclusion"):
            raw = form.get(f"ov[{i}].{key}")
            if raw and key in keys:
                body[key] = raw
        raw = form.get(f"ov[{i}].step")
        if raw and "step" in keys:
            if INT_RE.match(raw):
                body["step"] = int(raw)
            else:
                errors[f"ov[{i}].step"] = f"must be a whole number (got '{raw}')"
        items.append({kind: body})
    if not items:
        return None, errors
    return {"version": 1, "overrides": items}, errors


OVERRIDE_KEYS: dict[str, tuple[str, ...]] = {
    "swap": ("exercise", "side", "with", "step", "reason", "despite_exclusion"),
    "dose": ("exercise", "side", "step", "reason"),
    "remove": ("exercise", "side", "reason"),
    "add": ("exercise", "side", "step", "reason", "despite_exclusion"),
}
"""The fields each kind of override reads (the row shows them all; the others are ignored)."""


def review_errors(diagnostics: Any) -> tuple[dict[str, str], list[str]]:
    """``rehab progress`` diagnostics as errors beside review-form fields, and the rest as problems."""
    errors: dict[str, str] = {}
    problems: list[str] = []
    feedback_field = re.compile(r"^(reported_on|spreading_leg_symptoms|running\.\w+|exercises\[\d+\]\.\w+)$")
    for d in diagnostics:
        msg = d.message + (f" ({d.hint})" if d.hint else "")
        path = d.path or ""
        if feedback_field.match(path):
            errors[path] = f"{errors[path]}; {msg}" if path in errors else msg
        elif path.startswith("overrides["):
            errors.update(override_errors(types.SimpleNamespace(diagnostics=[d])))
        else:
            problems.append(msg)
    return errors, problems


def override_errors(exc: Any) -> dict[str, str]:
    """Override diagnostics by form field (``overrides[0].swap.reason`` → ``ov[0].reason``)."""
    out: dict[str, str] = {}
    for d in exc.diagnostics:
        m = re.match(r"^overrides\[(\d+)\](?:\.(?:swap|dose|remove|add))?(?:\.(\w+))?", d.path)
        key = f"ov[{m.group(1)}].{m.group(2) or 'kind'}" if m else "ov"
        msg = d.message + (f" ({d.hint})" if d.hint else "")
        out[key] = f"{out[key]}; {msg}" if key in out else msg
    return out


def field_errors(exc: Any) -> dict[str, str]:
    """Diagnostics of a SchemaError by dotted path (the CLI's wording, hints appended)."""
    out: dict[str, str] = {}
    for d in exc.diagnostics:
        msg = d.message + (f" ({d.hint})" if d.hint else "")
        out[d.path] = f"{out[d.path]}; {msg}" if d.path in out else msg
    return out
