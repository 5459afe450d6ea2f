"""Sensor import: datum, calibration, RH correction, rejections (roads.md §3, §6)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.roads.coords import gcj02_to_wgs84, wgs84_to_gcj02
from envmon.roads.sensors import import_rows, process_rows, rh_correction_factor
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

# Real 1 Hz drive (mmaqshiny, MIT): a copy of ../shared/data/ kept with the tests.
BENGALURU = Path(__file__).resolve().parent / "data" / "mmaqshiny_bengaluru_mobile_1hz.csv"


def test_gcj02_round_trip_and_offset_size():
    lon, lat = 112.55, 37.85  # Taiyuan
    glon, glat = wgs84_to_gcj02(lon, lat)
    offset_m = np.hypot((glon - lon) * 111320 * np.cos(np.radians(lat)), (glat - lat) * 110574)
    assert 100 < offset_m < 1000  # several hundred metres
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert abs(wlon - lon) < 1e-6 and abs(wlat - lat) < 1e-6
    # outside China: no offset
    assert wgs84_to_gcj02(24.94, 60.17) == (24.94, 60.17)


def test_rh_factor_chakrabarti():
    assert rh_correction_factor(0.5) == 1.0
    assert rh_correction_factor(0.8) == pytest.approx(1 + 0.25 * 0.64 / 0.2)


def test_bengaluru_rh_correction_matches_published_column():
    rows = list(csv.DictReader(BENGALURU.open(encoding="utf-8")))
    raw = np.array([float(r["DT8530_PM2.5 (ug/m3)"]) for r in rows[:200]])
    rh = np.array([float(r["RH(%)"]) for r in rows[:200]])
    published = np.array([float(r["DT8530_PM2.5_RHC (ug/m3)"]) for r in rows[:200]])
    assert np.allclose(raw / rh_correction_factor(rh), published, rtol=1e-9)


def base_row(**kw):
    row = {"device_id": "T1", "time": "2026-11-02T08:00:00", "lat": "37.85", "lon": "112.55",
           "pm25": "40", "pm10": "80", "rh": "0.5"}
    row.update(kw)
    return row


def test_rejection_reasons_are_counted():
    rows = [
        base_row(),
        base_row(time="2026-11-02T08:00:01", pm25="-3"),
        base_row(time="nonsense"),
        base_row(time="2026-11-02T08:00:02", lat=""),
        base_row(time="2026-11-02T08:00:03", pm25="200", pm10="50"),
        base_row(time="2026-11-02T08:00:04", pm10="5000"),
        base_row(time="2026-11-02T08:00:05", pm25="", pm10=""),
        base_row(time="2026-11-02T08:00:00"),  # duplicate
        base_row(time="2026-11-02T08:00:06", lat="37.95"),  # 11 km jump in 1 s and back
        base_row(time="2026-11-02T08:00:07"),
    ]
    accepted, rejected, result = process_rows(rows)
    assert result.rejected == {"pm_nonpositive": 1, "bad_time": 1, "bad_position": 1,
                               "pm25_above_pm10": 1, "pm_saturated": 1, "no_pm": 1,
                               "duplicate": 1, "speed_jump": 1}
    assert result.accepted == 2 and len(rejected) == 8
    # Beijing time when no offset is given
    t0 = datetime(2026, 11, 2, 8, tzinfo=BEIJING_FIXED).timestamp()
    assert accepted["time"][0] == t0


def test_calibration_in_force_and_gcj02_import():
    t = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
    cal = {"T1": [(t, 2.0, 1.0, 1.0, -2.0, None)]}
    glon, glat = wgs84_to_gcj02(112.55, 37.85)
    rows = [base_row(rh="0.8", lon=str(glon), lat=str(glat)),
            base_row(time="2026-10-31T08:00:00")]
    accepted, _, _ = process_rows(rows, datum="gcj02", calibrations=cal)
    cf = 1 + 0.25 * 0.64 / 0.2
    october, november = np.argsort(accepted["time"])
    assert accepted["pm25"][november] == pytest.approx((2 * 40 + 1) / cf)
    assert accepted["pm10"][november] == pytest.approx((80 - 2) / cf)
    assert accepted["pm25"][october] == pytest.approx(40)  # before valid_from: uncalibrated
    assert accepted["lon"][november] == pytest.approx(112.55, abs=1e-6)


def test_json_payload_and_cli_import_real_data(tmp_path):
    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        res = import_rows(store, [base_row(), base_row(time="2026-11-02T08:00:01",
                                                        pm25="0")])
        assert res.as_dict()["rejected"] == {"pm_nonpositive": 1}
    result = CliRunner().invoke(app, ["roads", "import", str(BENGALURU), "--db", str(db)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["received"] == 3000
    assert out["accepted"] + out["rejected_total"] == 3000
    assert out["accepted"] > 2990
    with open_store(db) as store:
        n, reasons = store.query("SELECT COUNT(*), COUNT(DISTINCT reason) FROM road_rejections")[0]
        assert n == out["rejected_total"] + 1
        # IST 09:59:24 local = 12:29:24 Beijing
        first = store.query("SELECT MIN(time) FROM road_readings WHERE device_id <> 'T1'")[0][0]
        assert (first.hour, first.minute) == (12, 29)


def test_calibrate_cli_then_import(tmp_path):
    db = str(tmp_path / "c.duckdb")
    runner = CliRunner()
    r = runner.invoke(app, ["roads", "calibrate", "T9", "--from", "2026-10-01", "--pm25", "2",
                            "1", "--pm10", "1", "0", "--model", "PMS5003", "--db", db])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"device_id": "T9", "valid_from": "2026-10-01",
                                    "pm25": [2.0, 1.0], "pm10": [1.0, 0.0]}
    f = tmp_path / "r.csv"
    f.write_text("device_id,time,lat,lon,pm25,pm10,rh\n"
                 "T9,2026-10-02T08:00:00,37.85,112.55,10,80,0.4\n", encoding="utf-8")
    assert runner.invoke(app, ["roads", "import", str(f), "--db", db]).exit_code == 0
    with open_store(db) as store:
        assert store.query("SELECT pm25, pm25_raw FROM road_readings")[0] == (21.0, 10.0)
    assert runner.invoke(app, ["roads", "import", str(f), "--db", db, "--crs", "bd09"]
                         ).exit_code == 2
    assert runner.invoke(app, ["roads", "rank", "--db", db]).exit_code == 2
    assert runner.invoke(app, ["roads", "rank", "--db", db, "--month", "2026-13"]
                         ).exit_code == 2
