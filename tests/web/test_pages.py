"""The pages over HTTP (no browser): every page answers, bad input is a 4xx naming the field,
the language switch is remembered, and the pages still answer without the npm assets."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from envmon.web import i18n
from envmon.web.pages import render


def get(web, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(web.url(path), headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


@pytest.mark.parametrize("path, text", [
    ("/", "即时有效传输率"), ("/points", "全部点位"), ("/alarms", "报警"),
    ("/assess", "传输有效率"), ("/assess?level=county&parent=140100", 'data-level="county"'),
    ("/roads", "道路颗粒物"), ("/air", "空气质量"), ("/emergency", "应急管控"),
])
def test_every_page_answers_in_chinese(web, path, text):
    status, body, headers = get(web, path)
    assert status == 200 and text in body
    assert headers["content-type"].startswith("text/html")
    assert 'lang="zh-CN"' in body


def test_the_emissions_page_shows_the_tax_of_each_unit(web):
    import re

    (first,) = web.context.store.query("SELECT MIN(data_time) FROM records")[0]
    status, body, _ = get(web, f"/emissions?month={first:%Y-%m}")
    assert status == 200 and "排放量与环保税" in body
    units = re.findall(r'<tr class="unit" data-unit="([^"]+)"><th colspan="7">.*?</th>'
                       r'<th>([0-9.]+)</th>', body)
    registered = {u for (u,) in web.context.store.query("SELECT unit_id FROM units")}
    assert units and {u for u, _ in units} <= registered
    total = float(re.search(r'id="tax-total">([0-9.]+)<', body).group(1))
    assert abs(total - sum(float(tax) for _, tax in units)) < 0.01 * len(units)


def test_the_drill_down_keeps_the_rows_of_the_parent(web):
    import re

    _, body, _ = get(web, "/assess?level=county&parent=140100")
    codes = re.findall(r'<tr data-code="([^"]+)"', body)
    assert codes and all(code.startswith("1401") for code in codes)
    _, body, _ = get(web, f"/assess?level=unit&parent={codes[0]}")
    units = re.findall(r'<tr data-code="([^"]+)"', body)
    _, body, _ = get(web, f"/assess?level=point&parent={units[0]}")
    points = re.findall(r'<tr data-code="([^"]+)"', body)
    registered = {mn for (mn,) in web.context.store.query(
        "SELECT mn FROM points WHERE unit_id = ?", [units[0]])}
    assert points and set(points) <= registered


@pytest.mark.parametrize("path, status, names", [
    ("/assess?month=2026-13", 400, "month"),
    ("/assess?level=galaxy", 400, "level"),
    ("/emissions?month=26-1", 400, "month"),
    ("/air?month=2025-13", 400, "month"),
    ("/alarms?status=lost", 400, "status"),
    ("/points/NO-SUCH-MN", 404, "NO-SUCH-MN"),
    ("/points/{mn}?days=0", 400, "days"),
])
def test_bad_input_is_a_4xx_naming_the_field(web, path, status, names):
    mn = web.context.store.query("SELECT mn FROM points ORDER BY mn LIMIT 1")[0][0]
    got, body, _ = get(web, path.format(mn=mn))
    assert got == status and names in body


def test_the_language_switch_sets_a_cookie_the_next_page_reads(web):
    status, body, headers = get(web, "/alarms?lang=en")
    assert status == 200 and 'lang="en"' in body and ">Alarms<" in body
    assert f"{i18n.COOKIE}=en" in headers.get("set-cookie", "")
    _, body, _ = get(web, "/assess", {"Cookie": f"{i18n.COOKIE}=en"})
    assert "Transmission validity" in body
    _, body, _ = get(web, "/assess?lang=zh", {"Cookie": f"{i18n.COOKIE}=en"})
    assert "传输有效率" in body


def test_pages_answer_without_the_npm_assets_and_say_how_to_install_them(web, monkeypatch):
    _, body, _ = get(web, "/")
    assert "vendor-missing" not in body and "/static/vendor/leaflet.js" in body
    monkeypatch.setattr(render, "VENDOR_MARKER", ("vendor", "not-installed.js"))
    status, body, _ = get(web, "/")
    assert status == 200 and 'id="vendor-missing"' in body and "make install" in body
    assert "/static/vendor/leaflet.js" not in body and 'id="count-online"' in body


def test_the_catalogue_has_both_languages_for_every_key():
    for key, (zh, en) in i18n.MESSAGES.items():
        assert zh.strip() and en.strip(), key
    assert i18n.resolve_lang("en", "zh", "zh") == "en"
    assert i18n.resolve_lang(None, "en", "zh") == "en"
    assert i18n.resolve_lang("xx", None, "zh") == "zh"


def test_the_demo_prints_the_web_address_first(demo_db):
    """The first thing `envmon demo` prints is the address to open (issue 12)."""
    lines = [line for line in (demo_db.parent / "demo.out").read_text().splitlines() if line]
    assert lines[0].startswith("打开 http://127.0.0.1:"), lines[:3]


# ------------------------------------------------------------------ alarms page (issue 12)
@pytest.fixture
def alarms_web(tmp_path):
    """A store of 120 alarms (60 open, 60 closed) served alone: the paging of the list."""
    from datetime import datetime

    from envmon.alarms import store as alarm_store
    from envmon.store import open_store
    from envmon.timeutil import BEIJING_FIXED
    from envmon.web.context import WebContext
    from tests.web.conftest import serve

    store = open_store(tmp_path / "alarms.duckdb")
    for k in range(120):
        alarm = alarm_store.open_alarm(
            store, mn=f"MN{k % 3}", unit_id="U1", factor="a21026", rule="exceedance",
            data_time=datetime(2026, 10, 1, k % 24, tzinfo=BEIJING_FIXED), value=50.0,
            limit=35.0, detail="超标")
        if k % 2:
            alarm_store.close(store, alarm.id, "王工", "已整改")
    with serve(WebContext(store=store)) as served:
        yield served
    store.close()


def test_the_alarms_page_is_paged_and_keeps_its_filters(alarms_web):
    import re

    from envmon.web.pages.alarms import PAGE_SIZE

    _, body, _ = get(alarms_web, "/alarms")
    ids = re.findall(r'<tr data-alarm-id="(\d+)"', body)
    assert len(ids) == PAGE_SIZE and ids[0] == "120"  # newest first
    assert 'id="alarm-total">共 120<' in body
    assert 'href="/alarms?page=3"' in body
    _, body, _ = get(alarms_web, "/alarms?status=closed&page=2")
    ids = re.findall(r'<tr data-alarm-id="(\d+)"', body)
    assert len(ids) == 10 and all(int(i) % 2 == 0 for i in ids)  # 60 closed: 50 + 10
    assert 'href="/alarms?status=closed&amp;page=1"' in body
    assert "page=3" not in body
    status, body, _ = get(alarms_web, "/alarms?page=x")
    assert status == 400 and "page" in body


def test_the_alarms_page_speaks_chinese_and_shows_the_data_time(alarms_web):
    _, body, _ = get(alarms_web, "/alarms")
    rows = body.split('<tbody>', 1)[1]
    assert "已关闭" in rows and "未确认" in rows and "超标" in rows and "二氧化硫" in rows
    for english in (">open<", ">closed<", ">exceedance<", ">acknowledged<"):
        assert english not in body
    assert '<option value="open">未确认</option>' in body
    assert 'class="data-span">2026-10-01 ' in rows
    assert ".%06d" not in rows and "+08:00" not in rows  # minutes, Beijing time
    _, body, _ = get(alarms_web, "/alarms?lang=en")
    assert ">Closed<" in body and ">Exceedance<" in body and "SO2" in body


def test_the_alarm_actions_ask_who_and_why_in_a_dialog_not_the_filter_form(alarms_web):
    _, body, _ = get(alarms_web, "/alarms")
    form = body.split('<form class="filters"', 1)[1].split("</form>", 1)[0]
    assert "alarm-by" not in form and "alarm-note" not in form
    dialog = body.split('<dialog id="alarm-dialog">', 1)[1].split("</dialog>", 1)[0]
    assert 'id="alarm-by" name="by" required' in dialog and 'id="alarm-note"' in dialog


def test_pages_refuse_to_be_framed(alarms_web):
    for path in ("/alarms", "/alarms?status=lost"):
        _, _, headers = get(alarms_web, path)
        headers = {k.lower(): v for k, v in headers.items()}
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_the_point_page_speaks_chinese(web):
    mn = web.context.store.query("SELECT mn FROM points WHERE kind = 'gas' LIMIT 1")[0][0]
    _, body, _ = get(web, f"/points/{mn}")
    assert "废气" in body and "· gas" not in body
    for raw in (">begin_time<", ">requested_at<", ">outcome<", ">created_by<", ">accepted<"):
        assert raw not in body, raw
    assert "补遗开始" in body and "录入人" in body
    _, body, _ = get(web, f"/points/{mn}?lang=en")
    assert "Flue gas" in body and "Entered by" in body


def test_times_are_beijing_minutes():
    t = i18n.Translator("zh")
    assert t.time("2026-12-01T07:15:44.436595+00:00") == "2026-12-01 15:15"
    assert t.time("2026-12-01T15:15:44.436595+08:00") == "2026-12-01 15:15"
    assert t.time(None) == ""
    assert t.status("acknowledged") == "已确认" and t.rule("offline") == "离线"
    assert i18n.Translator("en").factor("a21026") == "SO2"
    for group, names in i18n.VALUES.items():  # every stored code has both languages
        for code, (zh, en) in names.items():
            assert zh.strip() and en.strip() and en != code, (group, code)


def test_the_bulletin_links_are_the_bulletin_and_the_table_keeps_the_drill_down(web):
    import html
    import re

    _, body, _ = get(web, "/assess?month=2026-10&level=county&parent=140100")
    links = {k: html.unescape(v) for k, v in re.findall(r'id="((?:bulletin|table)-\w+)" '
                                                          r'href="([^"]+)"', body)}
    for f in ("pdf", "xlsx", "html"):
        assert links[f"bulletin-{f}"] == f"/api/v1/report/transmission?month=2026-10&format={f}"
    assert links["table-xlsx"] == ("/api/v1/assess?month=2026-10&level=county&region=140100"
                                   "&format=xlsx")
    status, _, headers = get(web, links["table-xlsx"].replace("xlsx", "csv"))
    assert status == 200 and "csv" in {k.lower(): v for k, v in headers.items()}["content-type"]
    _, body, _ = get(web, "/assess?month=2026-10&level=point&parent=U%201")
    assert "/api/v1/assess?month=2026-10&amp;level=point&amp;unit=U+1&amp;format=csv" in body
