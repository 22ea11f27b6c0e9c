"""``rehab assess``: enter an assessment question by question in the terminal.

The questions follow clinical order: client, date, clinician, findings (left and right stance side
by side), pain, then every red flag asked explicitly, then notes. Each answer is read as YAML would
read it in the file (``34`` is a number, ``no`` is a word, ``2026-11-20`` is a date) and checked by
the real models through :func:`engine.load.validation.validate`, so a rejected answer is re-asked with
exactly the message ``rehab validate`` would print for the same value in a file.

Answers come one per line from standard input, so the command is scriptable. Prompts and messages
go to standard error; standard output only ever carries the finished YAML (without ``-o``).
Nothing is written before the final "Save?": Ctrl-C or the end of the input leaves no file behind.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.app.output import check_target, write_atomic
from engine.errors import InputError, SchemaError
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.assessment import (
    DIAGNOSES,
    RED_FLAGS,
    REGIONS,
    Assessment,
    Client,
    Clinician,
    Findings,
    Pain,
    SingleLegSquat,
    StanceAngles,
    StepWidth,
)

SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/assessment.schema.json"
CANCELLED = 130
"""Exit code after Ctrl-C or a declined save (nothing written)."""

RED_FLAG_QUESTIONS: dict[str, str] = {
    "saddle_anaesthesia": "Saddle numbness (numbness around the back passage/genitals)",
    "bladder_bowel_change": "New change in bladder or bowel control (retention, incontinence)",
    "progressive_neuro_deficit": "Worsening weakness or numbness in the leg(s)",
    "bilateral_leg_neuro_symptoms": "Pins and needles, numbness or weakness in BOTH legs",
    "unexplained_weight_loss": "Weight loss without a reason",
    "cancer_history": "Any history of cancer",
    "fever_or_unwell": "Fever, night sweats or feeling generally unwell",
    "night_pain_unrelenting": "Constant pain at night that no position eases",
    "significant_trauma": "A significant fall, accident or blow",
    "suspected_bone_stress_injury": (
        "Suspected bone stress injury (focal bone tenderness, pain on hopping, worse with each run)"
    ),
}
"""Plain clinical words for every red flag; each one is asked, none may be skipped."""

GRADE_WORDS = "none/mild/moderate/marked"
_YES = {"y", "yes", "true"}
_NO = {"n", "no", "false"}


class InputEnded(Exception):
    """Standard input ended before every question was answered."""


# --------------------------------------------------------------------------- input and output


def _say(text: str) -> None:
    """Write a line of conversation to standard error (stdout is kept for the YAML)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _read_line(prompt: str) -> str:
    """Show ``prompt`` and read one answer line (stripped).

    Raises:
        InputEnded: standard input is at its end.
    """
    sys.stderr.write(f"{prompt}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if line == "":
        _say("")
        raise InputEnded(prompt)
    if not sys.stdin.isatty():
        _say(line.rstrip("\r\n"))  # piped answers: keep the transcript readable
    return line.strip()


def _as_yaml_value(raw: str) -> Any:
    """Read an answer as the same word in a YAML file would be read (number, date, word...)."""
    try:
        data, _ = yamlio.parse(f"value: {raw}\n", "<answer>")
    except InputError:
        return raw
    if not isinstance(data, dict) or "value" not in data or data["value"] is None:
        return raw
    return data["value"]


def problem(model: type[BaseModel], data: dict[str, Any], path: str, *, context: Any = None) -> str | None:
    """Return the validator's message for ``path`` in ``data`` (``None`` if it is valid).

    ``data`` may be partial: problems elsewhere (such as required keys not asked yet) are ignored,
    so the message is exactly the one ``rehab validate`` gives for that value in a file.
    """
    try:
        validate(model, data, yamlio.LocationIndex("<answer>"), context=context)
    except SchemaError as exc:
        for diag in exc.diagnostics:
            if diag.path == path:
                return diag.message + (f" ({diag.hint})" if diag.hint else "")
    return None


def ask_value(
    prompt: str,
    model: type[BaseModel],
    name: str,
    *,
    label: str,
    text: bool = False,
    required: bool = False,
    default: str | None = None,
    context: Any = None,
) -> Any:
    """Ask for one field of ``model`` until the model accepts it; blank skips optional fields.

    Args:
        prompt: the question.
        model: the model that owns the field.
        name: the field name in ``model``.
        label: the field's dotted path in the assessment, shown with a rejected answer.
        text: keep the answer as typed (free text) instead of reading it as a YAML value.
        required: a blank answer is not accepted.
        default: used for a blank answer (shown in brackets).
        context: validation context (e.g. ``today``).
    """
    shown = f"{prompt} [{default}]" if default else prompt
    while True:
        raw = _read_line(shown) or (default or "")
        if raw == "" and not required:
            return None
        value = raw if text else _as_yaml_value(raw)
        message = problem(model, {name: value}, name, context=context)
        if message is None:
            return value
        _say(f"  ! {label}: {message}")


def ask_yes_no(prompt: str, *, optional: bool = False) -> bool | None:
    """Ask a y/n question; blank is accepted (as ``None``) only when ``optional``."""
    hint = "y/n, blank = not assessed" if optional else "y/n"
    while True:
        raw = _read_line(f"{prompt} [{hint}]").lower()
        if raw in _YES:
            return True
        if raw in _NO:
            return False
        if raw == "" and optional:
            return None
        _say(f"  ! answer y or n (got {raw!r})")


# --------------------------------------------------------------------------- the questions


def ask_client() -> dict[str, Any]:
    """Ask who was assessed."""
    _say("-- Client --")
    out: dict[str, Any] = {}
    out["name"] = ask_value("Client name", Client, "name", label="client.name", text=True, required=True)
    out["id"] = ask_value("Client id (blank = none)", Client, "id", label="client.id", text=True)
    out["age"] = ask_value("Age in years (10..100, blank = not recorded)", Client, "age", label="client.age")
    out["sex"] = ask_value(
        "Sex (female/male/other/unspecified, blank = not recorded)", Client, "sex", label="client.sex"
    )
    out["weekly_km"] = ask_value(
        "Weekly running km (blank = not recorded)", Client, "weekly_km", label="client.weekly_km"
    )
    out["goal"] = ask_value("Goal (blank = none)", Client, "goal", label="client.goal", text=True)
    return _drop_empty(out)


def ask_date(today: dt.date) -> dt.date:
    """Ask the assessment date (default today; not in the future)."""
    value: dt.date = ask_value(
        "Assessed on (YYYY-MM-DD)",
        Assessment,
        "assessed_on",
        label="assessed_on",
        required=True,
        default=today.isoformat(),
        context={"today": today},
    )
    return value


def ask_clinician() -> dict[str, Any]:
    """Ask who assessed, and where (both optional)."""
    _say("-- Clinician --")
    out = {
        "name": ask_value("Clinician name (blank = none)", Clinician, "name", label="clinician.name", text=True),
        "clinic": ask_value("Clinic (blank = none)", Clinician, "clinic", label="clinician.clinic", text=True),
    }
    return _drop_empty(out)


def _clean_angle(raw: str) -> str:
    """Allow '8.5°' or '8.5 deg' for degrees."""
    text = raw.strip()
    for suffix in ("°", "degrees", "deg"):
        if text.lower().endswith(suffix):
            return text[: -len(suffix)].strip()
    return text


def ask_stance(what: str, key: str, side: str) -> dict[str, Any]:
    """Ask one stance side of a frontal-plane angle, as degrees (0..30) or a grade."""
    prompt = f"{what}, {side.upper()} stance: degrees or grade ({GRADE_WORDS}), blank = not assessed"
    while True:
        raw = _clean_angle(_read_line(prompt))
        if raw == "":
            return {}
        value = _as_yaml_value(raw)
        name = f"{side}_stance_grade" if isinstance(value, str) else f"{side}_stance_deg"
        message = problem(StanceAngles, {name: value}, name)
        if message is None:
            return {name: value}
        _say(f"  ! findings.{key}.{name}: {message}")


def ask_findings() -> dict[str, Any]:
    """Ask the gait and movement findings; blank answers mean 'not assessed'."""
    _say("-- Findings (blank = not assessed, which is not the same as normal) --")
    out: dict[str, Any] = {}
    for key, what in (("pelvic_drop", "Contralateral pelvic drop"), ("trunk_lean", "Lateral trunk lean")):
        out[key] = {**ask_stance(what, key, "left"), **ask_stance(what, key, "right")}
    out["step_width"] = _drop_empty(
        {
            "cm": ask_value(
                "Step width in cm (-15..40; below 0 = feet cross the midline)",
                StepWidth,
                "cm",
                label="findings.step_width.cm",
            ),
            "crossover": ask_yes_no("Crossover (a foot lands across the midline)?", optional=True),
        }
    )
    out["cadence_spm"] = ask_value(
        "Cadence, steps per minute (120..230)", Findings, "cadence_spm", label="findings.cadence_spm"
    )
    out["forward_trunk_lean_deg"] = ask_value(
        "Forward trunk lean in degrees (0..45)",
        Findings,
        "forward_trunk_lean_deg",
        label="findings.forward_trunk_lean_deg",
    )
    out["single_leg_squat"] = _drop_empty(
        {
            side: ask_value(
                f"Single-leg squat {side.upper()} (good/fair/poor)",
                SingleLegSquat,
                side,
                label=f"findings.single_leg_squat.{side}",
            )
            for side in ("left", "right")
        }
    )
    return _drop_empty(out)


def ask_pain_entry(n: int) -> dict[str, Any]:
    """Ask one painful area (entry number ``n``, from 0)."""

    def label(name: str) -> str:
        return f"pain[{n}].{name}"

    entry: dict[str, Any] = {
        "region": ask_value(f"Region ({', '.join(REGIONS)})", Pain, "region", label=label("region"), required=True),
        "side": ask_value("Side (left/right/both/central)", Pain, "side", label=label("side"), required=True),
        "nrs_rest": ask_value("Pain at rest, NRS 0..10", Pain, "nrs_rest", label=label("nrs_rest"), required=True),
        "nrs_activity": ask_value(
            "Worst pain during running, NRS 0..10", Pain, "nrs_activity", label=label("nrs_activity"), required=True
        ),
        "weeks": ask_value("How long, in weeks", Pain, "weeks", label=label("weeks"), required=True),
        "diagnosis": ask_value(
            f"Working diagnosis ({', '.join(DIAGNOSES)}; blank = none)", Pain, "diagnosis", label=label("diagnosis")
        ),
        "radicular": ask_yes_no(
            "Radicular: leg symptoms from the spine (below-knee pain, pins and needles, numbness)?"
        ),
    }
    return _drop_empty(entry)


def ask_pain() -> list[dict[str, Any]]:
    """Ask painful areas until the clinician says there are no more."""
    _say("-- Pain --")
    entries: list[dict[str, Any]] = []
    question = "Add a painful area?"
    while ask_yes_no(question):
        entries.append(ask_pain_entry(len(entries)))
        question = "Add another painful area?"
    return entries


def ask_red_flags() -> tuple[list[str], list[str]]:
    """Ask EVERY red flag of the vocabulary explicitly; return (present, asked and absent)."""
    _say("-- Red flags (every one must be asked) --")
    present: list[str] = []
    absent: list[str] = []
    for flag in RED_FLAGS:
        words = RED_FLAG_QUESTIONS.get(flag, flag.replace("_", " ").capitalize())
        (present if ask_yes_no(f"{words}?") else absent).append(flag)
    return present, absent


# --------------------------------------------------------------------------- the YAML file


@dataclass
class Answers:
    """Everything entered, in file order."""

    client: dict[str, Any]
    assessed_on: dt.date
    clinician: dict[str, Any]
    findings: dict[str, Any]
    pain: list[dict[str, Any]]
    red_flags: list[str]
    flags_absent: list[str] = field(default_factory=list)
    notes: str | None = None

    def data(self) -> dict[str, Any]:
        """Return the assessment as plain data."""
        out: dict[str, Any] = {"version": 1, "client": self.client, "assessed_on": self.assessed_on}
        if self.clinician:
            out["clinician"] = self.clinician
        out.update(findings=self.findings, pain=self.pain, red_flags=self.red_flags)
        if self.notes is not None:
            out["notes"] = self.notes
        return out


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    """Leave out unanswered (``None``) and empty entries."""
    return {k: v for k, v in d.items() if v is not None and v != {}}


_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def scalar(value: Any) -> str:
    """Render one value as a YAML scalar that reads back as exactly the same value.

    Strings stay plain when that is safe (also for YAML 1.1 editors), otherwise they are
    double-quoted; the result is checked with the real loader.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | dt.date):
        return value.isoformat() if isinstance(value, dt.date) else repr(value)
    text = str(value)
    if text.lower() not in _YAML11_WORDS and _reads_back(text, text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted if _reads_back(quoted, text) else json.dumps(text)


def _reads_back(rendered: str, value: str) -> bool:
    try:
        data, _ = yamlio.parse(f"k: {rendered}\n", "<scalar>")
    except InputError:
        return False
    return isinstance(data, dict) and data.get("k") == value and isinstance(data["k"], str)


def _line(indent: int, key: str, value: Any, comment: str = "") -> str:
    text = f"{' ' * indent}{key}: {scalar(value)}"
    return f"{text:<34} # {comment}" if comment else text


_COMMENTS: dict[str, str] = {
    "age": "years, 10..100",
    "sex": "female | male | other | unspecified",
    "weekly_km": "current weekly running km",
    "left_stance_deg": "degrees standing on the LEFT leg, 0..30",
    "right_stance_deg": "degrees standing on the RIGHT leg, 0..30",
    "left_stance_grade": f"standing on the LEFT leg: {GRADE_WORDS.replace('/', ' | ')}",
    "right_stance_grade": f"standing on the RIGHT leg: {GRADE_WORDS.replace('/', ' | ')}",
    "cm": "heel-centre to heel-centre, -15..40; < 0 = feet cross the midline",
    "crossover": "a foot lands across the midline",
    "cadence_spm": "steps per minute, 120..230",
    "forward_trunk_lean_deg": "sagittal trunk lean, 0..45",
    "nrs_rest": "pain at rest, 0..10",
    "nrs_activity": "worst pain during running, 0..10",
    "weeks": "how long",
    "radicular": "leg symptoms from the spine",
}
_SECTION_COMMENTS = {
    "pelvic_drop": "contralateral pelvic drop at midstance",
    "trunk_lean": "lateral trunk lean toward the stance side at midstance",
    "step_width": "posterior view, at contact",
    "single_leg_squat": "movement quality: good | fair | poor",
}


def _mapping(d: dict[str, Any], indent: int) -> list[str]:
    """Render a (nested) mapping with a short comment on each known key."""
    lines: list[str] = []
    for key, value in d.items():
        if isinstance(value, dict):
            head = f"{' ' * indent}{key}:"
            note = _SECTION_COMMENTS.get(key)
            lines.append(f"{head:<34} # {note}" if note else head)
            lines += _mapping(value, indent + 2)
        else:
            lines.append(_line(indent, key, value, _COMMENTS.get(key, "")))
    return lines


def _pain_lines(pain: list[dict[str, Any]]) -> list[str]:
    if not pain:
        return ["pain: []                           # no painful area reported"]
    lines = ["pain:"]
    for entry in pain:
        body = _mapping(entry, 4)
        lines += ["  - " + body[0].lstrip(), *body[1:]]
    return lines


def _flag_lines(present: list[str], absent: list[str]) -> list[str]:
    lines = []
    if absent:
        words = textwrap.wrap("asked and answered no: " + ", ".join(absent), 96)
        lines += [f"# {w}" for w in words]
    if not present:
        return [*lines, "red_flags: []                      # none of the red flags present"]
    lines.append("red_flags:                         # present: the plan will refer on")
    lines += [f"  - {flag}" for flag in present]
    return lines


def render_yaml(a: Answers, *, entered_on: dt.date) -> str:
    """Return the commented assessment YAML for ``a``."""
    lines = [
        SCHEMA_LINE,
        f"# Runner assessment (YAML, version 1), entered with `rehab assess` on {entered_on}.",
        "# Check it with `rehab validate FILE`; make the plan with `rehab plan FILE`.",
        "version: 1",
        "",
        "# Client",
        "client:",
        *_mapping(a.client, 2),
        _line(0, "assessed_on", a.assessed_on, "ISO date, not in the future"),
    ]
    if a.clinician:
        lines += ["", "# Clinician", "clinician:", *_mapping(a.clinician, 2)]
    lines += ["", "# Findings: a key that is absent was not assessed (not the same as normal)"]
    if a.findings:
        lines += ["findings:", *_mapping(a.findings, 2)]
    else:
        lines.append("findings: {}                       # nothing assessed")
    lines += ["", "# Pain", *_pain_lines(a.pain)]
    lines += ["", "# Red flags (every one was asked)", *_flag_lines(a.red_flags, a.flags_absent)]
    if a.notes is not None:
        lines += ["", _line(0, "notes", a.notes)]
    return "\n".join(lines) + "\n"


def check_yaml(text: str, name: str) -> Assessment:
    """Load the rendered text back through the real loader and model (a safety net).

    Raises:
        InputError: the generated file would not validate (a bug).
    """
    data, index = yamlio.parse(text, name)
    return validate(Assessment, data, index)


# --------------------------------------------------------------------------- the command


def interview(today: dt.date) -> Answers:
    """Ask every question in clinical order and return the answers."""
    client = ask_client()
    assessed_on = ask_date(today)
    clinician = ask_clinician()
    findings = ask_findings()
    pain = ask_pain()
    present, absent = ask_red_flags()
    _say("-- Notes --")
    notes = ask_value("Notes (blank = none)", Assessment, "notes", label="notes", text=True)
    return Answers(client, assessed_on, clinician, findings, pain, present, absent, notes)


def _target(output: Path | None) -> Path:
    return output if output is not None else Path("-")


def run_assess(output: Path | None, *, force: bool) -> int:
    """Run the guided entry; write the YAML to ``output`` (stdout when ``None``).

    Returns:
        0 when saved; 130 when cancelled (Ctrl-C or "no" to Save?), nothing written.

    Raises:
        InputError: standard input ended before the last question (exit 2), nothing written.
        OutputError: ``output`` cannot be written or exists without ``force``.
    """
    target = _target(output)
    check_target(target, force=force)
    today = dt.date.today()
    try:
        answers = interview(today)
        text = render_yaml(answers, entered_on=today)
        check_yaml(text, str(target))
        _say("-- Summary --")
        _say(text.rstrip("\n"))
        if not ask_yes_no(f"Save to {output}?" if output else "Save (print to stdout)?"):
            _say("not saved, nothing written")
            return CANCELLED
    except KeyboardInterrupt:
        _say("\ncancelled, nothing written")
        return CANCELLED
    except InputEnded as exc:
        raise InputError.at(
            "<stdin>", f"the input ended before every question was answered (at: {exc}); nothing written"
        ) from None
    check_target(target, force=force)
    write_atomic(target, text)
    if output is not None:
        _say(f"wrote {output}")
    return 0
