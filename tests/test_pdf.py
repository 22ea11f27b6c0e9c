"""Handouts and clinician reports, checked by extracting their text (pypdf)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from engine.load.content import load_content
from engine.plan.pipeline import Result, evaluate, load_assessment
from engine.render.handout import render
from tests.conftest import EXAMPLES, ROOT, rehab

SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
URGENT = ROOT / "examples" / "cauda-equina-red-flag.yaml"


@cache
def result(path: Path) -> Result:
    return evaluate(load_content(), load_assessment(path))


@cache
def pdf(path: Path, report: bool = False, paper: str = "a4") -> bytes:
    r = result(path)
    return render(r.plan, load_content(), r.assessment, report=report, paper=paper)


def text_of(data: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def test_handout_content_and_order() -> None:
    plan = result(SEED).plan
    pages = text_of(pdf(SEED))
    full = "\n".join(pages)
    assert "Zoë Ångström-Łukasiewicz" in full
    assert f"Page 1 of {len(pages)}" in pages[0]
    names = [e.name for e in plan.exercises]
    assert len(names) >= 3
    positions = [full.index(n) for n in names]
    assert positions == sorted(positions), "exercises must print in plan order"
    found = full.index("What we found")
    assert found < positions[0] < full.index("How much pain is OK")
    assert "Day" in full and "Pain" in full  # tracking log


def test_metadata_outline_and_embedded_fonts() -> None:
    reader = PdfReader(io.BytesIO(pdf(SEED)))
    meta = reader.metadata
    assert meta is not None and meta.title
    # no identifying data in metadata (issue 11): the client's name is only on the pages
    for value in meta.values():
        assert "Zoë" not in str(value) and "Ångström" not in str(value)
    report = PdfReader(io.BytesIO(pdf(SEED, report=True))).metadata or {}
    assert all("Zoë" not in str(v) for v in report.values())
    assert reader.trailer["/Root"].get("/Lang")
    assert len(reader.outline) >= 4
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor


def test_byte_identical_rerender() -> None:
    r = result(SEED)
    again = render(r.plan, load_content(), r.assessment)
    assert again == pdf(SEED)


@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_sizes(paper: str, size: tuple[int, int]) -> None:
    box = PdfReader(io.BytesIO(pdf(SEED, paper=paper))).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_urgent_referral_is_one_page_without_exercises() -> None:
    plan = result(URGENT).plan
    assert plan.status == "refer_urgent" and not plan.exercises
    pages = text_of(pdf(URGENT))
    assert len(pages) == 1
    assert plan.referrals[0].reason.split()[0] in pages[0]


def test_clinician_report_lists_rules_and_evidence() -> None:
    plan = result(SEED).plan
    full = "\n".join(text_of(pdf(SEED, report=True)))
    for t in plan.trace:
        assert t.rule in full.replace("\n", "")
    assert plan.generated_with.rules_sha256[:12] in full.replace("\n", "")


@pytest.mark.slow
def test_cli_writes_all_outputs_atomically(tmp_path: Path) -> None:
    out = tmp_path / "h.pdf"
    result_ = rehab(
        "plan",
        str(SEED),
        "-o",
        str(out),
        "--json",
        str(tmp_path / "p.json"),
        "--clinician-report",
        str(tmp_path / "r.pdf"),
        "--paper",
        "letter",
    )
    assert result_.returncode == 0, result_.stderr
    assert out.read_bytes().startswith(b"%PDF")
    again = rehab("plan", str(SEED), "-o", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    missing = rehab("plan", str(SEED), "-o", str(tmp_path / "nope" / "h.pdf"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.pdf", "p.json", "r.pdf"]


def test_batch_reports_bad_file_and_writes_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nclient: {}\n")
    out = tmp_path / "out"
    out.mkdir()
    r = rehab("plan", str(EXAMPLES[0]), str(bad), "--out-dir", str(out), "--reports")
    assert r.returncode == 2
    assert "bad.yaml" in r.stderr and "1 planned" in r.stderr and "1 failed" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{EXAMPLES[0].stem}{s}" for s in (".pdf", ".plan.json", ".report.pdf")
    )


def test_batch_in_parallel_gives_the_same_bytes(tmp_path: Path) -> None:
    picks = [str(p) for p in EXAMPLES[:4]]
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    assert rehab("plan", *picks, "--out-dir", str(one), "-j", "1", "--reports").returncode == 0
    assert rehab("plan", *picks, "--out-dir", str(two), "-j", "2", "--reports").returncode == 0
    names = sorted(p.name for p in one.iterdir())
    assert len(names) == 12 and names == sorted(p.name for p in two.iterdir())
    assert all((one / n).read_bytes() == (two / n).read_bytes() for n in names)


def test_first_visit_reports_have_no_review_sections() -> None:
    """Issue 13's review sections print only when the plan has some: a first-visit report (no
    reviewed, overrides or warnings) is the same bytes whether the lists are absent or empty."""
    from engine.render import pdf as render_pdf
    from engine.render.handout import load_template
    from engine.render.view import build

    content = load_content()
    template, folder = load_template()
    for path in EXAMPLES:
        r = result(path)
        assert not (r.plan.reviewed or r.plan.overrides or r.plan.warnings), path.name
        data = pdf(path, report=True)
        full = "".join("".join(text_of(data)).split())
        for heading in ("Review: feedback received", "Clinician overrides", "Check these"):
            assert "".join(heading.split()) not in full, (path.name, heading)
        plan = r.plan.model_copy(update={"reviewed": [], "overrides": [], "warnings": []})
        view = build(plan, content.library.exercises, r.assessment)
        again = render_pdf.render_clinician_report(view, template, folder)
        assert again == data, path.name


def _dies_on_second(job: tuple[Path, str]) -> object:
    """Stands in for the batch worker: the second file kills its process (as a C crash would)."""
    import os
    import signal

    if job[1] == EXAMPLES[1].stem:
        os.kill(os.getpid(), signal.SIGKILL)
    return _REAL_PLAN_INTO(job)


_REAL_PLAN_INTO: object = None


def test_batch_worker_killed_is_an_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies on a signal stops the batch with a clear error (exit 2 at the CLI), never a
    wait for a task that will never come back."""
    import threading

    from engine.app import planning
    from engine.app.clinic import Clinic
    from engine.errors import EvaluationError

    global _REAL_PLAN_INTO
    _REAL_PLAN_INTO = planning._plan_into
    monkeypatch.setattr(planning, "_plan_into", _dies_on_second)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            planning.plan_batch(Clinic(), list(EXAMPLES[:3]), tmp_path, jobs=2)
            outcome.append(None)
        except BaseException as exc:  # recorded for the assertion below
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(120)
    assert outcome, "plan_batch hung after a worker was killed"
    assert isinstance(outcome[0], EvaluationError), outcome
    assert "--jobs 1" in str(outcome[0])
