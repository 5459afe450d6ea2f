"""Time conventions: HJ 212 times are Beijing time (Asia/Shanghai) without a zone suffix."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
# China has not observed DST since 1991, so a fixed offset is exact for all live data and
# far cheaper than ZoneInfo in the hot path.
BEIJING_FIXED = timezone(timedelta(hours=8), "CST")


def now_beijing() -> datetime:
    return datetime.now(BEIJING_FIXED)


def today_beijing() -> date:
    """Today's Beijing date: a bulletin's issue date, whatever zone the machine is set to
    (`date.today()` is the machine's date, a day off for part of every day elsewhere)."""
    return now_beijing().date()


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a time without an offset is Beijing time."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING_FIXED)
    return value
