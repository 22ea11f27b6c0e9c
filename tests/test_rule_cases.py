"""Every rule test case in rules/**/*.test.yaml, plus the meta-tests on coverage."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from engine.app.rule_testing import RuleTestFile, case_files, run_case
from engine.load import yamlio
from engine.load.content import Content, load_content
from engine.load.rulebook import rule_files
from engine.load.validation import validate
from tests.conftest import ROOT

RULES = ROOT / "rules"


@cache
def content() -> Content:
    return load_content(RULES, ROOT / "exercises")


def _cases() -> list[tuple[Path, RuleTestFile, int]]:
    out = []
    for path in case_files(RULES):
        doc = validate(RuleTestFile, *yamlio.read(path))
        out += [(path, doc, i) for i in range(len(doc.cases))]
    return out


CASES = _cases()


@pytest.mark.parametrize(
    ("path", "doc", "i"), CASES, ids=[f"{p.stem.removesuffix('.test')}::{d.cases[i].name}" for p, d, i in CASES]
)
def test_rule_case(path: Path, doc: RuleTestFile, i: int) -> None:
    case = doc.cases[i]
    _, failures = run_case(content(), doc.base, case)
    if case.todo is not None:
        assert failures, f"marked todo ({case.todo}) but passes now"
        pytest.xfail(case.todo)
    assert not failures, "\n".join(failures)


def test_every_rule_file_has_a_test_file() -> None:
    missing = [p.name for p in rule_files(RULES) if not p.with_name(p.name.replace(".yaml", ".test.yaml")).exists()]
    assert not missing


def test_every_rule_fires_and_stays_silent_somewhere() -> None:
    fires: set[str] = set()
    silent: set[str] = set()
    for _, doc, i in CASES:
        fires.update(doc.cases[i].fires)
        silent.update(doc.cases[i].silent)
    rules = set(content().rules())
    assert not rules - fires, f"rules never expected to fire: {sorted(rules - fires)}"
    assert not rules - silent, f"rules never expected to stay silent: {sorted(rules - silent)}"
    assert not (fires | silent) - rules, f"test cases name unknown rules: {sorted((fires | silent) - rules)}"
