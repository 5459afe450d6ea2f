"""Issue 13's browser flow (a) with users: a filer signs in and files a mark with a proof file
for a point's gap, a bureau user signs in and approves it, and the point's month rate on the
assessment page rises (the exempt hours leave 应传). Each step is the signed-in user's (the
page fills 填报人 with the user and the rows keep it) and in the audit log.

The filer is a district sub-bureau user of the point's county: the enterprise's own writes are
opened by the role rules of access.policy (isolation); the flow is the same for it."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from envmon.access.audit import list_audit
from envmon.store import open_store
from envmon.timeutil import now_beijing
from envmon.web.context import WebContext
from tests.access.conftest import make_user
from tests.assess.conftest import GAS, HOUR, rec, registry_rows, write
from tests.web.browser.test_users_page import log_in
from tests.web.conftest import serve

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
FACTORS = ("a21026", "a21002", "a34013")


def _gap() -> tuple:
    """A day not received, the day before yesterday: a mark for it is filed in time by every
    rule (`[assess] mark_within_days`, the 10th of the next month) whatever today is."""
    today = now_beijing().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=2), today - timedelta(days=1)


def _rate(page, web, month: str) -> float:
    page.goto(web.url(f"/assess?month={month}&level=point"))
    cell = page.locator(f'#assess tr[data-code="{GAS}"] td').nth(4)  # 即时 effective rate
    expect(cell).not_to_have_text("—")
    return float(cell.inner_text())


def test_a_filed_mark_approved_by_the_bureau_raises_the_points_rate(tmp_path, page, shot):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "envmon.duckdb")
    try:
        assert import_rows(store, registry_rows()).ok
        gap = _gap()
        month = f"{gap[0]:%Y-%m}"
        hours = [gap[0] - timedelta(days=2) + k * HOUR for k in range(4 * 24)]
        write(store, [rec(GAS, f, h) for h in hours if not gap[0] <= h < gap[1]
                      for f in FACTORS])
        make_user(store, "xiaodian", "district", region="140105")
        make_user(store, "taiyuan", "bureau", region="140100")
        proof = tmp_path / "停产通知.pdf"
        proof.write_bytes(PDF)
        with serve(WebContext(store=store)) as web:
            log_in(page, web, "xiaodian", then="/marks")
            before = _rate(page, web, month)
            assert before < 100.0
            page.goto(web.url("/marks"))
            expect(page.locator("#mark-by")).to_have_value("xiaodian")
            page.fill("#mark-mn", GAS)
            page.select_option("#mark-type", "production/shutdown")
            page.fill("#mark-from", f"{gap[0]:%Y-%m-%dT%H:%M}")
            page.fill("#mark-to", f"{gap[1]:%Y-%m-%dT%H:%M}")
            page.fill("#mark-note", "锅炉检修停产")
            page.set_input_files("#mark-proof", str(proof))
            page.click("#mark-submit")
            row = page.locator('#marks tr[data-mark-id="1"]')
            expect(row.locator("td.status")).to_have_text("待审核")
            expect(row.locator("a[download]")).to_have_text("停产通知.pdf")
            assert _rate(page, web, month) == before  # submitted: nothing changes yet
            page.click("#logout")
            expect(page).to_have_url(web.url("/login"))

            log_in(page, web, "taiyuan", then="/marks")
            page.goto(web.url("/marks"))
            row = page.locator('#marks tr[data-mark-id="1"]')
            row.locator('button[data-action="approve"]').click()
            expect(row.locator("td.status")).to_have_text("已通过")
            shot(page, "flow-mark-approved")
            after = _rate(page, web, month)
            shot(page, "flow-mark-rate")
        assert after > before, (before, after)
        assert store.query("SELECT filed_by, reviewed_by FROM marks WHERE id = 1") == [
            ("xiaodian (web 127.0.0.1)", "taiyuan (web 127.0.0.1)")]
        rows = [(r["who"], r["action"], r["result"]) for r in list_audit(store).as_json()
                if r["action"].startswith("mark.")]
        assert rows == [("xiaodian", "mark.file", "ok"), ("xiaodian", "mark.proof", "ok"),
                        ("taiyuan", "mark.approve", "ok")]
    finally:
        store.close()
