"""Fixtures of the browser tests: Debian's Chromium driven by Playwright (never a downloaded
browser: `executable_path`), over the app that tests/web/conftest.py serves (`web`).

Reuse them in a page's tests: `page` opens a fresh tab, `shot(page, name)` saves a screenshot
into out/screenshots/ (a test artifact).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from envmon.web.pages import STATIC_DIR

CHROMIUM = os.environ.get("ENVMON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "out" / "screenshots"
WAIT_MS = 15_000  # a page condition on a loaded 2-core machine; met in well under a second

from playwright import sync_api  # noqa: E402  (the dev extras install it; never a browser)

# Missing pieces fail, never skip: `make test` installs both (make install; .ci/run apt-gets
# chromium), and a skipped browser test would pass a broken page.
if not Path(CHROMIUM).exists():
    raise RuntimeError(f"no Chromium at {CHROMIUM}: apt-get install chromium "
                       "(or set ENVMON_CHROMIUM)")
if not (STATIC_DIR / "vendor" / "leaflet.js").is_file():  # `make install` copies them
    raise RuntimeError("the pages' JS/CSS are not installed: run make install (npm ci)")


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break every later test that calls asyncio.run().
@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")  # fresh user data, every run
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.set_default_timeout(WAIT_MS)
        sync_api.expect.set_options(timeout=WAIT_MS)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context):
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    yield tab
    tab.close()


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
