"""`envmon data` through the real Typer app, on a real store."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.registry.codes import with_check_char
from envmon.registry.importer import import_rows
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

from .conftest import MN, raw_row, record

runner = CliRunner()
H0 = datetime(2026, 11, 1, 0, 0, tzinfo=BEIJING_FIXED)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "envmon.duckdb"
    with open_store(path) as store:
        import_rows(store, [{
            "city_code": "140100", "county_code": "140105", "unit_id": with_check_char(
                "91140105MA0DATA00"), "unit_name": "小店数据热电有限公司", "outlet_id": "DA001",
            "kind": "gas", "mn": MN, "pw": "123456", "factors": "a21026:35;a21002:50",
        }])  # fmt: skip
        rows = []
        for h in range(3):
            received = H0 + timedelta(hours=h + 1, seconds=5)
            rows += [record("a21026", data_time=H0 + timedelta(hours=h), received_at=received,
                            avg=10.0 + h),
                     record("a21002", data_time=H0 + timedelta(hours=h), received_at=received,
                            avg=20.0 + h, flag="M")]  # fmt: skip
        store.write_batch([raw_row()], rows)
        # a late re-send of hour 0 with another value: the first received stays
        store.write_batch([], [record("a21026", data_time=H0, received_at=H0 + timedelta(days=2),
                                      avg=99.0)])  # fmt: skip
    return path


def data(db, *args):
    return runner.invoke(app, ["data", "--db", str(db), "--mn", MN, *args])


def test_json_output(db):
    result = data(db, "--from", "2026-11-01T00:00", "--to", "2026-11-01T02:00")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["data_time"], r["factor"]) for r in rows] == [
        ("2026-11-01T00:00:00+08:00", "a21002"),
        ("2026-11-01T00:00:00+08:00", "a21026"),
        ("2026-11-01T01:00:00+08:00", "a21002"),
        ("2026-11-01T01:00:00+08:00", "a21026"),
    ]  # --to is exclusive, times without offset are Beijing time
    first = rows[1]
    assert first == {
        "mn": MN, "cn": "2061", "data_time": "2026-11-01T00:00:00+08:00", "factor": "a21026",
        "rtd": None, "avg": 10.0, "min": 9.0, "max": 11.0, "cou": 3.25, "flag": "N",
        "received_at": "2026-11-01T01:00:05+08:00", "resent": False, "st": None,
    }  # fmt: skip (resent, st: added by issue 16; a record written without its ST)
    assert rows[0]["flag"] == "M"


def test_offsets_are_honoured(db):
    # 2026-10-31T17:00Z is 2026-11-01T01:00 in Beijing
    result = data(db, "--from", "2026-10-31T17:00:00Z", "--to", "2026-10-31T18:00:00+00:00")
    rows = json.loads(result.stdout)
    assert {r["data_time"] for r in rows} == {"2026-11-01T01:00:00+08:00"}


def test_csv_output(db):
    result = data(db, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 6
    assert list(rows[0]) == ["mn", "cn", "data_time", "factor", "rtd", "avg", "min", "max",
                             "cou", "flag", "received_at"]  # fmt: skip
    assert rows[1]["avg"] == "10.0" and rows[1]["rtd"] == ""


def test_empty_window_is_an_empty_array(db):
    result = data(db, "--from", "2026-12-01", "--to", "2026-12-02")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    result = data(db, "--cn", "2051", "--from", "2026-11-01", "--to", "2026-11-02")
    assert json.loads(result.stdout) == []


def test_errors(db, tmp_path):
    result = runner.invoke(app, ["data", "--db", str(db), "--mn", "NOPE"])
    assert result.exit_code == 2 and "unknown MN 'NOPE'" in result.output
    result = data(db, "--format", "xml")
    assert result.exit_code == 2 and "choose one of json, csv" in result.output
    result = data(db, "--from", "yesterday")
    assert result.exit_code == 2 and "not an ISO 8601 time" in result.output
    result = data(db, "--from", "2026-11-02", "--to", "2026-11-01")
    assert result.exit_code == 2 and "is not before" in result.output
    missing = runner.invoke(app, ["data", "--db", str(tmp_path / "no.duckdb"), "--mn", MN])
    assert missing.exit_code == 2 and "no database at" in missing.output


def test_same_output_options_as_every_command(db, tmp_path):
    out = tmp_path / "rows.csv"
    result = data(db, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv",
                  "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))) == 6
    table = data(db, "--from", "2026-11-01", "--to", "2026-11-01T01:00", "--format", "table")
    assert table.exit_code == 0 and "接收时间" in table.stdout and "a21026" in table.stdout


def test_a_cn_the_point_never_sends_says_which_it_sends(db):
    result = data(db, "--cn", "2031", "--from", "2026-11-01", "--to", "2026-11-02")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert f"no records of CN 2031 for MN {MN}; it sends 2061" in result.stderr
    # A CN that is no data upload at all is a bad option (issue 11, item 26).
    bad = data(db, "--cn", "9999", "--from", "2026-11-01", "--to", "2026-11-02")
    assert bad.exit_code == 2 and "--cn" in bad.stderr and "not a data upload" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    quiet = data(db, "--cn", "2061", "--from", "2026-11-05", "--to", "2026-11-06")
    assert quiet.exit_code == 0 and json.loads(quiet.stdout) == [] and not quiet.stderr
