"""A clinician's first visit and review in a real headless Chromium (Selenium), end to end."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from engine.models.assessment import RED_FLAGS
from tests.browser.conftest import make_driver
from tests.web_helpers import live_server

RED_FLAGS_NO = "input[name^='{prefix}.'][value='no']"


def wait(driver: Any, condition: Any, timeout: float = 8) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def type_into(driver: Any, element_id: str, text: str) -> None:
    el = by_id(driver, element_id)
    el.clear()
    el.send_keys(text)


def choose(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, element_id)).select_by_value(value)


def click_all(driver: Any, css: str) -> int:
    from selenium.webdriver.common.by import By

    els = driver.find_elements(By.CSS_SELECTOR, css)
    for el in els:
        el.click()
    return len(els)


def present(element_id: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    return ec.presence_of_element_located((By.ID, element_id))


def severe_console_lines(driver: Any) -> list[str]:
    """SEVERE console lines other than the expected 422 answers (a CSP break would show here)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and " 422 " not in e["message"]]


def test_first_visit_and_review(driver: Any, tmp_path: Path, downloads: Path, screenshots: Path) -> None:
    from engine.web import create_app

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    started = time.monotonic()
    with live_server(create_app(clinic)) as base:
        driver.get(base + "/")
        # create the client
        type_into(driver, "new-name", "Zoë Ångström")
        type_into(driver, "new-id", "C-0042")
        by_id(driver, "create-client").click()
        wait(driver, present("assess-form"))
        assert driver.current_url.endswith("/c/c-0042/assess")
        driver.execute_script("window.__samePage = 1")

        # the assessment, with a mistake: a 45° drop
        type_into(driver, "f-client-age", "34")
        choose(driver, "f-client-sex", "female")
        type_into(driver, "f-findings-pelvic_drop-left_stance_deg", "45")
        type_into(driver, "f-findings-pelvic_drop-right_stance_deg", "9.0")
        type_into(driver, "f-findings-trunk_lean-right_stance_deg", "7.0")
        type_into(driver, "f-findings-cadence_spm", "162")
        choose(driver, "f-findings-single_leg_squat-right", "poor")
        by_id(driver, "add-pain").click()
        wait(driver, present("f-pain-0-region"))
        choose(driver, "f-pain-0-region", "lateral_knee")
        choose(driver, "f-pain-0-side", "right")
        type_into(driver, "f-pain-0-nrs_rest", "0")
        type_into(driver, "f-pain-0-nrs_activity", "6")
        type_into(driver, "f-pain-0-weeks", "8")
        choose(driver, "f-pain-0-diagnosis", "itbs")
        assert click_all(driver, RED_FLAGS_NO.format(prefix="red_flags")) == len(RED_FLAGS)
        by_id(driver, "save-assessment").click()
        err = wait(driver, present("f-findings-pelvic_drop-left_stance_deg-err"))
        assert err.text == "must be between 0 and 30 (got 45)"
        assert driver.execute_script("return window.__samePage") == 1  # htmx swapped the form, no reload
        assert by_id(driver, "f-pain-0-weeks").get_attribute("value") == "8"  # nothing typed was lost
        wait(driver, lambda d: "to fix" in by_id(d, "preview").text or "Preview" in by_id(d, "preview").text)
        driver.execute_script(
            "document.getElementById('f-findings-pelvic_drop-left_stance_deg-box')"
            ".closest('fieldset').scrollIntoView({block: 'start'})"
        )
        driver.save_screenshot(str(screenshots / "assessment-error.png"))
        assert list(clinic.glob("c-0042/0*")) == []

        # fix it and save
        type_into(driver, "f-findings-pelvic_drop-left_stance_deg", "8.5")
        by_id(driver, "save-assessment").click()
        wait(driver, lambda d: d.current_url.endswith("/c/c-0042/visits/1"))
        wait(driver, present("dl-handout"))
        page = driver.page_source
        assert "Why: findings → rules → exercises" in page and "Rules fired" in page
        assert (clinic / "c-0042" / "001-plan.json").is_file()
        driver.save_screenshot(str(screenshots / "plan.png"))

        # download the handout
        by_id(driver, "dl-handout").click()
        wait(driver, lambda d: list(downloads.glob("*.pdf")), timeout=20)
        (pdf,) = downloads.glob("*.pdf")
        assert pdf.read_bytes().startswith(b"%PDF")

        # the review, two weeks later (today, since dates may not be in the future)
        by_id(driver, "start-review").click()
        wait(driver, present("review-form"))
        driver.execute_script("window.__samePage = 1")
        rows = 0
        while True:
            try:
                by_id(driver, f"fb-{rows}")
            except Exception:
                break
            click_all(driver, f"input[name='exercises[{rows}].completed'][value='yes']")
            type_into(driver, f"f-exercises-{rows}-pain_during", "1")
            type_into(driver, f"f-exercises-{rows}-pain_next_morning", "0")
            choose(driver, f"f-exercises-{rows}-control", "good")
            rows += 1
        assert rows >= 1
        assert click_all(driver, RED_FLAGS_NO.format(prefix="new_red_flags")) == len(RED_FLAGS)
        # running: pain and the walk-run stage reached (a list of the plan's stages)
        type_into(driver, "f-running-pain_during", "2")
        type_into(driver, "f-running-pain_next_morning", "1")
        choose(driver, "f-running-walk_run_stage", "2")
        # an override, picked from the lists: re-dose the first exercise; first without a reason
        first = json.loads((clinic / "c-0042" / "001-plan.json").read_text(encoding="utf-8"))["exercises"][0]
        choose(driver, "f-ov-0-kind", "dose")
        choose(driver, "f-ov-0-exercise", first["id"])
        choose(driver, "f-ov-0-side", first["side"])
        type_into(driver, "f-ov-0-step", "2")
        by_id(driver, "save-review").click()
        err = wait(driver, present("f-ov-0-reason-err"))
        assert err.text == "is required but missing"
        assert driver.execute_script("return window.__samePage") == 1  # swapped in place
        assert by_id(driver, "f-running-walk_run_stage").get_attribute("value") == "2"  # kept
        assert not (clinic / "c-0042" / "002-feedback.yaml").exists()
        type_into(driver, "f-ov-0-reason", "Step 1 was far too easy.")
        by_id(driver, "save-review").click()
        wait(driver, lambda d: d.current_url.endswith("/c/c-0042/visits/2"))
        wait(driver, present("dl-handout"))
        assert "was:" in driver.page_source and "now:" in driver.page_source
        assert (clinic / "c-0042" / "002-feedback.yaml").is_file()
        assert "walk_run_stage: 2" in (clinic / "c-0042" / "002-feedback.yaml").read_text(encoding="utf-8")
        from selenium.webdriver.common.by import By

        running = by_id(driver, "running").find_element(By.XPATH, "following-sibling::ul[1]").text
        assert "Stage 3:" in running and "Stage 1:" not in running
        assert "Step 1 was far too easy." in driver.page_source  # the override, listed
        driver.save_screenshot(str(screenshots / "review-plan.png"))
        assert severe_console_lines(driver) == []
    assert (screenshots / "assessment-error.png").stat().st_size > 1000
    assert (screenshots / "review-plan.png").stat().st_size > 1000
    assert (screenshots / "plan.png").stat().st_size > 1000
    assert time.monotonic() - started < 60


