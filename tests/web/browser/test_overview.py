"""总览 in a real browser over the running platform (`live`: the real receiver, alarm engine
and web app, simulated units sending): every point of the 300-point demo on the map with the
counts the server computed, drawn in under a second; a unit that goes silent turns its
point offline, and an over-limit hourly packet raises an alarm that appears without a
reload and is acknowledged through the alarms page's button."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from playwright.sync_api import expect

from envmon.sim.values import period_values
from envmon.timeutil import now_beijing
from envmon.web.settings import WebSettings
from tests.web.browser.conftest import SCREENSHOTS
from tests.web.conftest import DEMO_POINTS

RENDER_BUDGET_S = 1.0  # issue 12: the 300-point demo's overview renders in under a second
# Measured as the best of three loads after a warm-up (the first load also starts the
# browser's caches and the server's): one slow load on a loaded 2-core machine is noise.
RENDER_LOADS = 3


def test_overview_shows_every_point_and_the_counts(live, page, shot):
    data = live.get_json("/overview/data")
    assert len(data["points"]) == DEMO_POINTS
    api = live.get_json("/api/v1/overview")  # the one rule: the API and the page agree
    assert {p["mn"]: p["state"] for p in api["points"]} == {
        p["mn"]: p["state"] for p in data["points"]}
    drawn_ms = []
    for load in range(1 + RENDER_LOADS):  # a warm-up, then the loads that count
        started = time.perf_counter()
        page.goto(live.url("/"))
        expect(page.locator("#map")).to_have_attribute("data-points", str(DEMO_POINTS))
        expect(page.locator("path.point-marker")).to_have_count(DEMO_POINTS)
        rendered_s = time.perf_counter() - started
        if load:
            drawn_ms.append(page.evaluate("window.envmonDrawnMs"))
    expect(page.locator("#map")).not_to_have_attribute("data-boundaries", "0")
    assert int(page.locator("#map").get_attribute("data-boundaries") or 0) > 100  # districts
    expect(page.locator("#count-networked")).to_have_text(str(data["counts"]["networked"]))
    # Today's rates by city: all 11 of the province once an hour of today has ended (the
    # 即时 figures exist), none before 01:00 — judged by the figures, not the clock's hour.
    assert len(data["cities"]) == (11 if data["counts"]["instant_rate"] is not None else 0)
    # Once its stream is open the page reads the figures again (rates the events do not
    # carry): what it shows is the server's figures of now.
    expect(page.locator("body")).to_have_attribute("data-synced", "true")
    fresh = live.get_json("/overview/data")
    assert len(fresh["cities"]) == (11 if fresh["counts"]["instant_rate"] is not None else 0)
    # The page read its figures between `data` and `fresh` (01:00 may pass in between).
    assert page.locator("#city-rates tbody tr").count() in {len(data["cities"]),
                                                            len(fresh["cities"])}
    rate = fresh["counts"]["instant_rate"]
    expect(page.locator("#count-instant-rate")).to_have_text(
        "—" if rate is None else f"{rate:.2f}%")
    if fresh["cities"]:
        expect(page.locator("#city-rates tbody tr").first).to_contain_text(
            fresh["cities"][0]["name"])
    for mn in live.units:  # connected and sending
        expect(page.locator(f'path.point-marker[data-mn="{mn}"]')).to_have_attribute(
            "data-state", "online")
    timing = page.evaluate("""() => {
        const t = performance.getEntriesByType('navigation')[0];
        return {response_ms: t.responseEnd - t.requestStart, load_ms: t.loadEventEnd,
                markers_drawn_ms: window.envmonDrawnMs}; }""")
    shot(page, "overview")
    (SCREENSHOTS / "overview-timing.json").write_text(json.dumps(
        {**timing, "seen_by_the_test_s": round(rendered_s, 3), "drawn_ms": drawn_ms}))
    # In the page's own clock (navigation start to the last marker), not the test's polling.
    assert min(drawn_ms) < RENDER_BUDGET_S * 1000, (drawn_ms, timing)


def test_a_point_goes_offline_when_its_unit_goes_silent(live, page, shot):
    mn = sorted(live.units)[0]
    page.goto(live.url("/"))
    expect(page.locator("path.point-marker")).to_have_count(DEMO_POINTS)
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    expect(page.locator("body")).to_have_attribute("data-synced", "true")
    page.evaluate("window.__same_page = true")
    marker = page.locator(f'path.point-marker[data-mn="{mn}"]')
    expect(marker).to_have_attribute("data-state", "online")
    offline_before = int(page.locator("#state-count-offline").inner_text())

    live.silence(mn)  # the unit stops and its connection closes
    expect(marker).to_have_attribute("data-state", "offline")
    expect(page.locator("#state-count-offline")).to_have_text(str(offline_before + 1))
    row = page.locator("#open-alarms tr", has_text=mn)  # the engine's offline alarm
    expect(row.first).to_contain_text("离线")  # the rule in the page's language
    assert page.evaluate("window.__same_page") is True  # no reload happened
    # The API says what the page shows, within its shared result's freshness (the page's
    # own load filled it with the overview of before the silence).
    live.wait_state(mn, "offline", WebSettings().result_cache_s + 5)
    shot(page, "overview-unit-silent")


def test_an_alarm_raised_by_a_packet_appears_live_and_is_acknowledged(live, page, shot,
                                                                      browser_context):
    mn = sorted(live.units)[-1]
    unit = live.units[mn]
    page.goto(live.url("/"))
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    expect(page.locator("body")).to_have_attribute("data-synced", "true")
    page.evaluate("window.__same_page = true")
    marker = page.locator(f'path.point-marker[data-mn="{mn}"]')
    expect(marker).to_have_attribute("data-state", "online")

    # An over-limit hourly upload (1.3-1.8 x the limits) from the unit's HJ 212 client.
    hour = (now_beijing() - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    values = period_values(unit.point, hour, 3600, 7, exceed=True)
    assert live.run(unit.send_upload("2061", hour, values)), "the receiver did not answer"
    row = page.locator("#open-alarms tr", has_text=mn).filter(has_text="超标").first  # in zh
    expect(row).to_be_visible()
    expect(marker).to_have_attribute("data-state", "alarm")
    assert page.evaluate("window.__same_page") is True
    alarm_id = row.get_attribute("data-alarm-id")
    shot(page, "overview-alarm-live")

    alarms = browser_context.new_page()  # the alarms page, the overview stays open
    alarms.goto(live.url(f"/alarms?mn={mn}"))
    listed = alarms.locator(f'#alarms tr[data-alarm-id="{alarm_id}"]')
    listed.locator('button[data-action="acknowledge"]').click()
    alarms.fill("#alarm-by", "王工")  # the dialog asks who and why
    alarms.fill("#alarm-note", "已电话通知")
    alarms.click("#alarm-confirm")
    expect(listed.locator("td.status")).to_have_text("已确认")
    shot(alarms, "alarms-acknowledged")
    alarms.close()
    # The overview heard it too (the API's acknowledge publishes the alarm).
    expect(page.locator(f'#open-alarms tr[data-alarm-id="{alarm_id}"]')).to_contain_text(
        "已确认")  # the status in the page's language, as the server renders it
    (status, by) = live.store.query(
        "SELECT status, acknowledged_by FROM alarms WHERE id = ?", [int(alarm_id)])[0]
    assert (status, by) == ("acknowledged", "王工 (web 127.0.0.1)")  # who, from where
