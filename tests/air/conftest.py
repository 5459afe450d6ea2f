"""Synthetic station data with known answers, written as the CSV formats the importer reads."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

STATIONS = [
    ("1001A", "上兰", "太原市", "city", 37.99, 112.43),
    ("1002A", "尖草坪", "太原市", "city", 37.94, 112.52),
    ("1003A", "小店", "太原市", "city", 37.74, 112.56),
    ("1009A", "上兰村对照点", "太原市", "control", 38.00, 112.40),
    ("2001A", "平旺", "大同市", "city", 40.10, 113.30),
    ("2002A", "云冈", "大同市", "city", 40.11, 113.14),
]
# The worked example of airquality.md §4.2: PM2.5 40, PM10 70, SO2 12, NO2 35, CO 1.2, O3 160
EXAMPLE = {"so2": 12.0, "no2": 35.0, "co": 1.2, "o3": 160.0, "pm10": 70.0, "pm25": 40.0}

Values = Callable[[str, datetime], dict[str, float | None] | None]


def write_stations(path: Path, rows=STATIONS, extra: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("code,name,city,type,lat,lon\n")
        for row in rows:
            f.write(",".join(str(v) for v in row) + "\n")
        for line in extra or []:
            f.write(line + "\n")
    return path


def month_labels(year: int, month: int) -> list[datetime]:
    """Hour labels (end of hour) of the natural days of a month: day 1 01:00 … next 1st 00:00."""
    first = datetime(year, month, 1)
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    return [first + timedelta(hours=h) for h in range(1, int((nxt - first).total_seconds()
                                                              // 3600) + 1)]


def write_hourly(path: Path, codes: list[str], labels: list[datetime], values: Values) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["station_code", "time", "so2", "no2", "co", "o3", "pm10", "pm25"])
        for code in codes:
            for label in labels:
                v = values(code, label)
                if v is None:
                    continue
                w.writerow([code, label.strftime("%Y-%m-%dT%H:%M:%S")]
                           + ["" if v.get(p) is None else v[p]
                              for p in ("so2", "no2", "co", "o3", "pm10", "pm25")])
    return path


def day_of(label: datetime) -> date:
    """The natural day an hour label belongs to (24:00 = 00:00 of the next date)."""
    return (label - timedelta(hours=1)).date()


def values_this(code: str, label: datetime) -> dict | None:
    if code == "1009A":  # control station: absurd values that must never enter city values
        return dict(EXAMPLE, pm25=900.0, pm10=900.0)
    if code.startswith("1"):
        return dict(EXAMPLE)
    # 大同市: PM2.5 30 on every day; on 2025-11-02 only 19 hours → the day is invalid
    if day_of(label) == date(2025, 11, 2) and label.hour in (1, 2, 3, 4, 5):
        return None
    return dict(EXAMPLE, pm25=30.0)


def values_last(code: str, label: datetime) -> dict | None:
    if code == "1009A":
        return None
    if code.startswith("1"):
        # 5 days of PM2.5 150 (AQI 200, 中度污染), then 50
        return dict(EXAMPLE, pm25=150.0 if day_of(label).day <= 5 else 50.0)
    return dict(EXAMPLE, pm25=30.0)


@pytest.fixture
def air_db(tmp_path) -> Path:
    """A DuckDB file with the stations and hourly data of November 2025 (this period) and
    November 2024 (the same period a year earlier); the 2012 standard set applies by date."""
    from envmon.air import storage
    from envmon.store import open_store

    db = tmp_path / "air.duckdb"
    codes = [s[0] for s in STATIONS]
    with open_store(db) as store:
        storage.import_stations(store, write_stations(tmp_path / "stations.csv"))
        storage.import_data(store, [
            write_hourly(tmp_path / "h2025.csv", codes, month_labels(2025, 11), values_this),
            write_hourly(tmp_path / "h2024.csv", codes, month_labels(2024, 11), values_last),
        ], "hourly")
    return db
