"""The simulator's falsifying unit mode: a fleet of flue-gas points with hourly series, honest
ones and falsifying ones, each falsifying point carrying episodes of the screening's patterns
(`envmon.screen.PATTERNS`) on known hours — the ground truth of the tests and of
benchmarks/bench_screen.py.

Honest series (numpy, vectorised: a province of points in seconds): a production pattern
(continuous, two-shift or weekday) times AR(1) load noise; flow ∝ load; O2 higher at low
load; stack temperature rising with load; pollutants' 折算 values at 20–80 % of the limit
with AR(1) log-noise and rare honest spikes (some exceed); stops (flag F, flow and temperature
down); daily calibration (C) at a fixed hour and occasional maintenance (M); missing hours.
`write_fleet(store, fleet)` puts a fleet into a store (registry and 2061 records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from envmon.screen.series import FLOW, O2, TEMPERATURE, PointSeries

HOUR = timedelta(hours=1)
LIMITS = {"a21026": 35.0, "a21002": 50.0, "a34013": 10.0}  # ultra-low emission, mg/m³
O2_REF = 6.0
FALSIFY_PATTERNS = ("flat", "copied", "dilution", "clipping", "periodic", "flag_gaming",
                    "inconsistent")


class NoRoomError(ValueError):
    """A point has no free days left for another episode."""


@dataclass(frozen=True)
class Episode:
    mn: str
    pattern: str
    factor: str
    start: datetime
    end: datetime


@dataclass
class SimFleet:
    points: list[PointSeries]
    episodes: list[Episode] = field(default_factory=list)
    falsified: set[str] = field(default_factory=set)


def _ar1(rng, n: int, rho: float, sigma: float) -> np.ndarray:
    """A stationary AR(1) series of standard deviation `sigma` (scipy's linear filter)."""
    from scipy.signal import lfilter

    noise = rng.normal(0.0, sigma * np.sqrt(1 - rho * rho), n)
    noise[0] = rng.normal(0.0, sigma)
    return lfilter([1.0], [1.0, -rho], noise)


def honest_point(rng, mn: str, unit_id: str, start: datetime, n_hours: int) -> PointSeries:
    t = np.arange(n_hours)
    hour_of_day = (start.hour + t) % 24
    weekday = ((start.weekday() * 24 + start.hour + t) // 24) % 7
    kind = rng.integers(3)
    pattern = np.ones(n_hours)
    if kind == 1:  # two shifts: low load at night
        pattern = np.where((hour_of_day >= 22) | (hour_of_day < 6), 0.55, 1.0)
    elif kind == 2:  # weekdays: reduced at the weekend
        pattern = np.where(weekday >= 5, 0.6, 1.0)
    load = np.clip(pattern * (0.85 + _ar1(rng, n_hours, 0.9, 0.05)), 0.3, 1.1)
    flags = np.full(n_hours, "N", dtype="<U1")
    running = np.ones(n_hours, bool)
    if rng.random() < 0.3:  # one stop of 12–72 h
        first = int(rng.integers(0, max(1, n_hours - 72)))
        running[first:first + int(rng.integers(12, 73))] = False
        flags[~running] = "F"
    flow = np.where(running, rng.uniform(30, 300) * load * (1 + _ar1(rng, n_hours, 0.7, 0.02)),
                    rng.uniform(0, 2, n_hours))
    o2 = np.where(running, rng.uniform(6, 10) + 3 * (1 - load) + _ar1(rng, n_hours, 0.8, 0.25),
                  20.5)
    temperature = np.where(running, rng.uniform(40, 60) + 25 * load
                           + rng.normal(0, 1.5, n_hours), rng.uniform(12, 25))
    values = {FLOW: np.round(flow, 2), O2: np.round(o2, 2),
              TEMPERATURE: np.round(temperature, 1)}
    all_flags = {FLOW: flags.copy(), O2: flags.copy(), TEMPERATURE: flags.copy()}
    corrected = {}
    calibration_hour = int(rng.integers(24)) if rng.random() < 0.6 else None
    for factor, limit in LIMITS.items():
        level = limit * rng.uniform(0.2, 0.8)
        z = level * (0.7 + 0.35 * load) * np.exp(_ar1(rng, n_hours, rng.uniform(0.6, 0.9),
                                                       rng.uniform(0.08, 0.2)))
        spikes = rng.random(n_hours) < 0.003
        z = np.where(spikes, z * rng.uniform(1.5, 2.5, n_hours), z)
        z = np.where(running, z, 0.0)
        factor_flags = flags.copy()
        if calibration_hour is not None:
            factor_flags[(hour_of_day == calibration_hour) & running] = "C"
        if rng.random() < 0.5:  # one maintenance of 2–6 h
            first = int(rng.integers(0, n_hours - 6))
            factor_flags[first:first + int(rng.integers(2, 7))] = "M"
        corrected[factor] = np.round(z, 3)
        values[factor] = np.round(z * (21 - o2) / (21 - O2_REF), 3)
        all_flags[factor] = factor_flags
    missing = rng.random(n_hours) < 0.01
    for factor in values:
        values[factor] = np.where(missing, np.nan, values[factor])
        all_flags[factor] = np.where(missing, "", all_flags[factor])
    for factor in corrected:
        corrected[factor] = np.where(missing, np.nan, corrected[factor])
    return PointSeries(mn, unit_id, f"模拟单位{unit_id[-4:]}", "gas", start, n_hours,
                       dict(LIMITS), values, all_flags, corrected, O2_REF)


def _set(p: PointSeries, factor: str, hours: slice, corrected: np.ndarray) -> None:
    """Report `corrected` (折算) over `hours` as normal data, measured from the hours' O2."""
    p.corrected[factor][hours] = np.round(corrected, 3)
    o2 = p.values[O2][hours]
    p.values[factor][hours] = np.round(corrected * (21 - o2) / (21 - O2_REF), 3)
    p.flags[factor][hours] = "N"


def _days(rng, p: PointSeries, length: int, used: dict[str, set[int]]) -> tuple[int, int]:
    """Hours of `length` whole days of `p` that no other episode (nor a copy's source) has
    touched, so every episode stays as injected; marks them used."""
    taken = used.setdefault(p.mn, set())
    for _ in range(200):
        first = int(rng.integers(1, p.n_days - length))
        days = set(range(first - 1, first + length + 1))
        if not days & taken:
            taken.update(days)
            return first * 24, (first + length) * 24
    raise NoRoomError(f"no room for another episode of {length} days in {p.mn}")


def _running(p: PointSeries, first: int, last: int) -> None:
    """The unit runs over the hours (an injected episode is on a running unit). Hours when
    it was stopped (flag F, nothing received, cold flow) take values drawn at random from the
    point's own running hours, factor by factor: a running unit's data vary as they do, so
    the factors the episode does not falsify are not flat (constants here read as `flat`
    findings the ground truth does not list). The draws use their own random stream, so the
    fleet's other episodes stay as they were."""
    import zlib

    rng = np.random.default_rng([zlib.crc32(p.mn.encode()), first, last])
    hours = slice(first, last)
    median_flow = np.nanmedian(p.values[FLOW])
    stopped = ((p.flags[FLOW][hours] == "F") | ~np.isfinite(p.values[FLOW][hours])
               | (p.values[FLOW][hours] < 0.3 * median_flow))
    on = ((p.flags[FLOW] == "N") & np.isfinite(p.values[FLOW])
          & (p.values[FLOW] >= 0.3 * median_flow))
    on[hours] = False  # draw from the hours outside the episode
    for factor in p.values:
        window = p.values[factor][hours]
        empty = stopped | ~np.isfinite(window)
        pool = p.values[factor][on & np.isfinite(p.values[factor])]
        if empty.any():
            window[empty] = (rng.choice(pool, int(empty.sum())) if len(pool)
                             else np.nanmedian(p.values[factor]))
        p.flags[factor][hours] = np.where(empty | (p.flags[factor][hours] == "F"), "N",
                                          p.flags[factor][hours])
    p.values[O2][hours] = np.minimum(p.values[O2][hours], 12.0)
    warm = np.nanmedian(p.values[TEMPERATURE][on])
    p.values[TEMPERATURE][hours] = np.maximum(p.values[TEMPERATURE][hours], 0.8 * warm)
    for factor, limit in p.limits.items():
        window = p.corrected[factor][hours]
        pool = p.corrected[factor][on & (p.corrected[factor] > 0)]
        empty = ~(window > 0)
        if empty.any():
            window[empty] = rng.choice(pool, int(empty.sum())) if len(pool) else 0.4 * limit
        _set(p, factor, hours, window)


def inject(rng, p: PointSeries, pattern: str, fleet: list[PointSeries],
           used: dict[str, set[int]] | None = None) -> list[Episode]:
    """Falsify `p` with one episode of `pattern`; returns the ground truth. `used`: the days
    of each point already taken by episodes (none overlap)."""
    used = {} if used is None else used
    factor = str(rng.choice(list(p.limits)))
    limit = p.limits[factor]
    at = p.hour
    if pattern == "flat":
        first, last = _days(rng, p, int(rng.integers(2, 5)), used)
        _running(p, first, last)
        base = float(np.nanmedian(p.corrected[factor]))
        steps = rng.choice([0.0, 0.01], last - first) if rng.random() < 0.5 else 0.0
        _set(p, factor, slice(first, last), np.full(last - first, base) + steps)
        p.values[factor][first:last] = np.round(base + steps, 2)
        return [Episode(p.mn, pattern, factor, at(first), at(last))]
    if pattern == "copied":
        first, last = _days(rng, p, 1, used)
        _running(p, first, last)
        vector = None
        for _ in range(50):  # a complete, untouched past day (only past data can be pasted)
            source = p if rng.random() < 0.5 else fleet[int(rng.integers(len(fleet)))]
            day = int(rng.integers(0, first // 24))
            candidate = source.values[factor][day * 24:day * 24 + 24]
            if (day not in used.setdefault(source.mn, set())
                    and np.isfinite(candidate).all() and len(np.unique(candidate)) >= 12):
                used[source.mn].add(day)
                vector = candidate.copy()
                break
        if vector is None:
            return []
        copy = np.round(vector * rng.uniform(0.9, 1.1) + rng.uniform(-0.5, 0.5), 3)
        copy = np.maximum(copy, 0.001)
        p.values[factor][first:last] = copy
        p.flags[factor][first:last] = "N"
        o2 = p.values[O2][first:last]
        p.corrected[factor][first:last] = np.round(copy * (21 - O2_REF) / (21 - o2), 3)
        return [Episode(p.mn, pattern, factor, at(first), at(last))]
    if pattern == "dilution":
        first, last = _days(rng, p, int(rng.integers(2, 5)), used)
        _running(p, first, last)
        p.values[O2][first:last] = np.round(p.values[O2][first:last] + rng.uniform(3, 5), 2)
        _set(p, factor, slice(first, last), limit * rng.uniform(0.85, 0.97, last - first))
        return [Episode(p.mn, pattern, factor, at(first), at(last))]
    if pattern == "clipping":
        first, last = _days(rng, p, int(rng.integers(7, 15)), used)
        _running(p, first, last)
        true = limit * rng.uniform(0.9, 1.1) * np.exp(rng.normal(0, 0.12, last - first))
        clipped = np.where(true >= limit, limit * rng.uniform(0.9, 0.995, last - first), true)
        _set(p, factor, slice(first, last), clipped)
        hours = np.flatnonzero(true >= limit)
        return [Episode(p.mn, pattern, factor, at(first + int(hours[0])),
                        at(first + int(hours[-1]) + 1))]
    if pattern == "periodic":
        first, last = _days(rng, p, int(rng.integers(3, 7)), used)
        _running(p, first, last)
        period = float(rng.choice([rng.uniform(3.0, 4.6), rng.uniform(5.2, 5.8),
                                   rng.uniform(6.4, 7.6), rng.uniform(8.6, 11.4),
                                   rng.uniform(12.8, 22.0)]))
        base = float(np.nanmedian(p.corrected[factor]))
        t = np.arange(last - first)
        wave = base * (1 + rng.uniform(0.04, 0.1) * np.sin(2 * np.pi * t / period
                                                           + rng.uniform(0, 6.3))
                       + rng.normal(0, 0.005, last - first))
        _set(p, factor, slice(first, last), wave)
        return [Episode(p.mn, pattern, factor, at(first), at(last))]
    if pattern == "flag_gaming":
        out = []
        keep_values = rng.random() < 0.5
        taken = used.setdefault(p.mn, set())
        free = [d for d in range(2, p.n_days - 1) if d not in taken]
        starts = rng.choice(free, size=min(5, len(free)), replace=False)
        taken.update(int(d) for d in starts)
        for day_start in np.sort(starts) * 24:
            first = int(day_start + rng.integers(2, 18))
            length = int(rng.integers(2, 5))
            _running(p, first - 1, first + length + 1)
            peak = limit * rng.uniform(1.2, 1.8, length)
            edges = limit * rng.uniform(0.85, 0.98, 2)
            _set(p, factor, slice(first - 1, first), edges[:1])
            _set(p, factor, slice(first + length, first + length + 1), edges[1:])
            _set(p, factor, slice(first, first + length), peak)
            if not keep_values:  # the value held at the hour before
                p.corrected[factor][first:first + length] = edges[0]
                p.values[factor][first:first + length] = p.values[factor][first - 1]
            p.flags[factor][first:first + length] = str(rng.choice(["M", "C"]))
            out.append(Episode(p.mn, pattern, factor, at(first), at(first + length)))
        return out
    if pattern == "inconsistent":
        first, last = _days(rng, p, int(rng.integers(1, 3)), used)
        _running(p, first, last)
        p.values[TEMPERATURE][first:last] = np.round(rng.uniform(10, 25)
                                                     + rng.normal(0, 1, last - first), 1)
        return [Episode(p.mn, pattern, TEMPERATURE, at(first), at(last))]
    raise ValueError(f"unknown pattern {pattern!r}")


def falsified_fleet(n_points: int, start: datetime, n_hours: int, seed: int, *,
                    falsifying_share: float = 0.3,
                    patterns: tuple[str, ...] = FALSIFY_PATTERNS) -> SimFleet:
    """`n_points` gas points over `n_hours` from `start`; a `falsifying_share` of them carry
    one episode of each of one or two patterns (every pattern as often as the others)."""
    rng = np.random.default_rng(seed)
    points = [honest_point(rng, f"SCR{seed % 1000:03d}{k:017d}", f"91140000SCR{k // 2:07d}",
                           start, n_hours) for k in range(n_points)]
    fleet = SimFleet(points)
    n_false = int(round(falsifying_share * n_points))
    chosen = rng.choice(n_points, size=n_false, replace=False)
    used: dict[str, set[int]] = {}
    for j, k in enumerate(sorted(chosen.tolist())):
        p = points[k]
        first = patterns[j % len(patterns)]
        kinds = [first]
        if rng.random() < 0.3:
            kinds.append(patterns[(j + 3) % len(patterns)])
        for pattern in kinds:
            try:
                fleet.episodes += inject(rng, p, pattern, points, used)
            except NoRoomError:
                continue  # the point's days are taken by its other episode
        fleet.falsified.add(p.mn)
    return fleet


def write_fleet(store, fleet: SimFleet) -> None:
    """The fleet's registry and its 2061 records (avg, zs_avg, flag) into `store`."""
    from envmon.registry.importer import import_rows
    from envmon.store import RawPacketRow, RecordRow

    import_rows(store, [{
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": p.unit_id, "unit_name": p.unit_name,
        "must_network": "1", "assessed": "1", "outlet_id": f"DA{k:03d}",
        "outlet_name": "烟囱", "kind": "gas", "mn": p.mn, "pw": "123456",
        "factors": ";".join(f"{f}:{v:g}" for f, v in p.limits.items()),
        "o2_ref": f"{p.o2_ref:g}", "standard": ""} for k, p in enumerate(fleet.points)])
    for p in fleet.points:
        records = []
        for i in range(p.n_hours):
            t = p.hour(i)
            for factor, values in p.values.items():
                flag = str(p.flags[factor][i])
                if not flag:
                    continue
                value = float(values[i])
                zs = float(p.corrected[factor][i]) if factor in p.corrected else None
                records.append(RecordRow(
                    p.mn, "2061", t, factor, factor, None, value, None, None, None, None,
                    zs if zs is not None and np.isfinite(zs) else None, flag, None, None,
                    t + HOUR, None))
        store.write_batch([RawPacketRow(p.start, "sim", "accepted", None, p.mn, "2061",
                                        None, b"")], records)


# ------------------------------------------------------------------------------ use case
@dataclass(frozen=True)
class FalsifyOptions:
    """The options of `envmon simulate-falsifying`, each with its CLI default."""

    points: int = 50
    seed: int = 1
    share: float = 0.3

    def __post_init__(self) -> None:
        from envmon.errors import OptionError

        if not 1 <= self.points <= 100_000:
            raise OptionError("--points", f"must be 1 to 100000, not {self.points}")
        if not 0.0 <= self.share <= 1.0:
            raise OptionError("--share", f"must be a fraction 0–1, not {self.share!r}")


@dataclass(frozen=True)
class FalsifyResult:
    """What was written: the points, the falsifying ones and the ground truth (episodes)."""

    period: object
    fleet: SimFleet

    def as_json(self) -> dict:
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                "points": len(self.fleet.points), "falsifying": sorted(self.fleet.falsified),
                "episodes": [{"mn": e.mn, "pattern": e.pattern, "factor": e.factor,
                              "from": e.start.isoformat(), "to": e.end.isoformat()}
                             for e in self.fleet.episodes]}

    def as_table(self):
        from envmon.render import Column, Table

        return Table("模拟造假点位（真值）", [
            Column("mn", "监测点位 MN", 26), Column("pattern", "特征", 14),
            Column("factor", "因子"), Column("from", "起", 25), Column("to", "止", 25)],
            [(e.mn, e.pattern, e.factor, e.start.isoformat(), e.end.isoformat())
             for e in self.fleet.episodes])


def simulate_falsifying(store, period, options: FalsifyOptions) -> FalsifyResult:
    """A fleet of honest and falsifying gas points over `period` (whole days) written into
    `store` (registry and 2061 records), with the ground truth of every episode."""
    from envmon.errors import OptionError

    n_hours = int((period.end - period.start) / HOUR)
    if n_hours < 14 * 24 or n_hours % 24:
        raise OptionError("--month", "give whole days, at least 14 (the detectors compare "
                                     "days with the point's own)")
    fleet = falsified_fleet(options.points, period.start, n_hours, options.seed,
                            falsifying_share=options.share)
    write_fleet(store, fleet)
    return FalsifyResult(period, fleet)
