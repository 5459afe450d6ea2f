"""SM4 keys of HJ 212-2025 units, sealed at rest under the platform master key (issue 16 item 3).

A unit that encrypts its data region (HJ 212-2025 §6.4.2) shares a 16-byte SM4 key with the
platform. The store keeps each MN's key in `sm4_keys` sealed with AES-256-GCM under a master key
that never enters the store (the MN is the associated data, so a sealed key copied to another MN
does not open). The master key is 32 random bytes, written as 64 hex digits in the file named
by ``ENVMON_MASTER_KEY_FILE``; when that is unset, ``<db>.master.key`` next to the store, which
the first `keys set` creates with owner-only permissions (0600). A master key file is only
ever created while the store holds no sealed key: once keys are stored, a missing file (named
or not) is an error, never a new master key that could not open them. A master key file
that group or others may read or write is refused, as ssh refuses such a private key: it
opens every unit's key, and the fix is one ``chmod 600``. Before a key
is written, the master key must open the keys already stored (`check_master`): sealing a new
key under another master key would leave the store with keys no one master key opens. Neither
a key nor the master key is ever printed, logged, exported or kept in clear in the store;
`key_audit` records who (the OS user), when and what, never the key.

The receiver reads every key once per registry refresh into a :class:`KeyCache` (the codec's
:data:`~envmon.hj212.sm4.KeyLookup`); a key that does not open is logged and left out, the
others load (`load_keys`). A rotation (`begin_rotation`) keeps the new key as
``pending`` until the unit confirms the 1014 that carried it (`finish_rotation`). How a key
last changed is read from `key_audit` (`KeyInfo.last_change`: set, replaced by an operator, or
rotated over the wire).

A new key operation goes here, with its audit row; the CLI is `envmon.cli.keys`.
"""

from __future__ import annotations

import getpass
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from envmon.errors import OptionError
from envmon.hj212.sm4 import KEY_BYTES
from envmon.store import Store
from envmon.timeutil import now_beijing

__all__ = [
    "MASTER_KEY_ENV",
    "KeyCache",
    "KeyInfo",
    "KeyStoreError",
    "begin_rotation",
    "check_master",
    "finish_rotation",
    "list_keys",
    "load_keys",
    "master_key_path",
    "open_master_key",
    "pending_rotations",
    "read_master_key",
    "set_key",
    "store_keys",
]

log = logging.getLogger("envmon.ingest.keystore")

MASTER_KEY_ENV = "ENVMON_MASTER_KEY_FILE"
_MASTER_BYTES = 32  # AES-256
_NONCE_BYTES = 12  # AES-GCM's standard nonce (NIST SP 800-38D §8.2)


class KeyStoreError(OptionError):
    """The master key is missing or unreadable, or a sealed key does not open with it."""

    def __init__(self, message: str, option: str = "master key") -> None:
        super().__init__(option, message)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What `envmon keys list` shows of a key: never the key itself."""

    mn: str
    created_at: datetime
    rotated_at: datetime | None
    """When the key in force last changed, by an operator's `keys set` or a rotation."""
    rotation_pending: bool
    last_change: str = "set"
    """How the key in force came: "set" (the first `keys set`), "replaced" (a later `keys
    set`: the operator gave a new key) or "rotated" (CN 1014, confirmed by the unit)."""
    replaced_at: datetime | None = None
    """The last time an operator replaced the key (`keys set` on an MN that had one)."""

    def to_dict(self) -> dict:
        return {"mn": self.mn, "created_at": self.created_at.isoformat(),
                "rotated_at": self.rotated_at.isoformat() if self.rotated_at else None,
                "rotation_pending": self.rotation_pending, "last_change": self.last_change,
                "replaced_at": self.replaced_at.isoformat() if self.replaced_at else None}


def master_key_path(store_target: str) -> Path:
    """The master key file: ``$ENVMON_MASTER_KEY_FILE``, else ``<db>.master.key`` (for a
    PostgreSQL URL in the state directory, `envmon.store.locations`: receivers on other
    machines need the same file, so name it by the variable there)."""
    named = os.environ.get(MASTER_KEY_ENV)
    return Path(named) if named else master_default(store_target)


def master_default(store_target: str) -> Path:
    """``<db>.master.key`` of the store (where the master key is without the variable)."""
    from envmon.store.locations import store_file

    return store_file(store_target, ".master.key") or Path(f"{store_target}.master.key")


