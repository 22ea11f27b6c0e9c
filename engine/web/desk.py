"""What the desk does, as plain functions over the clinic folder and the engine (routes only render).

Every engine call goes through ``core.Engine`` (the CLI's functions); every file goes through
``store`` (safe names, lock, atomic writes, new revision instead of overwrite).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import EngineError, SchemaError
from engine.web import forms
from engine.web.core import Engine
from engine.web.store import Client, Clinic, NotFound, safe_child

EDITABLE_SUFFIXES = (".yaml",)


@dataclass
class FormState:
    """A form as shown: the values typed, errors by field name, and other problems."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pain_rows: int = 0
    imported: dict[str, Any] | None = None
    """Set while the form completes a gait import: tool, files, what is left to ask, warnings."""


@dataclass
class Outcome:
    """The result of saving a form: the number of the visit written, or the form to show again."""

    number: int | None = None
    form: FormState | None = None


def upload_name(raw: str, fallback: str) -> str:
    """A browser's file name as a plain base name (no folders, no leading dot); never used as a path."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:64]
    return base or fallback


def _stage_lines(running: tuple[str, list[str]] | None) -> list[str]:
    """The handout's 'Stage N: …' lines, in order."""
    return [line for line in (running[1] if running else []) if line.startswith("Stage ")]


