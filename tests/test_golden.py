"""Golden plans for every example assessment (REHAB_REGEN=1 rewrites them after a reviewed change)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.load.content import load_content
from engine.plan.pipeline import evaluate, load_assessment
from tests.conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_plan_matches_golden(path: Path) -> None:
    plan = evaluate(load_content(), load_assessment(path)).plan
    text = plan.to_json()
    golden = GOLDEN / f"{path.stem}.plan.json"
    if os.environ.get("REHAB_REGEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden plan; run REHAB_REGEN=1 pytest {__file__}"
    assert json.loads(text) == json.loads(golden.read_text(encoding="utf-8"))


def test_same_inputs_same_bytes() -> None:
    a = evaluate(load_content(), load_assessment(EXAMPLES[0])).plan.to_json()
    b = evaluate(load_content(), load_assessment(EXAMPLES[0])).plan.to_json()
    assert a == b
