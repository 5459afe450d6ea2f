"""The CLI against a running `envmon serve` once users exist: serve leaves the local operator
token next to the store (0600, new each start, removed on stop) and a command on the held
store sends it; a `--url` command needs a user's token (ENVMON_TOKEN) and says so."""

from __future__ import annotations

import json
import os
import stat

import httpx

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
