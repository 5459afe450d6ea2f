"""API tokens and page sessions: issue, resolve to a `Principal`, revoke or end.

A token or a session value is 32 random bytes (URL-safe text) handed out once; the store
keeps only its SHA-256 (a stolen copy of the store gives nobody a way in). A credential
resolves only while its user exists and is enabled, before its expiry, and — for a page
session — while it was used within `AccessSettings.session_idle_s`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from envmon.access.principal import Principal
from envmon.access.settings import AccessSettings
from envmon.access.users import principal_of
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.access")

__all__ = ["digest", "end_session", "issue_token", "open_session", "principal_for_session",
           "principal_for_token", "revoke_token"]

TOUCH_EVERY = timedelta(seconds=60)  # last use is written at most this often per credential
MAX_CREDENTIAL_CHARS = 200  # ours are 43; anything much longer is not one


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def _touch(store, sql: str, params: list) -> None:
    """Write a last-use time; two requests of one credential at once may conflict, and the
    other one's time is as good."""
    try:
        store.execute(sql, params)
    except Exception as error:  # a write conflict or a read-only store: not worth a refusal
        log.debug("last use not recorded: %s", error)


def issue_token(store, username: str, address: str | None, days: int,
                now: datetime | None = None) -> tuple[str, datetime]:
    """A new API token of `username`, valid `days` days: (token, expires)."""
    now = now or now_beijing()
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    store.execute("INSERT INTO api_tokens (token_hash, username, created_at, expires_at, "
                  "address) VALUES (?, ?, ?, ?, ?)", [digest(token), username, now, expires,
                                                      address])
    return token, expires


def principal_for_token(store, token: str, now: datetime | None = None) -> Principal | None:
    if not token or len(token) > MAX_CREDENTIAL_CHARS:
        return None
    now = now or now_beijing()
    key = digest(token)
    rows = store.query(
        "SELECT u.username, u.role, u.region_code, u.unit_id, t.last_used_at "
        "FROM api_tokens t JOIN users u ON u.username = t.username "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? "
        "AND NOT u.disabled", [key, now])
    if not rows:
        return None
    row = rows[0]
    if row[4] is None or now - row[4] > TOUCH_EVERY:
        _touch(store, "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", [now, key])
    return principal_of(row, "token")


def revoke_token(store, token: str, by: str, now: datetime | None = None) -> str | None:
    """Revoke a token; the user it belonged to, None when it was not a live token."""
    if not token or len(token) > MAX_CREDENTIAL_CHARS:
        return None
    key = digest(token)
    rows = store.query("SELECT username FROM api_tokens WHERE token_hash = ? AND revoked_at "
                       "IS NULL", [key])
    if not rows:
        return None
    store.execute("UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE token_hash = ?",
                  [now or now_beijing(), by, key])
    return rows[0][0]


def open_session(store, username: str, address: str | None, settings: AccessSettings,
                 now: datetime | None = None) -> tuple[str, str, datetime]:
    """A new page session: (cookie value, CSRF token, expiry)."""
    now = now or now_beijing()
    value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=settings.session_max_s)
    store.execute("INSERT INTO web_sessions (session_hash, username, csrf_token, created_at, "
                  "expires_at, last_seen_at, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  [digest(value), username, csrf, now, expires, now, address])
    return value, csrf, expires


def principal_for_session(store, value: str, settings: AccessSettings,
                          now: datetime | None = None) -> Principal | None:
    if not value or len(value) > MAX_CREDENTIAL_CHARS:
        return None
    now = now or now_beijing()
    key = digest(value)
    rows = store.query(
        "SELECT u.username, u.role, u.region_code, u.unit_id, s.last_seen_at, s.csrf_token "
        "FROM web_sessions s JOIN users u ON u.username = s.username "
        "WHERE s.session_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? "
        "AND s.last_seen_at > ? AND NOT u.disabled",
        [key, now, now - timedelta(seconds=settings.session_idle_s)])
    if not rows:
        return None
    row = rows[0]
    if now - row[4] > TOUCH_EVERY:
        _touch(store, "UPDATE web_sessions SET last_seen_at = ? WHERE session_hash = ?",
               [now, key])
    return principal_of(row, "session", csrf=row[5])


def end_session(store, value: str, now: datetime | None = None) -> str | None:
    """End a page session (logout); the user it belonged to, None when it was not live."""
    if not value or len(value) > MAX_CREDENTIAL_CHARS:
        return None
    key = digest(value)
    rows = store.query("SELECT username FROM web_sessions WHERE session_hash = ? AND ended_at "
                       "IS NULL", [key])
    if not rows:
        return None
    store.execute("UPDATE web_sessions SET ended_at = ? WHERE session_hash = ?",
                  [now or now_beijing(), key])
    return rows[0][0]


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(expected, given)
