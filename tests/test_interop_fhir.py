"""FHIR R4 export and the paste-in note (issue 16), and the round trip capture → plan → bundle."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.interop import synthetic
from engine.interop.fhir import build_bundle, bundle_json, check_bundle
from engine.interop.gait import ImportOptions, import_to_file
from engine.interop.note import LIMIT, note_text
from engine.load import yamlio
from engine.load.content import load_content
from engine.models.plan import Plan
from engine.plan.pipeline import evaluate, load_assessment
from engine.render.handout import dose_text
from tests.conftest import ROOT

fhir_bundle = pytest.importorskip("fhir.resources.R4B.bundle")

GOLDEN = ROOT / "tests" / "golden"
SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
FAKE_PDF = b"%PDF-1.4\n% test\n"


def _plan(name: str) -> Plan:
    return Plan.model_validate_json((GOLDEN / f"{name}.plan.json").read_text(encoding="utf-8"))


def _resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def _validate_r4(bundle: dict[str, Any]) -> Any:
    """fhir.resources' R4B models (R4-compatible for these resources) must accept the bundle."""
    return fhir_bundle.Bundle.model_validate(bundle)


def test_seed_plan_bundle_is_valid_fhir_and_passes_our_checks() -> None:
    plan = _plan("seed-marathon-bilateral-drop")
    bundle = build_bundle(plan, FAKE_PDF, dose_text)
    model = _validate_r4(bundle)
    assert model.type == "collection"
    assert check_bundle(bundle, set(load_content().library.exercises)) == []
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:2] == ["Patient", "CarePlan"] and kinds[-1] == "DocumentReference"
    (patient,) = _resources(bundle, "Patient")
    assert patient["name"] == [{"text": plan.client.name}]
    assert patient["identifier"][0]["value"] == plan.client.id
    assert set(patient) == {"resourceType", "id", "identifier", "name"}  # only what the plan holds
    (cp,) = _resources(bundle, "CarePlan")
    assert cp["status"] == "active" and cp["intent"] == "plan"
    assert cp["category"][0]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "229065009",
        "display": "Exercise therapy",
    }
    review = dt.date.fromisoformat(plan.assessed_on) + dt.timedelta(days=plan.review_in_days)
    assert cp["period"] == {"start": plan.assessed_on, "end": review.isoformat()}
    srs = _resources(bundle, "ServiceRequest")
    assert len(srs) == len(plan.exercises)
    cp_url = f"urn:uuid:{cp['id']}"
    for sr, ex in zip(srs, plan.exercises, strict=True):
        assert sr["basedOn"] == [{"reference": cp_url}]
        assert sr["code"]["coding"][0]["code"] == ex.id
        assert sr["orderDetail"][0]["text"].startswith(ex.side)
        repeat = sr["occurrenceTiming"]["repeat"]
        assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (ex.dosage.per_week, 1, "wk")
        assert sr["occurrenceTiming"]["code"]["text"] == dose_text(ex.dosage.model_dump(mode="json"))
    assert [a["reference"]["reference"] for a in cp["activity"]] == [f"urn:uuid:{sr['id']}" for sr in srs]
    (pd,) = _resources(bundle, "PlanDefinition")
    assert pd["version"] == plan.generated_with.rules_sha256
    assert cp["instantiatesCanonical"] == [f"{pd['url']}|{pd['version']}"]
    ads = _resources(bundle, "ActivityDefinition")
    assert {a["version"] for a in ads} == {plan.generated_with.exercises_sha256}
    (doc,) = _resources(bundle, "DocumentReference")
    att = doc["content"][0]["attachment"]
    assert base64.b64decode(att["data"]) == FAKE_PDF and att["contentType"] == "application/pdf"
    assert att["hash"] == base64.b64encode(hashlib.sha1(FAKE_PDF).digest()).decode()


@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".plan.json") for p in GOLDEN.glob("*.plan.json")))
def test_every_golden_plan_exports_a_valid_bundle(name: str) -> None:
    bundle = build_bundle(_plan(name), FAKE_PDF, dose_text)
    _validate_r4(bundle)
    assert check_bundle(bundle, set(load_content().library.exercises)) == []
    assert bundle_json(bundle) == bundle_json(build_bundle(_plan(name), FAKE_PDF, dose_text))


