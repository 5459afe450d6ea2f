"""Logins: a wrong password, the lockout of a name (known or not) and of an address, the
lockout ended by a password reset, the same work for an unknown name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.access import passwords
from envmon.access.login import LoginRefused, authenticate
from envmon.access.settings import AccessSettings
from envmon.access.users import reset_password
from envmon.timeutil import now_beijing
from tests.access.conftest import PASSWORD, make_user
from tests.ingest.conftest import store  # noqa: F401

TIGHT = AccessSettings(lockout_failures=3, address_failures=5, lockout_window_s=600)


def test_right_and_wrong_passwords(store):  # noqa: F811
    make_user(store, "alice")
    assert authenticate(store, "alice", PASSWORD, "10.0.0.1", TIGHT).role == "admin"
    with pytest.raises(LoginRefused, match="wrong user name or password") as info:
        authenticate(store, "alice", "nope", "10.0.0.1", TIGHT)
    assert not info.value.locked


def test_a_name_is_locked_after_failures_known_or_not(store):  # noqa: F811
    make_user(store, "alice")
    now = now_beijing()
    for name, address in (("alice", "10.0.0.2"), ("nobody", "10.0.0.4")):
        for _ in range(TIGHT.lockout_failures):
            with pytest.raises(LoginRefused, match="wrong"):
                authenticate(store, name, "wrong", address, TIGHT, now=now)
    with pytest.raises(LoginRefused, match="locked") as info:  # even the right password
        authenticate(store, "alice", PASSWORD, "10.0.0.3", TIGHT, now=now)
    assert info.value.locked
    with pytest.raises(LoginRefused, match="locked"):
        authenticate(store, "nobody", "x", "10.0.0.3", TIGHT, now=now)
    later = now + timedelta(seconds=TIGHT.lockout_window_s + 1)
    assert authenticate(store, "alice", PASSWORD, "10.0.0.3", TIGHT, now=later)


def test_an_address_is_locked_after_failures_of_many_names(store):  # noqa: F811
    make_user(store, "alice")
    for number in range(TIGHT.address_failures):
        with pytest.raises(LoginRefused):
            authenticate(store, f"guess{number}", "wrong", "10.0.0.9", TIGHT)
    with pytest.raises(LoginRefused, match="locked"):
        authenticate(store, "alice", PASSWORD, "10.0.0.9", TIGHT)
    assert authenticate(store, "alice", PASSWORD, "10.0.0.10", TIGHT)  # other address


def test_a_password_reset_lifts_the_name_lockout(store):  # noqa: F811
    make_user(store, "alice")
    for _ in range(TIGHT.lockout_failures):
        with pytest.raises(LoginRefused):
            authenticate(store, "alice", "wrong", f"10.0.1.{_}", TIGHT)
    reset_password(store, "alice", "a brand new password", by="t", address="cli:t",
                   min_password_length=10)
    assert authenticate(store, "alice", "a brand new password", "10.0.2.1", TIGHT)


def test_an_unknown_name_costs_a_password_check_too(store, monkeypatch):  # noqa: F811
    make_user(store, "alice")
    checked = []
    real = passwords._hasher()

    class Counting:
        def verify(self, hashed, password):
            checked.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(passwords, "_hasher", lambda: Counting())
    for name in ("alice", "nobody"):
        with pytest.raises(LoginRefused):
            authenticate(store, name, "wrong", "10.0.3.1", TIGHT)
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