def test_forms_work_without_javascript(browser_ok: None, tmp_path: Path, downloads: Path) -> None:
    from selenium.webdriver.common.by import By

    from engine.web import create_app

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    driver = make_driver(downloads, javascript=False)
    try:
        with live_server(create_app(clinic)) as base:
            driver.get(base + "/")
            type_into(driver, "new-name", "Sam Ng")
            by_id(driver, "create-client").click()
            wait(driver, present("assess-form"))
            by_id(driver, "add-pain").click()  # a plain form post re-renders with a pain row
            wait(driver, present("f-pain-0-region"))
            choose(driver, "f-pain-0-region", "shin")
            choose(driver, "f-pain-0-side", "left")
            type_into(driver, "f-pain-0-nrs_rest", "1")
            type_into(driver, "f-pain-0-nrs_activity", "4")
            type_into(driver, "f-pain-0-weeks", "3")
            type_into(driver, "f-findings-cadence_spm", "300")
            click_all(driver, RED_FLAGS_NO.format(prefix="red_flags"))
            by_id(driver, "save-assessment").click()
            err = wait(driver, present("f-findings-cadence_spm-err"))
            assert err.text == "must be between 120 and 230 (got 300)"
            type_into(driver, "f-findings-cadence_spm", "160")
            by_id(driver, "save-assessment").click()
            wait(driver, lambda d: d.current_url.endswith("/c/sam-ng/visits/1"))
            assert (clinic / "sam-ng" / "001-plan.json").is_file()
            # the review too: a plain post, a 422 page with the error beside the field, then a 303
            by_id(driver, "start-review").click()
            wait(driver, present("review-form"))
            rows = len(driver.find_elements(By.CSS_SELECTOR, "fieldset.fb-row"))
            for i in range(rows):
                click_all(driver, f"input[name='exercises[{i}].completed'][value='yes']")
                type_into(driver, f"f-exercises-{i}-pain_during", "1")
                type_into(driver, f"f-exercises-{i}-pain_next_morning", "0")
                choose(driver, f"f-exercises-{i}-control", "good")
            click_all(driver, RED_FLAGS_NO.format(prefix="new_red_flags"))
            type_into(driver, "f-running-pain_during", "11")
            type_into(driver, "f-running-pain_next_morning", "1")
            by_id(driver, "save-review").click()
            err = wait(driver, present("f-running-pain_during-err"))
            assert err.text == "must be between 0 and 10 (got 11)"
            type_into(driver, "f-running-pain_during", "2")
            by_id(driver, "save-review").click()
            wait(driver, lambda d: d.current_url.endswith("/c/sam-ng/visits/2"))
            assert (clinic / "sam-ng" / "002-feedback.yaml").is_file()
    finally:
        driver.quit()
