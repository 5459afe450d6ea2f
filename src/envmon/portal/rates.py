"""A unit's daily 即时/补全 effective transmission rates and what lowers them (the portal's
"D-1" view), computed by the assessment itself (`envmon.assess.compute.assess` over one
Beijing day or the month so far, and its `problem_hours` / `late_hours`): the portal never
counts on its own, so its figure is the bulletin's figure for the same day.

What lowers a rate, per point and hour (the factors together):

* ``missing`` (缺失) — nothing received by now;
* ``late`` (迟报) — received after the 补全 window: counts for neither rate;
* ``invalid_flag`` (无效标记) — the record's flag is not valid (HJ 212-2017 表 B.1);
* ``marked_invalid`` (人工标记无效) — an approved correction marks it invalid;
* ``short_minutes`` (分钟数据不足) — fewer valid minutes than the hour needs;
* ``instant_late`` (即时迟到) — received after the 即时 window but within 补全: lowers 即时 only.

Each hour names the mark that would explain it: a link to file one (`mark_link`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from envmon.assess.compute import assess, late_hours, problem_hours
from envmon.assess.config import AssessConfig
from envmon.timeutil import BEIJING_FIXED

__all__ = ["REASONS_ZH", "DayRates", "day_start", "lowering", "unit_rates"]

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
REASONS_ZH = {"missing": "缺失（未收到数据）", "late": "迟报（超过补全期限才收到）",
              "invalid_flag": "无效数据标记", "marked_invalid": "人工标记无效",
              "short_minutes": "分钟数据不足", "instant_late": "即时迟到（仅影响即时率）"}


def day_start(day: datetime) -> datetime:
    """Beijing midnight of `day`."""
    local = day.astimezone(BEIJING_FIXED)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _num(value) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class DayRates:
    """The unit's and each point's effective rates over [start, end) as known at `as_of`."""

    unit_id: str
    start: datetime
    end: datetime
    as_of: datetime
    unit: dict
    points: tuple

    def as_json(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "from": self.start.isoformat(),
                "to": self.end.isoformat(), "as_of": self.as_of.isoformat(),
                "unit": self.unit, "points": list(self.points)}


def _row(row) -> dict:
    return {"code": row.code, "name": row.name, "should": row.counts.should,
            "instant": {"received": row.counts.instant_received,
                        "valid": row.counts.instant_valid,
                        "effective_rate": _num(row.rate("instant"))},
            "complete": {"received": row.counts.complete_received,
                         "valid": row.counts.complete_valid,
                         "effective_rate": _num(row.rate("complete"))}}


def unit_rates(store, unit_id: str, start: datetime, end: datetime, as_of: datetime,
               config: AssessConfig | None = None) -> DayRates:
    """The assessment of [start, end) at `as_of`, the unit's rows only."""
    result = assess(store, start, end, config, as_of=as_of)
    unit = next((u for u in result.units if u.code == unit_id), None)
    points = tuple(_row(p) for p in result.points if p.parent.get("unit_id") == unit_id)
    return DayRates(unit_id, start, end, as_of, _row(unit) if unit else {}, points)


def _unit_mns(store, unit_id: str) -> list[str]:
    return [mn for (mn,) in store.query(
        "SELECT mn FROM points WHERE unit_id = ? ORDER BY mn", [unit_id])]


def _reason(flag: str | None, action: str | None, late: bool) -> str:
    if action == "invalidate":
        return "marked_invalid"
    if action == "short_minutes":
        return "short_minutes"
    if flag is None:
        return "late" if late else "missing"
    return "invalid_flag"


def _instant_late(store, config: AssessConfig, mns: list[str], start: datetime,
                  end: datetime, as_of: datetime) -> set[tuple[str, str, datetime]]:
    """(mn, factor, hour) of hourly records received after the 即时 window and within 补全."""
    if not mns:
        return set()
    marks = ", ".join("?" for _ in mns)
    rows = store.query(
        f"SELECT mn, factor, data_time, MIN(received_at) FROM records WHERE cn = '2061' "
        f"AND mn IN ({marks}) AND data_time >= ? AND data_time < ? AND received_at <= ? "
        f"AND COALESCE(trusted, TRUE) GROUP BY mn, factor, data_time", [*mns, start, end, as_of])
    out = set()
    for mn, factor, hour, first in rows:
        delay = (first - hour).total_seconds()
        if config.instant_seconds < delay <= config.complete_seconds:
            out.add((mn, factor, hour.astimezone(BEIJING_FIXED)))
    return out


def lowering(store, unit_id: str, start: datetime, end: datetime, as_of: datetime,
             config: AssessConfig | None = None) -> list[dict]:
    """The hours of [start, end) that lower the unit's rates, one row per point, hour and
    reason with the factors concerned, oldest first (only hours that have ended by
    `as_of`)."""
    config = config or AssessConfig()
    end = min(end, as_of.astimezone(BEIJING_FIXED).replace(minute=0, second=0,
                                                           microsecond=0))
    mns = _unit_mns(store, unit_id)
    if end <= start or not mns:
        return []
    late = late_hours(store, config, mns, start, end, as_of)
    grouped: dict[tuple, list[str]] = defaultdict(list)
    flags: dict[tuple, str | None] = {}
    bad = set()
    for mn, factor, hour, flag, action in problem_hours(store, config, mns, start, end,
                                                        as_of):
        hour = hour.astimezone(BEIJING_FIXED)
        bad.add((mn, factor, hour))
        key = (mn, hour, _reason(flag, action, (mn, factor, hour) in late))
        grouped[key].append(factor)
        flags[key] = flag
    for mn, factor, hour in _instant_late(store, config, mns, start, end, as_of):
        if (mn, factor, hour) not in bad:
            grouped[(mn, hour, "instant_late")].append(factor)
    rows = []
    for (mn, hour, reason), factors in sorted(grouped.items()):
        rows.append({"mn": mn, "hour": hour.isoformat(),
                     "hour_end": (hour + HOUR).isoformat(), "reason": reason,
                     "reason_zh": REASONS_ZH[reason], "factors": sorted(factors),
                     "flag": flags.get((mn, hour, reason)),
                     "mark_link": mark_link(unit_id, mn, hour)})
    return rows


def mark_link(unit_id: str, mn: str, hour: datetime) -> str:
    """The portal's mark form, filled in for this point and hour."""
    from urllib.parse import urlencode

    query = urlencode({"unit": unit_id, "mark_mn": mn, "mark_from": hour.isoformat(),
                       "mark_to": (hour + HOUR).isoformat()})
    return f"/portal?{query}#file-mark"
