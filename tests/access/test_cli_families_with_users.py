"""Issue 13's "the CLI on the machine that owns the store keeps working against a running
server", family by family: with a user present and `envmon serve` holding the store, the
`marks` commands (a proof file included), `supervise warnings`, `grade`, `audit verify` and
`portal code|placard` go through serve with the local operator token — never a 401/403,
never "the database is locked" — and each write is the operator's row in the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from envmon.store import open_store
from tests.access.conftest import UNIT, make_user
from tests.ingest.conftest import GAS_MN
from tests.test_cli_remote import HOUR, Serve, _feed, _run

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
OPERATOR = "本机操作员("  # + the OS user: who a command on the machine is


def _ok(*args: str, **kwargs):
    result = _run(*args, **kwargs)
    assert result.exit_code == 0, (args, result.output)
    assert "locked" not in result.output, result.output
    return result


@pytest.mark.duckdb_only
def test_marks_supervise_grade_audit_portal_go_through_serve_with_users(tmp_path):
    """DuckDB only: serve holds the DuckDB file, so the CLI goes through serve; on PostgreSQL the
    CLI opens the database itself."""
    db = tmp_path / "envmon.duckdb"
    _feed(db)
    with open_store(db) as store:
        make_user(store, "alice")
    proof = tmp_path / "停产通知.pdf"
    proof.write_bytes(PDF)
    span = ["--from", (HOUR - timedelta(hours=4)).isoformat(), "--to", HOUR.isoformat()]
    d = ["--db", str(db)]
    serve = Serve(db)
    try:
        assert serve.url, "".join(serve.lines)
        filed = _ok("marks", "file", "--mn", GAS_MN, "--type", "production/shutdown", *span,
                    "--note", "检修停产", "--proof", str(proof), "--format", "json", *d)
        mark = json.loads(filed.stdout)
        assert (mark["status"], [p["filename"] for p in mark["proofs"]]) == (
            "submitted", ["停产通知.pdf"])
        listed = _ok("marks", "list", "--status", "submitted", *d)
        assert [m["id"] for m in map(json.loads, listed.stdout.splitlines())] == [mark["id"]]
        assert "approved" in _ok("marks", "approve", str(mark["id"]), *d).stdout
        second = json.loads(_ok("marks", "file", "--mn", GAS_MN, "--type",
                                "production/shutdown", "--from",
                                (HOUR - timedelta(hours=8)).isoformat(), "--to",
                                (HOUR - timedelta(hours=6)).isoformat(), "--format", "json",
                                *d).stdout)
        assert "rejected" in _ok("marks", "reject", str(second["id"]), "--reason", "无证明",
                                 *d).stdout
        missing = _run("marks", "approve", "999", *d)
        assert missing.exit_code == 2 and "ID: no mark with id 999" in missing.output
        bad = _run("marks", "file", "--mn", GAS_MN, "--type", "production/shutdown", *span,
                   "--proof", str(db.parent / "envmon.duckdb.operator.token"), *d)
        assert bad.exit_code == 2 and "--proof" in bad.output, bad.output

        warned = json.loads(_ok("supervise", "warnings", "--format", "json", *d).stdout)
        assert set(warned) == {"opened", "warnings"}
        _ok("supervise", "warnings", *d)  # the table of the same
        graded = _ok("grade", "--month", f"{HOUR:%Y-%m}", "--format", "json", *d)
        assert UNIT in [g["unit_id"] for g in json.loads(graded.stdout)["grades"]]
        history = _ok("grade", "--unit", UNIT, "--format", "json", *d)
        assert [g["month"] for g in json.loads(history.stdout)["grades"]] == [f"{HOUR:%Y-%m}"]
        assert "audit log intact" in _ok("audit", "verify", *d).stdout
        code = json.loads(_ok("portal", "code", UNIT, "--json", *d).stdout)
        assert code["card_url"] == f"{serve.url}/card/{code['code']}"
        rotate = _run("portal", "code", UNIT, "--rotate", *d)
        assert rotate.exit_code == 2 and "--rotate" in rotate.output
        placard = _ok("portal", "placard", UNIT, "--output", str(tmp_path / "p.html"), *d)
        assert code["code"] in (tmp_path / "p.html").read_text("utf-8"), placard.output
    finally:
        serve.stop()
    assert serve.child.returncode == 0, "".join(serve.lines)
    with open_store(db, read_only=True) as store:
        rows = store.query("SELECT who, action, result FROM audit_log WHERE action IN "
                           "('mark.file', 'mark.proof', 'mark.approve', 'mark.reject', "
                           "'supervision.warnings', 'grade.regrade') ORDER BY id")
        filers = store.query("SELECT filed_by FROM marks ORDER BY id")
    assert [(a, r) for _, a, r in rows] == [
        ("mark.file", "ok"), ("mark.proof", "ok"), ("mark.approve", "ok"), ("mark.file", "ok"),
        ("mark.reject", "ok"), ("mark.approve", "refused: 404 mark_id: no mark with id 999"),
        ("supervision.warnings", "ok"), ("supervision.warnings", "ok"),
        ("grade.regrade", "ok")]
    assert all(who.startswith(OPERATOR) for who, _, _ in rows), rows
    assert all(f.startswith(OPERATOR) for (f,) in filers), filers
