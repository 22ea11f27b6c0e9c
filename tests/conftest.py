"""Shared fixtures and helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def rehab(
    *args: str, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess (the installed `rehab` when present)."""
    exe = Path(sys.executable).with_name("rehab")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine"]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd or ROOT,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


# `make test-fast` runs `-m "not slow"` on two workers with REHAB_TEST_PROFILE=fast. Besides the
# tests their own files mark slow, these are marked here (their files stay as their owners wrote
# them). Seconds are wall times measured under `-n 2` on this project's loaded 2-core VM; `make
# test` still runs every one of them.
SLOW_IN_FAST = {
    "tests/test_render_speed.py::test_speedups_give_the_same_bytes": "13 s: every example rendered twice",
    "tests/test_render_speed.py::test_layout_once_gives_the_same_bytes_as_measuring_first": "9 s: every example twice",
    "tests/test_rules_fuzz.py::test_what_the_check_accepts_the_engine_runs": "7 s: generated rule sets",
    "tests/test_pdf.py::test_first_visit_reports_have_no_review_sections": "7 s: every example's report",
    "tests/test_rules_wall.py::test_two_plan_processes_never_overwrite_each_other": "5 s: two processes racing",
    "tests/test_robustness.py::test_edited_plan_is_refused_before_progress": "2 s: subprocesses",
    "tests/test_handout_truth.py::test_generated_handouts_are_true": "2 s: generated assessments",
    "tests/test_interop.py::test_garbage_through_the_cli_exits_2_or_writes_a_valid_file": "2 s: generated files",
    "tests/test_pdf.py::test_batch_in_parallel_gives_the_same_bytes": "worker processes",
    "tests/test_pdf.py::test_batch_reports_bad_file_and_writes_the_rest": "worker processes",
    # the browser end-to-end runs (chromium + a server); tests/test_web.py drives the same desk in process
    "tests/browser/test_desk_browser.py::test_first_visit_and_review": "15 s: chromium",
    "tests/browser/test_desk_browser.py::test_forms_work_without_javascript": "8 s: chromium",
    # issue-11 reproducers that start many `rehab` processes (c1, c4, c7 and one c5 shape stay fast)
    "tests/test_reproducers_11.py::test_c6_exponent_numbers_in_facts_and_rules_plan": "14 s: subprocesses",
    "tests/test_reproducers_11.py::test_symlinked_rule_subfolders_are_followed_or_refused_loudly": "8 s: subprocesses",
    "tests/test_reproducers_11.py::test_c2_two_patterns_on_the_assessment_fact_mean_and": "7 s: subprocesses",
    "tests/test_reproducers_11.py::test_c3_two_same_kind_patterns_bind_every_ordered_pair_of_distinct_facts": "5 s",
    "tests/test_reproducers_11.py::test_a_dangling_symlink_counts_as_existing": "4 s: subprocesses",
    "tests/test_assess.py::test_red_flag_answered_yes_is_recorded_and_plans": "7 s: interactive subprocess",
    "tests/test_cli.py::test_rules_test_runs_on_past_a_bad_file_and_enforces_coverage": "7 s: subprocesses",
    "tests/test_cli.py::test_subprocess_validate_from_another_folder": "4 s: subprocesses",
    "tests/test_web.py::test_pdfs_are_the_bytes_rehab_plan_writes": "7 s: every example through the desk",
    "tests/test_web.py::test_demo_clinic_every_page_renders": "4 s: a demo clinic built",
    "tests/test_caseload.py::test_empty_ladder_warns_and_mixed_ladder_fails": "4 s: subprocesses",
    "tests/test_cache.py::test_cache_off_gives_the_same_plan_and_handout_bytes": "21 s: every example twice",
    "tests/test_cache.py::test_an_edited_rule_changes_the_next_cli_plan": "12 s: subprocesses",
    "tests/test_cache.py::test_a_moved_or_an_added_rule_file_is_a_new_key": "6 s: content loaded cold",
    "tests/test_web.py::test_rule_editor_refuses_what_breaks_a_test_case": "11 s: every rule case rerun",
    "tests/test_reproducers_11.py::test_thousands_of_pain_entries_are_refused_at_their_line": "9 s: a 1 MB file",
    "tests/test_robustness.py::test_outputs_naming_one_file_twice_are_refused": "5 s: subprocesses",
}

# Parametrized sweeps (every example, every engine-limit shape, every broken file kind): under
# test-fast only the first case of each runs, the others are marked slow.
SWEEPS_IN_FAST = {
    "tests/test_handout_truth.py::test_every_example_handout_is_true",
    "tests/test_reproducers_11.py::test_c5_engine_limits_are_checked_before_anything_runs",
    "tests/test_reproducers_11.py::test_broken_template_files_exit_2_naming_the_template",
    "tests/test_reproducers_11.py::test_yaml_tags_exit_2_with_a_position",
    "tests/test_cli_fuzz.py::test_hostile_files_through_a_real_process",
    "tests/test_pdf_pictures.py::test_picture_file_outside_the_folder_is_refused",
    "tests/test_pdf_pictures.py::test_side_lying_label_picture_and_steps_agree",
    "tests/test_handout_truth.py::test_no_page_under_a_third_full",
    "tests/test_vignettes.py::test_vignette_handout_is_true",
    "tests/test_vignettes.py::test_referral_reasons_name_the_sheet_time_frame",
    "tests/test_cache.py::test_a_corrupt_entry_is_ignored_and_replaced",
    "tests/test_caseload.py::test_bone_stress_at_every_site_keeps_the_client_off_one_leg",
}

# Hypothesis: under REHAB_TEST_PROFILE=fast (set by `make test-fast`) every @given test runs at
# most FAST_EXAMPLES examples, whatever its own @settings say; `make test` runs each test's own count.
FAST_EXAMPLES = 20
FAST = os.environ.get("REHAB_TEST_PROFILE") == "fast"


def _cap_examples(function: object) -> None:
    from hypothesis import settings

    current = getattr(function, "_hypothesis_internal_use_settings", None)
    if current is not None and current.max_examples > FAST_EXAMPLES:
        function._hypothesis_internal_use_settings = settings(current, max_examples=FAST_EXAMPLES)  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seen: set[str] = set()
    for item in items:
        function_id = item.nodeid.split("[", 1)[0]
        if item.nodeid in SLOW_IN_FAST:
            item.add_marker(pytest.mark.slow)
        elif function_id in SWEEPS_IN_FAST:
            if function_id in seen:
                item.add_marker(pytest.mark.slow)
            seen.add(function_id)
        if FAST and isinstance(item, pytest.Function) and getattr(item.function, "is_hypothesis_test", False):
            _cap_examples(item.function)


@pytest.fixture(autouse=True, scope="session")
def _own_content_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The content cache (engine/load/cache.py) of a test run lives in a temporary folder, for
    this process and the `rehab` subprocesses it starts, never in the user's ~/.cache."""
    if "REHAB_CACHE_DIR" not in os.environ:
        os.environ["REHAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("rehab-cache"))
