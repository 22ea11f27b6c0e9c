"""Headless Chromium (Debian packages chromium + chromium-driver) driven by Selenium.

Without them the browser tests are skipped with a clear line; with REHAB_BROWSER_TESTS=require
(as .ci/run sets) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HOW = "install them with: apt-get install chromium chromium-driver"


def browser_missing() -> str:
    """Why the browser tests cannot run here ('' when they can)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).is_file() and os.access(p, os.X_OK))]
    if missing:
        return f"browser tests skipped: {', '.join(missing)} not found; {HOW}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "browser tests skipped: selenium is not installed (pip install -e '.[test]')"
    return ""


@pytest.fixture(scope="session")
def browser_ok() -> None:
    why = browser_missing()
    if why:
        if os.environ.get("REHAB_BROWSER_TESTS") == "require":
            pytest.fail(why.replace("skipped", "required (REHAB_BROWSER_TESTS=require) but cannot run"))
        pytest.skip(why)


def make_driver(download_dir: Path, *, javascript: bool = True) -> Any:
    """A headless Chromium that never calls home (explicit driver path: no Selenium Manager)."""
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1200,900",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
    ):
        opts.add_argument(a)
    prefs: dict[str, Any] = {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        "plugins.always_open_pdf_externally": True,
    }
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    opts.add_experimental_option("prefs", prefs)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    d = tmp_path / "downloads"
    d.mkdir()
    return d


@pytest.fixture
def driver(browser_ok: None, downloads: Path) -> Iterator[Any]:
    d = make_driver(downloads)
    try:
        yield d
    finally:
        d.quit()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """REHAB_SCREENSHOTS=docs/screenshots (make screenshots) keeps them; else a temporary folder."""
    target = os.environ.get("REHAB_SCREENSHOTS")
    folder = Path(target) if target else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


__all__ = ["browser_missing", "make_driver", "shutil"]
