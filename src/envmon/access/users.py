"""The platform's users: add, list, disable, reset a password (the use cases of `envmon users`
and, later, of the admin pages), and the checks of a role against its region and unit.

Every change is written to the audit log (`access.audit.record`) with who made it and from
where. A user is never deleted (the audit log's names keep meaning someone): it is disabled,
which also ends its sessions and revokes its tokens. The last enabled administrator cannot be
disabled (nobody could then manage users but by the CLI on the store itself, which stays).
"""

from __future__ import annotations

import re
import time
import weakref
from dataclasses import dataclass
from typing import Any

from envmon.access import audit
from envmon.access.passwords import check_new_password, hash_password
from envmon.access.principal import Principal
from envmon.access.roles import ROLES, role_label
from envmon.access.scope import region_prefix
from envmon.errors import OptionError
from envmon.timeutil import now_beijing

__all__ = ["USER_COLUMNS", "NewUser", "UserList", "add_user", "check_role_scope",
           "disable_user", "find_user", "list_users", "reset_password", "users_exist"]

USERNAME = re.compile(r"[\w.@-]{1,64}")
SIX_DIGITS = re.compile(r"\d{6}")
USER_COLUMNS = ("username", "role", "role_zh", "region_code", "unit_id", "disabled",
                "created_by", "created_at", "changed_by", "changed_at")
COLUMN_LABELS_ZH = {"username": "用户名", "role": "角色", "role_zh": "角色名称",
                    "region_code": "行政区划", "unit_id": "单位", "disabled": "已停用",
                    "created_by": "创建人", "created_at": "创建时间", "changed_by": "修改人",
                    "changed_at": "修改时间"}

# Once a store has a user it has one for good (users are never deleted): remembered per store
# object for good; "none yet" is remembered for NO_USERS_RECHECK_S, so the web gate asks the
# table at most that often (in a worker thread, never on the loop) while there is none. A user
# added through this module is seen at once; another process cannot add one while serve holds
# the store.
_PRESENT: weakref.WeakKeyDictionary[Any, tuple[bool, float]] = weakref.WeakKeyDictionary()
NO_USERS_RECHECK_S = 2.0


def known_users_exist(store) -> bool | None:
    """What `users_exist` said lately, without asking the store: None when it must be asked."""
    known = _PRESENT.get(store)
    if known is None:
        return None
    present, at = known
    if present or time.monotonic() - at < NO_USERS_RECHECK_S:
        return present
    return None


def users_exist(store) -> bool:
    """Whether the store has any user (disabled ones too)."""
    known = known_users_exist(store)
    if known is not None:
        return known
    try:
        present = bool(store.query("SELECT 1 FROM users LIMIT 1"))
    except Exception:  # a store older than schema 11 opened read-only: no users table
        present = False
    _PRESENT[store] = (present, time.monotonic())
    return present


@dataclass(frozen=True)
class NewUser:
    """`envmon users add NAME --role ROLE [--region CODE] [--unit UNIT_ID]`."""

    username: str
    role: str
    region: str | None = None
    unit_id: str | None = None


def _check_username(name: str) -> str:
    name = (name or "").strip()
    if not USERNAME.fullmatch(name):
        raise OptionError("NAME", f"{name!r} is not a user name: 1 to 64 letters, digits or "
                          "._@-")
    return name


def _region_level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def _known_region(store, code: str) -> bool:
    if store.query("SELECT 1 FROM regions WHERE code = ?", [code]):
        return True
    prefix = region_prefix(code)
    return bool(store.query("SELECT 1 FROM units WHERE substr(county_code, 1, ?) = ? LIMIT 1",
                            [len(prefix), prefix]))


# Which region levels each role's --region may name (None: the role takes no region).
REGION_LEVELS = {"admin": None, "bureau": ("province", "city"), "district": ("city", "county"),
                 "officer": ("province", "city", "county"), "enterprise": None,
                 "readonly": ("province", "city", "county")}


def check_role_scope(store, user: NewUser) -> tuple[str | None, str | None]:
    """The (region code, unit id) the user is kept with, or `OptionError` naming --role,
    --region or --unit: district needs a city or county region, enterprise a unit of the
    registry (its region is the unit's county), admin takes neither."""
    role = (user.role or "").strip()
    if role not in ROLES:
        raise OptionError("--role", f"{role!r} is not a role; choose one of "
                          f"{', '.join(ROLES)}")
    region = (user.region or "").strip() or None
    unit = (user.unit_id or "").strip() or None
    if unit is not None and role != "enterprise":
        raise OptionError("--unit", f"only an enterprise user has a unit, not {role} "
                          f"({role_label(role)})")
    if role == "enterprise":
        if unit is None:
            raise OptionError("--unit", "an enterprise user needs --unit UNIT_ID (统一社会信用代码 "
                              "of a unit of the registry)")
        if region is not None:
            raise OptionError("--region", "an enterprise user's region is its unit's; leave "
                              "--region out")
        found = store.query("SELECT county_code FROM units WHERE unit_id = ?", [unit])
        if not found:
            raise OptionError("--unit", f"no unit {unit} in the registry")
        return found[0][0], unit
    levels = REGION_LEVELS[role]
    if region is None:
        if role == "district":
            raise OptionError("--region", "a district user needs --region CODE: its county "
                              "(e.g. 140105) or city (e.g. 140100)")
        return None, None
    if levels is None:
        raise OptionError("--region", f"an {role} user sees every region; leave --region out")
    if not SIX_DIGITS.fullmatch(region):
        raise OptionError("--region", f"{region!r} is not a six-digit GB/T 2260 code")
    if _region_level(region) not in levels:
        raise OptionError("--region", f"a {role} user's region is a {' or '.join(levels)} "
                          f"code; {region} is a {_region_level(region)} code")
    if not _known_region(store, region):
        raise OptionError("--region", f"{region} is not a region of the registry")
    return region, None


