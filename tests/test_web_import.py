"""The web desk's gait import (issue 16): the same import as ``rehab import``, as an upload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from engine.interop import synthetic
from engine.models.assessment import RED_FLAGS
from tests.web_helpers import ERROR_RE, client_for, new_client, token


@pytest.fixture
def tc(tmp_path: Path) -> Any:
    (tmp_path / "clinic").mkdir()
    with client_for(tmp_path / "clinic") as c:
        yield c


def _clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic"
    path.mkdir(exist_ok=True)
    return path


def upload(tc: Any, folder: str, mot: tuple[str, bytes], events: tuple[str, bytes], tool: str = "opencap") -> Any:
    return tc.post(
        f"/c/{folder}/import",
        data={"csrf_token": token(tc), "import.format": tool},
        files={"import.kinematics": mot, "import.events": events},
        follow_redirects=False,
    )


def capture() -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    c = synthetic.Capture()
    return ("run.mot", synthetic.mot_text(c).encode()), ("run-events.yaml", synthetic.events_yaml(c).encode())


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name != ".rehab.lock")


def prefilled(clinic: Path, folder: str) -> dict[str, str]:
    from engine.load import yamlio

    data, _ = yamlio.read(clinic / folder / "drafts" / "assessment.yaml")
    return {str(k): str(v) for k, v in data.items()}


def test_client_page_offers_the_upload(tc: Any) -> None:
    folder = new_client(tc)
    page = tc.get(f"/c/{folder}").text
    assert 'enctype="multipart/form-data"' in page and f'action="/c/{folder}/import"' in page
    for tool in ("opencap", "opensim", "kinovea", "csv"):
        assert f'<option value="{tool}"' in page


def test_upload_prefills_the_form_and_planning_waits_for_pain_and_red_flags(tc: Any, tmp_path: Path) -> None:
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    mot, events = capture()
    r = upload(tc, folder, mot, events)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    assert r.headers["location"] == f"/c/{folder}/assess"
    assert not list((clinic / folder).glob("0*")), "an import is a draft, not a visit"
    page = tc.get(f"/c/{folder}/assess").text
    assert 'id="import-banner"' in page and "red-flag question" in page and "pain history" in page
    assert 'name="findings.pelvic_drop.left_stance_deg" value="8.5"' in page
    assert 'name="findings.pelvic_drop.right_stance_deg" value="9.0"' in page
    values = prefilled(clinic, folder)
    assert "source.tool" not in values and "to_complete" not in values

    # red flags not asked: refused beside each flag, nothing planned
    r = tc.post(f"/c/{folder}/assess", data={**values, "csrf_token": token(tc)}, follow_redirects=False)
    assert r.status_code == 422
    assert "answer yes or no" in ERROR_RE.findall(r.text)
    assert not (clinic / folder / "001-plan.json").exists()

    # red flags asked, pain history not: still refused
    flags = {f"red_flags.{f}": "no" for f in RED_FLAGS}
    r = tc.post(f"/c/{folder}/assess", data={**values, **flags, "csrf_token": token(tc)}, follow_redirects=False)
    assert r.status_code == 422
    assert any("pain history" in e for e in ERROR_RE.findall(r.text))
    assert not (clinic / folder / "001-plan.json").exists()

    # completed: the plan is made, the source kept, to_complete gone, drafts dropped
    done = {**values, **flags, "to_complete.no_pain": "yes", "csrf_token": token(tc)}
    r = tc.post(f"/c/{folder}/assess", data=done, follow_redirects=False)
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    assert r.headers["location"] == f"/c/{folder}/visits/1"
    from engine.load import yamlio

    saved, _ = yamlio.read(clinic / folder / "001-assessment.yaml")
    assert saved["source"]["tool"] == "opencap" and saved["source"]["file"] == "run.mot"
    assert "to_complete" not in saved and saved["pain"] == [] and saved["red_flags"] == []
    assert saved["findings"]["pelvic_drop"] == {"left_stance_deg": 8.5, "right_stance_deg": 9.0}
    assert (clinic / folder / "001-plan.json").is_file()
    assert not (clinic / folder / "drafts" / "import.yaml").exists()
    assert not (clinic / folder / "drafts" / "assessment.yaml").exists()
    assert tc.get(f"/c/{folder}/visits/1").status_code == 200


def test_trc_heel_markers_work_too(tc: Any, tmp_path: Path) -> None:
    folder = new_client(tc)
    c = synthetic.Capture()
    r = upload(tc, folder, ("run.mot", synthetic.mot_text(c).encode()), ("run.trc", synthetic.trc_text(c).encode()))
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    assert "pelvic_drop.left_stance_deg" in (_clinic(tmp_path) / folder / "drafts" / "assessment.yaml").read_text()


def test_garbage_file_is_refused_beside_its_field_and_writes_nothing(tc: Any, tmp_path: Path) -> None:
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    before = files_under(clinic)
    _, events = capture()
    r = upload(tc, folder, ("bad.mot", b"\x00\x01garbage\nnot a motion file"), events)
    assert r.status_code == 422
    box = r.text.split('id="f-import-kinematics-box"', 1)[1].split("</div>", 1)[0]
    assert "bad.mot:1:1: this is a binary file" in box
    assert files_under(clinic) == before

    r = upload(tc, folder, ("bad.mot", b"not a header\n1 2 3\n"), events)
    assert r.status_code == 422
    assert any(e.startswith("bad.mot:") for e in ERROR_RE.findall(r.text))
    assert files_under(clinic) == before


def test_bad_events_file_is_refused_beside_the_events_field(tc: Any, tmp_path: Path) -> None:
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    before = files_under(clinic)
    mot, _ = capture()
    r = upload(tc, folder, mot, ("ev.yaml", b"stance: [1, 2\n"))
    assert r.status_code == 422
    box = r.text.split('id="f-import-events-box"', 1)[1].split("</div>", 1)[0]
    assert "ev.yaml:" in box
    assert files_under(clinic) == before


def test_missing_file_and_unknown_tool_are_field_errors(tc: Any, tmp_path: Path) -> None:
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    before = files_under(clinic)
    mot, events = capture()
    r = upload(tc, folder, mot, ("", b""))
    assert r.status_code == 422 and "choose a file" in ERROR_RE.findall(r.text)
    r = upload(tc, folder, mot, events, tool="../../etc")
    assert r.status_code == 422 and any("opencap" in e for e in ERROR_RE.findall(r.text))
    assert files_under(clinic) == before


def test_upload_names_never_reach_the_file_system(tc: Any, tmp_path: Path) -> None:
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    outside = files_under(tmp_path)
    mot, events = capture()
    r = upload(tc, folder, ("../../x.mot", mot[1]), ("..\\..\\..\\ev.yaml", events[1]))
    assert r.status_code == 303, ERROR_RE.findall(r.text)
    new = sorted(set(files_under(tmp_path)) - set(outside))
    assert new == [
        f"clinic/{folder}/drafts",
        f"clinic/{folder}/drafts/assessment.yaml",
        f"clinic/{folder}/drafts/import.yaml",
    ]
    assert not list(tmp_path.rglob("x.mot")) and not list(tmp_path.rglob("ev.yaml"))
    text = (clinic / folder / "drafts" / "import.yaml").read_text()
    assert "file: x.mot" in text and "file: ev.yaml" in text and ".." not in text


def test_upload_needs_the_csrf_token_and_a_known_client(tc: Any) -> None:
    folder = new_client(tc)
    mot, events = capture()
    r = tc.post(
        f"/c/{folder}/import",
        data={"import.format": "opencap"},
        files={"import.kinematics": mot, "import.events": events},
    )
    assert r.status_code == 403
    r = upload(tc, "..", mot, events)
    assert r.status_code == 404


def test_upload_over_the_size_limit_is_413(tc: Any) -> None:
    folder = new_client(tc)
    _, events = capture()
    r = upload(tc, folder, ("big.mot", b"x" * (2 * 1024 * 1024)), events)
    assert r.status_code == 413


def test_adding_a_pain_row_keeps_the_banner_and_discard_forgets_the_import(tc: Any, tmp_path: Path) -> None:
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    r = upload(tc, folder, *capture())
    assert r.status_code == 303
    values = prefilled(clinic, folder)
    r = tc.post(f"/c/{folder}/assess", data={**values, "action": "add_pain", "csrf_token": token(tc)})
    assert r.status_code == 200 and 'id="import-banner"' in r.text and 'name="pain[0].region"' in r.text
    page = tc.get(f"/c/{folder}/assess").text
    assert 'id="import-discard-form"' in page
    r = tc.post(f"/c/{folder}/import/discard", data={"csrf_token": token(tc)}, follow_redirects=False)
    assert r.status_code == 303
    assert not (clinic / folder / "drafts" / "import.yaml").exists()
    assert not (clinic / folder / "drafts" / "assessment.yaml").exists()
    assert 'id="import-banner"' not in tc.get(f"/c/{folder}/assess").text


def _upload_with(tc: Any, folder: str, trc: bool = False, **options: str) -> Any:
    c = synthetic.Capture()
    events = ("run.trc", synthetic.trc_text(c).encode()) if trc else capture()[1]
    return tc.post(
        f"/c/{folder}/import",
        data={"csrf_token": token(tc), "import.format": "opencap", **{f"import.{k}": v for k, v in options.items()}},
        files={"import.kinematics": ("run.mot", synthetic.mot_text(c).encode()), "import.events": events},
        follow_redirects=False,
    )


def test_import_options_of_the_cli_can_be_given_on_the_form(tc: Any, tmp_path: Path) -> None:
    """--trunk, --map, --heel-markers, --date, --units: each has a field, and its error sits beside it."""
    clinic = _clinic(tmp_path)
    folder = new_client(tc)
    page = tc.get(f"/c/{folder}").text
    for key in ("units", "trunk", "heel_markers", "map", "date"):
        assert f'name="import.{key}"' in page and f'for="f-import-{key}"' in page
    before = files_under(clinic)
    r = _upload_with(tc, folder, map="nonsense")
    assert r.status_code == 422
    assert re.search(r'id="f-import-map-err">--map: &#39;nonsense&#39; is not COLUMN=SIGNAL', r.text)
    r = _upload_with(tc, folder, date="2099-01-01")
    assert r.status_code == 422 and re.search(r'id="f-import-date-err">--date: 2099-01-01 is in the future', r.text)
    r = _upload_with(tc, folder, heel_markers="RHEE")
    assert r.status_code == 422 and 'id="f-import-heel_markers-err">give two marker names: RIGHT,LEFT' in r.text
    assert 'value="RHEE"' in r.text  # what was typed is kept
    r = _upload_with(tc, folder, trc=True, heel_markers="NOPE_R,NOPE_L")
    assert r.status_code == 422 and "run.trc:4:1: no marker &#39;NOPE_R&#39;" in r.text
    assert files_under(clinic) == before
    # a good option changes the import as on the command line: trunk lean to the pelvis
    assert _upload_with(tc, folder).status_code == 303
    default = (clinic / folder / "drafts" / "assessment.yaml").read_text(encoding="utf-8")
    tc.post(f"/c/{folder}/import/discard", data={"csrf_token": token(tc)})
    assert _upload_with(tc, folder, trunk="pelvis", date="2026-11-20").status_code == 303
    pelvis = (clinic / folder / "drafts" / "assessment.yaml").read_text(encoding="utf-8")
    lean = re.compile(r"findings\.trunk_lean\.right_stance_deg: '([^']+)'")
    assert lean.search(default) and lean.search(pelvis)
    assert lean.search(default).group(1) != lean.search(pelvis).group(1)  # type: ignore[union-attr]
    assert "assessed_on: '2026-11-20'" in pelvis
