"""The 应急管控 page in a real browser (Debian's Chromium, as tests/web/browser): the verdicts,
the region against the target, and the chosen unit's hour-by-hour chart drawn."""

from __future__ import annotations

import shutil

import pytest
from playwright import sync_api

from tests.web.browser.conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS
from tests.web.conftest import serve


@pytest.fixture(scope="module")
def site(scenario_db):
    from envmon.store import open_store
    from envmon.web.context import WebContext

    path, alert_id = scenario_db
    store = open_store(path, read_only=True)
    with serve(WebContext(store=store)) as served:
        yield served, alert_id
    store.close()


@pytest.fixture(scope="module")
def tab(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-emergency")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.set_default_timeout(WAIT_MS)
        sync_api.expect.set_options(timeout=WAIT_MS)
        page = context.new_page()
        yield page
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def test_page_draws_the_worst_units_hours(site, tab):
    served, alert_id = site
    tab.goto(served.url("/emergency"))
    sync_api.expect(tab.locator("nav a.active")).to_have_text("应急管控")
    sync_api.expect(tab.locator("#units tbody tr")).to_have_count(5)
    sync_api.expect(tab.locator("#units tbody tr").first.locator(".verdict")).to_have_text(
        "未落实")
    sync_api.expect(tab.locator("#emergency-chart")).to_have_attribute("data-drawn", "true")
    sync_api.expect(tab.locator("#emergency-chart")).to_have_attribute("data-hours", "48")
    assert tab.locator("#emergency-chart svg path").count() > 3  # the lines are there
    sync_api.expect(tab.locator("#region tbody tr")).to_have_count(3)
    # choosing a unit charts that one
    tab.locator('#units a[href*="91140100MA0EMGC003"]').click()
    sync_api.expect(tab.locator("h2").filter(has_text="应急演示单位3")).to_have_count(1)
    sync_api.expect(tab.locator("#days tbody tr").first).to_contain_text("落实")
