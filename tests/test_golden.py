"""Golden plans for every example assessment (REHAB_REGEN=1 rewrites them after a reviewed change)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine import __version__
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
    assert golden.exists(), f"no golden plan; run `make golden` (REHAB_REGEN=1 pytest {__file__})"
    want = json.loads(golden.read_text(encoding="utf-8"))
    have = json.loads(text)
    # content hashes change with any rule or exercise edit: compared in the test below, not here
    want.pop("generated_with")
    have.pop("generated_with")
    assert have == want


def test_plans_name_the_content_they_were_made_with() -> None:
    content = load_content()
    plan = evaluate(content, load_assessment(EXAMPLES[0])).plan
    assert plan.generated_with.model_dump() == {
        "engine": __version__,
        "rules_sha256": content.book.sha256,
        "exercises_sha256": content.library.sha256,
    }


def test_same_inputs_same_bytes() -> None:
    a = evaluate(load_content(), load_assessment(EXAMPLES[0])).plan.to_json()
    b = evaluate(load_content(), load_assessment(EXAMPLES[0])).plan.to_json()
    assert a == b


VIGNETTES = ROOT / "tests" / "vignettes"
REVIEWS = {  # review golden: first-visit vignette + feedback two weeks later
    "review-v01-pain-up": ("v01-left-drop-pfp", "v01-review-pain-up"),
    "review-v02-pain-down": ("v02-right-drop-itbs", "v02-review-pain-down"),
}


@pytest.mark.parametrize("name", sorted(REVIEWS))
def test_review_plan_matches_golden(name: str) -> None:
    """The review visit's plan (exercises, running section, cues) from a first plan and feedback."""
    from engine.plan.progression import load_feedback, progress

    first, feedback = REVIEWS[name]
    content = load_content()
    plan = evaluate(content, load_assessment(VIGNETTES / f"{first}.yaml")).plan
    fb, index = load_feedback(VIGNETTES / f"{feedback}.feedback.yaml")
    text = progress(content, plan, fb, index).to_json()
    golden = GOLDEN / f"{name}.plan.json"
    if os.environ.get("REHAB_REGEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden plan; run `make golden` (REHAB_REGEN=1 pytest {__file__})"
    want, have = json.loads(golden.read_text(encoding="utf-8")), json.loads(text)
    for p in (want, have):  # content hashes (and the previous plan's hash) change with any rule edit
        p.pop("generated_with")
        p["previous"].pop("sha256")
    assert have == want
