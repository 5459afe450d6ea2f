"""Use cases of the SM4 key store (issue 16 item 3): set, list, rotate; `envmon keys` is the door.

The key itself only ever comes in (a file or stdin) and goes to the sealed store
(`envmon.ingest.keystore`); no result here carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envmon.errors import OptionError
from envmon.hj212.codec import make_qn
from envmon.hj212.sm4 import parse_key
from envmon.ingest.keystore import (
    KeyInfo,
    begin_rotation,
    list_keys,
    open_master_key,
    set_key,
)
from envmon.timeutil import now_beijing

__all__ = ["KeyList", "KeySet", "RotationRequested", "key_from_text", "keys_list",
           "keys_rotate", "keys_set"]


def key_from_text(text: str, source: str) -> bytes:
    """32 hex digits (surrounding blanks ignored) -> 16 bytes; the error never quotes them."""
    try:
        return parse_key(text)
    except ValueError as error:
        raise OptionError(source, str(error)) from None


@dataclass(frozen=True)
class KeySet:
    mn: str
    action: str  # set | replaced
    master_key_created: str | None  # the path of a master key file created now

    def as_json(self) -> dict:
        return {"mn": self.mn, "action": self.action,
                "master_key_created": self.master_key_created}


_CHANGE_ZH = {"set": "初次设置", "replaced": "人工替换", "rotated": "远程轮换 (CN 1014)"}


@dataclass(frozen=True)
class KeyList:
    keys: tuple[KeyInfo, ...]

    def as_json(self) -> list[dict]:
        return [k.to_dict() for k in self.keys]

    def as_table(self):
        from envmon.render import Column, Table

        columns = [Column("mn", "MN"), Column("created_at", "创建时间"),
                   Column("rotated_at", "更换时间"), Column("rotation_pending", "更换待确认"),
                   Column("last_change", "更换方式"), Column("replaced_at", "人工替换时间")]
        rows = [(k["mn"], k["created_at"], k["rotated_at"] or "",
                 "是" if k["rotation_pending"] else "否", _CHANGE_ZH[k["last_change"]],
                 k["replaced_at"] or "") for k in self.as_json()]
        return Table("SM4 密钥", columns, rows)


@dataclass(frozen=True)
class RotationRequested:
    mn: str
    qn: str

    def as_json(self) -> dict:
        return {"mn": self.mn, "qn": self.qn, "status": "pending"}


def _master(store, *, create: bool) -> tuple[bytes, Path | None]:
    """The master key; `create` makes one only while the store holds no sealed key (a new
    master key could not open the stored ones)."""
    has_keys = bool(store.query("SELECT 1 FROM sm4_keys LIMIT 1"))
    master, path, created = open_master_key(store.target, create=create and not has_keys)
    if master is None and has_keys:
        raise OptionError("ENVMON_MASTER_KEY_FILE",
                          f"{path} does not exist, and the store holds keys sealed under a "
                          "master key: restore that file, or name it in ENVMON_MASTER_KEY_FILE "
                          "(a new master key would not open them)")
    if master is None:
        raise OptionError("master key", f"{path} does not exist: set a key first "
                                        "(envmon keys set) or name the file in "
                                        "ENVMON_MASTER_KEY_FILE")
    return master, path if created else None


def keys_set(store, mn: str, key: bytes) -> KeySet:
    """Store MN's key sealed under the master key (created next to the store when there is
    none and ENVMON_MASTER_KEY_FILE is unset)."""
    if store.point_auth(mn) is None:
        raise OptionError("MN", f"{mn!r} is not a registered monitoring point")
    master, created = _master(store, create=True)
    action = set_key(store, mn, key, master)  # refused when master opens no stored key
    return KeySet(mn, action, str(created) if created else None)


def keys_list(store) -> KeyList:
    return KeyList(tuple(list_keys(store)))


def keys_rotate(store, mn: str) -> RotationRequested:
    """A new random key for MN, pending until the unit confirms the CN 1014 that carries it
    (the receiver sends it when the unit is online: `envmon.ingest.rotation`)."""
    master, _ = _master(store, create=False)
    qn = make_qn(now_beijing())
    begin_rotation(store, mn, master, qn)
    return RotationRequested(mn, qn)
