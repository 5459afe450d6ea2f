"""空气质量 in a real browser: stations and a month of hours imported by the real importer
(the synthetic worked example of tests/air), the ranking and the AQI calendar drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from envmon.air import storage
from tests.air.conftest import (
    STATIONS,
    month_labels,
    values_last,
    values_this,
    write_hourly,
    write_stations,
)


@pytest.fixture(scope="module")
def air_data(web, tmp_path_factory):
    folder = tmp_path_factory.mktemp("air")
    codes = [s[0] for s in STATIONS]
    storage.import_stations(web.context.store, write_stations(folder / "stations.csv"))
    storage.import_data(web.context.store, [
        write_hourly(folder / "h2025.csv", codes, month_labels(2025, 11), values_this),
        write_hourly(folder / "h2024.csv", codes, month_labels(2024, 11), values_last),
    ], "hourly")
    return "2025-11"


def test_the_air_page_ranks_the_cities_and_draws_the_aqi_calendar(web, air_data, page, shot):
    page.goto(web.url(f"/air?month={air_data}&city=太原市"))
    expect(page.locator("#air-ranking tbody tr")).to_have_count(2)
    expect(page.locator("#air-ranking tbody tr").first).to_contain_text("大同市")
    expect(page.locator("#air-summary")).to_contain_text("4.52")  # the worked example
    expect(page.locator("#aqi-days tbody tr")).to_have_count(30)
    expect(page.locator("#aqi-calendar")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#aqi-calendar svg path").first).to_be_attached()
    shot(page, "air")
