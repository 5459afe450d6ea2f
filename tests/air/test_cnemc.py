"""Our real-time AQI against CNEMC's published one, on real archived data.

Fixture: tests/air/data/cnemc_2023-01-15_subset.csv — 67 rows of the national real-time
release of 2023-01-15 as archived in GitHub HeQinWill/CNEMC (Archive/2023-01-15/
2023-01-15T16.csv, commit 943963b3: 56 rows; T01 40efb3a2, T05 6b0dfba7, T08 acf2a25a,
T09 c83f0811: 11 rows chosen for AQI > 100, > 150 and tied primary pollutants), a government
public release used as a test fixture only (airquality.md §7.1).

What it confirms: ceil rounding (1129A T16: PM2.5 36 → 51.25 → 52; 1133A T09: PM2.5 120 →
157.1 → 158), PM with the 24-h columns on the 1-h value, the swapped O3 columns of the archive
(1129A T16: o3 = 142 would give 45, the latest 1-h value o3_24h = 62 gives 20), ties listed
in CNEMC's order (1095A T05, 1134A T09: "颗粒物(PM10),细颗粒物(PM2.5)"), no primary pollutant
at AQI ≤ 50, and no AQI at all when one of the six 1-h values is missing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from envmon.air import storage
from envmon.air.service import station_realtime
from envmon.store import open_store

FIXTURE = Path(__file__).parent / "data" / "cnemc_2023-01-15_subset.csv"


def test_computed_realtime_aqi_reproduces_the_published_values(tmp_path):
    with open_store(tmp_path / "c.duckdb") as store:
        report = storage.import_data(store, [FIXTURE], "cnemc")
        assert report.rows == 67 and not report.errors and report.stations_added == 59
        published = store.query(
            "SELECT station_code, end_time, published_aqi, published_primary "
            "FROM air_published ORDER BY station_code, end_time")
        compared = with_aqi = above_100 = ties = 0
        for code, end, aqi, primary in published:
            rows = station_realtime(store, code, end - timedelta(hours=1), end)
            if not rows:  # the station published nothing that hour
                assert aqi is None
                continue
            (row,) = rows
            # a missing pollutant: CNEMC publishes no AQI, neither do we
            assert row["aqi"] == (None if aqi is None else int(aqi)), (code, end)
            expected = primary.split(",") if primary else []
            assert row["primary"] == expected, (code, end)
            compared += 1
            with_aqi += aqi is not None
            above_100 += aqi is not None and aqi > 100
            ties += len(expected) > 1
    assert (compared, with_aqi, above_100, ties) == (65, 56, 5, 2)
