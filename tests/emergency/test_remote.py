"""`envmon emergency alert add|import|list|cancel` and `list import|show` while `envmon
serve` holds the store (its normal state): they go through its web app, the files read by
the CLI and their rows sent, the writes in the audit log; what they print is what the
local command prints on a copy of the same store.

DuckDB only (marker duckdb_only): the CLI goes through serve because serve holds the DuckDB
file; on PostgreSQL the CLI opens the database itself."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from tests.test_cli_remote import Serve

pytestmark = pytest.mark.duckdb_only

GOOD_UNIT = "91140100MA0EMGC000"


def _run(*args):
    return CliRunner().invoke(cli_app, [str(a) for a in args])


@pytest.fixture(scope="module")
def held(scenario_db, tmp_path_factory):
    """(store held by a serve, a local copy of the same store, the serve, the scenario's
    alert id, a folder for files)."""
    path, alert_id = scenario_db
    folder = tmp_path_factory.mktemp("held")
    db, local = folder / "held.duckdb", folder / "local.duckdb"
    shutil.copy(path, db)
    shutil.copy(path, local)
    serve = Serve(db)
    try:
        assert serve.url, "".join(serve.lines)
        yield db, local, serve, alert_id, folder
    finally:
        serve.stop()


def _both(held, *args):
    """(through the serve holding the store, on the local copy): both must succeed alike."""
    db, local, serve, _, _ = held
    remote = _run(*args, "--db", db)
    assert f"asking {serve.url} instead" in remote.stderr, remote.output
    return remote, _run(*args, "--db", local)


def test_alert_add_list_cancel_through_the_serve(held):
    _, _, _, alert_id, _ = held
    add = ("emergency", "alert", "add", "--level", "红色", "--from", "2026-12-05T08:00",
           "--to", "2026-12-06T08:00", "--region", "140100")
    remote, local = _both(held, *add)
    assert remote.exit_code == local.exit_code == 0, (remote.output, local.output)
    assert remote.stdout == local.stdout == f"{alert_id + 1}\n"
    remote, local = _both(held, "emergency", "alert", "list", "--format", "json")
    assert remote.exit_code == 0, remote.output
    levels = [a["level"] for a in json.loads(remote.stdout)["alerts"]]
    assert levels == [a["level"] for a in json.loads(local.stdout)["alerts"]]
    assert levels == ["orange", "red"]
    remote, local = _both(held, "emergency", "alert", "cancel", alert_id + 1, "--reason",
                          "天气转好", "--format", "json")
    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout)["cancel_reason"] == "天气转好"
    assert json.loads(remote.stdout)["cancelled_at"] is not None


def test_imports_send_the_rows_and_keep_the_exit_code(held):
    _, _, _, _, folder = held
    table = folder / "清单.csv"
    table.write_text("统一社会信用代码,预警级别,措施,减排比例(%),污染物\n"
                     f"{GOOD_UNIT},黄色,限产,30,SO2\n"
                     f"{GOOD_UNIT},紫色,限产,30,SO2\n", encoding="utf-8")
    remote, local = _both(held, "emergency", "list", "import", table, "--format", "json")
    assert remote.exit_code == local.exit_code == 1, (remote.output, local.output)
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert json.loads(remote.stdout)["rejected"] == [
        {"line": 3, "field": "level", "reason": "'紫色' is not yellow, orange or red "
                                                 "(黄色/橙色/红色)"}]
    remote, local = _both(held, "emergency", "list", "show", "--level", "yellow",
                          "--format", "json")
    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout)["entries"] == json.loads(local.stdout)["entries"]
    alerts = folder / "alerts.csv"
    alerts.write_text("level,from,to,region\nyellow,2026-12-10T00:00,2026-12-11T00:00,140100\n",
                      encoding="utf-8")
    remote, local = _both(held, "emergency", "alert", "import", alerts)
    assert remote.exit_code == local.exit_code == 0, (remote.output, local.output)
    assert remote.stdout == local.stdout
    assert "新增编号" in remote.stdout and len(remote.stdout.splitlines()) == 1


def test_a_bad_file_is_one_line_before_anything_is_sent(held):
    db, _, serve, _, folder = held
    bad = folder / "bad.csv"
    bad.write_text("unit_id,level\nx,red\n", encoding="utf-8")
    for args in (("--db", db), ("--url", serve.url)):
        remote = _run("emergency", "list", "import", bad, *args)
        assert remote.exit_code == 2, remote.output
        assert remote.stderr.startswith("error: FILE: bad.csv: missing columns")
        assert "Traceback" not in remote.output


def test_writes_through_the_serve_are_in_the_audit_log(held):
    db, _, _, _, _ = held
    _run("emergency", "alert", "add", "--level", "yellow", "--from", "2026-12-20T00:00",
         "--to", "2026-12-21T00:00", "--region", "140100", "--db", db)
    audit = _run("audit", "list", "--format", "json", "--db", db)
    assert audit.exit_code == 0, audit.output
    assert "emergency.alert.add" in audit.stdout


def test_bad_options_through_the_serve_name_the_option(held):
    _, _, serve, _, _ = held
    run = _run("emergency", "alert", "add", "--level", "red", "--from", "2026-12-05T08:00",
               "--to", "2026-12-06T08:00", "--region", "999999", "--url", serve.url)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("error: --region: 999999 is not a region of the registry")
    run = _run("emergency", "alert", "cancel", "424242", "--url", serve.url)
    assert run.exit_code == 2 and "no alert with id 424242" in run.stderr
