"""点位, 报警, 传输有效率 (drill-down, the bulletin's download) and the language switch in a
real browser, over the store the real demo filled (receiver fed by the simulator)."""

from __future__ import annotations

from playwright.sync_api import expect

from envmon.alarms import store as alarm_store
from envmon.alarms.api import list_alarms
from envmon.web.pages.alarms import PAGE_SIZE


def test_point_page_draws_a_chart_per_factor(web, page, shot):
    (mn,) = web.context.store.query(
        "SELECT mn FROM records WHERE cn = '2061' GROUP BY mn ORDER BY COUNT(*) DESC LIMIT 1")[0]
    page.goto(web.url(f"/points/{mn}"))
    charts = page.locator("#charts .chart")
    expect(charts.first).to_have_attribute("data-drawn", "true")
    expect(charts.first.locator("svg path").first).to_be_attached()
    assert page.locator('#charts .chart[data-drawn="true"]').count() == charts.count() >= 1
    expect(page.locator("#raw tbody tr").first).to_contain_text("接收")  # accepted, in zh
    shot(page, "point")


def test_alarms_page_lists_the_alarms_and_filters_them(web, page, shot):
    every = list_alarms(web.context.store).alarms
    page.goto(web.url("/alarms"))
    expect(page.locator("#alarms tbody tr")).to_have_count(min(len(every), PAGE_SIZE))
    shot(page, "alarms")
    page.select_option("select[name=status]", "open")
    page.click("form.filters button[type=submit]")
    still_open = [a for a in every if a.status == "open"]
    expect(page.locator("#alarms tbody tr[data-alarm-id]")).to_have_count(
        min(len(still_open), PAGE_SIZE))
    expect(page.locator('#alarms button[data-action="acknowledge"]')).to_have_count(
        min(len(still_open), PAGE_SIZE))
    if len(still_open) > PAGE_SIZE:  # the next page keeps the filter
        page.locator("#alarm-pages a", has_text="2").first.click()
        expect(page.locator("select[name=status]")).to_have_value("open")
        expect(page.locator("#alarms tbody tr[data-alarm-id]")).to_have_count(
            min(len(still_open) - PAGE_SIZE, PAGE_SIZE))


def test_assessment_drills_down_from_a_city_to_a_point(web, page, shot):
    page.goto(web.url("/assess"))
    expect(page.locator("#assess")).to_have_attribute("data-level", "city")
    for level in ("county", "unit", "point"):
        page.locator("#assess a.drill").first.click()
        expect(page.locator("#assess")).to_have_attribute("data-level", level)
    shot(page, "assess-point-level")
    page.locator("#assess tbody a").first.click()
    expect(page.locator("#charts")).to_be_attached()
    expect(page.locator("#bulletin-pdf")).to_have_count(0)  # left the assessment page


def test_language_switch_shows_english_and_is_remembered(web, page, shot):
    page.goto(web.url("/"))
    expect(page.locator("header nav a").first).to_have_text("总览")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header nav a").first).to_have_text("Overview")
    expect(page.locator("#counts")).to_contain_text("Instant valid transmission rate")
    shot(page, "overview-en")
    page.goto(web.url("/alarms"))  # no ?lang: the cookie keeps English
    expect(page.locator("h1")).to_have_text("Alarms")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("报警")


