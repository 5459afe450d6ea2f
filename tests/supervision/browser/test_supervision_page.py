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
