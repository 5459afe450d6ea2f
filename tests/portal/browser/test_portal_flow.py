"""环保码 in a real browser: open the printed placard, follow its card address (public, no
login), then log in as the enterprise and answer an alarm with a photo attached."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from envmon.alarms.store import open_alarm
from envmon.portal.codes import code_for
from envmon.portal.placard import write_placard
from envmon.store import open_store
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD, make_user
from tests.assess.conftest import GAS, registry_rows
from tests.portal.conftest import GAS_UNIT, PNG
from tests.web.conftest import serve


def test_placard_card_login_and_alarm_answer(tmp_path, page, shot):
    from envmon.registry.importer import import_rows

    store = open_store(tmp_path / "portal.duckdb")
    try:
        assert import_rows(store, registry_rows()).ok
        alarm = open_alarm(store, mn=GAS, unit_id=GAS_UNIT, factor="a21026",
                           rule="exceedance", data_time=None, value=88.0, limit=35.0,
                           detail="test").id
        make_user(store, "jia", "enterprise", unit=GAS_UNIT)
        code = code_for(store, GAS_UNIT).code
        photo = tmp_path / "现场照片.png"
        photo.write_bytes(PNG)
        with serve(WebContext(store=store)) as web:
            placard = write_placard(tmp_path / "placard.html", "甲电厂", code, web.url(""),
                                    "太原市生态环境局", date(2026, 11, 3))
            page.goto(placard.as_uri())
            expect(page.locator("#placard-unit")).to_have_text("甲电厂")
            expect(page.locator("#placard-qr svg")).to_have_count(1)
            shot(page, "portal-placard")
            page.click("#placard-url")
            expect(page).to_have_url(web.url(f"/card/{code}"))
            expect(page.locator("#card-unit")).to_have_text("甲电厂")
            expect(page.locator("#card-alarms")).to_have_text("1")
            shot(page, "portal-card")
            page.goto(web.url("/portal"))
            expect(page).to_have_url(web.url("/login?next=%2Fportal"))
            page.fill("#login-username", "jia")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            expect(page).to_have_url(web.url("/portal"))
            row = page.locator(f'#portal-alarms tr[data-alarm-id="{alarm}"]')
            form = row.locator("form.alarm-answer")
            form.locator('input[name="note"]').fill("已校准探头，恢复正常")
            form.locator('input[type="file"]').set_input_files(str(photo))
            form.locator('button[type="submit"]').click()
            expect(page.locator(f'#portal-alarms tr[data-alarm-id="{alarm}"] td.answers')
                   ).to_have_text("1")  # after the page reloaded
            shot(page, "portal-answered")
        assert store.query("SELECT a.note, a.answered_by, f.filename, f.content FROM "
                           "alarm_answers a JOIN alarm_answer_files f ON f.answer_id = a.id"
                           ) == [("已校准探头，恢复正常", "jia (web 127.0.0.1)", "现场照片.png",
                                  PNG)]
    finally:
        store.close()