def test_urgent_referral_exports_no_exercises_and_an_urgent_request() -> None:
    plan = _plan("bone-stress-suspected")
    assert plan.status == "refer_urgent"
    bundle = build_bundle(plan, FAKE_PDF, dose_text)
    _validate_r4(bundle)
    srs = _resources(bundle, "ServiceRequest")
    assert [sr["priority"] for sr in srs] == ["urgent"]
    assert srs[0]["code"]["coding"][0]["code"] == "3457005"
    assert not any(sr["category"][0]["coding"][0]["code"] == "229065009" for sr in srs)
    (cp,) = _resources(bundle, "CarePlan")
    assert [a["reference"]["reference"] for a in cp["activity"]] == [f"urn:uuid:{srs[0]['id']}"]
    assert _resources(bundle, "ActivityDefinition") == []
    emergency = build_bundle(_plan("cauda-equina-red-flag"), None, dose_text)
    assert [sr["priority"] for sr in _resources(emergency, "ServiceRequest")] == ["stat"]


def test_our_checks_catch_what_the_models_do_not() -> None:
    good = build_bundle(_plan("seed-marathon-bilateral-drop"), FAKE_PDF, dose_text)

    def broken(edit: Any) -> list[str]:
        b = copy.deepcopy(good)
        edit(b)
        return check_bundle(b, {"clam"})

    def dangling(b: dict[str, Any]) -> None:
        b["entry"][2]["resource"]["basedOn"] = [{"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}]

    def both(b: dict[str, Any]) -> None:
        b["entry"][1]["resource"]["activity"][0]["detail"] = {"status": "scheduled"}

    def snomed(b: dict[str, Any]) -> None:
        b["entry"][1]["resource"]["category"][0]["coding"][0]["code"] = "999999"

    def status(b: dict[str, Any]) -> None:
        b["entry"][2]["resource"]["intent"] = "wish"

    def canonical(b: dict[str, Any]) -> None:
        b["entry"][1]["resource"]["instantiatesCanonical"] = ["https://example.org/PlanDefinition/x|1"]

    for edit, expected in [
        (dangling, "does not resolve"),
        (both, "not both or neither"),
        (snomed, "SNOMED code 999999"),
        (status, "required value set"),
        (canonical, "does not resolve"),
    ]:
        assert any(expected in p for p in broken(edit)), edit.__name__
    assert any("not in the library" in p for p in check_bundle(good, {"clam"}))
    _validate_r4(good)  # while the generic models still accept every broken one:
    for edit in (dangling, both, snomed, canonical):
        b = copy.deepcopy(good)
        edit(b)
        _validate_r4(b)


def test_note_fits_and_says_what_matters() -> None:
    for path in sorted(GOLDEN.glob("*.plan.json")):
        plan = Plan.model_validate_json(path.read_text(encoding="utf-8"))
        text = note_text(plan, dose_text)
        assert len(text) <= LIMIT, path.name
        review = dt.date.fromisoformat(plan.assessed_on) + dt.timedelta(days=plan.review_in_days)
        assert review.isoformat() in text and "Red flags:" in text
        for ex in plan.exercises:
            assert ex.name in text
        for r in plan.referrals:
            assert r.urgency.upper() in text
    seed = note_text(_plan("seed-marathon-bilateral-drop"), dose_text)
    assert "Red flags: none (all asked, negative)" in seed and "[R]" in seed and "Referrals: none" in seed
    assert "Red flags: PRESENT: suspected bone stress injury" in note_text(_plan("bone-stress-suspected"), dose_text)
    # a very long plan is cut to the limit but keeps status, red flags and referrals
    big = _plan("lumbar-disc-radicular")
    long_ex = [big.exercises[0].model_copy(update={"name": f"Exercise {i} " + "x" * 150}) for i in range(30)]
    text = note_text(big.model_copy(update={"exercises": long_ex}), dose_text)
    assert len(text) <= LIMIT and "more in the full plan" in text and "ROUTINE" in text and "Red flags:" in text


def test_cli_export_is_byte_identical_and_note_prints(tmp_path: Path) -> None:
    runner = CliRunner()
    plan = GOLDEN / "seed-marathon-bilateral-drop.plan.json"
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    r = runner.invoke(app, ["export", "fhir", str(plan), "-o", str(a)])
    assert r.exit_code == 0, r.stderr
    assert runner.invoke(app, ["export", "fhir", str(plan), "-o", str(b)]).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    r = runner.invoke(app, ["export", "fhir", str(plan), "-o", str(a)])
    assert r.exit_code == 2 and "already exists" in r.stderr
    bundle = json.loads(a.read_text(encoding="utf-8"))
    _validate_r4(bundle)
    pdf = base64.b64decode(_resources(bundle, "DocumentReference")[0]["content"][0]["attachment"]["data"])
    assert pdf.startswith(b"%PDF-")
    handout = tmp_path / "h.pdf"
    handout.write_bytes(FAKE_PDF)
    r = runner.invoke(app, ["export", "fhir", str(plan), "--handout", str(handout), "-o", "-"])
    assert (
        r.exit_code == 0
        and base64.b64decode(
            _resources(json.loads(r.stdout), "DocumentReference")[0]["content"][0]["attachment"]["data"]
        )
        == FAKE_PDF
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1}')
    r = runner.invoke(app, ["export", "fhir", str(bad), "-o", str(tmp_path / "c.json")])
    assert r.exit_code == 2 and "bad.json:1:1" in r.stderr and not (tmp_path / "c.json").exists()
    r = runner.invoke(app, ["note", str(plan)])
    assert r.exit_code == 0 and len(r.stdout) <= LIMIT and "Weight-bearing glute med hold" in r.stdout


def test_round_trip_synthetic_opencap_capture_to_plan_to_bundle(tmp_path: Path) -> None:
    """The seed's gait (L 8.5° / R 9.0° drop, L 2.0° / R 7.0° lean, 162 steps/min) as an OpenCap
    capture → import → the clinician completes pain and red flags → plan → FHIR bundle."""
    seed_data, _ = yamlio.read(SEED)
    capture = synthetic.Capture(
        pelvic_drop={"left": 8.5, "right": 9.0}, trunk_lean={"left": 2.0, "right": 7.0}, cadence_spm=162
    )
    mot, trc = tmp_path / "opencap.mot", tmp_path / "opencap.trc"
    mot.write_text(synthetic.mot_text(capture, degrees=False), encoding="utf-8")  # radians on purpose
    seed_width = seed_data["findings"]["step_width"]
    trc.write_text(synthetic.trc_text(capture, step_width_cm=seed_width["cm"]), encoding="utf-8")
    imported = tmp_path / "imported.yaml"
    opts = ImportOptions(
        name=seed_data["client"]["name"], client_id=seed_data["client"]["id"], assessed_on=seed_data["assessed_on"]
    )
    import_to_file("opencap", [mot, trc], opts, imported, force=False, command="rehab import opencap")
    data, _ = yamlio.read(imported)
    for key in ("pelvic_drop", "trunk_lean", "cadence_spm"):
        assert data["findings"][key] == seed_data["findings"][key], key  # recovered from the waveform
    assert data["findings"]["step_width"] == {"cm": seed_width["cm"], "crossover": False}  # from the heels
    # the clinician answers what the import could not know, and clears the mark
    completed = {k: v for k, v in data.items() if k != "to_complete"}
    completed.update(pain=seed_data["pain"], red_flags=seed_data["red_flags"])
    completed["findings"] = {**seed_data["findings"], **data["findings"]}  # squat: seen in clinic
    # the steady 3 cm the heels show; the clinician also saw the feet cross at times (the seed's crossover)
    completed["findings"]["step_width"] = {**data["findings"]["step_width"], "crossover": seed_width["crossover"]}
    done = tmp_path / "completed.yaml"
    done.write_text(yamlio.dump(completed), encoding="utf-8")
    content = load_content()
    plan = evaluate(content, load_assessment(done)).plan
    hand = Plan.model_validate_json((GOLDEN / "seed-marathon-bilateral-drop.plan.json").read_text(encoding="utf-8"))
    assert plan.status == hand.status
    assert [(e.id, e.side, e.level, e.dosage) for e in plan.exercises] == [
        (e.id, e.side, e.level, e.dosage) for e in hand.exercises
    ]
    bundle = build_bundle(plan, FAKE_PDF, dose_text)
    _validate_r4(bundle)
    assert check_bundle(bundle, set(content.library.exercises)) == []
    codes = [sr["code"]["coding"][0]["code"] for sr in _resources(bundle, "ServiceRequest")]
    assert codes == [e.id for e in hand.exercises]


def test_note_gives_the_metronome_number_and_the_running_plan() -> None:
    """A cadence drill's line carries its metronome target; the running plan has its own line."""
    plan = _plan("low-cadence-pfp")
    text = note_text(plan, dose_text)
    drill = next(e for e in plan.exercises if e.cadence_target is not None)
    t = drill.cadence_target
    assert t is not None
    line = next(x for x in text.splitlines() if x.startswith(f"- {drill.name}"))
    assert f"metronome {t.target_spm} spm ({t.now_spm:g} + {t.increase_pct} %)" in line
    run = plan.running
    assert run is not None and run.target_weekly_km is not None
    assert f"Running: {run.status}; about {run.target_weekly_km:g} km a week" in text
    assert f"pain limit {run.pain_limit_nrs}/10 [{run.rule}]" in text
    assert "\u00a0" not in text  # plain spaces in a paste-in note
    seed = note_text(_plan("seed-marathon-bilateral-drop"), dose_text)
    assert "Running: walk-run; walk-run 6 stages from stage 1 after 6 checks" in seed
