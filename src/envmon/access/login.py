"""Checking a name and password, with the rate limit and lockout (`AccessSettings`):

* `lockout_failures` failed logins of one user name within `lockout_window_s` lock that name
  (known or not: a lockout says nothing about whether the name exists);
* `address_failures` failed logins from one address within the window lock the address;
* a locked name or address is refused with a message saying until when, before any password
  is checked; otherwise the password is checked against the user's argon2id hash, or against
  a dummy hash when there is no such (enabled) user: a failure costs the same time either way.

Failures are rows of `login_failures` (the name's SHA-256: a password typed into the name
field is kept nowhere); a success clears its name's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from envmon.access.credentials import digest
from envmon.access.passwords import verify_or_waste
from envmon.access.principal import Principal
from envmon.access.settings import AccessSettings
from envmon.access.users import find_user, principal_of
from envmon.errors import EnvmonError
from envmon.timeutil import now_beijing

__all__ = ["LoginRefused", "authenticate"]


class LoginRefused(EnvmonError):
    """A failed or refused login: `locked` (429) or wrong credentials (401). `user`: the name
    when it is a user's (for the audit log; a name that is no user's may be a password typed
    into the wrong field, and is not repeated anywhere)."""

    def __init__(self, message: str, locked: bool = False, user: str | None = None) -> None:
        super().__init__(message)
        self.locked, self.user = locked, user


@dataclass(frozen=True)
class _Lock:
    until: datetime


def _lock(store, column: str, value: str, limit: int, window: timedelta,
          now: datetime) -> _Lock | None:
    rows = store.query(f"SELECT count(*), max(failed_at) FROM login_failures WHERE {column} = ?"
                       " AND failed_at > ?", [value, now - window])
    count, last = rows[0]
    if count >= limit:
        return _Lock(last + window)
    return None


def authenticate(store, username: str, password: str, address: str,
                 settings: AccessSettings, now: datetime | None = None) -> Principal:
    """The user's principal, or `LoginRefused` (module docstring)."""
    now = now or now_beijing()
    name = (username or "").strip()[:64]
    name_hash = digest(name)
    row = find_user(store, name) if name else None
    window = timedelta(seconds=settings.lockout_window_s)
    for column, value, limit, what in (
            ("name_hash", name_hash, settings.lockout_failures, "该用户 / this user"),
            ("address", address, settings.address_failures, "该地址 / this address")):
        lock = _lock(store, column, value, limit, window, now)
        if lock is not None:
            until = lock.until.strftime("%H:%M")
            raise LoginRefused(f"登录失败次数过多，{what}已锁定至 {until}（北京时间）；too many "
                               f"failed logins: locked until {until} Beijing time",
                               locked=True, user=row[0] if row else None)
    usable = row is not None and not row[5]
    if verify_or_waste(row[4] if usable else None, password or ""):
        store.execute("DELETE FROM login_failures WHERE name_hash = ?", [name_hash])
        return principal_of(row, "login")
    store.execute("INSERT INTO login_failures (failed_at, name_hash, address) VALUES (?, ?, ?)",
                  [now, name_hash, address])
    raise LoginRefused("用户名或密码错误；wrong user name or password",
                       user=row[0] if row else None)
