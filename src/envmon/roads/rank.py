"""Segment values over a period and the dirty/clean rankings (roads.md §1, §4.4–§4.7).

Value of a segment = median of its counted drive-pass means (portable SQL
`percentile_cont(0.5) WITHIN GROUP`), with IQR, n_passes, n_days (Beijing days), n_taxis.
Optional background normalisation against the hourly mean of the city stations
(`air_hourly` of `air_stations.type = 'city'`; Van den Bossche et al. 2015):
multiplicative `C · B̄ / B(t)` or additive `C − B(t) + B̄`; passes in hours without a background
keep their raw value. Eligible segments (≥ 8 days, ≥ 15 passes, ≥ 2 taxis by default) are
ranked; the others with data are counted as 数据不足.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from envmon.roads.stats import Eligibility, bootstrap_ci
from envmon.roads.storage import NoRoadNetwork
from envmon.timeutil import BEIJING_FIXED

POLLUTANTS = {"pm10": "PM10", "pm25": "PM2.5"}
NORMALISATIONS = ("none", "multiplicative", "additive")
UNASSIGNED = "未划区"


@dataclass
class SegmentValue:
    segment_id: str
    name: str
    road: str
    district: str | None
    length_m: float
    value: float
    q1: float
    q3: float
    n_passes: int
    n_days: int
    n_taxis: int
    eligible: bool


def _background_cte(pollutant: str) -> str:
    return f"""
    bg AS (
        SELECT h.start_time AS hour, AVG(h.{pollutant}) AS b
        FROM air_hourly h JOIN air_stations s ON s.code = h.station_code
        WHERE s.type = 'city' AND h.{pollutant} IS NOT NULL
          AND h.start_time >= ? AND h.start_time < ?
        GROUP BY h.start_time
    ),
    bgm AS (SELECT AVG(b) AS bbar FROM bg),
    """


def segment_values(store, start: datetime, end: datetime, pollutant: str = "pm10",
                   version: str | None = None, eligibility: Eligibility = Eligibility(),
                   normalise: str = "none") -> list[SegmentValue]:
    from envmon.roads.storage import latest_version

    if pollutant not in POLLUTANTS:
        raise ValueError(f"pollutant must be one of {', '.join(POLLUTANTS)}")
    if normalise not in NORMALISATIONS:
        raise ValueError(f"normalise must be one of {', '.join(NORMALISATIONS)}")
    version = version or latest_version(store)
    if version is None:
        raise NoRoadNetwork("no road network in the store; run `envmon roads network` first")
    col = f"{pollutant}_mean"
    params: list = []
    if normalise == "none":
        ctes, value = "", f"p.{col}"
        join = ""
    else:
        ctes = _background_cte(pollutant)
        params += [start, end]
        join = ("LEFT JOIN bg ON bg.hour = date_trunc('hour', p.start_time) "
                "CROSS JOIN bgm")
        value = (f"CASE WHEN bg.b > 0 THEN p.{col} * bgm.bbar / bg.b ELSE p.{col} END"
                 if normalise == "multiplicative" else
                 f"CASE WHEN bg.b IS NOT NULL THEN p.{col} - bg.b + bgm.bbar ELSE p.{col} END")
    sql = f"""
    WITH {ctes} pv AS (
        SELECT p.segment_id, p.device_id, p.start_time, {value} AS v
        FROM road_passes p {join}
        WHERE p.network_version = ? AND p.counted AND p.{col} IS NOT NULL
          AND p.start_time >= ? AND p.start_time < ?
    )
    SELECT pv.segment_id, s.name, s.road, s.district, s.length_m,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY pv.v) AS value,
           percentile_cont(0.25) WITHIN GROUP (ORDER BY pv.v) AS q1,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY pv.v) AS q3,
           COUNT(*) AS n_passes,
           COUNT(DISTINCT date_trunc('day', pv.start_time)) AS n_days,
           COUNT(DISTINCT pv.device_id) AS n_taxis
    FROM pv JOIN road_segments s
      ON s.network_version = ? AND s.segment_id = pv.segment_id
    GROUP BY pv.segment_id, s.name, s.road, s.district, s.length_m
    """
    params += [version, start, end, version]
    out = []
    for sid, name, road, district, length, value, q1, q3, n, d, k in store.query(sql, params):
        eligible = (d >= eligibility.min_days and n >= eligibility.min_passes
                    and k >= eligibility.min_taxis)
        out.append(SegmentValue(sid, name, road, district, length, float(value), float(q1),
                                float(q3), int(n), int(d), int(k), eligible))
    return out


def district_sentence(counts: dict[str, int]) -> str:
    """`其中，涉及小店区12条、杏花岭区1条。` (counts in descending order)."""
    if not counts:
        return "其中，无路段入列。"
    parts = "、".join(f"{d}{n}条" for d, n in counts.items())
    return f"其中，涉及{parts}。"


def _tally(items: list[SegmentValue]) -> dict[str, int]:
    c = Counter(s.district or UNASSIGNED for s in items)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def _item(rank: int, s: SegmentValue) -> dict:
    return {"rank": rank, "segment_id": s.segment_id, "name": s.name, "road": s.road,
            "district": s.district or UNASSIGNED, "value": round(s.value, 1),
            "n_passes": s.n_passes, "n_days": s.n_days, "n_taxis": s.n_taxis}


def list_length(eligible: int, top: int) -> int:
    """How many segments each list gets: `top`, or half the eligible segments when there are
    fewer than 2 × top, so the dirty and the clean list never name the same segment."""
    return min(top, eligible // 2)


def ranking(values: list[SegmentValue], start: datetime, end: datetime, pollutant: str,
            top: int = 20) -> dict:
    """The bulletin's JSON: dirty and clean top-N, district tallies, sentences, 数据不足."""
    eligible = [v for v in values if v.eligible]
    dirty = sorted(eligible, key=lambda v: (-v.value, v.segment_id))[:top]
    clean = sorted(eligible, key=lambda v: (v.value, v.segment_id))[:top]
    counts = {"dirty": _tally(dirty), "clean": _tally(clean)}
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "pollutant": pollutant,
        "dirty": [_item(i, s) for i, s in enumerate(dirty, start=1)],
        "clean": [_item(i, s) for i, s in enumerate(clean, start=1)],
        "district_counts": counts,
        "sentence": {k: district_sentence(v) for k, v in counts.items()},
        "insufficient": sum(1 for v in values if not v.eligible),
    }


