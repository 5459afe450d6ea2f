"""In a real browser: a warning becomes a notice, is answered, verified and closed on the
督办 page, each step through the page's buttons and dialog (the API underneath)."""

from __future__ import annotations

from playwright.sync_api import expect

from envmon.supervision import api
from envmon.web.context import WebContext
from tests.assess.conftest import GAS, HOUR, NOV, rec, write
from tests.web.conftest import serve


def _step(page, case_id: int, kind: str, fields: dict[str, str], state: str) -> None:
    page.locator(f'button[data-sup="{kind}"][data-case="{case_id}"]').first.click()
    page.fill("#sup-by", "王科长")
    for selector, text in fields.items():
        page.fill(selector, text)
    page.click("#sup-confirm")
    expect(page.locator("#case-state")).to_have_text(state)


def test_warning_to_closed_on_the_page(store, page, shot):
    write(store, [rec(GAS, f, NOV + k * HOUR) for k in range(91)
                  for f in ("a21026", "a21002", "a34013")])
    opened = api.generate_warnings(store, now=NOV + 100 * HOUR).opened
    (case,) = [c for c in opened if c.mn == GAS and "即时" in c.reason]
    with serve(WebContext(store=store)) as served:
        page.goto(served.url("/supervision?stage=pre"))
        expect(page.locator(f'#cases tr[data-case-id="{case.id}"]')).to_contain_text("91.00%")
        _step(page, case.id, "notify", {"#sup-action": "核实传输中断原因并补传"}, "已下发通知")
        _step(page, case.id, "answer", {"#sup-note": "已修复通讯模块并补传"}, "单位已反馈")
        _step(page, case.id, "verify", {"#sup-note": "抽查补传数据属实"}, "核查通过")
        _step(page, case.id, "close", {"#sup-note": "办结"}, "已办结")
        expect(page.locator("#timeline tbody tr")).to_have_count(5)
        shot(page, "supervision-closed")
    assert [e[1] for e in api.show(store, case.id).events] == ["open", "notify", "answer",
                                                               "verify", "close"]


def test_warning_to_closed_with_users_each_step_by_its_user(store, page, shot):
    """Flow (b) with users and roles: the bureau notifies, the unit's side answers, the bureau
    verifies and closes; each step's actor is the signed-in user (the page fills 处理人 and
    a body's name is not who acts), each step an audit row under that user."""
    from envmon.access.audit import list_audit
    from tests.access.conftest import make_user
    from tests.web.browser.test_users_page import log_in

    write(store, [rec(GAS, f, NOV + k * HOUR) for k in range(91)
                  for f in ("a21026", "a21002", "a34013")])
    opened = api.generate_warnings(store, now=NOV + 100 * HOUR).opened
    (case,) = [c for c in opened if c.mn == GAS and "即时" in c.reason]
    make_user(store, "taiyuan", "bureau", region="140100")
    make_user(store, "xiaodian", "district", region="140105")

    def step(kind: str, fields: dict[str, str], state: str, user: str) -> None:
        page.locator(f'button[data-sup="{kind}"][data-case="{case.id}"]').first.click()
        expect(page.locator("#sup-by")).to_have_value(user)
        for selector, text in fields.items():
            page.fill(selector, text)
        page.click("#sup-confirm")
        expect(page.locator("#case-state")).to_have_text(state)

    with serve(WebContext(store=store)) as served:
        log_in(page, served, "taiyuan", then=f"/supervision?case={case.id}")
        page.goto(served.url(f"/supervision?case={case.id}"))
        step("notify", {"#sup-action": "核实传输中断原因并补传"}, "已下发通知", "taiyuan")
        page.click("#logout")
        expect(page).to_have_url(served.url("/login"))
        log_in(page, served, "xiaodian", then=f"/supervision?case={case.id}")
        page.goto(served.url(f"/supervision?case={case.id}"))
        step("answer", {"#sup-note": "已修复通讯模块并补传"}, "单位已反馈", "xiaodian")
        page.click("#logout")
        expect(page).to_have_url(served.url("/login"))
        log_in(page, served, "taiyuan", then=f"/supervision?case={case.id}")
        page.goto(served.url(f"/supervision?case={case.id}"))
        step("verify", {"#sup-note": "抽查补传数据属实"}, "核查通过", "taiyuan")
        step("close", {"#sup-note": "办结"}, "已办结", "taiyuan")
        shot(page, "supervision-closed-with-users")
    events = api.show(store, case.id).events
    assert [e[1] for e in events] == ["open", "notify", "answer", "verify", "close"]
    rows = [(r["who"], r["action"], r["target"], r["result"])
            for r in list_audit(store).as_json() if r["action"].startswith("supervision.")]
    assert rows == [("taiyuan", "supervision.notify", str(case.id), "ok"),
                    ("xiaodian", "supervision.answer", str(case.id), "ok"),
                    ("taiyuan", "supervision.verify", str(case.id), "ok"),
                    ("taiyuan", "supervision.close", str(case.id), "ok")]


