"""Point states for the overview: 在线 / 离线 / 报警 / 停产, one per registered point, now.

A point is
* ``offline`` (离线) when it has a not-closed offline alarm, or nothing arrived from it within
  `offline_after_s` (the alarm engine's threshold, `alarms.config`), or never;
* ``stopped`` (停产) when its latest recent record carries flag F (停运, HJ 212-2017 表 B.1);
* ``alarm`` (报警) when it has any other not-closed alarm;
* ``online`` (在线) otherwise.

The same names are the ``state`` of the ``point_state`` live event (`envmon.web.events`).
Coordinates come from the registry's ``longitude``/``latitude`` columns when the store has
them; until then a point sits near its city's seat at an offset derived from its MN (the same
place on every page and every run).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

STATES = ("online", "offline", "alarm", "stopped")

# Seats of 山西省's prefecture-level cities (GB/T 2260 code → longitude, latitude).
CITY_SEATS = {
    "140100": (112.549, 37.870), "140200": (113.300, 40.077), "140300": (113.580, 37.857),
    "140400": (113.116, 36.195), "140500": (112.852, 35.491), "140600": (112.433, 39.331),
    "140700": (112.753, 37.687), "140800": (111.007, 35.026), "140900": (112.734, 38.416),
    "141000": (111.519, 36.088), "141100": (111.144, 37.519),
}
PROVINCE_CENTRE = (112.3, 37.6)
SPREAD_DEG = 0.35  # points of a city within about ±35 km of its seat


@dataclass(frozen=True)
class PointState:
    mn: str
    state: str
    unit_id: str
    unit_name: str
    outlet_name: str
    kind: str
    city_code: str
    city: str
    county_code: str
    county: str
    longitude: float
    latitude: float
    last_seen_at: datetime | None

    def as_json(self) -> dict:
        out = dict(self.__dict__)
        out["last_seen_at"] = self.last_seen_at.isoformat() if self.last_seen_at else None
        return out


def placed(mn: str, city_code: str) -> tuple[float, float]:
    """A stable place near the city's seat for a point without registered coordinates."""
    lon, lat = CITY_SEATS.get(city_code, PROVINCE_CENTRE)
    digest = hashlib.sha256(mn.encode()).digest()
    dx = (digest[0] / 255 - 0.5) * 2 * SPREAD_DEG
    dy = (digest[1] / 255 - 0.5) * 2 * SPREAD_DEG
    return round(lon + dx, 5), round(lat + dy, 5)


def _has_coordinates(store) -> bool:
    rows = store.query("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 'points' AND column_name IN ('longitude', 'latitude')")
    return len(rows) == 2


def point_states(store, now: datetime, offline_after_s: float) -> list[PointState]:
    coords = ", p.longitude, p.latitude" if _has_coordinates(store) else ", NULL, NULL"
    registry = store.query(
        "SELECT r.mn, r.unit_id, r.unit_name, r.outlet_name, r.kind, r.city_code, r.city, "
        f"r.county_code, r.county{coords} "
        "FROM point_registry r JOIN points p ON p.mn = r.mn ORDER BY r.mn")
    seen = dict(store.query("SELECT mn, last_seen_at FROM alarm_point_state"))
    fresh_after = now - timedelta(seconds=offline_after_s)
    # What arrived within the threshold (a backlog of old hours counts: the unit is there).
    recent = {row[0]: row[1:] for row in store.query(
        "SELECT mn, MAX(data_time), MAX(CASE WHEN flag = 'F' THEN data_time END), "
        "MAX(received_at) FROM records WHERE received_at >= ? GROUP BY mn", [fresh_after])}
    alarms: dict[str, set[str]] = {}
    for mn, rule in store.query("SELECT mn, rule FROM alarms WHERE status <> 'closed'"):
        alarms.setdefault(mn, set()).add(rule)
    out = []
    for (mn, unit_id, unit_name, outlet, kind, city_code, city, county_code, county, lon,
         lat) in registry:
        last, last_stopped, received = recent.get(mn, (None, None, None))
        seen_at = max((t for t in (seen.get(mn), received) if t is not None), default=None)
        rules = alarms.get(mn, set())
        if "offline" in rules or seen_at is None or seen_at < fresh_after:
            state = "offline"
        elif last is not None and last_stopped == last:
            state = "stopped"
        elif rules:
            state = "alarm"
        else:
            state = "online"
        if lon is None or lat is None:
            lon, lat = placed(mn, city_code or "")
        out.append(PointState(mn, state, unit_id, unit_name or "", outlet or "", kind,
                              city_code or "", city or "", county_code or "", county or "",
                              float(lon), float(lat), seen_at))
    return out