def pass_means(store, version: str, segment_id: str, start: datetime, end: datetime,
               pollutant: str) -> list[float]:
    rows = store.query(
        f"SELECT {pollutant}_mean FROM road_passes WHERE network_version = ? AND segment_id = ? "
        f"AND counted AND start_time >= ? AND start_time < ? AND {pollutant}_mean IS NOT NULL",
        [version, segment_id, start, end])
    return [r[0] for r in rows]


def all_pass_means(store, version: str, start: datetime, end: datetime, pollutant: str
                   ) -> dict[str, list[float]]:
    """Counted pass means per segment over the period (one query)."""
    out: dict[str, list[float]] = {}
    for sid, v in store.query(
        f"SELECT segment_id, {pollutant}_mean FROM road_passes WHERE network_version = ? "
        f"AND counted AND start_time >= ? AND start_time < ? AND {pollutant}_mean IS NOT NULL",
        [version, start, end],
    ):
        out.setdefault(sid, []).append(v)
    return out


def with_ci(store, version: str, values: list[SegmentValue], start: datetime, end: datetime,
            pollutant: str) -> dict[str, tuple[float, float]]:
    """Bootstrap 90 % CI of the median of the measured pass means, per segment."""
    means = all_pass_means(store, version, start, end, pollutant)
    return {v.segment_id: bootstrap_ci(means.get(v.segment_id, [])) for v in values}


