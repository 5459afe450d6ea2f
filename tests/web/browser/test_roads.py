"""道路颗粒物 in a real browser, over a store of simulated taxis imported and map-matched by
the real roads code: the map draws the ranked segments (as many outlined dirty/clean as the
lists have rows), a row of the dirty list zooms to its segment and opens its popup, the
segment's page draws its chart by day."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import ROADS_MONTH


def test_the_roads_map_shows_the_ranked_segments(roads_web, page, shot):
    page.goto(roads_web.url(f"/roads?month={ROADS_MONTH}"))
    expect(page.locator("body")).to_have_attribute("data-ready", "roads")
    dirty_rows = page.locator("#roads-dirty tbody tr[data-segment]")
    clean_rows = page.locator("#roads-clean tbody tr[data-segment]")
    expect(dirty_rows).to_have_count(20)
    expect(clean_rows).to_have_count(20)
    segments = page.locator("#roads-map path.road-segment")
    features = int(page.locator("#roads-map").get_attribute("data-segments"))
    expect(segments).to_have_count(features)
    expect(page.locator("#roads-map path.listed-dirty")).to_have_count(dirty_rows.count())
    expect(page.locator("#roads-map path.listed-clean")).to_have_count(clean_rows.count())
    expect(page.locator("#roads-legend li")).to_have_count(5 + 3)  # classes, grey, outlines

    third = dirty_rows.nth(2)
    segment_id = third.get_attribute("data-segment")
    name = third.locator("td.name").inner_text()
    third.click()
    expect(page.locator("#roads-map")).to_have_attribute("data-open-segment", segment_id)
    popup = page.locator(".leaflet-popup .segment-popup")
    expect(popup.locator(".segment-name")).to_have_text(name)
    expect(popup).to_contain_text("µg/m³")
    shot(page, "roads")

    popup.locator("a").click()
    page.wait_for_url(f"**/roads/segments/{segment_id}?month={ROADS_MONTH}")
    expect(page.locator("h1")).to_contain_text(name)
    chart = page.locator("#passes-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("svg path").first).to_be_attached()
    expect(page.locator("#passes tbody tr").first).to_contain_text(ROADS_MONTH)
    shot(page, "roads-segment")
