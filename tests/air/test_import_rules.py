"""One rule for every air importer (issue 11 items 23 and 20): bad rows are reported by line
and field, the command exits 1 when a row is rejected, nothing is replaced silently, and
stations the registry does not know are named and kept out of city values until typed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from envmon.air import storage
from envmon.cli import app
from envmon.store import open_store

from .conftest import write_stations

HEADER = "station_code,time,so2,no2,co,o3,pm10,pm25\n"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_negative_pm10_is_rejected_naming_line_and_field(tmp_path):
    db = tmp_path / "n.duckdb"
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "1001A,2025-11-01T01:00:00,5,5,0.5,5,40,30\n"
                    "1001A,2025-11-01T02:00:00,5,5,0.5,5,-12,30\n", encoding="utf-8")
    with open_store(db) as store:
        storage.import_stations(store, write_stations(tmp_path / "s.csv"))
        report = storage.import_data(store, [path], "hourly")
        assert report.rows == 1
        assert [(e.line, e.reason) for e in report.errors] == [
            (3, "pm10: -12 is negative (a concentration is ≥ 0)")]
        assert store.query("SELECT pm10 FROM air_hourly") == [(40.0,)]
    result = run("air", "import", str(path), "--format", "hourly", "--db", str(db))
    assert result.exit_code == 1, result.output
    assert "h.csv:3: pm10: -12 is negative" in result.stderr


def test_a_repeated_hour_with_other_values_is_rejected_not_replaced(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "1001A,2025-11-01T01:00:00,5,5,0.5,5,40,30\n"
                    "1001A,2025-11-01T01:00:00,5,5,0.5,5,40,30\n"   # the same again: fine
                    "1001A,2025-11-01T01:00:00,5,5,0.5,5,90,30\n", encoding="utf-8")
    with open_store(tmp_path / "r.duckdb") as store:
        storage.import_stations(store, write_stations(tmp_path / "s.csv"))
        report = storage.import_data(store, [path], "hourly")
        assert report.rows == 1 and [e.line for e in report.errors] == [4]
        assert "repeats line 2 with other values" in report.errors[0].reason
        assert store.query("SELECT pm10 FROM air_hourly") == [(40.0,)]


def test_a_reimport_that_changes_stored_values_says_so(tmp_path):
    db = tmp_path / "c.duckdb"
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "1001A,2025-11-01T01:00:00,5,5,0.5,5,40,30\n"
                     "1001A,2025-11-01T02:00:00,5,5,0.5,5,40,30\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(HEADER + "1001A,2025-11-01T01:00:00,5,5,0.5,5,40,30\n"
                      "1001A,2025-11-01T02:00:00,5,5,0.5,5,45,30\n", encoding="utf-8")
    with open_store(db) as store:
        storage.import_stations(store, write_stations(tmp_path / "s.csv"))
        assert storage.import_data(store, [first], "hourly").replaced == 0
    result = run("air", "import", str(second), "--format", "hourly", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "1 stored rows replaced" in result.stdout
    assert "b.csv:3: replaces the stored 1001A 2025-11-01T02:00:00+08:00: pm10 40 → 45" \
        in result.stderr


def test_rows_of_an_unregistered_station_are_named(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "9999A,2025-11-01T01:00:00,5,5,0.5,5,40,30\n", encoding="utf-8")
    with open_store(tmp_path / "u.duckdb") as store:
        storage.import_stations(store, write_stations(tmp_path / "s.csv"))
        report = storage.import_data(store, [path], "hourly")
    assert report.unregistered == ["9999A"]
    assert any("9999A" in w and "out of city values" in w for w in report.warnings)


def test_cnemc_stations_stay_untyped_and_out_of_city_values(tmp_path):
    db = tmp_path / "t.duckdb"
    write_stations(tmp_path / "s.csv", rows=[("1001A", "尖草坪", "太原市", "city", 37.9, 112.5)])
    assert run("air", "stations", "import", str(tmp_path / "s.csv"), "--db", str(db)
               ).exit_code == 0
    lines = ["timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,"
             "pm10,pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,"
             "co,co_24h"]
    # 1083A 上兰 is a control station (对照点) that CNEMC lists; it is far cleaner
    for hour in range(1, 25):
        label = f"2025-11-01T{hour:02d}:00:00" if hour < 24 else "2025-11-02T00:00:00"
        for code, name, pm in (("1001A", "尖草坪", 100), ("1083A", "上兰", 10)):
            lines.append(f"{label},{code},112.5,37.9,太原市,{name},,,{pm},,{pm},,50,50,50,50,"
                         "30,,10,,0.8,")
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("air", "import", str(tmp_path / "c.csv"), "--format", "cnemc", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "1083A 上兰 (太原市)" in result.stderr and "untyped" in result.stderr
    summary = json.loads(run("air", "summary", "--city", "太原市", "--from", "2025-11-01",
                             "--to", "2025-11-01", "--db", str(db)).stdout)
    # the city value is the city station's alone, not (100 + 10) / 2
    assert summary["daily"][0]["concentrations"]["pm25"] == 100
