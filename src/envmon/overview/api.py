"""The use case `overview(store, options)`: today's figures at a glance.

* counts: points registered, networked today (sent data since midnight), online now (every
  point not offline: 联网 and 在线 as the overview page counts them), alarms opened today and
  alarms not closed, points by state;
* 即时有效传输率 so far today (the hours that have ended), for the province and per city,
  from the assessment (`assess.api.assess_period`), never computed twice;
* every point's state for the map, by the one rule of `overview.states` (stopped, offline,
  alarm, online; also `point_states` alone, for the pages that list points).

``region`` (a GB/T 2260 code prefix: "14" a province, "1401" a city, "140105" a county) keeps
the points of that region. New figures of the overview go here, not in the page or router.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from envmon.errors import OptionError
from envmon.overview import states
from envmon.overview.states import STATES
from envmon.timeutil import BEIJING_FIXED, now_beijing

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


@dataclass(frozen=True)
class PointStatesOptions:
    now: datetime
    offline_after_s: float = 1800.0  # the alarm engine's default (`AlarmConfig.offline_after_s`)
    region: str | None = None

    def __post_init__(self) -> None:
        if not self.offline_after_s > 0:
            raise OptionError("offline_after_s", "must be a positive number of seconds")


@dataclass(frozen=True)
class PointStates:
    """Every registered point with its state now (`overview.states`), and the counts."""

    points: tuple  # of envmon.overview.states.PointState
    as_of: datetime

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for point in self.points:
            counts[point.state] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "counts": self.counts(),
                "points": [p.as_json() for p in self.points]}


def point_states(store, options: PointStatesOptions, *, online: set[str] | None = None,
                 offline_after: Callable[[str], float] | None = None) -> PointStates:
    """在线 / 离线 / 报警 / 停产 of every registered point at `options.now` (`states.decide`);
    `online`/`offline_after` as `overview` takes them."""
    from envmon.alarms.config import AlarmConfig

    config = AlarmConfig(offline_after_s=options.offline_after_s)
    return PointStates(tuple(states.point_states(
        store, options.now, online=online, offline_after=offline_after, alarm_config=config,
        region=options.region)), options.now)


def overview(store, options: OverviewOptions | None = None, *,
             online: set[str] | None = None, now: datetime | None = None,
             assess_config: Any = None, offline_after: Callable[[str], float] | None = None,
             alarm_config: Any = None) -> Overview:
    """Today's overview; `online` = the MNs with a live connection (the running receiver's),
    None when no receiver runs here; `offline_after` = the running alarm engine's per-point
    threshold (`AlarmEngine.offline_after`), None = the same rule over the store with
    `alarm_config` (the [alarms] settings; None = defaults)."""
    options = options or OverviewOptions()
    now = (now or now_beijing()).astimezone(BEIJING_FIXED)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    prefix = (options.region or "") + "%"
    points = states.point_states(store, now, online=online, offline_after=offline_after,
                                 alarm_config=alarm_config, region=options.region)
    rows = [p.as_json() for p in points]
    by_state = {s: sum(p.state == s for p in points) for s in STATES}
    networked = sum(p.last_seen_at is not None and p.last_seen_at >= midnight for p in points)
    opened_today, not_closed = store.query(
        "SELECT COUNT(*) FILTER (WHERE opened_at >= ?), "
        "       COUNT(*) FILTER (WHERE status <> 'closed') "
        "FROM alarms WHERE mn IN (SELECT mn FROM point_registry WHERE county_code LIKE ?)",
        [midnight, prefix])[0]
    counts = {"registered": len(rows), "networked": networked,
              "online": len(rows) - by_state["offline"],
              "alarms_today": opened_today, "alarms_open": not_closed, "states": by_state}
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
               "instant": row["instant"], "complete": row["complete"], "rank": row["rank"],
               "points": row["points"], "must_network": row["must_network"],
               "networked": row["networked"]}
              for row in result.as_json()["rows"]
              if region is None or str(row["code"]).startswith(region[:4])]
    provinces = assess_period(store, period, AssessOptions("province", settings, now))
    instant = None
    for row in provinces.as_json()["rows"]:
        if region is None or str(row["code"]).startswith(region[:2]):
            instant = {"code": row["code"], "name": row["name"],
                       "network_rate": row["network_rate"], **row["instant"],
                       "must_network": row["must_network"], "networked": row["networked"],
                       "complete": row["complete"]}
            break
    return instant, cities