def store_stats(store, version: str, values: list[SegmentValue], start: datetime,
                end: datetime, pollutant: str, normalise: str = "none") -> int:
    """Keep the period's segment statistics (value, IQR, bootstrap CI, counts, eligibility)
    in `road_segment_stats`, replacing an earlier computation of the same period."""
    from datetime import UTC

    import pyarrow as pa

    ci = with_ci(store, version, values, start, end, pollutant)
    n = len(values)
    now = datetime.now(UTC)
    ts = pa.timestamp("us", tz="UTC")
    table = pa.table({
        "network_version": pa.array([version] * n, pa.string()),
        "period_from": pa.array([start] * n, ts), "period_to": pa.array([end] * n, ts),
        "pollutant": pa.array([pollutant] * n, pa.string()),
        "normalise": pa.array([normalise] * n, pa.string()),
        "segment_id": pa.array([v.segment_id for v in values], pa.string()),
        "value": pa.array([v.value for v in values], pa.float64()),
        "q1": pa.array([v.q1 for v in values], pa.float64()),
        "q3": pa.array([v.q3 for v in values], pa.float64()),
        "ci_low": pa.array([ci[v.segment_id][0] for v in values], pa.float64()),
        "ci_high": pa.array([ci[v.segment_id][1] for v in values], pa.float64()),
        "n_passes": pa.array([v.n_passes for v in values], pa.int32()),
        "n_days": pa.array([v.n_days for v in values], pa.int32()),
        "n_taxis": pa.array([v.n_taxis for v in values], pa.int32()),
        "eligible": pa.array([v.eligible for v in values], pa.bool_()),
        "computed_at": pa.array([now] * n, ts),
    })
    with store.transaction():
        store.execute("DELETE FROM road_segment_stats WHERE network_version = ? AND "
                      "period_from = ? AND period_to = ? AND pollutant = ? AND normalise = ?",
                      [version, start, end, pollutant, normalise])
        store.append("road_segment_stats", table)
    return n


def coverage(store, start: datetime, end: datetime, version: str | None = None,
             eligibility: Eligibility = Eligibility()) -> dict:
    """Coverage statistics (roads.md §4.8): share of segments (and km) with ≥ 1 counted pass
    per day and eligible over the period; match coverage per taxi per day."""
    from envmon.roads.storage import latest_version

    version = version or latest_version(store)
    if version is None:
        raise NoRoadNetwork("no road network in the store; run `envmon roads network` first")
    n_seg, km = store.query("SELECT COUNT(*), COALESCE(SUM(length_m), 0) / 1000 FROM "
                            "road_segments WHERE network_version = ?", [version])[0]
    daily = store.query(
        """SELECT CAST(date_trunc('day', start_time) AS DATE) AS day, COUNT(DISTINCT segment_id)
           FROM road_passes
           WHERE network_version = ? AND counted AND start_time >= ? AND start_time < ?
           GROUP BY 1 ORDER BY 1""", [version, start, end])
    # km per day: each segment once per day
    daily_km = dict(store.query(
        """SELECT day, SUM(length_m) / 1000 FROM (
               SELECT DISTINCT CAST(date_trunc('day', p.start_time) AS DATE) AS day,
                      p.segment_id, s.length_m
               FROM road_passes p JOIN road_segments s
                 ON s.network_version = p.network_version AND s.segment_id = p.segment_id
               WHERE p.network_version = ? AND p.counted AND p.start_time >= ?
                 AND p.start_time < ?) d GROUP BY day""", [version, start, end]))
    values = segment_values(store, start, end, "pm10", version, eligibility)
    lengths = {v.segment_id: v.length_m for v in values}
    eligible = [v.segment_id for v in values if v.eligible]
    taxi_days = store.query(
        "SELECT device_id, day, n_points, n_matched, n_idle FROM road_coverage "
        "WHERE network_version = ? AND day >= CAST(? AS DATE) AND day < CAST(? AS DATE) "
        "ORDER BY device_id, day",
        [version, start.astimezone(BEIJING_FIXED).date(), end.astimezone(BEIJING_FIXED).date()])
    share = (lambda n: round(n / n_seg, 4) if n_seg else 0.0)  # noqa: E731
    return {
        "network_version": version, "segments": n_seg, "km": round(km, 3),
        "with_data": len(values), "with_data_share": share(len(values)),
        "eligible": len(eligible), "eligible_share": share(len(eligible)),
        "eligible_km": round(sum(lengths[s] for s in eligible) / 1000, 3),
        "daily": [{"day": str(d), "segments": n, "share": share(n),
                   "km": round(daily_km.get(d, 0.0), 3)} for d, n in daily],
        "taxi_days": [{"device_id": dev, "day": str(day), "points": p, "matched": m,
                       "idle": i, "rate": round(m / p, 4) if p else 0.0}
                      for dev, day, p, m, i in taxi_days],
    }