def find_user(store, username: str) -> tuple | None:
    """(username, role, region_code, unit_id, password_hash, disabled) or None."""
    rows = store.query("SELECT username, role, region_code, unit_id, password_hash, disabled "
                       "FROM users WHERE username = ?", [username])
    return rows[0] if rows else None


def principal_of(row: tuple, via: str, csrf: str | None = None) -> Principal:
    return Principal(row[0], row[1], row[2], row[3], via=via, csrf=csrf)


def add_user(store, user: NewUser, password: str, *, by: Principal | str, address: str,
             min_password_length: int) -> dict[str, Any]:
    """Add a user (audited); `OptionError` for a name taken or a bad role, region, unit or
    password."""
    name = _check_username(user.username)
    region, unit = check_role_scope(store, user)
    check_new_password(password, min_password_length)
    if find_user(store, name) is not None:
        raise OptionError("NAME", f"the user {name} exists already (reset its password with "
                          "`envmon users reset-password`)")
    who = by.username if isinstance(by, Principal) else by
    password_hash = hash_password(password)
    now = now_beijing()
    with store.transaction():
        store.execute("INSERT INTO users (username, role, region_code, unit_id, password_hash,"
                      " disabled, created_by, created_at) VALUES (?, ?, ?, ?, ?, false, ?, ?)",
                      [name, user.role.strip(), region, unit, password_hash, who, now])
        audit.record(store, by, "user.add", name, {"role": user.role.strip(),
                     "region": region, "unit": unit}, address, now=now)
    _PRESENT[store] = (True, time.monotonic())
    return {"username": name, "role": user.role.strip(), "region_code": region,
            "unit_id": unit}


def _name_hash(name: str) -> str:
    from envmon.access.credentials import digest  # credentials imports this module

    return digest(name)


def _require(store, username: str) -> tuple:
    row = find_user(store, (username or "").strip())
    if row is None:
        raise OptionError("NAME", f"no user {username!r}")
    return row


def end_credentials(store, username: str, by: str, now) -> None:
    """End the user's page sessions and revoke its API tokens (disabled, password reset)."""
    store.execute("UPDATE web_sessions SET ended_at = ? WHERE username = ? AND ended_at IS "
                  "NULL", [now, username])
    store.execute("UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE username = ? "
                  "AND revoked_at IS NULL", [now, by, username])


def disable_user(store, username: str, *, by: Principal | str, address: str) -> dict[str, Any]:
    row = _require(store, username)
    if row[5]:
        raise OptionError("NAME", f"the user {row[0]} is disabled already")
    if row[1] == "admin":
        others = store.query("SELECT count(*) FROM users WHERE role = 'admin' AND NOT "
                             "disabled AND username <> ?", [row[0]])[0][0]
        if not others:
            raise OptionError("NAME", f"{row[0]} is the last enabled administrator; add "
                              "another first")
    who = by.username if isinstance(by, Principal) else by
    now = now_beijing()
    with store.transaction():
        store.execute("UPDATE users SET disabled = true, changed_by = ?, changed_at = ? "
                      "WHERE username = ?", [who, now, row[0]])
        end_credentials(store, row[0], who, now)
        audit.record(store, by, "user.disable", row[0], None, address, now=now)
    return {"username": row[0], "disabled": True}


def reset_password(store, username: str, password: str, *, by: Principal | str, address: str,
                   min_password_length: int) -> dict[str, Any]:
    """A new password (audited, never the password); ends the user's sessions and tokens
    and clears its failed logins (a locked-out user can log in at once)."""
    row = _require(store, username)
    check_new_password(password, min_password_length)
    who = by.username if isinstance(by, Principal) else by
    password_hash = hash_password(password)
    now = now_beijing()
    with store.transaction():
        store.execute("UPDATE users SET password_hash = ?, changed_by = ?, changed_at = ? "
                      "WHERE username = ?", [password_hash, who, now, row[0]])
        end_credentials(store, row[0], who, now)
        store.execute("DELETE FROM login_failures WHERE name_hash = ?", [_name_hash(row[0])])
        audit.record(store, by, "user.reset_password", row[0], None, address, now=now)
    return {"username": row[0], "password": "changed"}


@dataclass(frozen=True)
class UserList:
    """Users by name (never a hash)."""

    users: tuple[tuple, ...]
    default_stem: str = "users"

    def as_json(self) -> list[dict[str, Any]]:
        return [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                 for k, v in zip(USER_COLUMNS, row, strict=True)} for row in self.users]

    def as_table(self):
        from envmon.render import Column, Table

        return Table("用户", [Column(c, COLUMN_LABELS_ZH[c]) for c in USER_COLUMNS],
                     list(self.users))


def list_users(store) -> UserList:
    rows = store.query("SELECT username, role, region_code, unit_id, disabled, created_by, "
                       "created_at, changed_by, changed_at FROM users ORDER BY username")
    return UserList(tuple((r[0], r[1], role_label(r[1]), *r[2:]) for r in rows))
