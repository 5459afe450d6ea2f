"""Each unit's public code (环保码): a random token, stable until rotated by hand.

The code is the only way to a unit's public card (`/card/{code}`), so it is unguessable: 96
bits from `secrets` (`token_urlsafe(12)`, 16 URL-safe characters), never derived from the
unit's id (a 统一社会信用代码 is public). Rotating replaces it at once (a placard that leaked
to the wrong place stops working); the count of rotations is kept.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from envmon.errors import OptionError
from envmon.timeutil import now_beijing

__all__ = ["CODE_PATTERN", "UnitCode", "code_for", "unit_of_code"]

CODE_BYTES = 12
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16}")
"""What a code looks like; anything else is not looked up at all."""


@dataclass(frozen=True)
class UnitCode:
    unit_id: str
    unit_name: str
    code: str
    created_at: datetime
    created_by: str
    rotated: int

    def as_json(self) -> dict:
        return {"unit_id": self.unit_id, "unit_name": self.unit_name, "code": self.code,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "rotated": self.rotated}


def _read(store, unit_id: str) -> UnitCode | None:
    rows = store.query("SELECT c.unit_id, u.name, c.code, c.created_at, c.created_by, "
                       "c.rotated FROM unit_codes c JOIN units u ON u.unit_id = c.unit_id "
                       "WHERE c.unit_id = ?", [unit_id])
    return UnitCode(*rows[0]) if rows else None


def code_for(store, unit_id: str, *, rotate: bool = False, by: str = "cli",
             now: datetime | None = None) -> UnitCode:
    """The unit's code, made on first use; `rotate` replaces it with a new one."""
    if not store.unit_exists(unit_id):
        raise OptionError("UNIT_ID", f"unknown unit {unit_id!r}")
    now = now or now_beijing()
    with store.transaction():
        current = _read(store, unit_id)
        if current is not None and not rotate:
            return current
        code = secrets.token_urlsafe(CODE_BYTES)
        if current is None:
            store.execute("INSERT INTO unit_codes (unit_id, code, created_at, created_by, "
                          "rotated) VALUES (?, ?, ?, ?, 0)", [unit_id, code, now, by])
        else:
            store.execute("UPDATE unit_codes SET code = ?, created_at = ?, created_by = ?, "
                          "rotated = rotated + 1 WHERE unit_id = ?", [code, now, by, unit_id])
    return _read(store, unit_id)


def unit_of_code(store, code: str) -> str | None:
    """The unit whose current code is `code`; None for anything else (never an error: the
    caller answers 404 whatever was wrong)."""
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        return None
    rows = store.query("SELECT unit_id FROM unit_codes WHERE code = ?", [code])
    return rows[0][0] if rows else None
