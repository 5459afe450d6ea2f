"""数据标记 in a real browser: file a mark with a proof file on the page, approve it, see the
status (and the proof is stored with the mark, downloadable)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.assess.conftest import GAS, registry_rows
from tests.web.conftest import serve

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def marks_web(tmp_path):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from envmon.web.context import WebContext

    store = open_store(tmp_path / "marks.duckdb")
    assert import_rows(store, registry_rows()).ok
    with serve(WebContext(store=store)) as served:
        yield served
    store.close()


def test_a_mark_is_filed_with_a_proof_and_approved_on_the_page(marks_web, page, shot,
                                                                tmp_path):
    proof = tmp_path / "停产通知.pdf"
    proof.write_bytes(PDF)
    page.goto(marks_web.url("/marks"))
    expect(page.locator("h1")).to_have_text("数据标记")
    page.fill("#mark-by", "王五")
    page.fill("#mark-mn", GAS)
    page.select_option("#mark-type", "production/shutdown")
    page.fill("#mark-from", "2026-11-03T00:00")
    page.fill("#mark-to", "2026-11-05T00:00")
    page.fill("#mark-note", "锅炉检修停产")
    page.set_input_files("#mark-proof", str(proof))
    page.click("#mark-submit")
    row = page.locator('#marks tr[data-mark-id="1"]')
    expect(row.locator("td.status")).to_have_text("待审核")  # after the page reloaded
    expect(row.locator('a[download]')).to_have_text("停产通知.pdf")
    shot(page, "marks-filed")
    page.fill("#mark-by", "局 李四")
    row.locator('button[data-action="approve"]').click()
    expect(row.locator("td.status")).to_have_text("已通过")
    expect(row.locator("button")).to_have_count(0)
    shot(page, "marks-approved")
    store = marks_web.context.store
    assert store.query("SELECT status, reviewed_by FROM marks WHERE id = 1") == [
        ("approved", "局 李四 (web 127.0.0.1)")]
    assert store.query("SELECT content FROM mark_proofs WHERE mark_id = 1")[0][0] == PDF
    assert store.query("SELECT COUNT(*) FROM exemptions")[0][0] == 1
