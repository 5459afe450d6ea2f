"""Rough edges a new user met in `envmon roads …`: a mistyped --db, calibrations that make
no sense, files of the wrong kind, a simulated future month (each assertion failed before
its fix)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.errors import OptionError
from envmon.roads import api
from envmon.timeutil import now_beijing

runner = CliRunner()
READINGS = ("device_id,time,lat,lon,pm25,pm10\n"
            "A,2026-10-01T08:00:00,37.85,112.55,20,60\n"
            "A,2026-10-01T08:00:01,37.85,112.55,21,61\n")


@pytest.mark.parametrize("command", [
    ["roads", "rank", "--month", "2026-10"],
    ["roads", "match", "--month", "2026-10"],
])
def test_commands_that_read_data_refuse_a_missing_database(tmp_path, command):
    db = tmp_path / "typo.duckdb"
    got = runner.invoke(app, [*command, "--db", str(db)])
    assert got.exit_code == 2 and f"no database at {db}" in got.output
    assert not db.exists()


def test_calibrate_on_a_new_database_says_it_created_one(tmp_path):
    # calibrations may precede the first import (test_sensors pins it): created, but said
    db = tmp_path / "typo.duckdb"
    got = runner.invoke(app, ["roads", "calibrate", "T1", "--from", "2026-10-01T00:00",
                              "--db", str(db)])
    assert got.exit_code == 0, got.output
    assert f"created a new database at {db}" in got.stderr
    assert "device 'T1' has no readings" in got.stderr


def test_calibration_slopes_and_horizon():
    for option, values in (("--pm25", (0.0, 1.0)), ("--pm10", (-1.2, 0.0))):
        with pytest.raises(OptionError) as error:
            api.CalibrateOptions("T1", "2026-10-01T00:00", **{option[2:]: values})
        assert error.value.option == option and "slope must be > 0" in error.value.reason
    far = (now_beijing() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    with pytest.raises(OptionError) as error:
        api.CalibrateOptions("T1", far)
    assert error.value.option == "--from"
    soon = (now_beijing() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    assert api.CalibrateOptions("T1", soon).valid_from > now_beijing()  # a swap ahead


def test_calibrating_an_unknown_device_warns(tmp_path):
    db = tmp_path / "r.duckdb"
    readings = tmp_path / "r.csv"
    readings.write_text(READINGS, encoding="utf-8")
    assert runner.invoke(app, ["roads", "import", str(readings), "--db", str(db)]
                         ).exit_code == 0
    known = runner.invoke(app, ["roads", "calibrate", "A", "--from", "2026-10-01T00:00",
                                "--pm25", "1.1", "0", "--db", str(db)])
    assert known.exit_code == 0 and known.stderr == ""
    unknown = runner.invoke(app, ["roads", "calibrate", "ZZ9", "--from", "2026-10-01T00:00",
                                  "--db", str(db)])
    assert unknown.exit_code == 0 and "device 'ZZ9' has no readings" in unknown.stderr
    assert json.loads(unknown.stdout)["device_id"] == "ZZ9"
    zero = runner.invoke(app, ["roads", "calibrate", "A", "--from", "2026-10-01T00:00",
                               "--pm10", "0", "0", "--db", str(db)])
    assert zero.exit_code == 2 and "--pm10: the slope must be > 0" in zero.output


def test_network_inputs_of_the_wrong_kind_name_the_option(tmp_path):
    reg = tmp_path / "reg.csv"
    reg.write_text("\ufeffMN,name\n1,a\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    got = runner.invoke(app, ["roads", "network", "--pbf", str(reg), "--db", str(db)])
    assert got.exit_code == 2 and f"--pbf: {reg} is not an OSM PBF file" in got.output
    assert "Protobuf" not in got.output and not db.exists()
    with pytest.raises(OptionError) as error:
        api._check_geojson(reg, "--districts")
    assert error.value.option == "--districts" and "is not GeoJSON" in error.value.reason
    assert "BOM" not in error.value.reason


def test_import_of_an_unrelated_file_is_refused(tmp_path):
    db = tmp_path / "i.duckdb"
    reg = tmp_path / "reg.csv"
    reg.write_text("MN,name,type\n1,a,b\n", encoding="utf-8")
    got = runner.invoke(app, ["roads", "import", str(reg), "--db", str(db)])
    assert got.exit_code == 2 and "missing column(s)" in got.output
    assert "device_id,time,lat,lon,pm25,pm10" in got.output and not db.exists()
    # the right columns, no usable row: refused, naming the reasons; nothing written
    junk = tmp_path / "junk.csv"
    junk.write_text("device_id,time,lat,lon,pm25,pm10\nA,soon,x,y,1,2\nB,never,,,3,4\n",
                    encoding="utf-8")
    got = runner.invoke(app, ["roads", "import", str(junk), "--db", str(db)])
    assert got.exit_code == 2 and "none of its 2 rows is usable" in got.output
    assert "bad_time" in got.output
    # most rows rejected: exit 0, the JSON as before, stderr says how many and why
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(READINGS + "A,never,37.85,112.55,1,2\nA,later,37.85,112.55,1,2\n"
                     "A,2026-10-01T08:00:09,0,0,1,2\n", encoding="utf-8")
    got = runner.invoke(app, ["roads", "import", str(mixed), "--db", str(db)])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["accepted"] == 2
    assert "read 5 rows" in got.stderr and "3 rejected" in got.stderr
    assert "bad_time 2" in got.stderr and "row 3: bad_time" in got.stderr
    # a few rejected among many: the JSON alone says it, stdout stays parseable with stderr
    few = tmp_path / "few.csv"
    few.write_text(READINGS + "A,never,37.85,112.55,1,2\n", encoding="utf-8")
    got = runner.invoke(app, ["roads", "import", str(few), "--db", str(db)])
    assert got.exit_code == 0 and got.stderr == ""
    empty = tmp_path / "empty.csv"
    empty.write_text("device_id,time,lat,lon,pm25,pm10\n", encoding="utf-8")
    got = runner.invoke(app, ["roads", "import", str(empty), "--db", str(db)])
    assert got.exit_code == 0 and "no data rows" in got.stderr


def test_a_simulated_future_month_says_so(tmp_path):
    future = (now_beijing() + timedelta(days=62)).strftime("%Y-%m")
    got = runner.invoke(app, ["simulate-taxis", "--out", str(tmp_path / "t.csv"), "--taxis",
                              "1", "--days", "1", "--minutes", "5", "--month", future,
                              "--db", str(tmp_path / "s.duckdb")])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["future"] is True
    assert "lie in the future" in got.stderr


def test_network_options_parse_the_districts_once_for_the_build(tmp_path):
    import pyrosm

    districts = tmp_path / "d.geojson"
    content = {"type": "FeatureCollection", "features": []}
    districts.write_text("\ufeff" + json.dumps(content), encoding="utf-8")
    options = api.NetworkOptions(pyrosm.get_data("test_pbf"), districts)
    assert options.districts_geojson == content  # what build_network hands to the network
    assert api.NetworkOptions(pyrosm.get_data("test_pbf")).districts_geojson is None
