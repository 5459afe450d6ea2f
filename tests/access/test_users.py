"""Users: argon2id hashes, role/region/unit checks, disable and reset with their effects, the
audit rows of every change, no hash in a listing."""

from __future__ import annotations

import pytest

from envmon.access import audit
from envmon.access.credentials import issue_token, principal_for_token
from envmon.access.passwords import hash_password, verify_or_waste
from envmon.access.users import (
    disable_user,
    find_user,
    list_users,
    reset_password,
    users_exist,
)
from envmon.errors import OptionError
from tests.access.conftest import PASSWORD, SETTINGS, UNIT, make_user
from tests.ingest.conftest import store  # noqa: F401


def test_passwords_are_argon2id_and_verified():
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify_or_waste(hashed, PASSWORD)
    assert not verify_or_waste(hashed, PASSWORD + "x")
    assert not verify_or_waste(None, PASSWORD)  # no user: the dummy hash, False


def test_the_first_user_switches_the_store_to_users(store):  # noqa: F811
    assert not users_exist(store)
    make_user(store, "alice")
    assert users_exist(store)
    row = find_user(store, "alice")
    assert row[1] == "admin" and row[4].startswith("$argon2id$")


@pytest.mark.parametrize("role, region, unit, option", [
    ("root", None, None, "--role"),
    ("district", None, None, "--region"),
    ("district", "140000", None, "--region"),  # a province: not a district's
    ("district", "149999", None, "--region"),  # not in the registry
    ("bureau", "140105", None, "--region"),  # a county: not a bureau's
    ("enterprise", None, None, "--unit"),
    ("enterprise", None, "91000000000000000X", "--unit"),  # not in the registry
    ("enterprise", "140105", UNIT, "--region"),
    ("admin", "140100", None, "--region"),
    ("readonly", None, UNIT, "--unit"),
])
def test_role_scope_checks_name_the_option(store, role, region, unit, option):  # noqa: F811
    with pytest.raises(OptionError) as info:
        make_user(store, "bob", role, region=region, unit=unit)
    assert info.value.option == option
    assert find_user(store, "bob") is None


def test_valid_scopes_are_kept(store):  # noqa: F811
    make_user(store, "d1", "district", region="140105")
    make_user(store, "d2", "district", region="140100")
    make_user(store, "e1", "enterprise", unit=UNIT)
    assert find_user(store, "e1")[2:4] == ("140105", UNIT)  # the unit's county


def test_short_passwords_and_taken_names_are_refused(store):  # noqa: F811
    with pytest.raises(OptionError, match="shorter than 10"):
        make_user(store, "bob", password="short")
    make_user(store, "bob")
    with pytest.raises(OptionError, match="exists already"):
        make_user(store, "bob")


def test_disable_ends_tokens_and_keeps_the_last_admin(store):  # noqa: F811
    make_user(store, "alice")
    with pytest.raises(OptionError, match="last enabled administrator"):
        disable_user(store, "alice", by="t", address="cli:t")
    make_user(store, "bob", "bureau")
    token, _ = issue_token(store, "bob", "127.0.0.1", 1)
    assert principal_for_token(store, token).username == "bob"
    disable_user(store, "bob", by="alice", address="cli:t")
    assert principal_for_token(store, token) is None
    assert find_user(store, "bob")[5] is True


def test_reset_password_changes_it_and_revokes_tokens(store):  # noqa: F811
    make_user(store, "alice")
    token, _ = issue_token(store, "alice", "127.0.0.1", 1)
    reset_password(store, "alice", "another long password", by="t", address="cli:t",
                   min_password_length=SETTINGS.min_password_length)
    assert principal_for_token(store, token) is None
    assert verify_or_waste(find_user(store, "alice")[4], "another long password")


def test_every_user_change_is_audited_and_listing_shows_no_hash(store):  # noqa: F811
    make_user(store, "alice")
    make_user(store, "bob", "readonly")
    disable_user(store, "bob", by="alice", address="cli:t")
    reset_password(store, "alice", "another long password", by="alice", address="cli:t",
                   min_password_length=10)
    actions = [(e["action"], e["target"]) for e in audit.list_audit(store).as_json()]
    assert actions == [("user.add", "alice"), ("user.add", "bob"), ("user.disable", "bob"),
                       ("user.reset_password", "alice")]
    listed = list_users(store).as_json()
    assert [u["username"] for u in listed] == ["alice", "bob"]
    assert "argon2" not in repr(listed) and "password_hash" not in listed[0]
    assert "another long password" not in repr(audit.list_audit(store).as_json())
