"""Import details: re-import replaces, hour labels, header errors."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from envmon.air import storage
from envmon.store import open_store

from .conftest import EXAMPLE, write_hourly, write_stations


def test_reimport_replaces_and_hours_land_in_their_slots(tmp_path):
    db = tmp_path / "r.duckdb"
    labels = [datetime(2025, 11, 1, 1), datetime(2025, 11, 2, 0), datetime(2025, 11, 2, 1)]
    path = write_hourly(tmp_path / "h.csv", ["1001A"], labels, lambda c, t: dict(EXAMPLE))
    with open_store(db) as store:
        storage.import_stations(store, write_stations(tmp_path / "s.csv"))
        for _ in range(2):
            report = storage.import_data(store, [path], "hourly")
            assert report.rows == 3 and not report.errors
        assert store.query("SELECT COUNT(*) FROM air_hourly") == [(3,)]
        arrays = storage.load_hourly(store, ["1001A", "1002A"], date(2025, 11, 1),
                                     date(2025, 11, 2))
    pm25 = arrays["pm25"]
    assert pm25.shape == (2, 2, 24)
    # label 01:00 → day 1 slot 0; label 2nd 00:00 (24:00 of the 1st) → day 1 slot 23
    assert pm25[0, 0, 0] == 40 and pm25[0, 0, 23] == 40 and pm25[0, 1, 0] == 40
    assert int((~np.isnan(pm25)).sum()) == 3


def test_hourly_rows_with_bad_times_and_headers(tmp_path):
    db = tmp_path / "b.duckdb"
    path = tmp_path / "h.csv"
    path.write_text("station_code,time,so2,no2,co,o3,pm10,pm25\n"
                    "1001A,2025-11-01T01:30:00,1,1,1,1,1,1\n"
                    ",2025-11-01T01:00:00,1,1,1,1,1,1\n"
                    "1001A,2025-11-01T02:00:00,,,,,,\n"
                    "1001A,2025-11-01 24:00,5,5,0.5,5,5,5\n", encoding="utf-8")
    with open_store(db) as store:
        report = storage.import_data(store, [path], "hourly")
        assert report.rows == 2
        assert [e.line for e in report.errors] == [2, 3]
        # "24:00" (HJ 663 hour label) is 00:00 of the next date
        assert store.query("SELECT CAST(end_time AS VARCHAR) FROM air_hourly WHERE so2 = 5"
                           ) == [("2025-11-02 00:00:00+08",)]
        assert "not on the hour" in report.errors[0].reason
        bad = tmp_path / "bad.csv"
        bad.write_text("code,when\n", encoding="utf-8")
        with pytest.raises(ValueError, match="missing column"):
            storage.import_data(store, [bad], "hourly")
        with pytest.raises(ValueError, match="unknown format"):
            storage.import_data(store, [bad], "quotsoft")
