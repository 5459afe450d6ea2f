"""Our real-time AQI against CNEMC's published one, on real archived data.

Fixture: tests/air/data/cnemc_2023-01-15T16_subset.csv — 56 rows of the national real-time
release for 2023-01-15 16:00 as archived in GitHub HeQinWill/CNEMC
(Archive/2023-01-15/2023-01-15T16.csv, commit 943963b3), a government public release used as
a test fixture only (airquality.md §7.1). Columns o3/o3_24h are swapped in that archive (the
latest 1-h O3 is in o3_24h), which this test also confirms: with the swap, every published AQI
and primary pollutant is reproduced (1129A: o3 = 142 would give 45, not the published 52…
which comes from PM2.5 36 → 51.25 → 52, ceil rounding, airquality.md §1.2).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from envmon.air import storage
from envmon.air.service import station_realtime
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

FIXTURE = Path(__file__).parent / "data" / "cnemc_2023-01-15T16_subset.csv"


def test_computed_realtime_aqi_reproduces_the_published_values(tmp_path):
    with open_store(tmp_path / "c.duckdb") as store:
        report = storage.import_data(store, [FIXTURE], "cnemc")
        assert report.rows == 56 and not report.errors and report.stations_added == 56
        published = store.query(
            "SELECT station_code, published_aqi, published_primary FROM air_published "
            "ORDER BY station_code")
        start = datetime(2023, 1, 15, 15, tzinfo=BEIJING_FIXED)
        end = datetime(2023, 1, 15, 16, tzinfo=BEIJING_FIXED)
        compared = with_aqi = 0
        for code, aqi, primary in published:
            rows = station_realtime(store, code, start, end)
            if not rows:  # the station published nothing that hour
                assert aqi is None
                continue
            (row,) = rows
            # a missing pollutant: CNEMC publishes no AQI, neither do we
            assert row["aqi"] == (None if aqi is None else int(aqi)), code
            expected = primary.split(",") if primary else []
            assert row["primary"] == expected, code
            compared += 1
            with_aqi += aqi is not None
    assert compared == 54 and with_aqi == 45
