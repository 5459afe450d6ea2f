"""反控 with users: an administrator signs in, sends get-time from the point page (the
session's CSRF token on the POST), the unit's answer is shown, and the command and its end
are audit rows under the administrator's name; a read-only user's send is refused (403)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from envmon.access.audit import list_audit
from tests.access.conftest import make_user
from tests.control.live import start
from tests.ingest.conftest import GAS_MN
from tests.web.browser.test_users_page import log_in


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from tests.ingest.conftest import registry_rows

    store = open_store(tmp_path_factory.mktemp("browser-commands-users") / "envmon.duckdb")
    import_rows(store, registry_rows())
    make_user(store, "admin1")
    make_user(store, "viewer", "readonly")
    running, stop = start(store)
    yield running, store
    stop()
    store.close()


def _audit_rows(store, action: str, deadline_s: float = 15.0) -> list[dict]:
    end = time.monotonic() + deadline_s
    while True:
        rows = [r for r in list_audit(store).as_json() if r["action"] == action]
        if rows:
            return rows
        assert time.monotonic() < end, action
        time.sleep(0.05)


def test_an_administrator_sends_a_command_and_sees_the_answer(running, page, shot):
    web, store = running
    log_in(page, web, "admin1", then=f"/points/{GAS_MN}")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    page.select_option("#command-action", "get-time")
    page.click("#command-send")
    status = page.locator("#command-status")
    expect(status).to_have_attribute("data-state", "done")
    expect(status).to_contain_text("SystemTime")
    row = page.locator("#commands tbody tr").first
    expect(row).to_contain_text("admin1")
    shot(page, "point-command-signed-in")
    send = _audit_rows(store, "command.send")[-1]
    result = _audit_rows(store, "command.result")[-1]
    assert (send["who"], send["role"], send["target"], send["result"]) == (
        "admin1", "admin", GAS_MN, "ok")
    assert (result["who"], result["role"], result["result"]) == ("admin1", "admin", "done")


def test_a_read_only_user_cannot_send(running, page):
    web, _ = running
    log_in(page, web, "viewer", then=f"/points/{GAS_MN}")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    page.select_option("#command-action", "get-time")
    page.click("#command-send")
    expect(page.locator("#command-status")).to_have_attribute("data-state", "error")