def open_master_key(store_target: str, *, create: bool = False) -> tuple[bytes | None, Path,
                                                                       bool]:
    """(master key or None, its path, created now) of the store at `store_target`.

    A missing file is created when `create` (the callers that write a key pass it only while
    the store holds no sealed key); otherwise a file named by ``ENVMON_MASTER_KEY_FILE`` that
    does not exist is a KeyStoreError naming the variable (a mistyped name must not pass for
    "no keys"), and a missing ``<db>.master.key`` is (None, path, False)."""
    path = master_key_path(store_target)
    if not create and os.environ.get(MASTER_KEY_ENV) and not path.exists():
        raise KeyStoreError(f"{path} does not exist (correct the name, or unset the variable "
                            f"to use {master_default(store_target)})", MASTER_KEY_ENV)
    master, created = read_master_key(path, create=create)
    return master, path, created


def _loose_mode(path: Path) -> int | None:
    """The permission bits of `path` when group or others may read or write it, else None."""
    mode = os.stat(path).st_mode & 0o777
    return mode if mode & 0o066 else None


def read_master_key(path: Path, *, create: bool = False) -> tuple[bytes | None, bool]:
    """(master key, created now). A missing file is created (0600) when `create`, else
    (None, False). A file that is not 64 hex digits, or that group or others may read or
    write, is a KeyStoreError."""
    try:
        loose = _loose_mode(path)
        if loose is not None:
            raise KeyStoreError(f"{path} may be read or written by group or others (mode "
                                f"{loose:04o}); it opens every unit's key: chmod 600 {path}")
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None, False
        key = secrets.token_bytes(_MASTER_BYTES)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        os.chmod(path, 0o600)  # whatever the umask
        return key, True
    except (OSError, UnicodeDecodeError) as error:
        raise KeyStoreError(f"cannot read {path}: {error.__class__.__name__}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _MASTER_BYTES:
        raise KeyStoreError(f"{path} does not hold {2 * _MASTER_BYTES} hex digits")
    return key, False


def _seal(master: bytes, mn: str, key: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, key, mn.encode("utf-8"))


def _open(master: bytes, mn: str, sealed: bytes) -> bytes:
    try:
        return AESGCM(master).decrypt(bytes(sealed[:_NONCE_BYTES]), bytes(sealed[_NONCE_BYTES:]),
                                      mn.encode("utf-8"))
    except InvalidTag:
        raise KeyStoreError(f"the key of MN {mn} does not open with this master key") from None


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def _audit(store: Store, action: str, mn: str, detail: str | None, now: datetime) -> None:
    store.execute("INSERT INTO key_audit (happened_at, who, action, mn, detail) "
                  "VALUES (?, ?, ?, ?, ?)", [now, _who(), action, mn, detail])


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise OptionError("key", f"expected {KEY_BYTES} bytes ({2 * KEY_BYTES} hex digits)")


def check_master(store: Store, master: bytes, path: Path | str = "the master key file") -> None:
    """Refuse a master key that does not open the keys already stored (one trial open each:
    AES-GCM's tag is the check value). A KeyStoreError naming ENVMON_MASTER_KEY_FILE."""
    rows = store.query("SELECT mn, sealed FROM sm4_keys ORDER BY mn")
    closed = [mn for mn, sealed in rows if _opens(master, mn, sealed) is None]
    if closed:
        shown = ", ".join(closed[:3]) + (f" and {len(closed) - 3} more" if len(closed) > 3
                                         else "")
        raise KeyStoreError(
            f"the master key in {path} does not open {len(closed)} of the {len(rows)} keys "
            f"stored ({shown}): they were sealed under another master key; name that key's "
            "file in ENVMON_MASTER_KEY_FILE (nothing was written)", MASTER_KEY_ENV)


def _opens(master: bytes, mn: str, sealed: bytes) -> bytes | None:
    try:
        return _open(master, mn, sealed)
    except KeyStoreError:
        return None


def set_key(store: Store, mn: str, key: bytes, master: bytes) -> str:
    """Store (or replace) the SM4 key of a registered MN; one audit row. Returns "set" for a
    first key, "replaced" otherwise. Refused when `master` does not open the keys already
    stored (:func:`check_master`)."""
    _check_key(key)
    if store.point_auth(mn) is None:
        raise OptionError("MN", f"{mn!r} is not a registered monitoring point")
    check_master(store, master)
    now = now_beijing()
    with store.transaction():
        exists = store.query("SELECT 1 FROM sm4_keys WHERE mn = ?", [mn])
        sealed = _seal(master, mn, key)
        if exists:
            store.execute("UPDATE sm4_keys SET sealed = ?, rotated_at = ?, pending = NULL, "
                          "pending_qn = NULL WHERE mn = ?", [sealed, now, mn])
        else:
            store.execute("INSERT INTO sm4_keys (mn, sealed, created_at) VALUES (?, ?, ?)",
                          [mn, sealed, now])
        action = "replaced" if exists else "set"
        _audit(store, action, mn, "key given by the operator", now)
    return action


_CHANGES = {"set": "set", "replaced": "replaced", "rotate_done": "rotated"}


def list_keys(store: Store) -> list[KeyInfo]:
    """Every MN's key as `keys list` shows it; how it last changed comes from `key_audit`."""
    changes: dict[str, str] = {}
    replaced: dict[str, datetime] = {}
    for mn, action, at in store.query(
            "SELECT mn, action, happened_at FROM key_audit WHERE action IN "
            "('set', 'replaced', 'rotate_done') ORDER BY happened_at, action"):
        changes[mn] = _CHANGES[action]
        if action == "replaced":
            replaced[mn] = at
    return [KeyInfo(mn, created, rotated, pending is not None, changes.get(mn, "set"),
                    replaced.get(mn))
            for mn, created, rotated, pending in store.query(
                "SELECT mn, created_at, rotated_at, pending FROM sm4_keys ORDER BY mn")]


def load_keys(store: Store, master: bytes | None) -> dict[str, bytes]:
    """Every MN's key in clear, for the receiver's cache (empty without a master key). A key
    that does not open with `master` is logged (its MN, never a key) and left out: one bad
    row must not take the other units' keys down."""
    if master is None:
        return {}
    keys = {}
    for mn, sealed in store.query("SELECT mn, sealed FROM sm4_keys"):
        key = _opens(master, mn, sealed)
        if key is None:
            log.error("SM4 key of MN %s not loaded: it does not open with this master key "
                      "(sealed under another one?); its encrypted packets get no_key", mn)
        else:
            keys[mn] = key
    return keys


def store_keys(store: Store) -> dict[str, bytes]:
    """Every MN's key in clear under the store's master key file (`master_key_path`); empty
    when the file is absent. A receiver's refresh (and its worker processes) use this."""
    master, _, _ = open_master_key(store.target)
    return load_keys(store, master)


def pending_rotations(store: Store) -> dict[str, tuple[str, bytes]]:
    """MN -> (QN of its 1014, new key) of every rotation waiting for the unit."""
    master, _, _ = open_master_key(store.target)
    if master is None:
        return {}
    pending = {}
    for mn, sealed, qn in store.query(
            "SELECT mn, pending, pending_qn FROM sm4_keys WHERE pending IS NOT NULL"):
        key = _opens(master, mn, sealed)
        if key is None:
            log.error("pending SM4 key of MN %s does not open with this master key: its "
                      "rotation is not sent", mn)
        else:
            pending[mn] = (qn, key)
    return pending


def begin_rotation(store: Store, mn: str, master: bytes, qn: str) -> tuple[bytes, bytes]:
    """A new random key for `mn`, kept as pending until the unit confirms the 1014 with QN
    `qn`: (current key, new key). The current key stays in force meanwhile."""
    rows = store.query("SELECT sealed FROM sm4_keys WHERE mn = ?", [mn])
    if not rows:
        raise OptionError("MN", f"{mn!r} has no SM4 key: set one first (envmon keys set)")
    current = _open(master, mn, rows[0][0])
    new = secrets.token_bytes(KEY_BYTES)
    now = now_beijing()
    with store.transaction():
        store.execute("UPDATE sm4_keys SET pending = ?, pending_qn = ? WHERE mn = ?",
                      [_seal(master, mn, new), qn, mn])
        _audit(store, "rotate_requested", mn, f"CN 1014 QN={qn}", now)
    return current, new


def finish_rotation(store: Store, mn: str, qn: str, ok: bool) -> bool:
    """The unit answered the 1014 `qn`: on success the pending key replaces the current one
    (rotated now); either way one audit row. False when no such rotation is pending."""
    rows = store.query("SELECT pending FROM sm4_keys WHERE mn = ? AND pending_qn = ?", [mn, qn])
    if not rows or rows[0][0] is None:
        return False
    now = now_beijing()
    with store.transaction():
        if ok:
            store.execute("UPDATE sm4_keys SET sealed = pending, rotated_at = ?, pending = NULL, "
                          "pending_qn = NULL WHERE mn = ?", [now, mn])
        else:
            store.execute("UPDATE sm4_keys SET pending = NULL, pending_qn = NULL WHERE mn = ?",
                          [mn])
        _audit(store, "rotate_done" if ok else "rotate_refused", mn, f"QN={qn}", now)
    return True


class KeyCache:
    """The receiver's key lookup (MN -> key or None), replaced whole on each refresh."""

    def __init__(self, keys: dict[str, bytes] | None = None) -> None:
        self.keys: dict[str, bytes] = dict(keys or {})

    def __call__(self, mn: str) -> bytes | None:
        return self.keys.get(mn)

    def replace(self, keys: dict[str, bytes]) -> None:
        self.keys = dict(keys)
