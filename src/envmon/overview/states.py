"""The one rule of a point's state (在线 / 离线 / 报警 / 停产), used by the overview use case
(`GET /api/v1/overview`, the 总览 page, the 点位 list) and by the live ``point_state`` events
(`envmon.web.publish`). A new input of the rule goes into `decide` and `point_states` here.

`decide` takes the rule's inputs; the first that holds wins:

1. ``stopped`` (停产) — an exemption (停产/停运 mark) covers now, or the latest record the
   point sent within its threshold carries flag F (停运, HJ 212-2017 表 B.1). First, because a
   stopped plant is expected to be silent (the alarm engine raises no offline alarm under an
   exemption) and its values are not exceedances;
2. ``offline`` (离线) — an offline alarm is not closed, or nothing arrived within the point's
   threshold (`offline_after`) and no live connection speaks for it (or it never sent);
3. ``alarm`` (报警) — any other alarm of it is not closed;
4. ``online`` (在线) otherwise.

The threshold is the alarm engine's (`AlarmEngine.offline_after`, its per-point cadence) when
an engine runs here; else the same formula over the store: the registry's upload interval
(`expected_interval_s`), else the cadence the engine learned (`alarm_point_state`), times
`offline_cadence_periods`, never below `offline_after_s` (`alarms.config.AlarmConfig`).

Coordinates are the registry's ``longitude``/``latitude``; a point without them sits near its
city's seat at an offset derived from its MN (the same place on every page and every run).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["CITY_SEATS", "PROVINCE_CENTRE", "SPREAD_DEG", "STATES", "PointState", "decide",
           "offline_threshold", "open_alarm_keys", "open_alarm_rules", "placed",
           "point_states"]

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


def decide(*, stopped: bool, offline_alarm: bool, silent: bool, other_alarm: bool) -> str:
    """The state from the rule's inputs (precedence: stopped, offline, alarm, online)."""
    if stopped:
        return "stopped"
    if offline_alarm or silent:
        return "offline"
    if other_alarm:
        return "alarm"
    return "online"


def offline_threshold(base_s: float, periods: float, cadence_s: float | None) -> float:
    """Seconds of silence before a point is offline: `base_s`, or `periods` of its cadence
    when that is longer (the alarm engine's `offline_after` is this formula)."""
    if cadence_s is None:
        return base_s
    return max(base_s, periods * cadence_s)


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
    inputs: dict = field(default_factory=dict, compare=False, repr=False)
    """The rule's inputs (`decide`'s keyword arguments), for the live tracker."""

    def as_json(self) -> dict:
        out = dict(self.__dict__)
        del out["inputs"]
        out["last_seen_at"] = self.last_seen_at.isoformat() if self.last_seen_at else None
        out["last_received"] = out["last_seen_at"]  # the overview's earlier name of it
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


def store_thresholds(store, alarm_config: Any = None) -> Callable[[str], float]:
    """`mn -> seconds` as the alarm engine computes it, from the store (no engine here)."""
    from envmon.alarms.config import AlarmConfig

    config = alarm_config or AlarmConfig()
    registered = dict(store.query(
        "SELECT mn, expected_interval_s FROM points WHERE expected_interval_s IS NOT NULL"))
    learned = dict(store.query(
        "SELECT mn, cadence_s FROM alarm_point_state WHERE cadence_s IS NOT NULL"))

    def threshold(mn: str) -> float:
        return offline_threshold(config.offline_after_s, config.offline_cadence_periods,
                                 registered.get(mn) or learned.get(mn))

    return threshold


def stopped_now(store, now: datetime) -> set[str]:
    """MNs an exemption (停产/停运 mark, not revoked) covers at `now`."""
    return {mn for (mn,) in store.query(
        "SELECT p.mn FROM exemptions e JOIN points p ON p.unit_id = e.unit_id "
        "AND (e.mn IS NULL OR e.mn = p.mn) WHERE e.revoked_at IS NULL "
        "AND e.start_time <= ? AND ? < e.end_time", [now, now])}


