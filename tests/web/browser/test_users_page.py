"""用户管理 in a real browser: an administrator signs in, adds a user, resets its password and
disables it from /users (each change through POST /api/v1/users/… with the session's CSRF
token, each in the audit log under the administrator's name); another role gets a 403."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import expect

from envmon.access.audit import list_audit
from envmon.access.users import find_user
from envmon.store import open_store
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD, make_user
from tests.ingest.conftest import registry_rows
from tests.web.conftest import serve


def log_in(page, web, name: str, password: str = PASSWORD, then: str = "/") -> None:
    page.goto(web.url("/login?next=" + quote(then, safe="")))
    page.fill("#login-username", name)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect(page).to_have_url(web.url(then))
    expect(page.locator("#user-name")).to_contain_text(name)
    page.wait_for_load_state("load")  # the page's scripts have attached their handlers


def test_an_administrator_manages_users_from_the_page(tmp_path, page, shot):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "envmon.duckdb")
    try:
        import_rows(store, registry_rows())
        make_user(store, "admin1")
        make_user(store, "viewer", "readonly")
        with serve(WebContext(store=store)) as web:
            log_in(page, web, "admin1", then="/users")
            expect(page).to_have_url(web.url("/users"))
            form = page.locator("#user-add")
            form.locator("input[name=username]").fill("lisi")
            form.locator("select[name=role]").select_option("readonly")
            form.locator("input[name=password]").fill("short")
            form.locator("button[type=submit]").click()
            expect(page.locator("#users-message")).to_contain_text("password")
            form.locator("input[name=password]").fill("a long enough secret")
            form.locator("button[type=submit]").click()
            row = page.locator('#users-table tr[data-username="lisi"]')
            expect(row).to_contain_text("只读")
            row.locator("input[name=password]").fill("another long secret")
            row.locator(".user-reset button").click()
            expect(page.locator("#users-message")).to_contain_text("已完成")
            page.locator('#users-table tr[data-username="lisi"] .user-disable').click()
            expect(page.locator('#users-table tr[data-username="lisi"] .user-state')
                   ).to_have_text("已停用")
            shot(page, "users-page")
            page.click("#logout")
            expect(page).to_have_url(web.url("/login"))
            log_in(page, web, "viewer")
            answer = page.goto(web.url("/users"))
            assert answer.status == 403
        assert find_user(store, "lisi")[5] is True  # disabled
        rows = [(r["who"], r["action"], r["target"], r["result"][:7])
                for r in list_audit(store).as_json() if r["action"].startswith("user.")]
        assert rows[2:] == [("admin1", "user.add", "lisi", "refused"),
                            ("admin1", "user.add", "lisi", "ok"),
                            ("admin1", "user.reset_password", "lisi", "ok"),
                            ("admin1", "user.disable", "lisi", "ok")]
    finally:
        store.close()
