"""City figures a bureau can sign (issue 11 items 20, 21, 22): published daily values win and
the difference is reported, stations count only on their active dates, and the open choices
of the statistics are `[air]` settings."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
from typer.testing import CliRunner

from envmon.air import service, stats, storage
from envmon.air.settings import AirSettings
from envmon.cli import app
from envmon.config import parse_config
from envmon.store import open_store

from .conftest import write_hourly, write_stations

CNEMC_HEADER = ("timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,"
                "aqi,pm10,pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,"
                "so2_24h,co,co_24h")


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def _published_day(tmp_path):
    """One station day: every archived hour has PM2.5 30 (AQI 50, 优), but CNEMC published
    the day's PM2.5 as 80 (AQI 107, 轻度污染), as when the archive misses hours."""
    db = tmp_path / "p.duckdb"
    write_stations(tmp_path / "s.csv", rows=[("1001A", "尖草坪", "太原市", "city", 37.9, 112.5)])
    assert run("air", "stations", "import", str(tmp_path / "s.csv"), "--db", str(db)
               ).exit_code == 0
    lines = [CNEMC_HEADER]
    for hour in range(1, 25):
        label = (datetime(2023, 1, 21) + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:00:00")
        day = "80" if hour == 24 else ""
        mean = "50" if hour == 24 else ""
        lines.append(f"{label},1001A,112.5,37.9,太原市,尖草坪,,,50,{mean},30,{day},60,60,60,"
                     f"60,30,{'30' if hour == 24 else ''},10,{'10' if hour == 24 else ''},0.8,"
                     f"{'0.8' if hour == 24 else ''}")
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("air", "import", str(tmp_path / "c.csv"), "--format", "cnemc", "--db", str(db))
    assert result.exit_code == 0, result.output
    return db


def test_a_published_daily_value_wins_and_the_difference_is_reported(tmp_path):
    db = _published_day(tmp_path)
    got = json.loads(run("air", "summary", "--city", "太原市", "--from", "2023-01-21",
                         "--to", "2023-01-21", "--db", str(db)).stdout)
    assert got["daily"][0]["aqi"] == 107 and got["good_days"] == 0
    assert got["published_daily"] == {"wins": True, "differences": [
        {"station": "1001A", "city": "太原市", "date": "2023-01-21", "pollutant": "pm25",
         "computed": 30, "published": 80, "used": "published"}]}
    config = tmp_path / "envmon.toml"
    config.write_text("[air]\npublished_daily_wins = false\n", encoding="utf-8")
    ours = json.loads(run("air", "summary", "--city", "太原市", "--from", "2023-01-21",
                          "--to", "2023-01-21", "--db", str(db), "--config", str(config)).stdout)
    assert ours["daily"][0]["aqi"] == 50 and ours["good_days"] == 1
    assert ours["published_daily"]["differences"][0]["used"] == "computed"


def test_stations_count_only_on_their_active_dates(tmp_path):
    db = tmp_path / "a.duckdb"
    stations = tmp_path / "s.csv"
    stations.write_text(
        "code,name,city,type,lat,lon,active_from,active_to\n"
        "1001A,甲,太原市,city,,,,\n1002A,乙,太原市,city,,,,\n"
        "1003A,丙,太原市,city,,,2020-01-01,2025-10-31\n"   # closed before November
        "1004A,丁,太原市,city,,,,2025-10-31\n", encoding="utf-8")
    assert run("air", "stations", "import", str(stations), "--db", str(db)).exit_code == 0
    labels = [datetime(2025, 11, 1) + timedelta(hours=h) for h in range(1, 25)]
    values = {"so2": 10, "no2": 30, "co": 0.8, "o3": 60, "pm10": 50, "pm25": 30}
    path = write_hourly(tmp_path / "h.csv", ["1001A", "1002A"], labels, lambda c, t: values)
    assert run("air", "import", str(path), "--format", "hourly", "--db", str(db)
               ).exit_code == 0
    got = json.loads(run("air", "summary", "--city", "太原市", "--from", "2025-11-01",
                         "--to", "2025-11-01", "--db", str(db)).stdout)
    # 2 of the 2 active stations are valid (not 2 of 4, below the 75 % of HJ 663 §6.1)
    assert got["daily"][0]["aqi"] == 50 and got["valid_days"] == 1
    retyped = run("air", "stations", "import", str(stations), "--db", str(db))
    assert retyped.exit_code == 0 and "changed" not in retyped.stdout


def test_untyped_stations_are_named_in_the_summary(tmp_path):
    db = _published_day(tmp_path)
    extra = tmp_path / "x.csv"
    extra.write_text(CNEMC_HEADER + "\n2023-01-21T05:00:00,1083A,112.4,38.0,太原市,上兰,,,"
                     "10,,10,,60,60,60,60,30,,10,,0.8,\n", encoding="utf-8")
    assert run("air", "import", str(extra), "--format", "cnemc", "--db", str(db)
               ).exit_code == 0
    result = run("air", "summary", "--city", "太原市", "--from", "2023-01-21", "--to",
                 "2023-01-21", "--db", str(db))
    got = json.loads(result.stdout)
    assert got["untyped_stations"] == ["1083A"]
    assert "1083A have no type" in result.stderr


def test_air_settings_are_read_from_the_config_with_their_defaults():
    assert parse_config({}).air == AirSettings()
    assert parse_config({"air": {"o3_1h_max_min_hours": 18}}).air.o3_1h_max_min_hours == 18


def test_o3_daily_max_hours_is_a_setting():
    hourly = {p: np.full((1, 1, 24), 50.0) for p in ("so2", "no2", "co", "o3", "pm10", "pm25")}
    hourly["o3"][0, 0, 18:] = np.nan  # 18 hourly values
    assert np.isnan(stats.station_daily(hourly)["o3_1h"][0, 0])
    assert stats.station_daily(hourly, o3_1h_max_min_hours=18)["o3_1h"][0, 0] == 50


def _daily_store(tmp_path, rows):
    store = open_store(tmp_path / "d.duckdb")
    storage.import_stations(store, write_stations(tmp_path / "s.csv"))
    path = tmp_path / "daily.csv"
    path.write_text("station_code,date,so2,no2,co,pm10,pm25,o3_1h_max,o3_8h_max\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")
    storage.import_data(store, [path], "daily")
    return store


def test_daily_aqi_without_all_six_and_rounded_period_statistics_are_settings(tmp_path):
    rows = [f"{c},2025-03-0{d},12,35,1.2,70,{'' if d == 3 else '10.4'},180,160"
            for c in ("2001A", "2002A") for d in (1, 2, 3)]
    with _daily_store(tmp_path, rows) as store:
        first, last = date(2025, 3, 1), date(2025, 3, 3)
        strict = service.city_days(store, first, last, cities=["大同市"])
        loose = service.city_days(store, first, last, cities=["大同市"],
                                  settings=AirSettings(daily_aqi_requires_all=False))
        assert np.isnan(strict.aqi.aqi[0, 2]) and not np.isnan(loose.aqi.aqi[0, 2])
        unrounded = service.period_results(strict, check_validity=False)[0]
        rounded = service.period_results(
            strict, check_validity=False,
            settings=AirSettings(period_from_rounded_daily=True))[0]
        assert abs(unrounded.conc["pm25"] - 10.4) < 1e-9 and rounded.conc["pm25"] == 10


def test_city_o3_daily_max_from_station_maxima_or_city_hours(tmp_path):
    labels = [datetime(2025, 11, 1) + timedelta(hours=h) for h in range(1, 25)]

    def values(code, label):
        peak = 10 if code == "2001A" else 15
        return {"so2": 10, "no2": 30, "co": 0.8, "pm10": 50, "pm25": 30,
                "o3": 200 if label.hour == peak else 50}

    with open_store(tmp_path / "o.duckdb") as store:
        storage.import_stations(store, write_stations(tmp_path / "s.csv"))
        storage.import_data(store, [write_hourly(tmp_path / "h.csv", ["2001A", "2002A"],
                                                 labels, values)], "hourly")
        day = date(2025, 11, 1)
        by_station = service.city_days(store, day, day, cities=["大同市"])
        by_hour = service.city_days(store, day, day, cities=["大同市"],
                                    settings=AirSettings(city_o3_1h="city_hourly"))
    assert by_station.values["o3_1h"][0, 0] == 200
    assert by_hour.values["o3_1h"][0, 0] == 125
