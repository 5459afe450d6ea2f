"""Logging in and out in a real browser: /login, the user's name and role in the header, a
write from a page carrying the session's CSRF token, the logout button back to /login."""

from __future__ import annotations

from playwright.sync_api import expect

from envmon.access.audit import list_audit
from envmon.alarms.store import get_alarm, open_alarm
from envmon.store import open_store
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD, make_user
from tests.ingest.conftest import GAS_MN, registry_rows
from tests.web.conftest import serve


def test_log_in_see_your_name_act_and_log_out(tmp_path, page, shot):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "envmon.duckdb")
    try:
        import_rows(store, registry_rows())
        alarm_id = open_alarm(store, mn=GAS_MN, unit_id=None, factor="a21026",
                              rule="exceedance", data_time=None, value=500.0, limit=35.0,
                              detail="test").id
        make_user(store, "zhangsan", "bureau", region="140100")
        with serve(WebContext(store=store)) as web:
            page.goto(web.url("/alarms"))
            expect(page).to_have_url(web.url("/login?next=%2Falarms"))
            page.fill("#login-username", "zhangsan")
            page.fill("#login-password", "wrong password")
            page.click("#login-submit")
            expect(page.locator("#login-error")).to_contain_text("登录失败")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            expect(page).to_have_url(web.url("/alarms"))
            expect(page.locator("#user-name")).to_have_text("zhangsan · 局机关")
            shot(page, "logged-in")
            row = page.locator(f'#alarms tr[data-alarm-id="{alarm_id}"]')
            row.locator('button[data-action="acknowledge"]').click()
            expect(page.locator("#alarm-by")).to_have_value("zhangsan")  # who acts: the user
            page.locator("#alarm-confirm").click()
            expect(row.locator("td.status")).to_have_text("已确认")
            assert get_alarm(store, alarm_id).acknowledged_by == "zhangsan (web 127.0.0.1)"
            page.click("#logout")
            expect(page).to_have_url(web.url("/login"))
            page.goto(web.url("/alarms"))
            expect(page).to_have_url(web.url("/login?next=%2Falarms"))
        actions = [(r["who"], r["action"], r["result"][:7])
                   for r in list_audit(store).as_json()]
        assert actions[1:] == [("zhangsan", "auth.login", "refused"),
                               ("zhangsan", "auth.login", "ok"),
                               ("zhangsan", "alarm.acknowledge", "ok"),
                               ("zhangsan", "auth.logout", "ok")]
    finally:
        store.close()