def open_alarm_keys(store) -> dict[str, set[tuple[str, str]]]:
    """MN → the (factor, rule) keys of its alarms that are not closed (the live tracker's:
    the engine reports the newest alarm of a key, so a key is what closes)."""
    alarms: dict[str, set[tuple[str, str]]] = {}
    for mn, factor, rule in store.query(
            "SELECT mn, factor, rule FROM alarms WHERE status <> 'closed'"):
        alarms.setdefault(mn, set()).add((factor, rule))
    return alarms


def open_alarm_rules(store) -> dict[str, set[str]]:
    """MN → the rules of its alarms that are not closed."""
    return {mn: {rule for _, rule in keys} for mn, keys in open_alarm_keys(store).items()}


def point_states(store, now: datetime, *, online: set[str] | frozenset[str] | None = None,
                 offline_after: Callable[[str], float] | None = None,
                 alarm_config: Any = None, region: str | None = None,
                 mn: str | None = None) -> list[PointState]:
    """Every registered point (of `region`, a GB/T 2260 prefix; or the one point `mn`) with
    its state at `now`.

    `online`: the MNs a live connection speaks for (the running receiver's), None when no
    receiver runs here; `offline_after`: the engine's per-point threshold, None = computed
    from the store with `alarm_config` (`store_thresholds`)."""
    offline_after = offline_after or store_thresholds(store, alarm_config)
    online = online or frozenset()
    coords = ", p.longitude, p.latitude" if _has_coordinates(store) else ", NULL, NULL"
    one, one_params = (" AND r.mn = ?", [mn]) if mn is not None else ("", [])
    registry = store.query(
        "SELECT r.mn, r.unit_id, r.unit_name, r.outlet_name, r.kind, r.city_code, r.city, "
        f"r.county_code, r.county{coords} "
        "FROM point_registry r JOIN points p ON p.mn = r.mn WHERE r.county_code LIKE ?"
        f"{one} ORDER BY r.mn", [(region or "") + "%", *one_params])
    seen = dict(store.query("SELECT mn, last_seen_at FROM alarm_point_state"))
    # What arrived within the longest threshold in use (a day at most: the slowest regular
    # upload, 2031, is daily); each point is then judged against its own.
    window = now - timedelta(seconds=max((offline_after(r[0]) for r in registry), default=0))
    window = max(window, now - timedelta(days=2))
    recent = {row[0]: row[1:] for row in store.query(
        "SELECT mn, MAX(data_time), MAX(CASE WHEN flag = 'F' THEN data_time END), "
        f"MAX(received_at) FROM records WHERE received_at >= ?{one.replace('r.', '')} "
        "GROUP BY mn", [window, *one_params])}
    alarms = open_alarm_rules(store)
    exempt = stopped_now(store, now)
    out = []
    for (mn, unit_id, unit_name, outlet, kind, city_code, city, county_code, county, lon,
         lat) in registry:
        last, last_stopped, received = recent.get(mn, (None, None, None))
        seen_at = max((t for t in (seen.get(mn), received) if t is not None), default=None)
        fresh_after = now - timedelta(seconds=offline_after(mn))
        silent = mn not in online and (seen_at is None or seen_at < fresh_after)
        flagged_f = (last is not None and last_stopped == last and received is not None
                     and received >= fresh_after)
        rules = alarms.get(mn, set())
        inputs = {"stopped": mn in exempt or flagged_f, "offline_alarm": "offline" in rules,
                  "silent": silent, "other_alarm": bool(rules - {"offline"})}
        state = decide(**inputs)
        if lon is None or lat is None:
            lon, lat = placed(mn, city_code or "")
        out.append(PointState(mn, state, unit_id, unit_name or "", outlet or "", kind,
                              city_code or "", city or "", county_code or "", county or "",
                              float(lon), float(lat), seen_at, inputs))
    return out
