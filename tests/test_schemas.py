"""The JSON Schemas committed under schemas/ are current (regenerate: `make schemas`)."""

from __future__ import annotations

import pytest

from engine.app.catalogue import schema_models, schema_text
from tests.conftest import ROOT


@pytest.mark.parametrize("kind", list(schema_models()))
def test_committed_schema_is_current(kind: str) -> None:
    path = ROOT / "schemas" / f"{kind}.schema.json"
    assert path.exists(), f"missing {path}; run `make schemas`"
    assert path.read_text(encoding="utf-8") == schema_text(kind), f"{path} is stale; run `make schemas`"


def test_examples_point_at_the_assessment_schema() -> None:
    for path in (ROOT / "examples").glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith(
            "# yaml-language-server: $schema=../schemas/assessment.schema.json"
        ), path


def _plain(value: object) -> object:
    """YAML data as an editor's schema checker sees it (dates are ISO text)."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _validator(kind: str):  # type: ignore[no-untyped-def]
    import json

    import jsonschema

    schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _read(path):  # type: ignore[no-untyped-def]
    from engine.load import yamlio

    return _plain(yamlio.read(path)[0])


SHIPPED = [
    ("assessment", "examples/*.yaml"),
    ("plan", "tests/golden/*.plan.json"),
    ("rules", "rules/*/*[!t].yaml"),  # rule files live one folder down; review.yaml sits at the top
    ("rule-tests", "rules/**/*.test.yaml"),
    ("exercise", "exercises/[!l]*.yaml"),
    ("ladders", "exercises/ladders.yaml"),
    ("references", "rules/references.yaml"),
    ("thresholds", "rules/thresholds.yaml"),
    ("review", "rules/review.yaml"),
    ("template", "templates/handout.yaml"),
]


@pytest.mark.parametrize(("kind", "pattern"), SHIPPED, ids=[k for k, _ in SHIPPED])
def test_shipped_files_pass_their_json_schema(kind: str, pattern: str) -> None:
    validator = _validator(kind)
    paths = [p for p in sorted(ROOT.glob(pattern)) if not p.name.endswith(".test.yaml") or kind == "rule-tests"]
    assert paths, pattern
    for path in paths:
        errors = [f"{path.name}: {e.json_path}: {e.message}" for e in validator.iter_errors(_read(path))]
        assert errors == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("client", "age"), 500),
        (("findings", "pelvic_drop", "left_stance_deg"), 99),
        (("findings", "cadence_spm"), 100),
        (("pain", 0, "nrs_activity"), 11),
    ],
)
def test_json_schema_rejects_out_of_range_values_as_the_engine_does(where: tuple, value: int) -> None:
    data = _read(ROOT / "examples" / "seed-marathon-bilateral-drop.yaml")
    node = data
    for key in where[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[where[-1]] = value
    errors = list(_validator("assessment").iter_errors(data))

    def messages(es):  # type: ignore[no-untyped-def]
        return [m for e in es for m in [e.message, *messages(e.context or [])]]

    assert errors and any(("greater than" in m or "less than" in m) and str(value) in m for m in messages(errors))


def test_field_docs_table_is_current() -> None:
    """engine/models/field_docs.json holds the attribute docstrings of the current sources (i15)."""
    from engine.models.field_docs import TABLE, table_text

    assert TABLE.read_text(encoding="utf-8") == table_text(), f"{TABLE} is stale; run `make schemas`"


def test_a_model_outside_the_table_gets_its_docstrings_from_the_source() -> None:
    from engine.models.base import Model, StrictModel

    class Dose(StrictModel):
        sets: int
        """How many sets."""
        note: str = ""

    class Inner(Model):
        reps: int
        """Repetitions per set."""

    assert Dose.model_fields["sets"].description == "How many sets."
    assert Dose.model_fields["note"].description is None
    assert Inner.model_json_schema()["properties"]["reps"]["description"] == "Repetitions per set."
