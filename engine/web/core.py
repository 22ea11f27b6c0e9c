"""The web desk's one door into the engine: every engine call the routes make goes through here.

These are the functions the CLI calls (``rehab plan``, ``explain``, ``progress``, ``history``,
``rules check``, ``rules test``), so the desk and the command line cannot disagree. When the
application layer (engine/app) grows typed use-case functions, only this module changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, EngineError
from engine.load.content import Content
from engine.models.assessment import Assessment
from engine.models.feedback import Feedback
from engine.models.plan import Plan


@dataclass
class Engine:
    """The content folders of one server and the content loaded from them (once per server)."""

    rules: Path | None = None
    exercises: Path | None = None
    templates: Path | None = None
    paper: str = "a4"
    _content: Content | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def content(self) -> Content:
        """The loaded, linked and compiled content (what ``rehab plan`` loads)."""
        with self._lock:
            if self._content is None:
                from engine.load.content import load_content

                self._content = load_content(self.rules, self.exercises)
            return self._content

    def reload(self) -> None:
        """Forget the loaded content (after a rule or exercise file was saved)."""
        from engine.load import content as content_mod

        with self._lock:
            content_mod._load.cache_clear()  # load_content caches by folder; a public reload is asked of i13
            self._content = None

    # ---- first visit -------------------------------------------------------------------------------

    def validate_assessment(self, data: dict[str, Any], name: str = "<form>") -> Assessment:
        """Validate a parsed assessment with the CLI's validator (raises SchemaError with CLI wording)."""
        from engine.load.validation import validate
        from engine.load.yamlio import LocationIndex

        return validate(Assessment, data, LocationIndex(name))

    def load_assessment(self, path: Path) -> Assessment:
        """Read and validate an assessment file, as ``rehab plan`` does."""
        from engine.plan.pipeline import load_assessment

        return load_assessment(path)

    def plan(self, assessment: Assessment) -> Any:
        """Run the first-visit pipeline (``pipeline.evaluate``): a Result with assessment, facts, plan."""
        from engine.plan.pipeline import evaluate

        return evaluate(self.content(), assessment)

    def explain(self, result: Any) -> dict[str, Any]:
        """The decision path as data (``rehab explain --json``)."""
        from engine.app.explain import explain_data

        return explain_data(result, self.content())

    def render(self, plan: Plan, assessment: Assessment, *, report: bool) -> bytes:
        """Handout or clinician report PDF, the bytes ``rehab plan -o/--clinician-report`` writes."""
        from engine.render.handout import render

        return render(plan, assessment, self.content(), report=report, templates_dir=self.templates, paper=self.paper)

    def dose_text(self, dosage: dict[str, Any]) -> str:
        """A dose in the handout's words."""
        from engine.render.handout import dose_text

        return dose_text(dosage, self.templates)

    # ---- review ------------------------------------------------------------------------------------

    def load_plan(self, path: Path) -> Plan:
        """Read a plan JSON file, checked against the library (as ``rehab progress`` does)."""
        from engine.plan.progression import load_plan

        return load_plan(path, self.content())

    def validate_feedback(self, data: dict[str, Any], name: str = "<form>") -> Feedback:
        """Validate parsed feedback with the CLI's validator."""
        from engine.load.validation import validate
        from engine.load.yamlio import LocationIndex

        return validate(Feedback, data, LocationIndex(name))

    def load_feedback(self, path: Path) -> Feedback:
        """Read a feedback file, as ``rehab progress`` does."""
        from engine.plan.progression import load_feedback

        return load_feedback(path)[0]

    def progress(self, plan: Plan, feedback: Feedback) -> Plan:
        """The next plan from the client's feedback (``rehab progress``)."""
        from engine.plan.progression import progress

        return progress(self.content(), plan, feedback)

    def assessment_for(self, plan: Plan) -> Assessment:
        """The assessment a review plan's PDFs are rendered with (as ``rehab progress`` renders them)."""
        from engine.app.commands import assessment_from_plan

        result: Assessment = assessment_from_plan(plan)
        return result

    def history(self, folder: Path) -> list[dict[str, Any]]:
        """``rehab history FOLDER --json`` as data (empty when the folder has no plan yet)."""
        import json

        from engine.app.commands import history

        try:
            rows: list[dict[str, Any]] = json.loads(history(folder, as_json=True))
        except EngineError:
            return []
        return rows

    # ---- rules -------------------------------------------------------------------------------------

    def check(self, rules: Path, exercises: Path) -> list[Diagnostic]:
        """``rehab rules check`` on these folders: every error and warning."""
        from engine.evaluate.compiler import compile_rules, limit_warnings
        from engine.load.library import load_library
        from engine.load.rulebook import load_rulebook

        diags: list[Diagnostic] = []
        try:
            lib = load_library(exercises)
            book = load_rulebook(rules, lib)
            diags += book.warnings
            for stage, rs in book.rules.items():
                if rs:
                    diags += limit_warnings(compile_rules(rs, stage, where=str(rules)), str(rules))
        except EngineError as exc:
            diags = list(exc.diagnostics) + diags
        return diags

    def test_rules(self, rules: Path, exercises: Path) -> list[str]:
        """``rehab rules test`` on these folders: one line per failure (empty when all pass)."""
        from engine.app.rule_testing import case_files, run_file
        from engine.load.content import _load

        content = _load.__wrapped__(str(rules.resolve()), str(exercises.resolve()))
        out: list[str] = []
        for f in case_files(rules):
            try:
                results = run_file(content, f)
            except EngineError as exc:
                out += [d.render() for d in exc.diagnostics]
                continue
            for r in results:
                if r.ok:
                    continue
                if r.todo is not None:
                    out.append(f"{r.file}:{r.line}: {r.name}: marked todo but passes now; remove 'todo'")
                out += [f"{r.file}:{r.line}: {r.name}: {failure}" for failure in r.failures]
        return out

    def rules_dir(self) -> Path:
        """The rules folder in use."""
        from engine.load.resources import data_dir

        return data_dir("rules", self.rules)

    def exercises_dir(self) -> Path:
        """The exercises folder in use."""
        from engine.load.resources import data_dir

        return data_dir("exercises", self.exercises)

    def parse_yaml(self, text: str, name: str) -> tuple[Any, Any]:
        """Parse YAML with the engine's strict reader (raises YamlError with positions)."""
        from engine.load import yamlio

        return yamlio.parse(text, name)

    def dump_yaml(self, data: Any) -> str:
        """Write YAML the engine reads back."""
        from engine.load import yamlio

        return yamlio.dump(data)
