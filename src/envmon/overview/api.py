"""The use case `overview(store, options)`: today's figures at a glance.

* counts: points registered, networked today (sent data since midnight), online now (live
  connections of the running receiver; data in the last `ONLINE_WINDOW` without one), alarms
  opened today and alarms not closed;
* 即时有效传输率 so far today (the hours that have ended), for the province and per city,
  from the assessment (`assess.api.assess_period`), never computed twice;
* every point's state for the map: ``stopped`` (an exemption covers now), ``offline`` (an
  open offline alarm, or nothing received within `ONLINE_WINDOW`), ``alarm`` (another alarm
  not closed), else ``online``.

``region`` (a GB/T 2260 code prefix: "14" a province, "1401" a city, "140105" a county) keeps
the points of that region. New figures of the overview go here, not in the page or router.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from envmon.errors import OptionError
from envmon.timeutil import BEIJING_FIXED, now_beijing

# A point is taken as online without a live connection if it sent within the hour: the
# slowest regular upload is the hourly 2061 (HJ 212-2017 Table 4).
ONLINE_WINDOW = timedelta(hours=1)
STATES = ("online", "offline", "alarm", "stopped")
_REGION = re.compile(r"[0-9]{2,6}")


@dataclass(frozen=True)
class OverviewOptions:
    region: str | None = None
    """GB/T 2260 code prefix of the region to show (2-6 digits); None = everything."""

    def __post_init__(self) -> None:
        if self.region is not None and not _REGION.fullmatch(self.region):
            raise OptionError("--region", f"{self.region!r} is not a GB/T 2260 code prefix "
                                          "(2 to 6 digits, e.g. 14 or 1401)")


@dataclass(frozen=True)
class Overview:
    at: datetime
    region: str | None
    counts: dict[str, Any]
    instant: dict[str, Any] | None
    """The province's (or region's) 即时 figures so far today, None before 01:00."""
    cities: tuple[dict[str, Any], ...]
    points: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    default_stem = "overview"

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.astimezone(BEIJING_FIXED).isoformat(), "region": self.region,
                "counts": self.counts, "instant": self.instant, "cities": list(self.cities),
                "points": list(self.points)}

    def as_table(self):
        from envmon.render import Column, Table

        columns = [Column("mn", "MN"), Column("unit_name", "单位"), Column("city", "市"),
                   Column("county", "区县"), Column("state", "状态"),
                   Column("last_received", "最后接收")]
        return Table(f"总览 {self.at.astimezone(BEIJING_FIXED):%Y-%m-%d %H:%M}", columns,
                     [tuple(p[c.key] for c in columns) for p in self.points])


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(BEIJING_FIXED).isoformat()


def overview(store, options: OverviewOptions | None = None, *,
             online: set[str] | None = None, now: datetime | None = None,
             assess_config: Any = None) -> Overview:
    """Today's overview; `online` = the MNs with a live connection (the running receiver's),
    None when no receiver runs here."""
    options = options or OverviewOptions()
    now = (now or now_beijing()).astimezone(BEIJING_FIXED)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    prefix = (options.region or "") + "%"
    points = store.query(
        "SELECT r.mn, r.unit_name, r.city_code, r.city, r.county_code, r.county, "
        "       l.last_received "
        "FROM point_registry r LEFT JOIN ("
        "  SELECT mn, MAX(received_at) AS last_received FROM raw_packets "
        "  WHERE received_at >= ? AND verdict = 'accepted' GROUP BY mn) l ON l.mn = r.mn "
        "WHERE r.county_code LIKE ? ORDER BY r.mn", [midnight - timedelta(days=1), prefix])
    alarms: dict[str, set[str]] = {}
    for mn, rule in store.query(
            "SELECT mn, rule FROM alarms WHERE status <> 'closed'"):
        alarms.setdefault(mn, set()).add(rule)
    stopped = {mn for (mn,) in store.query(
        "SELECT p.mn FROM exemptions e JOIN points p ON p.unit_id = e.unit_id "
        "AND (e.mn IS NULL OR e.mn = p.mn) WHERE e.revoked_at IS NULL "
        "AND e.start_time <= ? AND ? < e.end_time", [now, now])}
    rows = []
    networked = online_count = 0
    for mn, unit_name, city_code, city, county_code, county, last in points:
        recent = last is not None and now - last <= ONLINE_WINDOW
        is_online = mn in online if online is not None else recent
        rules = alarms.get(mn, set())
        if mn in stopped:
            state = "stopped"
        elif "offline" in rules or not (is_online or recent):
            state = "offline"
        elif rules:
            state = "alarm"
        else:
            state = "online"
        networked += last is not None and last >= midnight
        online_count += bool(is_online)
        rows.append({"mn": mn, "unit_name": unit_name, "city_code": city_code, "city": city,
                     "county_code": county_code, "county": county, "state": state,
                     "last_received": _iso(last)})
    opened_today, not_closed = store.query(
        "SELECT COUNT(*) FILTER (WHERE opened_at >= ?), "
        "       COUNT(*) FILTER (WHERE status <> 'closed') "
        "FROM alarms WHERE mn IN (SELECT mn FROM point_registry WHERE county_code LIKE ?)",
        [midnight, prefix])[0]
    counts = {"registered": len(rows), "networked": networked, "online": online_count,
              "alarms_today": opened_today, "alarms_open": not_closed,
              "states": {s: sum(r["state"] == s for r in rows) for s in STATES}}
    instant, cities = _rates_today(store, midnight, now, options.region, assess_config)
    return Overview(now, options.region, counts, instant, tuple(cities), tuple(rows))


def _rates_today(store, midnight: datetime, now: datetime, region: str | None,
                 assess_config: Any) -> tuple[dict | None, list[dict]]:
    """即时 rates over today's ended hours: the region's (province) row and each city's."""
    from envmon.assess.api import AssessOptions, AssessSettings, assess_period
    from envmon.period import Period

    end = now.replace(minute=0, second=0, microsecond=0)
    if end <= midnight:
        return None, []
    period = Period(midnight, end)
    settings = AssessSettings(assess_config) if assess_config is not None else AssessSettings()
    result = assess_period(store, period, AssessOptions("city", settings, now))
    cities = [{"code": row["code"], "name": row["name"], "network_rate": row["network_rate"],
               "instant": row["instant"]}
              for row in result.as_json()["rows"]
              if region is None or str(row["code"]).startswith(region[:4])]
    provinces = assess_period(store, period, AssessOptions("province", settings, now))
    instant = None
    for row in provinces.as_json()["rows"]:
        if region is None or str(row["code"]).startswith(region[:2]):
            instant = {"code": row["code"], "name": row["name"],
                       "network_rate": row["network_rate"], **row["instant"]}
            break
    return instant, cities
