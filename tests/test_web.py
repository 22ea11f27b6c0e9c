"""The web desk through FastAPI's TestClient: every route, the CLI's bytes, errors beside fields."""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, rehab
from tests.web_helpers import (
    ERROR_RE,
    SEED,
    client_for,
    clinic_with_content,
    feedback_form,
    new_client,
    replay_review,
    seed_form,
    token,
)


@pytest.fixture(autouse=True)
def no_outside_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test (the desk contacts no other host)."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"the desk tried to connect to {address}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def tc(tmp_path: Path) -> Any:
    with client_for(tmp_path) as c:
        yield c


def save_seed(tc: Any, folder: str, **changes: str) -> Any:
    return tc.post(
        f"/c/{folder}/assess", data={**seed_form(), **changes, "csrf_token": token(tc)}, follow_redirects=False
    )


def test_outside_connections_really_fail() -> None:
    with pytest.raises(AssertionError, match="tried to connect"), socket.socket() as s:
        s.connect(("192.0.2.1", 80))


def test_seed_through_the_form_gives_the_clis_plan_bytes(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    r = save_seed(tc, folder)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    assert r.headers["location"] == f"/c/{folder}/visits/1"
    cli = rehab("plan", str(SEED), "--json", "-")
    assert cli.returncode == 0, cli.stderr
    web = tc.get(f"/c/{folder}/visits/1/plan.json")
    assert web.status_code == 200
    assert web.content == cli.stdout.encode("utf-8")
    assert (tmp_path / folder / "001-plan.json").read_bytes() == web.content
    # the saved assessment is a file the CLI reads, and plans to the same bytes
    again = rehab("plan", str(tmp_path / folder / "001-assessment.yaml"), "--json", "-")
    assert again.stdout == cli.stdout
    assert not (tmp_path / folder / "drafts" / "assessment.yaml").exists()


def test_45_degree_drop_is_refused_beside_its_field_and_writes_nothing(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    before = sorted(p.name for p in (tmp_path / folder).iterdir())
    r = save_seed(tc, folder, **{"findings.pelvic_drop.left_stance_deg": "45"})
    assert r.status_code == 422
    box = re.search(r'id="f-findings-pelvic_drop-left_stance_deg-box">(.*?)</div>', r.text, re.S)
    assert box is not None
    assert 'aria-invalid="true"' in box.group(1)
    assert (
        '<p class="field-error" id="f-findings-pelvic_drop-left_stance_deg-err">must be between 0 and 30 (got 45)</p>'
        in box.group(1)
    )
    assert 'value="45"' in box.group(1)  # what was typed is kept
    after = sorted(p.name for p in (tmp_path / folder).iterdir() if p.name not in ("drafts", ".rehab.lock"))
    assert after == before  # no assessment, no plan
    # the draft keeps every value and the form opens with it
    assert (tmp_path / folder / "drafts" / "assessment.yaml").is_file()
    form = tc.get(f"/c/{folder}/assess").text
    assert re.search(r'name="findings.pelvic_drop.left_stance_deg" value="45"', form)
    assert "Treadmill 2D video" in form


def test_errors_use_the_validate_wording(tc: Any) -> None:
    folder = new_client(tc)
    r = save_seed(
        tc,
        folder,
        **{"client.age": "abc", "findings.cadence_spm": "300", "pain[0].nrs_rest": "2.5", "assessed_on": "2999-01-01"},
    )
    assert r.status_code == 422
    errors = ERROR_RE.findall(r.text)
    assert "must be a whole number (got &#39;abc&#39;)" in errors
    assert "must be between 120 and 230 (got 300)" in errors
    assert "must be a whole number (got 2.5)" in errors
    assert "is in the future (2999-01-01); use the date it happened" in errors


def test_grade_and_degrees_on_one_side_is_an_error_on_the_group(tc: Any) -> None:
    folder = new_client(tc)
    r = save_seed(tc, folder, **{"findings.pelvic_drop.left_stance_grade": "mild"})
    assert r.status_code == 422
    assert "give left_stance_deg or left_stance_grade, not both" in r.text


def test_every_red_flag_must_be_answered(tc: Any) -> None:
    folder = new_client(tc)
    data = {k: v for k, v in seed_form().items() if k != "red_flags.cancer_history"}
    r = tc.post(f"/c/{folder}/assess", data={**data, "csrf_token": token(tc)})
    assert r.status_code == 422
    box = re.search(r'id="f-red_flags-cancer_history-box">(.*?)</div>', r.text, re.S)
    assert box and "answer yes or no" in box.group(1)


def test_a_red_flag_answered_yes_refers(tc: Any) -> None:
    folder = new_client(tc)
    r = save_seed(tc, folder, **{"red_flags.saddle_anaesthesia": "yes"})
    assert r.status_code == 303
    page = tc.get(r.headers["location"]).text
    assert 'class="badge refer_urgent"' in page
    assert page.index("Referrals") < page.index("Exercises")


def test_choices_come_from_the_models() -> None:
    from engine.models.assessment import DIAGNOSES, REGIONS
    from engine.web import forms

    region = next(f for f in forms.PAIN_FIELDS if f.name == "region")
    diagnosis = next(f for f in forms.PAIN_FIELDS if f.name == "diagnosis")
    assert region.choices == REGIONS and diagnosis.choices == DIAGNOSES
    sex = next(f for g in forms.ASSESSMENT_GROUPS for f in g.fields if f.name == "client.sex")
    assert sex.choices == ("female", "male", "other", "unspecified")
    # every field of Contract 1 is asked
    assert forms.every_assessment_leaf() <= forms.assessment_form_names()


def test_form_shows_choices_not_free_text(tc: Any) -> None:
    folder = new_client(tc)
    page = tc.get(f"/c/{folder}/assess").text
    assert '<select id="f-findings-single_leg_squat-left" name="findings.single_leg_squat.left">' in page
    assert '<option value="lateral_knee"' not in page  # no pain row until one is added
    for flag in ("saddle_anaesthesia", "suspected_bone_stress_injury"):
        assert f'name="red_flags.{flag}" value="yes"' in page and f'name="red_flags.{flag}" value="no"' in page
    assert 'name="client.name" value="Zoë Ångström-Łukasiewicz"' in page


def test_pain_rows_add_and_remove_without_js(tc: Any) -> None:
    folder = new_client(tc)
    t = token(tc)
    r = tc.post(f"/c/{folder}/assess", data={"csrf_token": t, "action": "add_pain", "client.name": "Zoë"})
    assert r.status_code == 200 and 'name="pain[0].region"' in r.text
    r = tc.post(
        f"/c/{folder}/assess",
        data={"csrf_token": t, "action": "add_pain", "pain[0].region": "shin", "pain[0].side": "left"},
    )
    assert 'name="pain[1].region"' in r.text
    r = tc.post(
        f"/c/{folder}/assess",
        data={"csrf_token": t, "action": "remove_pain:0", "pain[0].region": "shin", "pain[1].region": "calf"},
    )
    assert 'name="pain[1].region"' not in r.text
    assert re.search(r'<option value="calf" selected>', r.text)


def test_htmx_save_error_answers_the_form_fragment(tc: Any) -> None:
    folder = new_client(tc)
    r = tc.post(
        f"/c/{folder}/assess",
        data={**seed_form(), "findings.pelvic_drop.left_stance_deg": "45", "csrf_token": token(tc)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert r.text.lstrip().startswith("<form") and "<html" not in r.text
    assert "must be between 0 and 30 (got 45)" in r.text
    ok = tc.post(f"/c/{folder}/assess", data={**seed_form(), "csrf_token": token(tc)}, headers={"HX-Request": "true"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == f"/c/{folder}/visits/1"
    assert r.headers["vary"] == "HX-Request"


def test_preview_writes_nothing(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    r = tc.post(f"/c/{folder}/preview", data={**seed_form(), "csrf_token": token(tc)}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Preview" in r.text and "Not saved yet" in r.text
    assert "<html" not in r.text
    plain = tc.post(f"/c/{folder}/preview", data={**seed_form(), "csrf_token": token(tc)})
    assert "<html" in plain.text  # without JS a whole page
    assert not list((tmp_path / folder).glob("0*"))


def test_plan_page_shows_reasons_referrals_and_downloads(tc: Any) -> None:
    folder = new_client(tc)
    save_seed(tc, folder)
    page = tc.get(f"/c/{folder}/visits/1").text
    for text in (
        "Why: findings → rules → exercises",
        "Rules fired",
        "cpd-bilateral",
        "evidence:",
        "Excluded",
        "flagged",
    ):
        assert text in page, text
    for link in ("handout.pdf", "report.pdf", "plan.json", "review"):
        assert f'href="/c/{folder}/visits/1/{link}"' in page


def test_pdfs_are_the_bytes_rehab_plan_writes(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    save_seed(tc, folder)
    out = tmp_path / "cli"
    out.mkdir()
    cli = rehab("plan", str(SEED), "-o", str(out / "h.pdf"), "--clinician-report", str(out / "r.pdf"))
    assert cli.returncode == 0, cli.stderr
    h = tc.get(f"/c/{folder}/visits/1/handout.pdf")
    assert h.status_code == 200 and h.headers["content-type"] == "application/pdf"
    assert "attachment" in h.headers["content-disposition"]
    assert h.content == (out / "h.pdf").read_bytes()
    assert tc.get(f"/c/{folder}/visits/1/report.pdf").content == (out / "r.pdf").read_bytes()
    assert (tmp_path / folder / "001-handout.pdf").read_bytes() == h.content  # kept beside the plan


def test_review_prefilled_then_next_plan_as_rehab_progress(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    save_seed(tc, folder)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    plan = (tmp_path / folder / "001-plan.json").read_text()
    import json

    exercises = json.loads(plan)["exercises"]
    for i, e in enumerate(exercises):
        assert f'id="fb-{i}"' in form and e["name"] in form and f"— {e['side']}" in form
    day = dt.date.today()
    r = tc.post(
        f"/c/{folder}/visits/1/review",
        data={**feedback_form(form, day), "csrf_token": token(tc)},
        follow_redirects=False,
    )
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    assert r.headers["location"] == f"/c/{folder}/visits/2"
    files = sorted(p.name for p in (tmp_path / folder).iterdir())
    assert "002-feedback.yaml" in files and "002-plan.json" in files and "001-plan.json" in files
    # the CLI refuses feedback already applied in that folder, so replay it on copies elsewhere
    replay = tmp_path / "replay"
    replay.mkdir()
    for name in ("001-plan.json", "002-feedback.yaml"):
        (replay / name).write_bytes((tmp_path / folder / name).read_bytes())
    cli = rehab("progress", str(replay / "001-plan.json"), str(replay / "002-feedback.yaml"), "--json", "-")
    assert cli.returncode == 0, cli.stderr
    assert (tmp_path / folder / "002-plan.json").read_text(encoding="utf-8") == cli.stdout
    page = tc.get(f"/c/{folder}/visits/2").text
    assert 'class="wasnow"' in page and "was:" in page and "now:" in page
    # a plan already reviewed cannot be reviewed again
    again = tc.post(f"/c/{folder}/visits/1/review", data={**feedback_form(form, day), "csrf_token": token(tc)})
    assert again.status_code == 422 and "already" in again.text
    assert not (tmp_path / folder / "003-plan.json").exists()
    # the client page lists every visit in order, as rehab history does
    client_page = tc.get(f"/c/{folder}").text
    assert client_page.index("Visit 1") < client_page.index("Visit 2")
    assert "002-feedback.yaml" in client_page


def test_review_errors_beside_fields(tc: Any) -> None:
    folder = new_client(tc)
    save_seed(tc, folder)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    data = {**feedback_form(form), "exercises[0].pain_during": "11", "csrf_token": token(tc)}
    r = tc.post(f"/c/{folder}/visits/1/review", data=data)
    assert r.status_code == 422
    assert "must be between 0 and 10 (got 11)" in ERROR_RE.findall(r.text)


def test_clients_list_and_search(tc: Any) -> None:
    a = new_client(tc, "Zoë Ångström", "C-0042")
    b = new_client(tc, "Sam Ng", "")
    assert (a, b) == ("c-0042", "sam-ng")
    assert new_client(tc, "Another", "C-0042") == "c-0042-2"
    page = tc.get("/").text
    assert "Zoë Ångström" in page and "Sam Ng" in page
    found = tc.get("/", params={"q": "0042"}).text
    assert "Zoë Ångström" in found and "Sam Ng" not in found
    frag = tc.get("/", params={"q": "sam"}, headers={"HX-Request": "true"}).text
    assert frag.lstrip().startswith('<div id="client-list">') and "Sam Ng" in frag
    r = tc.post("/clients", data={"csrf_token": token(tc), "client.name": "  "})
    assert r.status_code == 422 and "is required but missing" in r.text


def test_rules_browser(tc: Any) -> None:
    index = tc.get("/rules").text
    assert "assessment/pelvic-control.yaml" in index and "pelvic-control" in index
    page = tc.get("/rules/assessment/pelvic-control.yaml").text
    assert "cpd-flagged-side" in page and "evidence:" in page and "test case" in page
    assert "read-only" in index  # the shipped rules are not edited in place
    ex = tc.get("/exercises/wb-glute-med-hold").text
    assert "Weight-bearing glute med hold" in ex and "Doses" in ex


def test_rule_editor_refuses_a_broken_file_with_its_position(tmp_path: Path) -> None:
    clinic = clinic_with_content(tmp_path)
    target = clinic / "rules" / "assessment" / "pelvic-control.yaml"
    original = target.read_text(encoding="utf-8")
    with client_for(clinic) as tc:
        broken = original.replace("exercise: wb-glute-med-hold", "exercise: wb-glute-med-holt", 1)
        assert broken != original
        r = tc.post("/rules/assessment/pelvic-control.yaml", data={"text": broken, "csrf_token": token(tc)})
        assert r.status_code == 422
        assert "rules check failed" in r.text
        assert re.search(r"pelvic-control\.yaml:\d+:\d+: ", r.text)
        assert target.read_text(encoding="utf-8") == original
        bad_yaml = tc.post(
            "/rules/assessment/pelvic-control.yaml", data={"text": original + "\n  - : [", "csrf_token": token(tc)}
        )
        assert bad_yaml.status_code == 422 and re.search(r"pelvic-control\.yaml:\d+:\d+: invalid YAML", bad_yaml.text)
        assert target.read_text(encoding="utf-8") == original


def test_rule_editor_refuses_what_breaks_a_test_case(tmp_path: Path) -> None:
    clinic = clinic_with_content(tmp_path)
    target = clinic / "rules" / "assessment" / "pelvic-control.yaml"
    original = target.read_text(encoding="utf-8")
    with client_for(clinic) as tc:
        assert "field: flagged, eq: true" in original
        changed = original.replace("field: flagged, eq: true", "field: flagged, eq: false", 1)
        r = tc.post("/rules/assessment/pelvic-control.yaml", data={"text": changed, "csrf_token": token(tc)})
        assert r.status_code == 422, r.text[:500]
        assert "failed" in r.text
        assert target.read_text(encoding="utf-8") == original


def test_rule_editor_saves_a_good_edit_and_reloads(tmp_path: Path) -> None:
    clinic = clinic_with_content(tmp_path)
    target = clinic / "rules" / "assessment" / "pelvic-control.yaml"
    original = target.read_text(encoding="utf-8")
    m = re.search(r"description: (?:>-\n\s+)?([A-Z][^\n]+)", original)
    assert m
    changed = original.replace(m.group(1), "Edited in the browser.", 1)
    with client_for(clinic) as tc:
        assert "read-only" not in tc.get("/rules").text
        r = tc.post(
            "/rules/assessment/pelvic-control.yaml",
            data={"text": changed, "csrf_token": token(tc)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:2000]
        assert target.read_text(encoding="utf-8") == changed
        assert "Edited in the browser." in tc.get("/rules/assessment/pelvic-control.yaml").text


def test_exercise_editor_refuses_an_invalid_dose(tmp_path: Path) -> None:
    clinic = clinic_with_content(tmp_path)
    target = clinic / "exercises" / "wb-glute-med-hold.yaml"
    original = target.read_text(encoding="utf-8")
    changed = re.sub(r"sets: \d+", "sets: -4", original, count=1)
    with client_for(clinic) as tc:
        r = tc.post("/exercises/wb-glute-med-hold", data={"text": changed, "csrf_token": token(tc)})
        assert r.status_code == 422
        assert re.search(r"wb-glute-med-hold\.yaml:\d+:\d+: ", r.text)
    assert target.read_text(encoding="utf-8") == original


# ---- safety -----------------------------------------------------------------------------------------------


def test_csrf_is_required_on_every_form(tc: Any) -> None:
    folder = new_client(tc)
    posts = [
        "/clients",
        f"/c/{folder}/assess",
        f"/c/{folder}/preview",
        f"/c/{folder}/visits/1/review",
        "/rules/assessment/pelvic-control.yaml",
        "/exercises/wb-glute-med-hold",
    ]
    for url in posts:
        assert tc.post(url, data={"client.name": "x"}).status_code == 403, url
        assert tc.post(url, data={"client.name": "x", "csrf_token": "forged" * 8}).status_code == 403, url


def test_cross_site_posts_are_refused(tc: Any) -> None:
    data = {"client.name": "x", "csrf_token": token(tc)}
    assert tc.post("/clients", data=data, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert tc.post("/clients", data=data, headers={"Origin": "http://evil.example"}).status_code == 403
    ok = tc.post("/clients", data=data, headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert ok.status_code == 303


def test_csrf_cookie_is_httponly_and_strict(tmp_path: Path) -> None:
    with client_for(tmp_path) as tc:
        cookie = tc.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_security_headers(tc: Any) -> None:
    r = tc.get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text and "<style" not in r.text and " style=" not in r.text
    assert tc.get("/docs").status_code == 404 and tc.get("/openapi.json").status_code == 404


def test_only_local_host_names(tmp_path: Path) -> None:
    with client_for(tmp_path) as tc:
        assert tc.get("/", headers={"Host": "evil.example"}).status_code == 400
        assert tc.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_request_size_limit(tc: Any) -> None:
    big = {"csrf_token": token(tc), "client.name": "x" * (70 * 1024)}
    assert tc.post("/clients", data=big).status_code == 413


def test_client_and_file_names_never_escape_the_clinic(tc: Any, tmp_path: Path) -> None:
    (tmp_path.parent / "outside").mkdir(exist_ok=True)
    for url in (
        "/c/..%2F..%2Fetc",
        "/c/.hidden",
        "/c/rules",
        "/c/nope",
        "/c/nope/visits/1/plan.json",
        "/rules/assessment/..%2Fthresholds.yaml",
        "/rules/..%2F..%2F/x.yaml",
        "/rules/other/pelvic-control.yaml",
        "/exercises/..%2Fpyproject",
    ):
        r = tc.get(url)
        assert r.status_code in (404, 307), (url, r.status_code)
    folder = new_client(tc)
    assert tc.get(f"/c/{folder}/visits/0").status_code == 404
    assert tc.get(f"/c/{folder}/visits/5000").status_code == 404
    assert tc.get(f"/c/{folder}/visits/1/handout.pdf").status_code == 404


def test_safe_child_refuses_traversal_and_links(tmp_path: Path) -> None:
    from engine.web.store import NotFound, safe_child

    (tmp_path / "ok").mkdir()
    (tmp_path / "link").symlink_to(tmp_path.parent)
    assert safe_child(tmp_path, "ok") == tmp_path / "ok"
    for bad in ("..", "../x", "a/b", ".hidden", "", "x" * 80, "C:\\x", "link", "a\x00b", "..."):
        with pytest.raises(NotFound):
            safe_child(tmp_path, bad)


def test_no_client_data_in_logs(tc: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    folder = new_client(tc)
    save_seed(tc, folder, **{"findings.pelvic_drop.left_stance_deg": "45"})
    save_seed(tc, folder)
    tc.get(f"/c/{folder}/visits/1")
    tc.get(f"/c/{folder}/visits/9/plan.json")
    server_side = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert caplog.records  # the test client's own request log is captured, so logging works here
    assert "Zoë" not in server_side and "C-0042" not in server_side and "c-0042" not in server_side


def test_revisions_never_overwrite(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    save_seed(tc, folder)
    first = (tmp_path / folder / "001-plan.json").read_bytes()
    r = save_seed(tc, folder, **{"findings.cadence_spm": "170"})
    assert r.headers["location"] == f"/c/{folder}/visits/2"
    assert (tmp_path / folder / "001-plan.json").read_bytes() == first
    assert (tmp_path / folder / "002-assessment.yaml").is_file()


def test_concurrent_saves_on_one_client_are_serialised(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with client_for(tmp_path) as tc:
        folder = new_client(tc)
        t = token(tc)

        def save(i: int) -> str:
            r = tc.post(
                f"/c/{folder}/assess",
                data={**seed_form(), "findings.cadence_spm": str(150 + i), "csrf_token": t},
                follow_redirects=False,
            )
            return str(r.headers["location"])

        with ThreadPoolExecutor(8) as pool:
            locations = list(pool.map(save, range(16)))
    assert len(set(locations)) == 16
    plans = sorted((tmp_path / folder).glob("*-plan.json"))
    assert len(plans) == 16
    assert not list((tmp_path / folder).glob(".*.tmp"))


def test_remote_token(tmp_path: Path) -> None:
    with client_for(tmp_path, token="s3cret-token-0123456789", hosts=("*",)) as tc:
        assert tc.get("/").status_code == 401
        r = tc.get("/?token=s3cret-token-0123456789", follow_redirects=False)
        assert r.status_code == 303 and "rehab_token=" in r.headers["set-cookie"]
        assert tc.get("/").status_code == 200
        tc.cookies.clear()
        assert tc.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert tc.get("/", headers={"Authorization": "Bearer s3cret-token-0123456789"}).status_code == 200


def test_address_checks() -> None:
    from engine.errors import InputError
    from engine.web.serve import check_address, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
    check_address("127.0.0.1", False, None)
    with pytest.raises(InputError, match="allow-remote"):
        check_address("0.0.0.0", False, "x" * 20)
    with pytest.raises(InputError, match="token"):
        check_address("0.0.0.0", True, None)
    check_address("0.0.0.0", True, "x" * 20)


def test_static_files_ship_with_the_package() -> None:
    static = ROOT / "engine" / "web" / "static"
    import hashlib

    digest = hashlib.sha256((static / "htmx.min.js").read_bytes()).hexdigest()
    assert digest in (static / "VENDORED").read_text()
    assert "Zero-Clause BSD" in (static / "htmx.LICENSE").read_text()


def test_demo_clinic_every_page_renders(tmp_path: Path) -> None:
    from engine.web.demo import build_demo

    clinic = tmp_path / "clinic"
    folders = build_demo(ROOT / "examples", clinic)
    assert len(folders) == len(list((ROOT / "examples").glob("*.yaml")))
    with client_for(clinic) as tc:
        listing = tc.get("/").text
        assert listing.count('<a href="/c/') == len(folders)
        assert 'class="badge refer_urgent"' in listing
        for folder in folders:
            assert tc.get(f"/c/{folder}").status_code == 200, folder
            page = tc.get(f"/c/{folder}/visits/1")
            assert page.status_code == 200, folder
            assert tc.get(f"/c/{folder}/assess").status_code == 200, folder
        assert "read-only" not in tc.get("/rules").text  # the demo keeps its own rules: editable
    seed = next(f for f in folders if f == "c-0042")
    cli = rehab("plan", str(SEED), "--json", "-")
    assert (clinic / seed / "001-plan.json").read_text(encoding="utf-8") == cli.stdout


def test_one_client_lock_does_not_hold_up_another(tmp_path: Path) -> None:
    import threading

    with client_for(tmp_path) as tc:
        a, b = new_client(tc, "Ann", "A-1"), new_client(tc, "Bob", "B-1")
        from engine.web.store import Clinic

        clinic = Clinic(tmp_path)
        held = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with clinic.client(a).lock():
                held.set()
                release.wait(10)

        th = threading.Thread(target=hold)
        th.start()
        held.wait(5)
        try:
            r = save_seed(tc, b)  # another client is not blocked
            assert r.status_code == 303
        finally:
            release.set()
            th.join()
        assert (tmp_path / a / ".rehab.lock").exists() and (tmp_path / b / "001-plan.json").is_file()


def test_review_with_overrides_is_rehab_progress_with_overrides(tc: Any, tmp_path: Path) -> None:
    import json

    folder = new_client(tc)
    save_seed(tc, folder)
    plan = json.loads((tmp_path / folder / "001-plan.json").read_text())
    first = plan["exercises"][0]
    form = tc.get(f"/c/{folder}/visits/1/review").text
    assert 'name="ov[0].kind"' in form and '<option value="swap">' in form
    base = {**feedback_form(form), "csrf_token": token(tc)}
    # a reason is required: the model's message appears beside the reason field
    missing = {**base, "ov[0].kind": "remove", "ov[0].exercise": first["id"], "ov[0].side": first["side"]}
    r = tc.post(f"/c/{folder}/visits/1/review", data=missing)
    assert r.status_code == 422
    assert re.search(r'id="f-ov-0-reason-err">is required but missing', r.text)
    assert not (tmp_path / folder / "002-plan.json").exists()
    ok = {**missing, "ov[0].reason": "Already does these at the gym."}
    r = tc.post(f"/c/{folder}/visits/1/review", data=ok, follow_redirects=False)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    nxt = json.loads((tmp_path / folder / "002-plan.json").read_text())
    assert first["id"] not in [e["id"] for e in nxt["exercises"]]
    assert nxt["overrides"][0]["reason"] == "Already does these at the gym."
    cli = replay_review(
        tmp_path,
        folder,
        "--json",
        "-",
    )
    assert cli.returncode == 0, cli.stderr
    assert (tmp_path / folder / "002-plan.json").read_text(encoding="utf-8") == cli.stdout
    page = tc.get(f"/c/{folder}/visits/2").text
    assert "Clinician overrides" in page and "Already does these at the gym." in page
    assert tc.get(f"/c/{folder}/visits/2/report.pdf").content.startswith(b"%PDF")
