"""Issue 13's browser flow (a) with users: a filer signs in and files a mark with a proof file
for a point's gap, a bureau user signs in and approves it, and the point's month rate on the
assessment page rises (the exempt hours leave 应传). Each step is the signed-in user's (the
page fills 填报人 with the user and the rows keep it) and in the audit log.

The filer is the point's enterprise (a user of its unit, as issue 13 item 8 has it) or a
district sub-bureau user of the point's county; the enterprise files from the marks page or
from its portal (环保码, the proof files attached by the portal's form too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
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
GAS_UNIT = "91140100MA0GAS0001"  # 甲电厂, 小店区 140105: GAS's unit in registry_rows()
FILERS = {"jia": {"role": "enterprise", "unit": GAS_UNIT},
          "xiaodian": {"role": "district", "region": "140105"}}
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


def _store_with_a_gap(tmp_path, filer: str):
    """A store with the registry, GAS received for four days but the gap, the filer (of
    `FILERS`) and a bureau user of the city; the gap's month."""
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "envmon.duckdb")
    assert import_rows(store, registry_rows()).ok
    gap = _gap()
    hours = [gap[0] - timedelta(days=2) + k * HOUR for k in range(4 * 24)]
    write(store, [rec(GAS, f, h) for h in hours if not gap[0] <= h < gap[1]
                  for f in FACTORS])
    scope = dict(FILERS[filer])
    make_user(store, filer, scope.pop("role"), **scope)
    make_user(store, "taiyuan", "bureau", region="140100")
    return store, gap, f"{gap[0]:%Y-%m}"


def _approve_and_rate(page, web, month: str, shot) -> float:
    """The bureau user signs in, approves mark 1 on the marks page; the point's rate after."""
    log_in(page, web, "taiyuan", then="/marks")
    page.goto(web.url("/marks"))
    row = page.locator('#marks tr[data-mark-id="1"]')
    row.locator('button[data-action="approve"]').click()
    expect(row.locator("td.status")).to_have_text("已通过")
    shot(page, "flow-mark-approved")
    after = _rate(page, web, month)
    shot(page, "flow-mark-rate")
    return after


@pytest.mark.parametrize("filer", ["jia", "xiaodian"])
def test_a_filed_mark_approved_by_the_bureau_raises_the_points_rate(tmp_path, page, shot,
                                                                    filer):
    store, gap, month = _store_with_a_gap(tmp_path, filer)
    try:
        proof = tmp_path / "停产通知.pdf"
        proof.write_bytes(PDF)
        with serve(WebContext(store=store)) as web:
            log_in(page, web, filer, then="/marks")
            before = _rate(page, web, month)
            assert before < 100.0
            page.goto(web.url("/marks"))
            expect(page.locator("#mark-by")).to_have_value(filer)
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
            after = _approve_and_rate(page, web, month, shot)
        assert after > before, (before, after)
        assert store.query("SELECT filed_by, reviewed_by FROM marks WHERE id = 1") == [
            (f"{filer} (web 127.0.0.1)", "taiyuan (web 127.0.0.1)")]
        rows = [(r["who"], r["action"], r["result"]) for r in list_audit(store).as_json()
                if r["action"].startswith("mark.")]
        assert rows == [(filer, "mark.file", "ok"), (filer, "mark.proof", "ok"),
                        ("taiyuan", "mark.approve", "ok")]
    finally:
        store.close()


def test_an_enterprise_files_a_mark_with_a_proof_from_its_portal(tmp_path, page, shot):
    """Item 8 as the enterprise lives it: the portal's 影响传输率的小时 link fills the form
    for the gap, the proof file rides along; the bureau approves; the point's rate rises on
    the assessment page and on the portal's month figure."""
    store, gap, month = _store_with_a_gap(tmp_path, "jia")
    try:
        proof = tmp_path / "停产通知.pdf"
        proof.write_bytes(PDF)
        with serve(WebContext(store=store)) as web:
            log_in(page, web, "jia", then="/portal")
            before = _rate(page, web, month)
            assert before < 100.0
            page.goto(web.url(f"/portal?mark_mn={GAS}&mark_from={gap[0]:%Y-%m-%dT%H:%M}"
                              f"&mark_to={gap[1]:%Y-%m-%dT%H:%M}#file-mark"))
            form = page.locator("#mark-form")
            expect(form.locator('select[name="mn"]')).to_have_value(GAS)
            form.locator('select[name="type"]').select_option("production/shutdown")
            form.locator('input[name="note"]').fill("锅炉检修停产")
            form.locator('input[name="proof"]').set_input_files(str(proof))
            form.locator('button[type="submit"]').click()
            expect(page.locator("#mark-result")).to_have_text("已提交")  # mark and proof
            page.goto(web.url("/marks"))
            row = page.locator('#marks tr[data-mark-id="1"]')
            expect(row.locator("td.status")).to_have_text("待审核")
            expect(row.locator("a[download]")).to_have_text("停产通知.pdf")
            shot(page, "flow-portal-mark-filed")
            page.click("#logout")
            expect(page).to_have_url(web.url("/login"))
            after = _approve_and_rate(page, web, month, shot)
        assert after > before, (before, after)
        assert store.query("SELECT filed_by, reviewed_by FROM marks WHERE id = 1") == [
            ("jia (web 127.0.0.1)", "taiyuan (web 127.0.0.1)")]
        assert store.query("SELECT filename, content FROM mark_proofs") == [
            ("停产通知.pdf", PDF)]
        rows = [(r["who"], r["action"], r["result"]) for r in list_audit(store).as_json()
                if r["action"].startswith("mark.")]
        assert rows == [("jia", "mark.file", "ok"), ("jia", "mark.proof", "ok"),
                        ("taiyuan", "mark.approve", "ok")]
    finally:
        store.close()
