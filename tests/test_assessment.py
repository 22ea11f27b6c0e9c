"""The assessment contract: examples load, every clinician mistake gets file:line:col, exit 2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import app
from engine.errors import SchemaError
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.assessment import DIAGNOSES, RED_FLAGS, REGIONS, Assessment
from tests.conftest import EXAMPLES

GOOD = """version: 1
client:
  name: Zoë Ångström
  age: 34
assessed_on: 2026-11-20
findings:
  pelvic_drop:
    left_stance_deg: 8.5
    right_stance_deg: 9.0
pain:
  - region: lateral_knee
    side: right
    nrs_rest: 0
    nrs_activity: 6
    weeks: 8
red_flags: []
"""


def load(text: str) -> Assessment:
    return validate(Assessment, *yamlio.parse(text, "a.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_valid(path: Path) -> None:
    assert validate(Assessment, *yamlio.read(path)).version == 1


def test_grades_instead_of_degrees() -> None:
    a = load(GOOD.replace("left_stance_deg: 8.5", "left_stance_grade: moderate"))
    assert a.findings.pelvic_drop is not None
    assert a.findings.pelvic_drop.left_stance_grade == "moderate"


# (what a clinician got wrong, text replacement, expected "line:col: path: message" fragment)
CATALOGUE = [
    (
        "out of range",
        ("left_stance_deg: 8.5", "left_stance_deg: 45"),
        "a.yaml:8:22: findings.pelvic_drop.left_stance_deg: must be between 0 and 30 (got 45)",
    ),
    (
        "typo in a key",
        ("  pelvic_drop:", "  pelivc_drop:"),
        "a.yaml:7:3: findings.pelivc_drop: unknown key 'pelivc_drop' (did you mean 'pelvic_drop'?)",
    ),
    (
        "side: no (YAML 1.1 false)",
        ("side: right", "side: no"),
        "a.yaml:12:11: pain[0].side: 'no' is not allowed; use one of: left, right, both, central",
    ),
    ("text for a number", ("age: 34", "age: thirty"), "a.yaml:4:8: client.age: must be a whole number (got 'thirty')"),
    (
        "quoted number",
        ("nrs_activity: 6", "nrs_activity: '6'"),
        "pain[0].nrs_activity: must be a whole number (got '6')",
    ),
    (
        "unknown region",
        ("region: lateral_knee", "region: knee"),
        "a.yaml:11:13: pain[0].region: 'knee' is not allowed; use one of: lumbar",
    ),
    ("wrong version", ("version: 1", "version: 2"), "a.yaml:1:10: version: 2 is not allowed; use one of: 1"),
    ("missing name", ("  name: Zoë Ångström\n", ""), "a.yaml:3:3: client.name: is required but missing"),
    ("future date", ("2026-11-20", "2099-01-01"), "a.yaml:5:14: assessed_on: is in the future (2099-01-01)"),
    (
        "degrees and grade",
        ("left_stance_deg: 8.5", "left_stance_deg: 8.5\n    left_stance_grade: mild"),
        "findings.pelvic_drop: give left_stance_deg or left_stance_grade, not both",
    ),
    (
        "unknown red flag",
        ("red_flags: []", "red_flags: [saddle_numbness]"),
        "a.yaml:16:13: red_flags[0]: 'saddle_numbness' is not allowed; use one of: saddle_anaesthesia",
    ),
    (
        "crossover yes",
        ("  pelvic_drop:", "  step_width: {cm: 3, crossover: yes}\n  pelvic_drop:"),
        "findings.step_width.crossover: must be true or false (got 'yes')",
    ),
    ("duplicate key", ("version: 1\n", "version: 1\nversion: 1\n"), "a.yaml:2:1: duplicate key 'version'"),
    ("a list instead of a mapping", ("findings:\n", "findings: [1]\nx:\n"), "findings: must be a mapping"),
]


@pytest.mark.parametrize(("case", "edit", "expected"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_catalogue(case: str, edit: tuple[str, str], expected: str, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = GOOD.replace(*edit)
    assert text != GOOD
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "plan.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = runner.invoke(app, ["validate", "a.yaml"])
        planned = runner.invoke(app, ["plan", "a.yaml", "--json", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert planned.exit_code == 2 and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


def test_all_errors_reported_at_once() -> None:
    text = GOOD.replace("age: 34", "age: 9").replace("left_stance_deg: 8.5", "left_stance_deg: -1")
    with pytest.raises(SchemaError) as err:
        load(text)
    assert [d.path for d in err.value.diagnostics] == ["client.age", "findings.pelvic_drop.left_stance_deg"]


def test_empty_file(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "e.yaml").write_text("# nothing here\n")
    result = runner.invoke(app, ["validate", str(tmp_path / "e.yaml")])
    assert result.exit_code == 2 and "e.yaml:1:1: the file is empty" in result.stderr


angle = st.one_of(st.none(), st.floats(0, 30, allow_nan=False).map(lambda x: round(x, 1)))
pains = st.lists(
    st.fixed_dictionaries(
        {
            "region": st.sampled_from(REGIONS),
            "side": st.sampled_from(["left", "right", "both", "central"]),
            "nrs_rest": st.integers(0, 10),
            "nrs_activity": st.integers(0, 10),
            "weeks": st.integers(0, 100),
        },
        optional={"diagnosis": st.sampled_from(DIAGNOSES), "radicular": st.booleans()},
    ),
    max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
        str.strip
    ),
    left=angle,
    right=angle,
    cm=st.one_of(st.none(), st.floats(-15, 40).map(lambda x: round(x, 1))),
    cadence=st.one_of(st.none(), st.integers(120, 230)),
    pain=pains,
    flags=st.lists(st.sampled_from(RED_FLAGS), max_size=3, unique=True),
    day=st.dates(dt.date(2000, 1, 1), dt.date(2026, 1, 1)),
)
def test_generated_valid_assessments_load_through_yaml(name, left, right, cm, cadence, pain, flags, day) -> None:  # type: ignore[no-untyped-def]
    findings: dict = {}
    if left is not None or right is not None:
        findings["pelvic_drop"] = {
            k: v for k, v in (("left_stance_deg", left), ("right_stance_deg", right)) if v is not None
        }
    if cm is not None:
        findings["step_width"] = {"cm": cm}
    if cadence is not None:
        findings["cadence_spm"] = cadence
    doc = {
        "version": 1,
        "client": {"name": name},
        "assessed_on": day,
        "findings": findings,
        "pain": pain,
        "red_flags": flags,
    }
    a = load(yamlio.dump(doc))
    assert a.client.name == name.strip() and a.flags == flags


_keys = st.sampled_from(
    [
        "version",
        "client",
        "name",
        "findings",
        "pelvic_drop",
        "left_stance_deg",
        "pain",
        "region",
        "side",
        "red_flags",
        "assessed_on",
        "age",
        "cm",
        "x",
    ]
)
_leaf = st.one_of(
    st.integers(-50, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=10),
    st.dates(),
)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        _leaf, lambda ch: st.one_of(st.lists(ch, max_size=3), st.dictionaries(_keys, ch, max_size=5)), max_leaves=25
    )
)
def test_any_yaml_shape_gives_schema_errors_not_crashes(doc: object) -> None:
    from engine.errors import EngineError

    try:
        load(yamlio.dump(doc))
    except EngineError as exc:
        assert all(d.line >= 1 for d in exc.diagnostics)
