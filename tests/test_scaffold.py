"""``rehab new KIND``: every template is valid as written, commented, and never overwrites."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from engine.app.scaffold import KINDS, new_file, template
from engine.errors import InputError
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.assessment import DIAGNOSES, RED_FLAGS, REGIONS, Assessment
from engine.models.exercise import TAGS, TARGETS, Exercise
from engine.models.feedback import Feedback
from engine.models.rule import RuleFile

ROOT = Path(__file__).resolve().parents[1]

MODELS: dict[str, type[BaseModel]] = {
    "assessment": Assessment,
    "feedback": Feedback,
    "rule": RuleFile,
    "exercise": Exercise,
}
SCHEMAS = {
    "assessment": "../schemas/assessment.schema.json",
    "feedback": "../schemas/feedback.schema.json",
    "rule": "../../schemas/rules.schema.json",
    "exercise": "../schemas/exercise.schema.json",
}
VOCAB: dict[str, tuple[str, ...]] = {
    "assessment": (*REGIONS, *DIAGNOSES, *RED_FLAGS),
    "feedback": RED_FLAGS,
    "exercise": (*TARGETS, *TAGS),
    "rule": (),
}


def load(text: str, kind: str) -> Any:
    """Validate a template through the real loader and model of its kind."""
    data, index = yamlio.parse(text, f"new-{kind}.yaml")
    return validate(MODELS[kind], data, index)


def test_kinds_are_all_covered() -> None:
    assert set(KINDS) == set(MODELS)


@pytest.mark.parametrize("kind", KINDS)
def test_template_is_valid_and_commented(kind: str, tmp_path: Path) -> None:
    out = tmp_path / f"{kind}.yaml"
    result = CliRunner().invoke(app(), ["new", kind, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    ref = first.split("=", 1)[1]  # relative to the file's folder, and the file is there
    assert (out.parent / ref).resolve() == (ROOT / "schemas" / Path(SCHEMAS[kind]).name).resolve()
    assert isinstance(load(text, kind), MODELS[kind])
    for word in VOCAB[kind]:
        assert word in text, word
    for name, info in MODELS[kind].model_fields.items():
        assert f"{info.alias or name}:" in text, name  # every key is shown (maybe commented out)
    keyed = [
        ln for ln in text.splitlines() if re.match(r"^ {0,6}[a-z_]+: \S", ln)
    ]  # key lines with a value; joints excluded
    assert keyed
    assert [ln for ln in keyed if "#" not in ln] == []  # every one explains itself


@pytest.mark.parametrize("kind", KINDS)
def test_stdout_when_no_output(kind: str) -> None:
    result = CliRunner().invoke(app(), ["new", kind])
    assert result.exit_code == 0, result.stderr
    assert isinstance(load(result.stdout, kind), MODELS[kind])
    # printed: the destination is unknown, so the schema is named by its absolute address
    ref = result.stdout.splitlines()[0].split("$schema=", 1)[1]
    assert ref.startswith("file://") and ref.endswith(Path(SCHEMAS[kind]).name)
    assert Path(ref.removeprefix("file://")).is_file()


def test_assessment_template_plans(tmp_path: Path) -> None:
    out = tmp_path / "a.yaml"
    new_file("assessment", out, force=False)
    result = CliRunner().invoke(app(), ["explain", str(out)])
    assert result.exit_code == 0, result.stderr
    a = load(out.read_text(encoding="utf-8"), "assessment")
    assert a.findings.pelvic_drop is None and a.red_flags == []  # nothing pretends to be measured


def test_rule_template_links_and_compiles_with_the_shipped_rules(tmp_path: Path) -> None:
    from engine.app.checks import check_rules
    from engine.app.clinic import Clinic

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    new_file("rule", rules / "assessment" / "my-clinic.yaml", force=False)
    verdict = check_rules(Clinic(rules, ROOT / "exercises"))
    # it links and compiles; what is left is what CI would also ask for: its test cases
    assert [d.code for d in verdict.errors] == ["test.missing", "test.coverage", "test.coverage"]
    assert "my-clinic.test.yaml" in verdict.errors[0].message
    (rules / "assessment" / "my-clinic.test.yaml").write_text(
        "version: 1\ncases:\n"
        "  - name: poor right squat\n"
        "    assessment: {findings: {single_leg_squat: {left: good, right: poor}}}\n"
        "    fires: [my-clinic-poor-squat]\n"
        "  - name: good squats\n"
        "    assessment: {findings: {single_leg_squat: {left: good, right: good}}}\n"
        "    silent: [my-clinic-poor-squat]\n",
        encoding="utf-8",
    )
    verdict = check_rules(Clinic(rules, ROOT / "exercises"))
    assert verdict.ok, [d.render() for d in verdict.diagnostics]


def test_unknown_kind_exits_2_with_the_allowed_kinds(tmp_path: Path) -> None:
    result = CliRunner().invoke(app(), ["new", "plan", "-o", str(tmp_path / "p.yaml")])
    assert result.exit_code == 2
    assert "unknown kind 'plan'" in result.stderr
    assert "assessment, feedback, rule, exercise" in result.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError):
        template("rules")


def test_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "exists.yaml"
    out.write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(app(), ["new", "feedback", "-o", str(out)])
    assert result.exit_code == 2
    assert "already exists; use --force" in result.stderr
    assert out.read_text(encoding="utf-8") == "mine\n"
    forced = CliRunner().invoke(app(), ["new", "feedback", "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert isinstance(load(out.read_text(encoding="utf-8"), "feedback"), Feedback)


def app() -> Any:
    """The typer app (imported late, as the CLI does)."""
    from engine.cli import app as rehab

    return rehab


def test_exercise_template_uses_the_librarys_pain_sentence() -> None:
    """The new exercise's precaution is the library's most common one (it agrees with the pain guide)."""
    from collections import Counter

    from engine.load.content import load_content

    common, _ = Counter(p for e in load_content().library.exercises.values() for p in e.precautions).most_common(1)[0]
    data, _ = yamlio.parse(template("exercise"), "<template>")
    assert data["precautions"] == [common]
