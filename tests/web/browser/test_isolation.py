"""Isolation in a real browser (issue 13, items 2 and 8): an enterprise cannot open another
unit's point page by URL, and a district user sees only its districts on the overview,
points and alarms pages."""

from __future__ import annotations

from playwright.sync_api import expect

from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD
from tests.assess.conftest import GAS, GAS2, OTHER, WATER
from tests.web.conftest import serve
from tests.web.isolation_store import NAMES, UNIT_A, build


def _log_in(page, web, name: str, target: str) -> None:
    page.goto(web.url(target))
    page.fill("#login-username", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page).to_have_url(web.url(target))


def _foreign(page) -> list[str]:
    text = page.content()
    outside = [s for s in (OTHER, WATER, *(n for u, n in NAMES.items() if u != UNIT_A))
               if s in text]
    return outside


def test_an_enterprise_cannot_open_another_units_point(tmp_path, page, shot):
    store, _ = build(tmp_path / "envmon.duckdb")
    try:
        with serve(WebContext(store=store)) as web:
            _log_in(page, web, "jia", f"/points/{GAS}")
            expect(page.locator("h1")).not_to_have_text("未找到")
            response = page.goto(web.url(f"/points/{OTHER}"))
            assert response.status == 404
            expect(page.locator("h1")).to_have_text("未找到")
            shot(page, "enterprise-foreign-point")
            assert _foreign(page) == [OTHER]  # only the MN typed in the address, echoed
            missing = page.goto(web.url("/points/NOSUCHMN0000000000000001"))
            assert missing.status == 404  # the same answer as a point that does not exist
    finally:
        store.close()


def test_a_district_sees_only_its_districts(tmp_path, page, shot):
    store, _ = build(tmp_path / "envmon.duckdb")
    try:
        with serve(WebContext(store=store)) as web:
            _log_in(page, web, "xiaodian", "/points")
            rows = page.locator("#points tbody tr")
            expect(rows).to_have_count(2)
            expect(page.locator("#points")).to_contain_text(GAS)
            expect(page.locator("#points")).to_contain_text(GAS2)
            assert _foreign(page) == []
            page.goto(web.url("/alarms"))
            expect(page.locator("#alarms tbody tr[data-alarm-id]")).to_have_count(2)
            assert _foreign(page) == []
            page.goto(web.url("/"))
            expect(page.locator("#open-alarms")).to_contain_text("甲电厂")
            shot(page, "district-overview")
            assert _foreign(page) == []
    finally:
        store.close()
