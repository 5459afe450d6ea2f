"""`envmon registry …` through the real Typer app."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.store import open_store

from .conftest import MN_1, MN_2, csv_text, line

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "envmon.duckdb"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_all_good_exits_0(tmp_path, db):
    path = tmp_path / "r.csv"
    path.write_text(csv_text(line(), line(outlet_id="DA002", mn=MN_2)), encoding="utf-8")
    result = invoke("registry", "import", path, "--db", db)
    assert result.exit_code == 0, result.output
    assert "points" in result.output and "rows read 2, imported 2, rejected 0" in result.output
    with open_store(db, read_only=True) as store:
        assert len(store.list_points()) == 2


def test_import_with_rejected_rows_exits_1_and_keeps_the_good(tmp_path, db):
    path = tmp_path / "r.csv"
    path.write_text(csv_text(line(), line(outlet_id="DA002", mn=MN_2, county_code="150105")),
                    encoding="utf-8")  # fmt: skip
    result = invoke("registry", "import", path, "--db", db)
    assert result.exit_code == 1
    assert "rejected 1" in result.output
    assert "line 3: county_code: 150105 is not in city 140100" in result.output
    with open_store(db, read_only=True) as store:
        assert [p.mn for p in store.list_points()] == [MN_1]


def test_import_of_an_unreadable_file_exits_2(tmp_path, db):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = invoke("registry", "import", path, "--db", db)
    assert result.exit_code == 2
    assert "no header row" in result.output


def test_db_path_from_the_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENVMON_CONFIG", raising=False)
    (tmp_path / "envmon.toml").write_text('[store]\npath = "from-config.duckdb"\n')
    (tmp_path / "r.csv").write_text(csv_text(line()), encoding="utf-8")
    assert invoke("registry", "import", "r.csv").exit_code == 0
    assert (tmp_path / "from-config.duckdb").exists()
    (tmp_path / "bad.toml").write_text("[store]\npaht = 1\n")
    result = invoke("registry", "import", "r.csv", "--config", "bad.toml")
    assert result.exit_code == 2 and "unknown key in [store]: paht" in result.output


def test_export_then_import(tmp_path, db):
    demo = tmp_path / "demo.csv"
    assert invoke("registry", "demo", demo, "--points", 12, "--seed", 3).exit_code == 0
    assert invoke("registry", "import", demo, "--db", db).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = invoke("registry", "export", out, "--db", db)
    assert result.exit_code == 0, result.output
    copy = tmp_path / "copy.duckdb"
    assert invoke("registry", "import", out, "--db", copy).exit_code == 0
    with open_store(db, read_only=True) as a, open_store(copy, read_only=True) as b:
        assert a.registry_rows() == b.registry_rows()


def test_export_without_a_database(tmp_path):
    result = invoke("registry", "export", tmp_path / "x.csv", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 2 and "no database at" in result.output


def test_set_crc(tmp_path, db):
    (tmp_path / "r.csv").write_text(csv_text(line()), encoding="utf-8")
    invoke("registry", "import", tmp_path / "r.csv", "--db", db)
    result = invoke("registry", "set-crc", MN_1, "--mode", "hj212", "--mode", "modbus", "--db", db)
    assert result.exit_code == 0, result.output
    assert "hj212, modbus" in result.output
    with open_store(db, read_only=True) as store:
        assert store.point_auth(MN_1).crc_modes == ("hj212", "modbus")
    result = invoke("registry", "set-crc", MN_1, "--mode", "xor", "--db", db)
    assert result.exit_code == 2 and "unknown CRC mode xor" in result.output
    result = invoke("registry", "set-crc", "NOPE", "--mode", "hj212", "--db", db)
    assert result.exit_code == 2 and "unknown MN 'NOPE'" in result.output


def test_import_summary_as_json(tmp_path, db):
    import json

    path = tmp_path / "r.csv"
    path.write_text(csv_text(line(), line(outlet_id="DA002", mn=MN_2)), encoding="utf-8")
    result = invoke("registry", "import", path, "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["rows_imported"], data["points"], data["rejected"]) == (
        2, {"new": 2, "updated": 0}, [])


@pytest.mark.parametrize("command", [
    ("registry", "set-crc", MN_1, "--mode", "hj212"),
    ("registry", "export", "out.csv"),
    ("alarms", "ack", "1", "--by", "x"),
    ("alarms", "list"),
    ("assess", "exemption", "add", "--unit", "U1", "--kind", "停产",
     "--from", "2026-10-01T00:00", "--to", "2026-10-02T00:00", "--by", "x",
     "--reason", "r"),
    ("assess", "correction", "list"),
    ("assess", "backfill-log"),
    ("emissions-totals", "--month", "2026-10"),
    ("data", "--mn", MN_1),
])
def test_a_mistyped_db_is_refused_and_not_created(tmp_path, command):
    missing = tmp_path / "typo.duckdb"
    result = invoke(*command, "--db", missing)
    assert result.exit_code == 2, result.output
    assert f"no database at {missing}" in result.output
    assert "Traceback" not in result.output
    assert not missing.exists()
