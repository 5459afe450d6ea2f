"""Bearer tokens of the roads HTTP intake: who may post readings, and for which devices.

Guards against anonymous writes to the road readings. A token is 32 random bytes (URL-safe
text) shown once when it is made (`envmon roads tokens add`); the store keeps only its SHA-256
digest (`road_intake_tokens`), which is enough for random tokens: there is nothing to guess a
dictionary from, so a slow password hash would add nothing. A token may be bound to a
device-id prefix: readings of other devices posted with it are rejected (`device_not_allowed`).

`TokenBook` is what the intake checks requests against: loaded once when the intake starts
(the store is locked by the serving process, so tokens change only while it is stopped, or
through `TokenBook.reload` from the same process). A new kind of binding goes on `IntakeToken`
and is enforced in `roads.sensors.process_rows` through `IntakeOptions`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from envmon.timeutil import now_beijing

__all__ = ["IntakeToken", "NewToken", "TokenBook", "TokenList", "add_token", "digest",
           "list_tokens", "revoke_token"]

TOKEN_BYTES = 32  # 256 bits: unguessable, so a plain SHA-256 digest is a safe thing to store


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IntakeToken:
    token_id: str
    label: str
    device_prefix: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"token_id": self.token_id, "label": self.label,
                "device_prefix": self.device_prefix,
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


@dataclass(frozen=True)
class NewToken:
    """A token just made: the secret is in `token`, shown once and never stored."""

    token: str
    info: IntakeToken

    def as_json(self) -> dict[str, Any]:
        return {**self.info.as_json(), "token": self.token}


def add_token(store, label: str, device_prefix: str | None = None) -> NewToken:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_id = secrets.token_hex(4)
    now = now_beijing()  # as `tokens list` reads it back (the store's zone is Beijing)
    with store.transaction():
        store.execute("INSERT INTO road_intake_tokens VALUES (?, ?, ?, ?, ?, NULL)",
                      [token_id, digest(token), label, device_prefix or None, now])
    return NewToken(token, IntakeToken(token_id, label, device_prefix or None, now))


def list_tokens(store) -> list[IntakeToken]:
    return [IntakeToken(*row) for row in store.query(
        "SELECT token_id, label, device_prefix, created_at, revoked_at "
        "FROM road_intake_tokens ORDER BY created_at, token_id")]


def revoke_token(store, token_id: str) -> IntakeToken | None:
    """Revoke a token by its id; None if there is no such token (revoking twice keeps the
    first revocation time)."""
    with store.transaction():
        store.execute("UPDATE road_intake_tokens SET revoked_at = ? "
                      "WHERE token_id = ? AND revoked_at IS NULL", [now_beijing(), token_id])
    return next((t for t in list_tokens(store) if t.token_id == token_id), None)


class TokenBook:
    """The tokens in force, checked in constant time per token (`hmac.compare_digest`)."""

    def __init__(self, entries: list[tuple[str, IntakeToken]] | None = None) -> None:
        self._entries = list(entries or [])

    @classmethod
    def load(cls, store) -> TokenBook:
        book = cls()
        book.reload(store)
        return book

    def reload(self, store) -> None:
        rows = store.query(
            "SELECT token_sha256, token_id, label, device_prefix, created_at, revoked_at "
            "FROM road_intake_tokens WHERE revoked_at IS NULL")
        self._entries = [(row[0], IntakeToken(*row[1:])) for row in rows]

    def __len__(self) -> int:
        return len(self._entries)

    def check(self, presented: str) -> IntakeToken | None:
        """The token `presented` stands for, or None. Every entry is compared, so the time
        taken does not depend on which one (if any) matched."""
        wanted = digest(presented)
        found = None
        for stored, token in self._entries:
            if hmac.compare_digest(stored, wanted):
                found = token
        return found


TOKEN_COLUMNS = (("token_id", "编号"), ("label", "用途"), ("device_prefix", "设备前缀"),
                 ("created_at", "创建时间"), ("revoked_at", "吊销时间"), ("token", "令牌"))


@dataclass(frozen=True)
class TokenList:
    """Tokens for `envmon roads tokens …` (a new token's secret only in the answer to add)."""

    tokens: tuple[dict[str, Any], ...]

    def as_json(self) -> list[dict[str, Any]]:
        return list(self.tokens)

    def as_table(self):
        from envmon.render import Column, Table

        columns = [(k, label) for k, label in TOKEN_COLUMNS
                   if k != "token" or any("token" in t for t in self.tokens)]
        return Table("路网采集令牌", [Column(k, label) for k, label in columns],
                     [tuple(t.get(k) or ("-" if k == "device_prefix" else "") for k, _ in columns)
                      for t in self.tokens])

    default_stem = "road-intake-tokens"