def test_warning_to_closed_with_the_enterprise_answering_from_its_portal(store, page, shot):
    """Issue 13 item 8 with the unit itself: the bureau notifies on the 督办 page, the
    enterprise's user answers the notice from its portal (环保码), the bureau verifies and
    closes; the case's timeline and the audit log name each user."""
    from envmon.access.audit import list_audit
    from tests.access.conftest import make_user
    from tests.portal.conftest import GAS_UNIT
    from tests.web.browser.test_users_page import log_in

    write(store, [rec(GAS, f, NOV + k * HOUR) for k in range(91)
                  for f in ("a21026", "a21002", "a34013")])
    opened = api.generate_warnings(store, now=NOV + 100 * HOUR).opened
    (case,) = [c for c in opened if c.mn == GAS and "即时" in c.reason]
    make_user(store, "taiyuan", "bureau", region="140100")
    make_user(store, "jia", "enterprise", unit=GAS_UNIT)

    def step(kind: str, fields: dict[str, str], state: str) -> None:
        page.locator(f'button[data-sup="{kind}"][data-case="{case.id}"]').first.click()
        expect(page.locator("#sup-by")).to_have_value("taiyuan")
        for selector, text in fields.items():
            page.fill(selector, text)
        page.click("#sup-confirm")
        expect(page.locator("#case-state")).to_have_text(state)

    with serve(WebContext(store=store)) as served:
        log_in(page, served, "taiyuan", then=f"/supervision?case={case.id}")
        page.goto(served.url(f"/supervision?case={case.id}"))
        step("notify", {"#sup-action": "核实传输中断原因并补传"}, "已下发通知")
        page.click("#logout")
        expect(page).to_have_url(served.url("/login"))

        log_in(page, served, "jia", then="/portal")
        notice = page.locator(f'#portal-notices tr[data-case-id="{case.id}"]')
        expect(notice).to_contain_text("核实传输中断原因并补传")
        form = notice.locator("form.notice-answer")
        form.locator('input[name="note"]').fill("已修复通讯模块并补传")
        form.locator('button[type="submit"]').click()
        expect(form.locator(".result")).to_have_text("已提交")
        page.goto(served.url("/portal"))
        expect(notice.locator("td.state")).not_to_have_text("notified")
        expect(notice.locator("form.notice-answer")).to_have_count(0)  # answered: no form
        shot(page, "supervision-portal-answered")
        page.click("#logout")
        expect(page).to_have_url(served.url("/login"))

        log_in(page, served, "taiyuan", then=f"/supervision?case={case.id}")
        page.goto(served.url(f"/supervision?case={case.id}"))
        expect(page.locator("#case-state")).to_have_text("单位已反馈")
        step("verify", {"#sup-note": "抽查补传数据属实"}, "核查通过")
        step("close", {"#sup-note": "办结"}, "已办结")
        expect(page.locator("#timeline tbody tr")).to_have_count(5)
        shot(page, "supervision-closed-enterprise")
    events = api.show(store, case.id).events
    assert [e[1] for e in events] == ["open", "notify", "answer", "verify", "close"]
    rows = [(r["who"], r["action"], r["target"], r["result"])
            for r in list_audit(store).as_json() if r["action"].startswith("supervision.")]
    assert rows == [("taiyuan", "supervision.notify", str(case.id), "ok"),
                    ("jia", "supervision.answer", str(case.id), "ok"),
                    ("taiyuan", "supervision.verify", str(case.id), "ok"),
                    ("taiyuan", "supervision.close", str(case.id), "ok")]
