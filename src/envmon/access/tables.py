"""Store tables of envmon.access (schema version 11, issue 13): who may use the platform.

- `users`: one row a person (name, role, region, unit, argon2id hash, disabled, who made and
  last changed it). Never deleted: a user who leaves is disabled, so the audit log's names
  keep meaning someone.
- `api_tokens`: bearer tokens of `POST /api/v1/auth/token`, kept as their SHA-256 (the token
  itself is shown once and never stored), with expiry, last use and revocation.
- `web_sessions`: page sessions (the cookie's value hashed the same way), each with its CSRF
  token, expiry and end.
- `login_failures`: failed logins by user name (its hash) and address, for the rate limit
  and lockout.
- `audit_log`: append-only; each row carries the hash of the row before it (`prev_hash`) and
  its own (`row_hash`), so a row changed or removed afterwards shows (`access.audit.verify`).

Read and written by `envmon.access` only (users, sessions, login, audit).
"""

from __future__ import annotations

from envmon.store.ddl import Migration

MIGRATIONS = [
    Migration(11, "users, tokens, page sessions, login failures, audit log", [
        """
        CREATE TABLE users (
            username      TEXT PRIMARY KEY,
            role          TEXT NOT NULL,       -- admin | bureau | district | officer | ...
            region_code   TEXT,                -- GB/T 2260 code of the scope, NULL: all
            unit_id       TEXT,                -- the enterprise user's unit
            password_hash TEXT NOT NULL,       -- argon2id (PHC string)
            disabled      BOOLEAN NOT NULL,
            created_by    TEXT NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL,
            changed_by    TEXT,
            changed_at    TIMESTAMPTZ
        )
        """,
        """
        CREATE TABLE api_tokens (
            token_hash    TEXT PRIMARY KEY,    -- SHA-256 hex of the token; never the token
            username      TEXT NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL,
            expires_at    TIMESTAMPTZ NOT NULL,
            last_used_at  TIMESTAMPTZ,
            address       TEXT,                -- where it was asked for
            revoked_at    TIMESTAMPTZ,
            revoked_by    TEXT
        )
        """,
        """
        CREATE TABLE web_sessions (
            session_hash  TEXT PRIMARY KEY,    -- SHA-256 hex of the cookie's value
            username      TEXT NOT NULL,
            csrf_token    TEXT NOT NULL,       -- sent back by the pages' scripts on writes
            created_at    TIMESTAMPTZ NOT NULL,
            expires_at    TIMESTAMPTZ NOT NULL,
            last_seen_at  TIMESTAMPTZ NOT NULL,
            address       TEXT,
            ended_at      TIMESTAMPTZ
        )
        """,
        """
        CREATE TABLE login_failures (
            failed_at     TIMESTAMPTZ NOT NULL,
            name_hash     TEXT NOT NULL,       -- SHA-256 of the name as typed (a password
            address       TEXT NOT NULL        -- typed into the name field is never kept)
        )
        """,
        """
        CREATE TABLE audit_log (
            id            BIGINT PRIMARY KEY,  -- 1, 2, 3 … in the order of the chain
            happened_at   TIMESTAMPTZ NOT NULL,
            who           TEXT NOT NULL,
            role          TEXT,
            action        TEXT NOT NULL,       -- alarm.acknowledge, user.add, auth.login ...
            target        TEXT,
            detail        TEXT,                -- JSON object
            address       TEXT,                -- IP, or "cli:<OS user>"
            result        TEXT NOT NULL,       -- ok, or the refusal
            prev_hash     TEXT NOT NULL,
            row_hash      TEXT NOT NULL
        )
        """,
    ]),
]  # fmt: skip
