"""`envmon supervise …` and `envmon grade`: the loop from the command line, the timeline,
one-line errors with exit code 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from envmon.alarms import store as alarm_store
from envmon.cli import app
from tests.assess.conftest import GAS, NOV

runner = CliRunner()
UNIT = "91140100MA0GAS0001"


def _run(db, *args, code=0):
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == code, result.output
    return result.output


def test_the_loop_from_the_command_line(store, tmp_path):
    alarm = alarm_store.open_alarm(store, mn=GAS, unit_id=UNIT, factor="a21026",
                                   rule="exceedance", data_time=NOV, value=50, limit=35,
                                   detail="超标")
    db = store.path if hasattr(store, "path") else None
    store.close()
    db = db or next(tmp_path.glob("*.duckdb"))
    case = json.loads(_run(db, "supervise", "open", "--alarm", str(alarm.id), "--by", "王"))
    assert case["state"] == "warning" and case["alarm_id"] == alarm.id
    cid = str(case["id"])
    out = _run(db, "supervise", "answer", cid, "--note", "x", code=2)
    assert "not allowed" in out and "Traceback" not in out
    assert json.loads(_run(db, "supervise", "notify", cid, "--action", "整改",
                           "--deadline", "2099-01-01T12:00"))["state"] == "notified"
    assert json.loads(_run(db, "supervise", "answer", cid, "--note", "已整改",
                           "--by", "企业"))["state"] == "answered"
    assert "--result" in _run(db, "supervise", "verify", cid, "--result", "maybe", "--note",
                              "x", code=2)
    assert json.loads(_run(db, "supervise", "verify", cid, "--result", "fail", "--note",
                           "不属实"))["state"] == "rejected"
    assert json.loads(_run(db, "supervise", "escalate", cid, "--penalty-note",
                           "立案处罚"))["state"] == "escalated"
    assert json.loads(_run(db, "supervise", "close", cid))["state"] == "closed"
    listed = json.loads(_run(db, "supervise", "list", "--state", "closed", "--format", "json"))
    assert [c["id"] for c in listed] == [case["id"]]
    shown = json.loads(_run(db, "supervise", "show", cid, "--format", "json"))
    assert [e["action"] for e in shown["timeline"]] == ["open", "notify", "answer", "verify",
                                                        "escalate", "close"]
    assert f"督办 #{cid}" in _run(db, "supervise", "show", cid)  # the timeline as a table
    assert json.loads(_run(db, "supervise", "sweep")) == []
    assert "--unit" in _run(db, "supervise", "open", "--unit", "NOPE", "--reason", "x", code=2)
    assert "--state" in _run(db, "supervise", "list", "--state", "bogus", code=2)
    out = json.loads(_run(db, "supervise", "warnings", "--month", "2026-11", "--format",
                          "json"))
    assert out["opened"]  # no data in November: every point is below the pass mark
    grades = json.loads(_run(db, "grade", "--month", "2026-11", "--format", "json"))
    assert grades["month"] == "2026-11" and len(grades["grades"]) == 4
    assert "--month" in _run(db, "grade", "--month", "2026-13", code=2)
    history = json.loads(_run(db, "grade", "--unit", UNIT, "--format", "json"))
    assert [g["month"] for g in history["grades"]] == ["2026-11"]


def test_supervise_commands_on_the_store_leave_audit_rows(tmp_path):
    from envmon.access.audit import list_audit
    from envmon.store import open_store

    db = tmp_path / "audit.duckdb"
    with open_store(db):
        pass
    refused = runner.invoke(app, ["supervise", "answer", "999", "--note", "n", "--by", "企业",
                                  "--db", str(db)])
    assert refused.exit_code != 0
    with open_store(db, read_only=True) as store:
        rows = list_audit(store).as_json()
    assert [(r["action"], r["target"]) for r in rows] == [("supervision.answer", "999")]
    assert rows[0]["result"].startswith("refused")
