"""The review visit on the web desk as a clinician walks it: running feedback (pain and walk-run stage),
overrides chosen from lists, errors beside their field, the running plan shown as the handout says it."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import rehab
from tests.web_helpers import ERROR_RE, client_for, feedback_form, new_client, replay_review, seed_form, token


@pytest.fixture
def tc(tmp_path: Path) -> Any:
    with client_for(tmp_path) as c:
        yield c


def _seed_visit(tc: Any, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    folder = new_client(tc)
    r = tc.post(f"/c/{folder}/assess", data={**seed_form(), "csrf_token": token(tc)}, follow_redirects=False)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    return folder, json.loads((tmp_path / folder / "001-plan.json").read_text(encoding="utf-8"))


def _select(page: str, select_id: str) -> list[str]:
    m = re.search(rf'<select id="{re.escape(select_id)}"[^>]*>(.*?)</select>', page, re.S)
    assert m, f"no select {select_id}"
    return re.findall(r'<option value="([^"]*)"', m.group(1))


def test_walk_run_stage_is_asked_and_the_next_plan_goes_on_from_it(tc: Any, tmp_path: Path) -> None:
    folder, plan = _seed_visit(tc, tmp_path)
    assert plan["running"]["status"] == "walk_run"
    stages = [w["stage"] for w in plan["running"]["walk_run"]]
    form = tc.get(f"/c/{folder}/visits/1/review").text
    assert _select(form, "f-running-walk_run_stage") == [""] + [str(s) for s in stages]
    assert 'for="f-running-walk_run_stage"' in form  # labelled
    data = {
        **feedback_form(form),
        "csrf_token": token(tc),
        "running.pain_during": "2",
        "running.pain_next_morning": "1",
        "running.walk_run_stage": "2",
    }
    r = tc.post(f"/c/{folder}/visits/1/review", data=data, follow_redirects=False)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    fb = (tmp_path / folder / "002-feedback.yaml").read_text(encoding="utf-8")
    assert "walk_run_stage: 2" in fb and "pain_during: 2" in fb
    nxt = json.loads((tmp_path / folder / "002-plan.json").read_text(encoding="utf-8"))
    # the CLI, on the same files, writes the same plan
    replay = tmp_path / "replay"
    replay.mkdir()
    for name in ("001-plan.json", "002-feedback.yaml"):
        (replay / name).write_bytes((tmp_path / folder / name).read_bytes())
    cli = rehab("progress", str(replay / "001-plan.json"), str(replay / "002-feedback.yaml"), "--json", "-")
    assert cli.returncode == 0, cli.stderr
    assert (tmp_path / folder / "002-plan.json").read_text(encoding="utf-8") == cli.stdout
    # the plan page shows the new running plan: it starts past the stage done, as the handout does
    first = nxt["running"]["walk_run"][0]["stage"]
    assert first > 2
    page = tc.get(f"/c/{folder}/visits/2").text
    running = re.search(r'<h2 id="running">(.*?)</ul>', page, re.S)
    assert running, "no running section on the plan page"
    assert nxt["running"]["summary"] in running.group(1)
    assert f"Stage {first}:" in running.group(1) and "Stage 1:" not in running.group(1)
    assert "Start the walk-run plan when" not in running.group(1)  # the client has started it


def test_running_section_is_the_handouts_running_text(tc: Any, tmp_path: Path) -> None:
    from engine.models.plan import Plan
    from engine.render.handout import load_template
    from engine.render.running import override_guide, running_lines

    folder, plan = _seed_visit(tc, tmp_path)
    page = tc.get(f"/c/{folder}/visits/1").text
    typed, template = Plan.model_validate(plan), load_template()[0]
    lines = running_lines(typed.running, template, override_guide(typed, template))
    assert lines is not None
    shown = re.search(r'<ul class="running"[^>]*>(.*?)</ul>', page, re.S)
    assert shown
    items = [re.sub(r"&#39;", "'", t) for t in re.findall(r"<li>(.*?)</li>", shown.group(1))]
    assert items == lines[1]


def test_bad_walk_run_stage_is_shown_beside_its_field(tc: Any, tmp_path: Path) -> None:
    folder, _ = _seed_visit(tc, tmp_path)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    data = {**feedback_form(form), "csrf_token": token(tc), "running.pain_during": "2"}
    data["running.walk_run_stage"] = "25"
    r = tc.post(f"/c/{folder}/visits/1/review", data=data)
    assert r.status_code == 422
    assert re.search(r'id="f-running-walk_run_stage-err">must be between 1 and 20 \(got 25\)', r.text)
    assert re.search(r'id="f-running-pain_next_morning-err">is required but missing', r.text)
    assert 'aria-describedby="f-running-walk_run_stage-err"' in r.text
    assert not (tmp_path / folder / "002-feedback.yaml").exists()


def test_feedback_older_than_the_plan_is_an_error_beside_the_date(tc: Any, tmp_path: Path) -> None:
    folder, _ = _seed_visit(tc, tmp_path)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    data = {**feedback_form(form), "csrf_token": token(tc), "reported_on": "2020-01-02"}
    r = tc.post(f"/c/{folder}/visits/1/review", data=data)
    assert r.status_code == 422
    assert re.search(r'id="f-reported_on-err">is before the plan&#39;s date', r.text)
    assert not (tmp_path / folder / "002-feedback.yaml").exists()


def test_override_rows_offer_the_exercises_and_ignore_fields_of_other_kinds(tc: Any, tmp_path: Path) -> None:
    from engine.web.core import Engine

    folder, plan = _seed_visit(tc, tmp_path)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    library = sorted(Engine(None, None, None, "A4").content().library.exercises)
    for i in (0, 1):
        assert _select(form, f"f-ov-{i}-exercise") == ["", *library]
        assert _select(form, f"f-ov-{i}-with") == ["", *library]
    ex = plan["exercises"][0]
    # the clinician first picked swap (and a 'swap with'), then changed the row to a re-dose
    data = {
        **feedback_form(form),
        "csrf_token": token(tc),
        "ov[0].kind": "dose",
        "ov[0].exercise": ex["id"],
        "ov[0].side": ex["side"],
        "ov[0].with": library[0],
        "ov[0].step": "2",
        "ov[0].reason": "Step 1 was far too easy.",
    }
    r = tc.post(f"/c/{folder}/visits/1/review", data=data, follow_redirects=False)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    ov = (tmp_path / folder / "002-overrides.yaml").read_text(encoding="utf-8")
    assert "dose:" in ov and "with" not in ov
    nxt = json.loads((tmp_path / folder / "002-plan.json").read_text(encoding="utf-8"))
    assert nxt["overrides"][0]["action"] == "dose" and nxt["overrides"][0]["dose_step"] == 2


def test_override_of_an_exercise_not_in_the_plan_is_shown_beside_the_row(tc: Any, tmp_path: Path) -> None:
    folder, plan = _seed_visit(tc, tmp_path)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    planned = {e["id"] for e in plan["exercises"]}
    other = next(x for x in re.findall(r'<option value="([a-z0-9-]+)"', form) if x not in planned and x != "swap")
    data = {
        **feedback_form(form),
        "csrf_token": token(tc),
        "ov[0].kind": "remove",
        "ov[0].exercise": other,
        "ov[0].reason": "Not needed.",
    }
    r = tc.post(f"/c/{folder}/visits/1/review", data=data)
    assert r.status_code == 422
    errs = re.findall(r'<p class="field-error" id="f-ov-0-[a-z_]+-err">([^<]*)</p>', r.text)
    assert errs and "is not in the plan" in errs[0]
    assert not (tmp_path / folder / "002-plan.json").exists()


def test_malformed_urls_are_html_404_pages(tc: Any, tmp_path: Path) -> None:
    folder, _ = _seed_visit(tc, tmp_path)
    for url in (f"/c/{folder}/visits/abc", f"/c/{folder}/visits/7/review", f"/c/{folder}/visits/1x/handout.pdf"):
        r = tc.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"].startswith("text/html") and "not found" in r.text, url
    r = tc.post(f"/c/{folder}/visits/7/review", data={"csrf_token": token(tc)})
    assert r.status_code == 404


class _Labels(HTMLParser):
    """Ids, label targets, aria-labelledby/-describedby references and unlabelled controls of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str]] = []
        self.in_label = 0
        self.radios_outside_group: list[str] = []
        self.group_depth: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        for k in ("aria-labelledby", "aria-describedby"):
            if k in a:
                self.refs += a[k].split()
        if tag == "label":
            self.in_label += 1
            if "for" in a:
                self.label_for.add(a["for"])
                self.refs.append(a["for"])
        if a.get("role") == "radiogroup" or tag == "fieldset":
            self.group_depth.append(tag)
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            if a.get("type") in ("radio", "checkbox") and self.in_label:
                if a.get("type") == "radio" and not self.group_depth:
                    self.radios_outside_group.append(a.get("name", ""))
                return
            self.controls.append((a.get("id", ""), a.get("name", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1
        if self.group_depth and tag in ("span", "fieldset") and self.group_depth[-1] == tag:
            self.group_depth.pop()


def test_every_control_has_a_label_and_every_reference_exists(tc: Any, tmp_path: Path) -> None:
    folder, _ = _seed_visit(tc, tmp_path)
    bad = {"csrf_token": token(tc), "findings.cadence_spm": "300"}
    pages = {
        "clients": tc.get("/").text,
        "client": tc.get(f"/c/{folder}").text,
        "assess": tc.get(f"/c/{folder}/assess").text,
        "assess-422": tc.post(f"/c/{folder}/assess", data=bad).text,
        "review": tc.get(f"/c/{folder}/visits/1/review").text,
        "review-422": tc.post(f"/c/{folder}/visits/1/review", data={"csrf_token": token(tc)}).text,
    }
    for name, html in pages.items():
        p = _Labels()
        p.feed(html)
        dangling = [r for r in p.refs if r not in p.ids]
        assert dangling == [], f"{name}: label/aria references to no element: {dangling[:5]}"
        unlabelled = [c for c in p.controls if c[0] not in p.label_for]
        assert unlabelled == [], f"{name}: controls without a label: {unlabelled[:5]}"
        assert p.radios_outside_group == [], f"{name}: yes/no radios not grouped: {p.radios_outside_group[:5]}"
    assert 'aria-invalid="true" aria-describedby="f-findings-cadence_spm-err"' in pages["assess-422"]


def test_review_form_asks_every_feedback_field(tc: Any, tmp_path: Path) -> None:
    """A field the CLI's feedback file accepts can be entered on the form (a new model field fails here)."""
    from engine.models.feedback import ExerciseFeedback, Feedback, RunningFeedback

    folder, _ = _seed_visit(tc, tmp_path)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    names = set(re.findall(r'name="([^"]+)"', form))
    wanted = {f"exercises[0].{k}" for k in ExerciseFeedback.model_fields if k not in ("id", "side")}
    wanted |= {f"running.{k}" for k in RunningFeedback.model_fields}
    wanted |= {k for k in Feedback.model_fields if k not in ("version", "exercises", "running", "new_red_flags")}
    wanted |= {n for n in names if n.startswith("new_red_flags.")} or {"new_red_flags.*"}
    assert sorted(wanted - names) == []


def test_preview_names_the_running_status(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    r = tc.post(f"/c/{folder}/preview", data={**seed_form(), "csrf_token": token(tc)}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<strong>Running: walk-run.</strong>" in r.text


def test_client_history_shows_running_per_visit(tc: Any, tmp_path: Path) -> None:
    folder, _ = _seed_visit(tc, tmp_path)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    data = {
        **feedback_form(form),
        "csrf_token": token(tc),
        "running.pain_during": "2",
        "running.pain_next_morning": "1",
        "running.walk_run_stage": "2",
    }
    assert tc.post(f"/c/{folder}/visits/1/review", data=data, follow_redirects=False).status_code == 303
    page = tc.get(f"/c/{folder}").text
    lines = re.findall(r'<p class="running">(.*?)</p>', page, re.S)
    assert len(lines) == 2
    assert lines[0] == "running: walk-run"  # not started: the entry checks come first
    assert lines[1].startswith("running: walk-run") and "from walk-run stage 3" in lines[1]


def test_an_internal_error_is_a_plain_page_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from engine.web import create_app
    from engine.web.desk import Desk

    def broken(self: Any, query: str = "") -> Any:
        raise RuntimeError("secret client detail")

    monkeypatch.setattr(Desk, "clients", broken)
    with TestClient(create_app(tmp_path), base_url="http://127.0.0.1", raise_server_exceptions=False) as tc:
        r = tc.get("/")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert "internal error" in r.text and "RuntimeError at test_web_review.py:" in r.text
    assert "Traceback" not in r.text and "secret client detail" not in r.text
    assert "secret client detail" not in caplog.text
    # sent from outside the middleware, it still carries the desk's security headers
    assert "default-src" in r.headers["content-security-policy"] and r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"


def test_plan_page_states_each_override_in_words(tc: Any, tmp_path: Path) -> None:
    from engine.web.core import Engine

    folder, plan = _seed_visit(tc, tmp_path)
    ex = plan["exercises"][0]
    lib = Engine(None, None, None, "A4").content().library
    planned = {e["id"] for e in plan["exercises"]}
    excluded = {x["exercise"] for x in plan["excluded"]}
    other = next(e.id for e in lib.ladder(ex["ladder"]) if e.id not in planned and e.id not in excluded)
    form = tc.get(f"/c/{folder}/visits/1/review").text
    data = {
        **feedback_form(form),
        "csrf_token": token(tc),
        "ov[0].kind": "swap",
        "ov[0].exercise": ex["id"],
        "ov[0].side": ex["side"],
        "ov[0].with": other,
        "ov[0].reason": "Hurts her wrist.",
    }
    r = tc.post(f"/c/{folder}/visits/1/review", data=data, follow_redirects=False)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    page = tc.get(f"/c/{folder}/visits/2").text
    item = re.search(r'<ul class="overrides"><li>(.*?)</li>', page, re.S)
    assert item
    text = re.sub(r"<[^>]+>", "", item.group(1))
    assert text.startswith(f"swapped {ex['id']} ({ex['side']}) for {other} at dose step 1: Hurts her wrist. (")


def test_range_hints_read_plainly(tc: Any) -> None:
    from engine.web import forms

    hints = {f.name: f.hint for g in forms.ASSESSMENT_GROUPS for f in g.fields}
    assert hints["findings.cadence_spm"] == "120–230"
    assert hints["findings.step_width.cm"] == "−15 to 40"  # not "-15–40"


def test_review_pdfs_are_the_bytes_rehab_progress_writes(tc: Any, tmp_path: Path) -> None:
    folder, plan = _seed_visit(tc, tmp_path)
    ex = plan["exercises"][0]
    form = tc.get(f"/c/{folder}/visits/1/review").text
    data = {
        **feedback_form(form),
        "csrf_token": token(tc),
        "running.pain_during": "2",
        "running.pain_next_morning": "1",
        "running.walk_run_stage": "3",
        "ov[0].kind": "remove",
        "ov[0].exercise": ex["id"],
        "ov[0].side": ex["side"],
        "ov[0].reason": "Already does these at the gym.",
    }
    assert tc.post(f"/c/{folder}/visits/1/review", data=data, follow_redirects=False).status_code == 303
    cli = replay_review(
        tmp_path,
        folder,
        "-o",
        "{replay}/h.pdf",
        "--clinician-report",
        "{replay}/r.pdf",
    )
    replay = tmp_path / "replay"
    assert cli.returncode == 0, cli.stderr
    h = tc.get(f"/c/{folder}/visits/2/handout.pdf")
    assert h.status_code == 200 and h.content == (replay / "h.pdf").read_bytes()
    assert tc.get(f"/c/{folder}/visits/2/report.pdf").content == (replay / "r.pdf").read_bytes()
