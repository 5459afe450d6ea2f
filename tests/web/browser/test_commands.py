"""The point page's remote-command panel (反控) in a real browser: pick get-time, send it,
watch the state turn 执行成功 live and the unit's SystemTime appear; the history keeps it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.control.live import start
from tests.ingest.conftest import GAS_MN


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from tests.ingest.conftest import registry_rows

    store = open_store(tmp_path_factory.mktemp("browser-commands") / "envmon.duckdb")
    import_rows(store, registry_rows())
    running, stop = start(store)
    yield running
    stop()
    store.close()


def test_get_time_sent_from_the_point_page_shows_the_units_answer(running, page, shot):
    page.goto(running.url(f"/points/{GAS_MN}"))
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    page.select_option("#command-action", "get-time")
    page.fill("#command-form input[name=by]", "值班员")
    page.click("#command-send")
    status = page.locator("#command-status")
    expect(status).to_have_attribute("data-state", "done")
    expect(status).to_contain_text("执行成功")
    expect(status).to_contain_text("SystemTime")
    row = page.locator("#commands tbody tr").first
    expect(row).to_have_attribute("data-state", "done")
    expect(row.locator(".command-answer")).to_contain_text("SystemTime")
    shot(page, "point-command-get-time")


def test_the_parameters_shown_are_those_of_the_action(running, page):
    page.goto(running.url(f"/points/{GAS_MN}"))
    minutes = page.locator('.command-param[data-param="minutes"]')
    expect(minutes).to_be_hidden()
    page.select_option("#command-action", "set-interval")
    expect(minutes).to_be_visible()
    page.fill("#command-form input[name=minutes]", "0")
    page.click("#command-send")
    status = page.locator("#command-status")
    expect(status).to_have_attribute("data-state", "error")
    expect(status).to_contain_text("minutes")
