"""The CLI against a running `envmon serve` once users exist: serve leaves the local operator
token next to the store (0600, new each start, removed on stop) and a command on the held
store sends it; a `--url` command needs a user's token (ENVMON_TOKEN) and says so."""

from __future__ import annotations

import json
import os
import stat

import httpx
import pytest

from envmon.access.operator import read_token, token_path
from envmon.store import open_store
from tests.access.conftest import PASSWORD, make_user
from tests.test_cli_remote import Serve, _feed, _run


def test_the_cli_keeps_working_against_serve_with_users(tmp_path):
    db = tmp_path / "envmon.duckdb"
    _feed(db)
    with open_store(db) as store:
        make_user(store, "alice")
    local = _run("alarms", "list", "--format", "json", "--db", str(db))
    assert local.exit_code == 0 and json.loads(local.stdout), local.output
    serve = Serve(db)
    try:
        assert serve.url, "".join(serve.lines)
        path = token_path(db)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        first = read_token(path)
        held = _run("alarms", "list", "--format", "json", "--db", str(db))
        assert held.exit_code == 0, held.output
        assert held.stdout_bytes == local.stdout_bytes
        assert httpx.get(serve.url + "/api/v1/alarms").status_code == 401
        no_token = _run("alarms", "list", "--url", serve.url)
        assert no_token.exit_code == 2 and "ENVMON_TOKEN" in no_token.output
        token = httpx.post(serve.url + "/api/v1/auth/token", json={
            "username": "alice", "password": PASSWORD}).json()["token"]
        with_token = _run("alarms", "list", "--format", "json", "--url", serve.url,
                          env={"ENVMON_TOKEN": token})
        assert with_token.exit_code == 0, with_token.output
        assert with_token.stdout_bytes == local.stdout_bytes
        audit = _run("audit", "list", "--format", "json", "--db", str(db))
        assert audit.exit_code == 0, audit.output
        assert [r["action"] for r in json.loads(audit.stdout)] == ["user.add", "auth.token"]
    finally:
        serve.stop()
    assert serve.child.returncode == 0, "".join(serve.lines)
    assert not token_path(db).exists()
    again = Serve(db)
    try:
        assert read_token(token_path(db)) not in (None, first)  # a new one each start
    finally:
        again.stop()


@pytest.mark.duckdb_only
def test_users_commands_go_through_serve_with_the_operator_token(tmp_path):
    """`envmon users add|list|disable|reset-password` while serve holds the store: the
    /api/v1/users endpoints, the password in the body read from stdin, never in a row.

    DuckDB only: serve holds the DuckDB file, so the CLI goes through serve; on PostgreSQL the
    CLI opens the database itself."""
    db = tmp_path / "envmon.duckdb"
    _feed(db)
    with open_store(db) as store:
        make_user(store, "alice")
    serve = Serve(db)
    try:
        assert serve.url, "".join(serve.lines)
        added = _run("users", "add", "bob", "--role", "readonly", "--db", str(db),
                     input="another long secret\n")
        assert added.exit_code == 0, added.output
        assert "user bob added: readonly, scope all" in added.stdout
        listed = _run("users", "list", "--format", "json", "--db", str(db))
        assert listed.exit_code == 0, listed.output
        assert [u["username"] for u in json.loads(listed.stdout)] == ["alice", "bob"]
        token = httpx.post(serve.url + "/api/v1/auth/token", json={
            "username": "bob", "password": "another long secret"})
        assert token.status_code == 200
        reset = _run("users", "reset-password", "bob", "--db", str(db),
                     input="a third long secret\n")
        assert reset.exit_code == 0, reset.output
        assert httpx.get(serve.url + "/api/v1/alarms", headers={
            "Authorization": "Bearer " + token.json()["token"]}).status_code == 401  # ended
        assert _run("users", "disable", "bob", "--db", str(db)).exit_code == 0
        missing = _run("users", "disable", "nobody", "--db", str(db))
        assert missing.exit_code == 2 and "username" in missing.output
        weak = _run("users", "add", "carol", "--role", "readonly", "--db", str(db),
                    input="short\n")
        assert weak.exit_code == 2 and "password" in weak.output
        bob = httpx.post(serve.url + "/api/v1/auth/token", json={
            "username": "bob", "password": "a third long secret"})
        assert bob.status_code == 401  # disabled
        readonly = httpx.get(serve.url + "/api/v1/users/list", headers={
            "Authorization": "Bearer " + token.json()["token"]})
        assert readonly.status_code == 401
    finally:
        serve.stop()
    with open_store(db, read_only=True) as store:
        from envmon.access.audit import list_audit

        rows = [r for r in list_audit(store).as_json() if r["action"].startswith("user.")]
    assert [(r["action"], r["target"], r["result"].split(":")[0]) for r in rows] == [
        ("user.add", "alice", "ok"), ("user.add", "bob", "ok"),
        ("user.reset_password", "bob", "ok"), ("user.disable", "bob", "ok"),
        ("user.disable", "nobody", "refused"), ("user.add", "carol", "refused")]
    assert all(r["who"].startswith("本机操作员") for r in rows[1:])
    assert all(r["address"] == "127.0.0.1" for r in rows[1:])
    text = json.dumps(rows, ensure_ascii=False)
    assert "long secret" not in text and '"short"' not in text
