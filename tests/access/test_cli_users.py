"""`envmon users add|list|disable|reset-password`: the password from stdin (never an option,
never printed), one-line errors with exit code 2, no hash in a listing."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from envmon.access.audit import list_audit
from envmon.access.passwords import verify_or_waste
from envmon.access.users import find_user
from envmon.cli import app as cli_app
from envmon.store import open_store
from tests.access.conftest import UNIT
from tests.ingest.conftest import store  # noqa: F401

runner = CliRunner()


def _users(db, *args, password: str | None = None):
    return runner.invoke(cli_app, ["users", *args, "--db", db], input=password)


def test_add_list_disable_and_reset_password(store):  # noqa: F811
    db = store.target
    store.close()
    added = _users(db, "add", "alice", "--role", "admin", password="first long secret\n")
    assert added.exit_code == 0, added.output
    assert "first long secret" not in added.output
    assert _users(db, "add", "ent", "--role", "enterprise", "--unit", UNIT,
                  password="second long secret\n").exit_code == 0
    listed = _users(db, "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    users = json.loads(listed.stdout)
    assert [(u["username"], u["role"], u["role_zh"], u["unit_id"]) for u in users] == [
        ("alice", "admin", "管理员", None), ("ent", "enterprise", "企业", UNIT)]
    assert "argon2" not in listed.stdout
    assert _users(db, "disable", "ent").exit_code == 0
    reset = _users(db, "reset-password", "alice", password="third long secret\n")
    assert reset.exit_code == 0, reset.output
    with open_store(db) as reopened:
        assert find_user(reopened, "ent")[5] is True
        assert verify_or_waste(find_user(reopened, "alice")[4], "third long secret")
        rows = list_audit(reopened).as_json()
    assert [r["action"] for r in rows] == ["user.add", "user.add", "user.disable",
                                           "user.reset_password"]
    assert all(r["address"].startswith("cli:") for r in rows)


def test_bad_input_is_one_line_and_exit_2(store):  # noqa: F811
    db = store.target
    store.close()
    cases = [
        (("add", "bob", "--role", "district"), "pw long enough\n", "--region"),
        (("add", "bob", "--role", "boss"), "pw long enough\n", "--role"),
        (("add", "bob", "--role", "admin"), "short\n", "shorter than 10"),
        (("add", "bob", "--role", "admin"), "", "no password on standard input"),
        (("disable", "nobody"), None, "no user"),
        (("reset-password", "nobody"), "pw long enough\n", "no user"),
    ]
    for args, password, words in cases:
        result = _users(db, *args, password=password)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    with open_store(db) as reopened:
        assert find_user(reopened, "bob") is None