def test_an_alarm_is_acknowledged_then_closed_from_the_alarms_page(web, page, shot):
    """Through the API's `POST /api/v1/alarms/{id}/acknowledge|close`; the JSON body is
    {"by", "note"}, the answer the alarm's object."""
    mn = web.context.store.query("SELECT mn FROM points ORDER BY mn DESC LIMIT 1")[0][0]
    alarm = alarm_store.open_alarm(web.context.store, mn=mn, unit_id=None, factor="a21026",
                                   rule="exceedance", data_time=None, value=80.0, limit=35.0,
                                   detail="折算浓度 80 > 限值 35")
    page.goto(web.url(f"/alarms?mn={mn}"))
    row = page.locator(f'#alarms tr[data-alarm-id="{alarm.id}"]')
    dialog = page.locator("#alarm-dialog")
    row.locator('button[data-action="acknowledge"]').click()
    expect(dialog).to_be_visible()  # asks who (处理人) and why (备注), row by row
    page.click("#alarm-confirm")  # no name: refused in the dialog, nothing posted
    expect(dialog).to_be_visible()
    expect(row.locator("td.status")).to_have_text("未确认")
    page.fill("#alarm-by", "王工")
    page.fill("#alarm-note", "已电话通知")
    page.click("#alarm-confirm")
    expect(dialog).to_be_hidden()
    expect(row.locator("td.status")).to_have_text("已确认")
    row.locator('button[data-action="close"]').click()
    expect(page.locator("#alarm-by")).to_have_value("王工")  # the name is kept, the note not
    expect(page.locator("#alarm-note")).to_have_value("")
    page.click("#alarm-confirm")  # closing needs a note
    expect(page.locator("#alarm-dialog-error")).to_be_visible()
    expect(row.locator("td.status")).to_have_text("已确认")
    page.fill("#alarm-note", "企业已整改")
    shot(page, "alarms-close-dialog")
    page.click("#alarm-confirm")
    expect(row.locator("td.status")).to_have_text("已关闭")
    shot(page, "alarms-closed")
    (status, by, note) = web.context.store.query(
        "SELECT status, closed_by, close_note FROM alarms WHERE id = ?", [alarm.id])[0]
    assert (status, by, note) == ("closed", "王工 (web 127.0.0.1)", "企业已整改")  # api.actor


def test_the_bulletin_downloads_from_the_assessment_page(web, page, tmp_path):
    page.goto(web.url("/assess"))
    for link, magic in (("#bulletin-xlsx", b"PK"), ("#bulletin-pdf", b"%PDF")):
        with page.expect_download() as download:
            page.click(link)
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.read_bytes()[:len(magic)] == magic, (link, path.name)


def _chart_texts(browser_context, url: str, zone: str) -> tuple[list, dict]:
    """The first chart's texts with their places, and the limit label's box against the
    chart's, in a tab whose clock is in `zone`."""
    tab = browser_context.new_page()
    try:
        cdp = browser_context.new_cdp_session(tab)
        cdp.send("Emulation.setTimezoneOverride", {"timezoneId": zone})
        tab.goto(url)
        chart = tab.locator("#charts .chart").first
        expect(chart).to_have_attribute("data-drawn", "true")
        assert tab.evaluate("new Date(0).getTimezoneOffset()") == (0 if zone == "UTC" else -480)
        return tab.evaluate("""(el) => {
            const texts = [...el.querySelectorAll("svg text")].map(
                t => [t.textContent, t.getAttribute("transform") || ""]);
            const limits = [...document.querySelectorAll("#charts .chart")].flatMap(
                c => [...c.querySelectorAll("svg text")].filter(
                    t => t.textContent.startsWith("限值")).map(t => [t, c]));
            const inside = limits.every(([t, c]) => {
                const box = t.getBoundingClientRect(), outer = c.getBoundingClientRect();
                return box.right <= outer.right && box.left >= outer.left;
            });
            return [texts, {limit: limits.length > 0, inside: inside}];
        }""", chart.element_handle())
    finally:
        tab.close()


def test_point_charts_read_in_beijing_time_in_any_browser_zone(web, browser_context):
    (mn,) = web.context.store.query(
        "SELECT mn FROM records WHERE cn = '2061' GROUP BY mn ORDER BY COUNT(*) DESC LIMIT 1")[0]
    url = web.url(f"/points/{mn}")
    in_beijing, limit = _chart_texts(browser_context, url, "Asia/Shanghai")
    in_utc, _ = _chart_texts(browser_context, url, "UTC")
    assert in_beijing and in_utc == in_beijing  # the same hours at the same places
    assert limit == {"limit": True, "inside": True}
