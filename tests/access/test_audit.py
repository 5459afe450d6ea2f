"""The audit log: rows appended through `record`, filtered by `list_audit`, and a row changed,
removed or added by hand breaks the chain (`verify`, `envmon audit verify`)."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from envmon.access import audit
from envmon.access.principal import Principal
from envmon.cli import app as cli_app
from envmon.timeutil import now_beijing
from tests.ingest.conftest import store  # noqa: F401


def _three(store):  # noqa: F811
    base = now_beijing()
    audit.record(store, Principal("alice", "admin"), "alarm.close", "7", {"note": "已核实"},
                 "10.0.0.1", now=base)
    audit.record(store, "bob", "exemption.add", "MN1", None, "cli:bob",
                 now=base + timedelta(seconds=1))
    audit.record(store, Principal("alice", "admin"), "alarm.acknowledge", "8", None,
                 "10.0.0.1", "refused: closed", now=base + timedelta(seconds=2))
    return base


def test_rows_are_appended_and_filtered(store):  # noqa: F811
    base = _three(store)
    rows = audit.list_audit(store).as_json()
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["who"] == "alice" and rows[0]["role"] == "admin"
    assert rows[0]["detail"] == {"note": "已核实"} and rows[2]["result"] == "refused: closed"
    only = audit.AuditListOptions
    assert len(audit.list_audit(store, only(action="alarm.")).entries) == 2
    assert len(audit.list_audit(store, only(user="bob")).entries) == 1
    assert len(audit.list_audit(store, only(start=base + timedelta(seconds=1))).entries) == 2
    assert audit.verify(store) is None


def test_a_changed_removed_or_added_row_breaks_the_chain(store):  # noqa: F811
    _three(store)
    store.execute("UPDATE audit_log SET who = 'mallory' WHERE id = 2")
    assert audit.verify(store) == 2
    store.execute("UPDATE audit_log SET who = 'bob' WHERE id = 2")
    assert audit.verify(store) is None
    store.execute("DELETE FROM audit_log WHERE id = 2")
    assert audit.verify(store) == 3
    assert audit.record(store, "x", "a.b") == 4  # appends go on after the last row


def test_envmon_audit_verify_and_list(store, tmp_path):  # noqa: F811
    _three(store)
    db = store.target
    store.execute("UPDATE audit_log SET result = 'ok' WHERE id = 3")
    store.close()
    runner = CliRunner()
    broken = runner.invoke(cli_app, ["audit", "verify", "--db", db])
    assert broken.exit_code == 1 and "row 3" in broken.output
    listed = runner.invoke(cli_app, ["audit", "list", "--db", db, "--format", "json",
                                     "--user", "bob"])
    assert listed.exit_code == 0, listed.output
    assert '"exemption.add"' in listed.stdout and "alice" not in listed.stdout
    bad = runner.invoke(cli_app, ["audit", "list", "--db", db, "--from", "yesterday"])
    assert bad.exit_code == 2 and "--from" in bad.output


def test_changes_made_by_commands_on_the_store_are_audited(store):  # noqa: F811
    from envmon.alarms.store import open_alarm
    from tests.ingest.conftest import GAS_MN

    alarm_id = open_alarm(store, mn=GAS_MN, unit_id=None, factor="a21026", rule="exceedance",
                          data_time=None, value=500.0, limit=35.0, detail="test").id
    db = store.target
    store.close()
    runner = CliRunner()
    closed = runner.invoke(cli_app, ["alarms", "close", str(alarm_id), "--by", "值班员",
                                     "--note", "已核实", "--db", db])
    assert closed.exit_code == 0, closed.output
    added = runner.invoke(cli_app, ["assess", "exemption", "add", "--kind", "停产", "--from",
                                    "2026-01-01T00:00", "--to", "2026-01-02T00:00", "--by",
                                    "值班员", "--reason", "检修", "--mn", GAS_MN, "--db", db])
    assert added.exit_code == 0, added.output
    from envmon.store import open_store

    with open_store(db) as reopened:
        rows = audit.list_audit(reopened).as_json()
        assert audit.verify(reopened) is None
    assert [(r["action"], r["target"]) for r in rows] == [("alarm.close", str(alarm_id)),
                                                          ("exemption.add", GAS_MN)]
    assert rows[0]["address"].startswith("cli:") and rows[0]["detail"]["by"] == "值班员"
