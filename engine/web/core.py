"""The web desk's one door into the engine: every engine call the routes make goes through here.

Each method calls the application layer the CLI calls (``engine.app``: ``planning``, ``explain``,
``history``, ``checks``, ``rule_testing``), so the desk and ``rehab`` cannot disagree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.app.clinic import Clinic
from engine.errors import Diagnostic
from engine.load.content import Content
from engine.models.assessment import Assessment
from engine.models.feedback import Feedback
from engine.models.plan import Plan


@dataclass
class Engine:
    """One server's content folders and the content loaded from them (once per server)."""

    rules: Path | None = None
    exercises: Path | None = None
    templates: Path | None = None
    paper: str = "a4"
    clinic: Clinic = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.clinic = Clinic(self.rules, self.exercises, self.templates, self.paper)

    def content(self) -> Content:
        """The loaded, linked and compiled content (what ``rehab plan`` loads)."""
        with self._lock:
            return self.clinic.content()

    def reload(self) -> None:
        """Forget the loaded content (after a rule or exercise file was saved)."""
        with self._lock:
            self.clinic.reload()
            self.clinic.content()

    # ---- first visit -------------------------------------------------------------------------------

    def validate_assessment(self, data: dict[str, Any], name: str = "<form>") -> Assessment:
        """Validate parsed data with the CLI's validator (SchemaError in ``rehab validate``'s words)."""
        from engine.load.validation import validate
        from engine.load.yamlio import LocationIndex

        return validate(Assessment, data, LocationIndex(name))

    def import_gait(
        self, tool: str, files: list[tuple[str, bytes]], options: dict[str, Any]
    ) -> tuple[dict[str, Any], str, list[Diagnostic]]:
        """``rehab import`` on uploads: the assessment data, the YAML the CLI writes (checked to read
        back valid) and the importer's warnings. InputError/SchemaError with ``file:line``."""
        from engine.interop.gait import import_gait, render_yaml
        from engine.load import yamlio
        from engine.load.validation import validate

        data, notes = import_gait(tool, files, options)
        text = render_yaml(data, f"rehab serve (upload, {tool})")
        parsed, index = yamlio.parse(text, "imported.yaml")
        validate(Assessment, parsed, index)
        return parsed, text, notes

    def gait_formats(self) -> tuple[str, ...]:
        """The tools ``rehab import`` reads."""
        from engine.interop.gait import FORMATS

        return tuple(FORMATS)

    def load_assessment(self, path: Path) -> Assessment:
        """Read and validate an assessment file, as ``rehab plan`` does."""
        from engine.app.planning import read_assessment

        return read_assessment(path)

    def plan(self, assessment: Assessment, *, handout: bool = False, report: bool = False) -> Any:
        """First visit (``planning.plan_assessment``): a PlanResult with ``.plan``, ``.json`` and PDFs asked for."""
        from engine.app.planning import plan_assessment

        self.content()
        return plan_assessment(self.clinic, assessment, handout=handout, report=report)

    def explain(self, assessment: Assessment) -> dict[str, Any]:
        """The decision path as data (``rehab explain --json``)."""
        from engine.app.explain import explain

        self.content()
        return explain(self.clinic, assessment)

    def dose_text(self, dosage: dict[str, Any]) -> str:
        """A dose in the handout's words."""
        from engine.render.handout import dose_text

        return dose_text(dosage, self.templates)

    def running_lines(self, plan: Plan) -> tuple[str, list[str]] | None:
        """The handout's running section (summary, lines) for the plan, or None when it has none."""
        from engine.render.handout import load_template
        from engine.render.running import override_guide, running_lines

        template, _ = load_template(self.templates)
        return running_lines(plan.running, template, override_guide(plan, template))

    # ---- review ------------------------------------------------------------------------------------

    def load_plan(self, path: Path) -> Plan:
        """Read a plan JSON file, checked against the library (as ``rehab progress`` does)."""
        from engine.app.planning import read_plan

        self.content()
        return read_plan(self.clinic, path)

    def validate_feedback(self, data: dict[str, Any], name: str = "<form>") -> Feedback:
        """Validate parsed feedback with the CLI's validator."""
        from engine.load.validation import validate
        from engine.load.yamlio import LocationIndex

        return validate(Feedback, data, LocationIndex(name))

    def load_feedback(self, path: Path) -> tuple[Feedback, Any]:
        """Read a feedback file (and its positions), as ``rehab progress`` does."""
        from engine.app.planning import read_feedback

        return read_feedback(path)

    def progress(
        self,
        plan: Plan,
        feedback: Feedback,
        *,
        index: Any = None,
        plans_dir: Path | None = None,
        overrides: Any = None,
        handout: bool = False,
        report: bool = False,
    ) -> Any:
        """Review (``planning.progress``, as ``rehab progress [--overrides]``): a PlanResult with the next plan."""
        from engine.app.planning import progress

        self.content()
        return progress(
            self.clinic,
            plan,
            feedback,
            index=index,
            plans_dir=plans_dir,
            overrides=overrides,
            handout=handout,
            report=report,
        )

    def validate_overrides(self, data: dict[str, Any], name: str = "<form>") -> Any:
        """Validate clinician overrides (the model ``rehab progress --overrides`` reads)."""
        from engine.load.validation import validate
        from engine.load.yamlio import LocationIndex
        from engine.models.overrides import Overrides

        return validate(Overrides, data, LocationIndex(name))

    def load_overrides(self, path: Path) -> Any:
        """Read an overrides file (with positions), as ``rehab progress --overrides`` does."""
        from engine.app.planning import read_overrides

        return read_overrides(path)

    def history(self, folder: Path) -> list[dict[str, Any]]:
        """``rehab history FOLDER --json`` as data (empty when the folder has no plan yet)."""
        from engine.app.history import history

        return history(folder).rows

    # ---- rules -------------------------------------------------------------------------------------

    def verify_content(self, rules: Path, exercises: Path) -> list[str]:
        """``rehab rules check`` then ``rehab rules test`` on these folders: the lines that refuse them."""
        from engine.app.checks import check_rules
        from engine.app.rule_testing import test_rules
        from engine.errors import EngineError
        from engine.load.content import reload_content

        other = Clinic(rules, exercises, self.templates, self.paper)
        try:
            checked = check_rules(other)
            if not checked.ok:
                return ["rules check failed:", *(d.render() for d in checked.errors)]
            try:
                run = test_rules(other)
            except EngineError as exc:
                return ["rules test failed:", *(d.render() for d in exc.diagnostics)]
            lines = []
            for r in run.failed:
                if r.todo is not None:
                    lines.append(f"{r.file}:{r.line}: {r.name}: marked todo but passes now; remove 'todo'")
                lines += [f"{r.file}:{r.line}: {r.name}: {failure}" for failure in r.failures]
            lines += [f"rule {rule_id} fires in no test case" for rule_id in run.never_fired]
            return ["rules test failed:", *lines] if lines else []
        finally:
            reload_content()  # drop the copy's content from the cache; this server keeps its own

    def warnings(self) -> list[Diagnostic]:
        """Warnings of ``rules check`` on the content in use."""
        from engine.app.checks import check_rules

        return [d for d in check_rules(self.clinic).diagnostics if d.severity != "error"]

    def rules_dir(self) -> Path:
        """The rules folder in use."""
        from engine.load.resources import data_dir

        return data_dir("rules", self.rules)

    def exercises_dir(self) -> Path:
        """The exercises folder in use."""
        from engine.load.resources import data_dir

        return data_dir("exercises", self.exercises)

    def parse_yaml(self, text: str, name: str) -> tuple[Any, Any]:
        """Parse YAML with the engine's strict reader (YamlError with positions)."""
        from engine.load import yamlio

        return yamlio.parse(text, name)

    def read_yaml(self, path: Path) -> tuple[Any, Any]:
        """Read a YAML file with the engine's strict reader."""
        from engine.load import yamlio

        return yamlio.read(path)

    def dump_yaml(self, data: Any) -> str:
        """YAML the engine reads back unchanged."""
        from engine.load import yamlio

        return yamlio.dump(data)
