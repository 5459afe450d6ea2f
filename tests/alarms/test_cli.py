"""`envmon alarms list|ack|close`: JSON fields as the issue names them, the lifecycle."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from envmon.alarms import store as alarm_store
from envmon.cli import app
from envmon.store import open_store

runner = CliRunner()
FIELDS = ["id", "mn", "unit_id", "factor", "rule", "status", "opened_at", "closed_at",
          "value", "limit", "detail", "data_from", "data_to"]


def test_alarms_cli(tmp_path):
    db = tmp_path / "a.duckdb"
    with open_store(db) as store:
        alarm_store.open_alarm(store, mn="MN1", unit_id="U1", factor="a21026",
                               rule="exceedance", data_time=None, value=50.0, limit=35.0,
                               detail="折算浓度 50 > 限值 35")
        alarm_store.open_alarm(store, mn="MN2", unit_id="U2", factor="", rule="offline",
                               data_time=None, value=3600.0, limit=1800.0, detail="离线")
    result = runner.invoke(app, ["alarms", "list", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [list(r) for r in rows] == [FIELDS, FIELDS]
    assert rows[0]["rule"] == "exceedance" and rows[0]["status"] == "open"
    assert rows[0]["value"] == 50.0 and rows[0]["limit"] == 35.0 and rows[0]["closed_at"] is None
    result = runner.invoke(app, ["alarms", "ack", "1", "--db", str(db), "--by", "王工",
                                 "--note", "已通知企业"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "acknowledged"
    result = runner.invoke(app, ["alarms", "close", "1", "--db", str(db), "--by", "王工",
                                 "--note", "已整改"])
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "closed"
    again = runner.invoke(app, ["alarms", "close", "1", "--db", str(db), "--by", "王工"])
    assert again.exit_code == 2
    open_only = runner.invoke(app, ["alarms", "list", "--db", str(db), "--status", "open",
                                    "--format", "json"])
    assert [r["mn"] for r in json.loads(open_only.output)] == ["MN2"]
    by_mn = runner.invoke(app, ["alarms", "list", "--db", str(db), "--mn", "MN1",
                                "--format", "json"])
    assert [r["status"] for r in json.loads(by_mn.output)] == ["closed"]
    table = runner.invoke(app, ["alarms", "list", "--db", str(db)])
    assert table.exit_code == 0 and "超标" in table.output and "离线" in table.output
    bad = runner.invoke(app, ["alarms", "list", "--db", str(db), "--status", "gone"])
    assert bad.exit_code == 2


def test_alarms_list_as_csv_and_transitions_as_compact_json(tmp_path):
    db = tmp_path / "a.duckdb"
    with open_store(db) as store:
        alarm_store.open_alarm(store, mn="MN1", unit_id="U1", factor="a21026",
                               rule="exceedance", data_time=None, value=50.0, limit=35.0,
                               detail="超标")
    result = runner.invoke(app, ["alarms", "list", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    header, row = result.output.strip().splitlines()
    assert header.split(",") == [*FIELDS, "unit_name"] and row.split(",")[4] == "超标"
    ack = runner.invoke(app, ["alarms", "ack", "1", "--db", str(db), "--by", "王工"])
    assert ack.output.count("\n") == 1 and json.loads(ack.output)["status"] == "acknowledged"
    bad = runner.invoke(app, ["alarms", "list", "--db", str(db), "--format", "yaml"])
    assert bad.exit_code == 2 and "--format" in bad.output


def test_alarms_list_of_an_unknown_mn_is_refused(tmp_path):
    db = tmp_path / "a.duckdb"
    with open_store(db) as store:
        alarm_store.open_alarm(store, mn="MN1", unit_id="U1", factor="a21026",
                               rule="exceedance", data_time=None, value=50.0, limit=35.0,
                               detail="超标")
    typo = runner.invoke(app, ["alarms", "list", "--db", str(db), "--mn", "NOSUCH"])
    assert typo.exit_code == 2 and "--mn: unknown MN 'NOSUCH'" in typo.output
    none_open = runner.invoke(app, ["alarms", "list", "--db", str(db), "--mn", "MN1",
                                    "--status", "closed", "--format", "json"])
    assert none_open.exit_code == 0 and json.loads(none_open.output) == []


def test_alarms_table_in_chinese_with_unit_names_and_whole_mns(tmp_path, monkeypatch):
    import io

    from envmon.alarms.api import _alarm_terminal_table, list_alarms
    from envmon.registry.importer import import_rows

    mn = "0221234567890123456789AB"
    db = tmp_path / "a.duckdb"
    with open_store(db) as store:
        import_rows(store, [{
            "city_code": "140100", "county_code": "140105", "unit_id": "91140105MA0ALRM001",
            "unit_name": "小店报警热电有限公司", "outlet_id": "DA001", "kind": "gas", "mn": mn,
            "pw": "123456", "factors": "a21026:35"}])
        alarm_store.open_alarm(store, mn=mn, unit_id="91140105MA0ALRM001", factor="a21026",
                               rule="exceedance", data_time=None, value=50.0, limit=35.0,
                               detail="折算浓度 50 > 限值 35，持续 3 小时")
        result = list_alarms(store)
    csv_out = runner.invoke(app, ["alarms", "list", "--db", str(db), "--format", "csv"])
    header, row = csv_out.stdout.strip().splitlines()
    assert header.split(",") == [*FIELDS, "unit_name"] and row.split(",")[5] == "未确认"
    assert row.split(",")[-1] == "小店报警热电有限公司"  # the unit's name, not only its code
    table = runner.invoke(app, ["alarms", "list", "--db", str(db), "--format", "table"])
    assert "小店报警热电有限公司" in table.stdout and "91140105MA0ALRM001" in table.stdout

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", "80")
    screen = Terminal()
    _alarm_terminal_table(result, screen)  # the `--format table` renderer, on an 80-column tty
    text = screen.getvalue()
    assert mn in text and "未确认" in text and "小店报警" in text
    import re

    from rich.cells import cell_len

    shown = re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()
    assert max(cell_len(line) for line in shown) <= 80  # on screen: no row wraps
    assert any(mn in line for line in shown)  # the MN whole, on one line


def test_alarms_list_filters_by_region_and_data_period(tmp_path):
    """Issue 12 item 2 (filters by region and period): `--region` keeps the alarms of the
    region's units (GB/T 2260 prefix: 140100 太原市 keeps 140105, not 140202), `--from`/`--to`
    keep those whose evidence overlaps the period; the API takes the same filters."""
    from datetime import datetime

    from envmon.timeutil import BEIJING_FIXED

    db = tmp_path / "a.duckdb"
    day = [datetime(2026, 11, d, 9, tzinfo=BEIJING_FIXED) for d in (10, 20)]
    with open_store(db) as store:
        for unit, county in (("U1", "140105"), ("U2", "140202")):
            store.execute("INSERT INTO units (unit_id, name, county_code, must_network, "
                          "assessed, updated_at) VALUES (?, ?, ?, true, true, ?)",
                          [unit, unit, county, day[0]])
        for mn, unit, when in (("MN1", "U1", day[0]), ("MN2", "U2", day[0]),
                               ("MN3", "U1", day[1])):
            alarm_store.open_alarm(store, mn=mn, unit_id=unit, factor="a21026",
                                   rule="exceedance", data_time=when, value=50.0,
                                   limit=35.0, detail="超标")

    def mns(*args):
        result = runner.invoke(app, ["alarms", "list", "--db", str(db), "--format", "json",
                                     *args])
        assert result.exit_code == 0, result.output
        return [r["mn"] for r in json.loads(result.output)]

    assert mns("--region", "140100") == ["MN1", "MN3"]
    assert mns("--region", "14") == ["MN1", "MN2", "MN3"]
    assert mns("--region", "140200", "--from", "2026-11-01") == ["MN2"]
    assert mns("--from", "2026-11-15") == ["MN3"]
    assert mns("--to", "2026-11-15", "--region", "140105") == ["MN1"]
    for args, option in ((["--region", "14x"], "--region"), (["--from", "soon"], "--from"),
                         (["--from", "2026-11-20", "--to", "2026-11-10"], "--to")):
        bad = runner.invoke(app, ["alarms", "list", "--db", str(db), *args])
        assert bad.exit_code == 2 and option in bad.stderr, bad.output

    from envmon.web.app import create_app
    from envmon.web.context import WebContext
    from tests.web.clients import local_client

    with open_store(db) as store, local_client(create_app(WebContext(store=store))) as client:
        got = client.get("/api/v1/alarms", params={"region": "140100", "from": "2026-11-15"})
        assert [a["mn"] for a in got.json()] == ["MN3"]
        bad = client.get("/api/v1/alarms", params={"region": "1"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "region"


def test_close_without_a_note_is_refused_naming_note(tmp_path):
    db = tmp_path / "a.duckdb"
    with open_store(db) as store:
        alarm_store.open_alarm(store, mn="MN1", unit_id="U1", factor="a21026",
                               rule="exceedance", data_time=None, value=50.0, limit=35.0,
                               detail="超标")
    refused = runner.invoke(app, ["alarms", "close", "1", "--db", str(db), "--by", "王工"])
    assert refused.exit_code == 2 and "--note" in refused.output
    assert "Traceback" not in refused.output
    closed = runner.invoke(app, ["alarms", "close", "1", "--db", str(db), "--by", "王工",
                                 "--note", "已整改"])
    assert closed.exit_code == 0 and json.loads(closed.output)["status"] == "closed"
