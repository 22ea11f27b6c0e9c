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