class Desk:
    """The clinic desk: clients, visits, plans, reviews and the rules editor."""

    def __init__(self, clinic: Path, engine: Engine) -> None:
        self.clinic = Clinic(clinic)
        self.engine = engine

    # ---- clients -----------------------------------------------------------------------------------

    def clients(self, query: str = "") -> list[dict[str, Any]]:
        """Clients whose name or id contains the query, with their latest plan's status."""
        q = query.casefold().strip()
        out = []
        for c in self.clinic.clients():
            info = c.info()
            name, cid = str(info.get("name", c.folder)), str(info.get("id", ""))
            if q and q not in name.casefold() and q not in cid.casefold() and q not in c.folder.casefold():
                continue
            latest = self.latest_plan(c)
            out.append({"folder": c.folder, "name": name, "id": cid, "latest": latest})
        return out

    def client(self, folder: str) -> Client:
        """A client by folder (NotFound otherwise)."""
        return self.clinic.client(folder)

    def create_client(self, name: str, client_id: str) -> tuple[Client | None, dict[str, str]]:
        """Make a client folder; errors by field when the name is empty."""
        name, client_id = name.strip(), client_id.strip()
        errors = {}
        if not name:
            errors["client.name"] = "is required but missing"
        if len(name) > 2000 or len(client_id) > 2000:
            errors["client.name"] = "is too long"
        if errors:
            return None, errors
        with self.clinic.lock():
            return self.clinic.new_client(name, client_id or None, self.engine.dump_yaml), {}

    def latest_plan(self, c: Client) -> dict[str, Any] | None:
        """Status and counts of the client's newest plan."""
        numbers = c.plans()
        if not numbers:
            return None
        try:
            data = json.loads(c.file(numbers[-1], "plan").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return {
            "number": numbers[-1],
            "status": data.get("status"),
            "referrals": data.get("referrals", []),
            "date": data.get("assessed_on"),
        }

    def timeline(self, c: Client) -> list[dict[str, Any]]:
        """Every visit in order: its files, plan status and (from ``rehab history``) what changed."""
        history = {row["file"]: row for row in self.engine.history(c.path)}
        visits: dict[int, dict[str, Any]] = {}
        for e in c.entries():
            v = visits.setdefault(e.number, {"number": e.number, "files": {}, "plan": None})
            v["files"][e.kind] = e.name
            if e.kind == "plan":
                v["plan"] = history.get(e.name) or self.latest_plan_file(c, e.number)
                v["running"] = self._running_status(c, e.number)
        return [visits[n] for n in sorted(visits)]

    def _running_status(self, c: Client, number: int) -> dict[str, Any] | None:
        """The plan's running status and how it moved at review (for the visit list)."""
        try:
            data = json.loads(c.file(number, "plan").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        run = data.get("running") if isinstance(data, dict) else None
        if not isinstance(run, dict):
            return None
        stages = [w.get("stage") for w in run.get("walk_run") or [] if isinstance(w, dict)]
        return {
            "status": run.get("status"),
            "change": run.get("change"),
            "target_km": run.get("target_weekly_km"),
            "first_stage": stages[0] if stages and not run.get("entry_criteria") else None,
        }

    def latest_plan_file(self, c: Client, number: int) -> dict[str, Any] | None:
        """A plan file's summary when ``rehab history`` skipped it."""
        try:
            data = json.loads(c.file(number, "plan").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return {"status": data.get("status"), "date": data.get("assessed_on"), "exercises": []}

    # ---- assessment form -----------------------------------------------------------------------------

    def assessment_form(self, c: Client) -> FormState:
        """The form to fill in: the draft if one was kept, else the last assessment, else the client."""
        state = self._assessment_form(c)
        state.imported = self.pending_import(c)
        return state

    def _assessment_form(self, c: Client) -> FormState:
        draft = c.draft_path("assessment")
        if draft.is_file():
            try:
                data, _ = self.engine.parse_yaml(draft.read_text(encoding="utf-8"), "draft")
                kept = {str(k): str(v) for k, v in (data or {}).items()}
                return FormState(kept, pain_rows=len(forms.pain_rows(forms.FormData(list(kept.items())))))
            except EngineError:
                pass
        last = [e for e in c.entries() if e.kind == "assessment"]
        values: dict[str, str] = {}
        if last:
            try:
                data, _ = self.engine.read_yaml(c.path / last[-1].name)
                values = forms.values_from_assessment(data)
            except EngineError:
                values = {}
        info = c.info()
        values.setdefault("client.name", str(info.get("name", "")))
        if info.get("id"):
            values.setdefault("client.id", str(info["id"]))
        values["assessed_on"] = dt.date.today().isoformat()
        rows = len(forms.pain_rows(forms.FormData(list(values.items()))))
        return FormState(values, pain_rows=rows)

    def edit_form(self, form: forms.FormData, action: str) -> FormState:
        """Add or remove a pain row (no saving)."""
        items = list(form.items)
        if action == "add_pain":
            n = len(forms.pain_rows(form))
            items.append((f"pain[{n}].region", ""))
        elif action.startswith("remove_pain:"):
            row = action.split(":", 1)[1]
            items = [(k, v) for k, v in items if not k.startswith(f"pain[{row}].")]
        fresh = forms.renumber_pain(forms.FormData(items))
        return FormState(dict(fresh.items), pain_rows=len(forms.pain_rows(fresh)))

    def check_assessment(self, form: forms.FormData, imported: dict[str, Any] | None = None) -> tuple[Any, FormState]:
        """Decode and validate: the Assessment (or None) and the form state with every error.

        With ``imported`` (a pending gait import) the imported ``source`` is kept and ``to_complete``
        is cleared: red flags are asked one by one, and the pain history needs a row or 'no pain'.
        """
        form = forms.renumber_pain(form)
        data, errors = forms.decode_assessment(form)
        state = FormState(dict(form.items), dict(errors), pain_rows=len(forms.pain_rows(form)), imported=imported)
        if imported is not None:
            if not forms.pain_rows(form):
                if form.get(forms.NO_PAIN) == "yes":
                    data["pain"] = []
                else:
                    state.errors[forms.NO_PAIN] = (
                        "the import does not know the pain history: add a pain entry, or tick 'no pain' once asked"
                    )
            if imported.get("source") is not None:
                data["source"] = imported["source"]
        assessment = None
        try:
            assessment = self.engine.validate_assessment(data)
        except SchemaError as exc:
            for path, msg in forms.field_errors(exc).items():
                state.errors.setdefault(path, msg)
        known = {f.name for g in forms.ASSESSMENT_GROUPS for f in g.fields} | {"notes", forms.NO_PAIN}
        for path, msg in state.errors.items():
            if path not in known and not path.startswith(("pain[", "red_flags")):
                state.problems.append(f"{path}: {msg}")
        if state.errors:
            assessment = None
        return (assessment, data), state

    def preview(self, form: forms.FormData) -> tuple[Any, FormState]:
        """The plan the form would give now (nothing is written)."""
        (assessment, _), state = self.check_assessment(form)
        if assessment is None:
            return None, state
        return self.engine.plan(assessment).plan, state

    def save_assessment(self, c: Client, form: forms.FormData) -> Outcome:
        """Write NNN-assessment.yaml and NNN-plan.json, or keep a draft and return the errors."""
        (assessment, data), state = self.check_assessment(form, self.pending_import(c))
        if assessment is None:
            with c.lock():
                c.write_draft("assessment", self.engine.dump_yaml(dict(form.items)))
            return Outcome(form=state)
        text = "# yaml-language-server: $schema=https://rehab-rules.invalid/schemas/assessment.schema.json\n"
        text += "# written by rehab serve\n" + self.engine.dump_yaml(data)
        with c.lock():
            n = c.next_number()
            path = c.file(n, "assessment")
            # validate the exact text the CLI will read before anything is written
            tmp = Path(tempfile.mkdtemp(prefix="rehab-web-")) / path.name
            try:
                tmp.write_text(text, encoding="utf-8")
                result = self.engine.plan(self.engine.load_assessment(tmp))
            finally:
                shutil.rmtree(tmp.parent, ignore_errors=True)
            c.write_new(path, text)
            c.write_new(c.file(n, "plan"), result.json)
            c.drop_draft("assessment")
            c.drop_draft("import")
        return Outcome(number=n)

    # ---- gait import (rehab import, as an upload) ------------------------------------------------------

    def pending_import(self, c: Client) -> dict[str, Any] | None:
        """The gait import the assessment form is completing (drafts/import.yaml), if any."""
        path = c.draft_path("import")
        if not path.is_file():
            return None
        try:
            data, _ = self.engine.read_yaml(path)
        except EngineError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("source"), dict):
            return None
        src = data["source"]
        return {
            "source": src,
            "tool": src.get("tool"),
            "file": src.get("file"),
            "events": (src.get("events") or {}).get("file"),
            "to_complete": list(data.get("to_complete") or []),
            "warnings": list(data.get("_warnings") or []),
        }

    def discard_import(self, c: Client) -> None:
        """Forget a pending gait import and the form draft made from it."""
        with c.lock():
            if c.draft_path("import").is_file():
                c.drop_draft("import")
                c.drop_draft("assessment")

    def import_upload(
        self,
        c: Client,
        tool: str,
        uploads: dict[str, tuple[str, bytes]],
        fields: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Import uploaded gait files into the assessment draft; errors by upload field (empty when done).

        Nothing is written unless the import succeeds and its YAML reads back as a valid assessment.
        Upload names are reduced to a plain base name: they only label messages and ``source.file``.
        """
        if tool not in self.engine.gait_formats():
            return {"import.format": "choose one of: " + ", ".join(self.engine.gait_formats())}
        named: dict[str, tuple[str, bytes]] = {}
        errors: dict[str, str] = {}
        for key, (raw_name, blob) in uploads.items():
            if not blob:
                errors[key] = "choose a file"
                continue
            named[key] = (upload_name(raw_name, key), blob)
        extra, option_errors = forms.import_options(fields or {})
        errors.update(option_errors)
        if errors:
            return errors
        info = c.info()
        options: dict[str, Any] = {"name": str(info.get("name", "")) or None, **extra}
        if info.get("id"):
            options["client_id"] = str(info["id"])
        try:
            data, text, notes = self.engine.import_gait(tool, list(named.values()), options)
        except EngineError as exc:
            by_option = {opt: key for key, opt in forms.IMPORT_OPTION_FIELDS.items()}
            for d in exc.diagnostics:
                key = next((k for k, (n, _) in named.items() if d.file == n), by_option.get(d.file, "import.format"))
                errors.setdefault(key, d.render())
            return errors or {"import.format": "the import failed"}
        warnings = [d.render() for d in notes]
        values = forms.values_from_assessment({k: v for k, v in data.items() if k not in forms.IMPORT_ONLY})
        values.setdefault("client.name", str(info.get("name", "")))
        if warnings:
            text += self.engine.dump_yaml({"_warnings": warnings})
        with c.lock():
            c.write_draft("import", text)
            c.write_draft("assessment", self.engine.dump_yaml(values))
        return {}

    # ---- plans -----------------------------------------------------------------------------------------

    def plan_page(self, c: Client, n: int) -> dict[str, Any]:
        """The plan with its reasons: explain data (first visit) or the plan's own trace (review)."""
        path = c.file(n, "plan")
        if not path.is_file():
            raise NotFound(path.name)
        plan = self.engine.load_plan(path)
        content = self.engine.content()
        assessment_file = c.file(n, "assessment")
        if assessment_file.is_file():
            explain = self.engine.explain(self.engine.load_assessment(assessment_file))
        else:
            rules = content.rules()
            explain = {
                "findings": [f.model_dump(mode="json") for f in plan.findings],
                "derived": [d for t in plan.trace for d in t.derived],
                "rules": [
                    {
                        "rule": t.rule,
                        "priority": rules[t.rule].priority if t.rule in rules else None,
                        "description": rules[t.rule].description
                        if t.rule in rules
                        else "(rule no longer in the rule set)",
                        "fired_on": t.fired_on,
                        "evidence": list(rules[t.rule].evidence) if t.rule in rules else [],
                    }
                    for t in plan.trace
                ],
            }
        previous = None
        if plan.previous is not None:
            earlier = [m for m in c.plans() if m < n]
            if earlier:
                previous = self.engine.load_plan(c.file(earlier[-1], "plan"))
        was = {}
        if previous is not None:
            for e in previous.exercises:
                was[(e.ladder, e.side)] = e
        data = plan.model_dump(mode="json")
        for e, item in zip(data["exercises"], plan.exercises, strict=True):
            e["dose_text"] = self.engine.dose_text(e["dosage"])
            old = was.get((item.ladder, item.side))
            e["was"] = (
                {"name": old.name, "level": old.level, "dose_text": self.engine.dose_text(old.dosage.model_dump())}
                if old is not None
                else None
            )
        refs = content.book.references
        return {
            "plan": data,
            "running_lines": self.engine.running_lines(plan),
            "explain": explain,
            "references": {k: v.citation for k, v in refs.items()},
            "review": plan.status != "refer_urgent" and bool(plan.exercises),
            "has_feedback_after": any(m > n for m in c.plans()),
        }

    def plan_json(self, c: Client, n: int) -> bytes:
        """The stored plan file's bytes."""
        path = c.file(n, "plan")
        if not path.is_file():
            raise NotFound(path.name)
        return path.read_bytes()

    def pdf(self, c: Client, n: int, kind: str) -> bytes:
        """Handout or report: rendered once (the bytes ``rehab plan`` writes), then kept beside the plan."""
        target = c.file(n, kind)
        if target.is_file():
            return target.read_bytes()
        plan_path = c.file(n, "plan")
        if not plan_path.is_file():
            raise NotFound(plan_path.name)
        stored = plan_path.read_text(encoding="utf-8")
        handout, report = kind == "handout", kind == "report"
        a_file, fb_file = c.file(n, "assessment"), c.file(n, "feedback")
        earlier = [m for m in c.plans() if m < n]
        if a_file.is_file():
            result = self.engine.plan(self.engine.load_assessment(a_file), handout=handout, report=report)
        elif fb_file.is_file() and earlier:
            previous = self.engine.load_plan(c.file(earlier[-1], "plan"))
            feedback, index = self.engine.load_feedback(fb_file)
            ov_file = c.file(n, "overrides")
            overrides = self.engine.load_overrides(ov_file) if ov_file.is_file() else None
            result = self.engine.progress(
                previous, feedback, index=index, overrides=overrides, handout=handout, report=report
            )
        else:
            raise NotFound(target.name)
        if result.json != stored:
            raise EngineError.at(
                plan_path.name,
                "this plan was made with other rules or exercises than the ones loaded now; "
                "its PDF cannot be remade with the same bytes",
            )
        blob: bytes = result.handout if kind == "handout" else result.report
        with c.lock():
            if not target.exists():
                c.write_new(target, blob)
        return blob

    # ---- review ----------------------------------------------------------------------------------------

    def review_rows(self, c: Client, n: int) -> list[dict[str, Any]]:
        """The plan's exercises and sides, to prefill the feedback form."""
        plan = self.engine.load_plan(self._plan_path(c, n))
        return [
            {"id": e.id, "side": e.side, "name": e.name, "dose": self.engine.dose_text(e.dosage.model_dump())}
            for e in plan.exercises
        ]

    @staticmethod
    def _plan_path(c: Client, n: int) -> Path:
        path = c.file(n, "plan")
        if not path.is_file():
            raise NotFound(path.name)
        return path

    def review_running(self, c: Client, n: int) -> dict[str, Any] | None:
        """The plan's running section, to ask the running feedback it needs (walk-run stages)."""
        plan = self.engine.load_plan(self._plan_path(c, n))
        if plan.running is None:
            return None
        return {
            "status": plan.running.status,
            "stages": [
                {"stage": w.stage, "text": line}
                for w, line in zip(plan.running.walk_run, _stage_lines(self.engine.running_lines(plan)), strict=False)
            ],
        }

    def library_ids(self) -> list[str]:
        """Every exercise id (choices for swap and add)."""
        return sorted(self.engine.content().library.exercises)

    def review_form(self, c: Client, n: int) -> FormState:
        """Fresh feedback form: today, every exercise of the plan."""
        return FormState({"reported_on": dt.date.today().isoformat()})

    def save_review(self, c: Client, n: int, form: forms.FormData) -> Outcome:
        """Write NNN-feedback.yaml and the next NNN-plan.json, or return the form with errors."""
        plan = self.engine.load_plan(self._plan_path(c, n))
        rows: list[tuple[str, str]] = [(e.id, str(e.side)) for e in plan.exercises]
        data, errors = forms.decode_feedback(form, rows)
        state = FormState(dict(form.items), dict(errors))
        feedback = None
        try:
            feedback = self.engine.validate_feedback(data)
        except SchemaError as exc:
            for path, msg in forms.field_errors(exc).items():
                state.errors.setdefault(path, msg)
        ov_data, ov_errors = forms.decode_overrides(form)
        state.errors.update(ov_errors)
        overrides = None
        if ov_data is not None and not ov_errors:
            try:
                overrides = self.engine.validate_overrides(ov_data)
            except SchemaError as exc:
                state.errors.update(forms.override_errors(exc))
        if state.errors or feedback is None:
            return Outcome(form=state)
        try:
            nxt = self.engine.progress(plan, feedback, plans_dir=c.path, overrides=overrides)
        except EngineError as exc:
            errors, problems = forms.review_errors(exc.diagnostics)
            state.errors.update(errors)
            state.problems += problems
            return Outcome(form=state)
        text = "# written by rehab serve\n" + self.engine.dump_yaml(data)
        with c.lock():
            if any(m > n for m in c.plans()):
                state.problems.append("this plan has already been reviewed; review the newest plan")
                return Outcome(form=state)
            m = c.next_number()
            c.write_new(c.file(m, "feedback"), text)
            if ov_data is not None:
                c.write_new(c.file(m, "overrides"), "# written by rehab serve\n" + self.engine.dump_yaml(ov_data))
            c.write_new(c.file(m, "plan"), nxt.json)
        return Outcome(number=m)

    # ---- rules -----------------------------------------------------------------------------------------

    def editable(self) -> bool:
        """Rule and exercise files can be edited when the clinic keeps its own copies."""
        root = self.clinic.root.resolve()
        return self.engine.rules_dir().resolve().is_relative_to(
            root
        ) and self.engine.exercises_dir().resolve().is_relative_to(root)

    def rules_index(self) -> dict[str, Any]:
        """Rule files by stage, exercises by ladder, ladders."""
        content = self.engine.content()
        rules_dir = self.engine.rules_dir()
        files: list[dict[str, Any]] = []
        for stage in ("assessment", "progression"):
            for p in sorted((rules_dir / stage).glob("*.yaml")):
                if not p.name.endswith(".test.yaml"):
                    files.append({"stage": stage, "name": p.name, "rules": 0})
        counts: dict[str, int] = {}
        for src in content.book.sources.values():
            counts[Path(src.file).name] = counts.get(Path(src.file).name, 0) + 1
        for f in files:
            f["rules"] = counts.get(str(f["name"]), 0)
        lib = content.library
        ladders = [
            {
                "id": lid,
                "name": lib.ladders[lid].name,
                "exercises": [{"id": e.id, "name": e.name, "level": e.level} for e in lib.ladder(lid)],
            }
            for lid in sorted(lib.ladders)
        ]
        return {"files": files, "ladders": ladders, "editable": self.editable()}

    def rule_file(self, stage: str, name: str) -> dict[str, Any]:
        """One rule file: its rules (description, evidence), its test cases and its text."""
        path = self._rule_path(stage, name)
        content = self.engine.content()
        rules = [r for r in content.book.rules.get(stage, []) if Path(content.book.sources[r.id].file).name == name]
        cases: dict[str, list[str]] = {}
        test = path.with_name(path.name.removesuffix(".yaml") + ".test.yaml")
        if test.is_file():
            try:
                data, _ = self.engine.read_yaml(test)
                for case in (data or {}).get("cases", []):
                    for rid in case.get("fires", []) + case.get("silent", []):
                        cases.setdefault(rid, []).append(
                            ("fires: " if rid in case.get("fires", []) else "silent: ") + case.get("name", "")
                        )
            except EngineError:
                pass
        return {
            "stage": stage,
            "name": name,
            "text": path.read_text(encoding="utf-8"),
            "rules": [
                {
                    "id": r.id,
                    "description": r.description,
                    "priority": r.priority,
                    "evidence": list(r.evidence),
                    "cases": cases.get(r.id, []),
                }
                for r in rules
            ],
            "references": {k: v.citation for k, v in content.book.references.items()},
            "editable": self.editable(),
        }

    def exercise(self, exercise_id: str) -> dict[str, Any]:
        """One exercise of the library, with its text."""
        content = self.engine.content()
        ex = content.library.exercises.get(exercise_id)
        if ex is None:
            raise NotFound(exercise_id)
        path = safe_child(self.engine.exercises_dir(), f"{exercise_id}.yaml")
        return {
            "exercise": ex.model_dump(mode="json", by_alias=True),
            "doses": [self.engine.dose_text(d.model_dump()) for d in ex.doses],
            "text": path.read_text(encoding="utf-8") if path.is_file() else "",
            "editable": self.editable() and path.is_file(),
        }

    def _rule_path(self, stage: str, name: str) -> Path:
        if stage not in ("assessment", "progression") or not name.endswith(".yaml"):
            raise NotFound(name)
        path = safe_child(self.engine.rules_dir() / stage, name)
        if not path.is_file():
            raise NotFound(name)
        return path

    def save_content(self, kind: str, stage: str, name: str, text: str) -> list[str]:
        """Save an edited rule or exercise file after ``rules check`` and ``rules test`` pass on a copy.

        Returns the problems (``file:line:col: …``) that refused the save; empty when saved.
        """
        if not self.editable():
            return [
                "the shipped rules are read-only here: copy rules/ and exercises/ into the clinic folder to edit them"
            ]
        rules_dir, ex_dir = self.engine.rules_dir(), self.engine.exercises_dir()
        if kind == "rule":
            target = self._rule_path(stage, name)
            rel = Path(stage) / name
        else:
            target = safe_child(ex_dir, name)
            if not target.is_file() or not name.endswith(".yaml"):
                raise NotFound(name)
            rel = Path(name)
        text = text.replace("\r\n", "\n")
        with self.clinic.lock(), tempfile.TemporaryDirectory(prefix="rehab-edit-") as tmpd:
            tmp = Path(tmpd)
            shutil.copytree(rules_dir, tmp / "rules")
            shutil.copytree(ex_dir, tmp / "exercises")
            copy_root = tmp / ("rules" if kind == "rule" else "exercises")
            (copy_root / rel).write_text(text, encoding="utf-8")
            problems = self._verify(
                tmp / "rules",
                tmp / "exercises",
                {str(tmp / "rules"): str(rules_dir), str(tmp / "exercises"): str(ex_dir)},
            )
            if problems:
                return problems
            from engine.app.output import write_atomic

            write_atomic(target, text, force=True)  # the checked edit replaces the file atomically
        self.engine.reload()
        return []

    def _verify(self, rules: Path, exercises: Path, names: dict[str, str]) -> list[str]:
        def shown(line: str) -> str:
            for tmp, real in names.items():
                line = line.replace(tmp, real)
            return line

        return [shown(line) for line in self.engine.verify_content(rules, exercises)]
