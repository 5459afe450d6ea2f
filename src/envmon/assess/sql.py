"""The counting of transmission.md §2–3 as one SQL query (portable: DuckDB and PostgreSQL).

Counting unit: one hour (CN 2061) × one monitoring point × one assessed factor. Hours are cut
in Beijing time (the store's session time zone is Asia/Shanghai); an hourly record belongs to
the hour that starts at its DataTime (HJ 212-2017 Table 4, hj212.md §8).

The query returns one row per registered point with, per point (summed over its assessed
factors): should, instant received/valid, complete received/valid, and whether the point sent
an accepted packet in the period. The should-count is arithmetic (hours × factors − exempt
hours − standard-sample hours), so the work is proportional to the records, not to a grid of
every hour of every point.

Rules, each a parameter of `AssessConfig`:
- exempt hours (停产/停运/停排, table `exemptions`): the hour's start lies in [start, end) of
  a mark that existed at `as_of` and was not revoked by then, has a proof reference and was
  entered by the 10th of the next month (and, with `mark_within_days`, within N days of the
  hour): `envmon.assess.exemption_rules`, shared with emission accounting; out of should,
  received, valid.
- assessed factors: the point's registered factors but the parameters of
  `non_assessed_factors` (flow, O2, temperature, pressure, moisture, pH: transmission.md §2),
  optionally restricted to `factors`.
- hours outside a point's assessed dates (registry `assessed_from`/`assessed_to`, Beijing
  days, both included; `envmon.registry.assessed`) leave should, received and valid like
  exempt hours: a point registered mid-month is assessed on its own hours only.
- the copy the copy policy picks wins (as `records_first`, envmon.store.core_tables: the
  unit's own trusted copy first, then the first received); it counts for 即时 when
  received_at <= hour + instant_hours, for 补全 when received_at <= hour + complete_days.
  (Computed as one GROUP BY: the first received_at, and the flag when all copies agree; only
  hours whose copies disagree on the flag or on trust go through a window, which is ~6×
  faster on DuckDB than a window over every record.) A 2061 record whose DataTime is not on
  the hour is not an hourly value (HJ 212-2017 Table 4: DataTime is the period start) and is
  not counted.
- valid: the first copy's flag is in `valid_flags` and no manual correction (修约) marks the
  hour invalid. The receiver stores an implausible item (empty, not a number, not finite,
  repeated with another value) with flag X and a value outside the point's instrument range
  with flag T (`envmon.ingest.records`), so this one flag rule also keeps them out of valid.
  A manual repair with proof made within the 补全 window counts as received and valid for 补全
  (never for 即时: it is not real-time data).
- minutes (`min_valid_minutes`, transmission.md §4): an hour whose minute records (CN 2051,
  received within the 补全 window) hold fewer than 45 distinct valid minutes is not valid
  for either variant (its reason: action 'short_minutes'); hours without minute data keep
  their hourly flag.
- water COD/NH3-N/TP/TN: the first hour of each Beijing day whose flag is a standard-sample
  flag leaves should (and received/valid).
- 联网 (`networked_by`): "received_at": at least one accepted packet (raw packet log)
  received in [start, end); "data_time" (default) also counts a record of the point (the
  unit's own copy) whose DataTime lies in [start, end), received by `as_of` however late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from envmon.assess import exemption_rules
from envmon.assess.config import AssessConfig
from envmon.registry.assessed import CURRENT_SQL as ASSESSED_DATES_SQL

HOUR = timedelta(hours=1)


def _literals(values: tuple[str, ...]) -> str:
    """A SQL IN-list of validated codes (AssessConfig checks they are alphanumeric)."""
    for v in values:
        if not v.replace("_", "").isalnum():
            raise ValueError(f"not a code: {v!r}")
    return ", ".join(f"'{v}'" for v in values)


def period_hours(start: datetime, end: datetime) -> int:
    """Number of whole hours in [start, end); both must be on the hour."""
    for what, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValueError(f"{what} must be timezone-aware (Beijing time)")
        if value.minute or value.second or value.microsecond:
            raise ValueError(f"{what} {value.isoformat()} is not on the hour")
    if end <= start:
        raise ValueError(f"the period is empty: {start.isoformat()} .. {end.isoformat()}")
    return int((end - start) / HOUR)


def _classified(
    config: AssessConfig, start: datetime, end: datetime, as_of: datetime,
    mns: list[str] | None = None,
) -> tuple[str, list[Any]]:
    """The WITH clause shared by the counts and the bulletin's hour details: CTEs `pf`
    (assessed point × factor, integer `pid`), `hours`, `ex`/`ex_n`/`ex_pid` (exempt hours) and
    `cls`: one row per observed, non-exempt point-factor-hour with its flag, correction and
    0/1 columns std, i_rec, i_val, c_rec, c_val. `mns` restricts it to some points."""
    period_hours(start, end)  # checks the bounds
    instant = f"INTERVAL '{config.instant_seconds} seconds'"
    complete = f"INTERVAL '{config.complete_seconds} seconds'"
    valid = _literals(config.valid_flags)
    filters = []
    if config.assessed_only:
        filters.append("u.assessed")
    if config.factors is not None:
        filters.append(f"f.factor IN ({_literals(config.factors) or 'NULL'})")
    if config.non_assessed_factors:
        filters.append(f"f.factor NOT IN ({_literals(config.non_assessed_factors)})")
    if mns is not None:
        filters.append(f"p.mn IN ({', '.join('?' for _ in mns) or 'NULL'})")
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    if config.standard_sample_exemption and (config.standard_sample_flags
                                             or config.standard_sample_cn):
        by_flag = (f"o.flag IN ({_literals(config.standard_sample_flags)})"
                   if config.standard_sample_flags else "1 = 0")
        by_cn = (  # HJ 212-2025: the check's own upload (CN 2062) within the hour
            f"EXISTS (SELECT 1 FROM records s WHERE s.mn = p.mn AND s.factor = p.factor "
            f"AND s.cn = {_literals((config.standard_sample_cn,))} AND s.data_time >= o.h "
            f"AND s.data_time < o.h + INTERVAL '1 hour')"
            if config.standard_sample_cn else "1 = 0")
        std_rule = (
            f"p.kind = 'water' AND p.factor IN ({_literals(config.standard_sample_factors)}) "
            f"AND ({by_flag} OR {by_cn})"
        )
    else:
        std_rule = "1 = 0"
    co_rules = ""
    ex_rules = exemption_rules.sql_conditions(config, "e", "hours.h")
    if config.marks_require_proof:
        co_rules += " AND (c.action <> 'repair' OR (c.proof IS NOT NULL AND c.proof <> ''))"
    not_invalidated = "(o.action IS NULL OR o.action <> 'invalidate')"
    minutes_on = "1 = 1" if config.min_valid_minutes is not None else "1 = 0"
    min_minutes = int(config.min_valid_minutes or 0)
    repaired = f"(o.action = 'repair' AND o.corrected_at <= o.h + {complete})"
    sql = f"""
WITH
pf AS (
    SELECT ROW_NUMBER() OVER (ORDER BY p.mn, f.factor) AS pid, p.mn, f.factor, p.kind
    FROM points p
    JOIN units u ON u.unit_id = p.unit_id
    JOIN point_factors f ON f.mn = p.mn
    {where}
),
hours AS (
    SELECT g.h FROM generate_series(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ),
                                    INTERVAL '1 hour') AS g(h)
),
assessed_dates AS ({ASSESSED_DATES_SQL}),
ex AS (
    SELECT DISTINCT p.mn, hours.h
    FROM exemptions e
    JOIN points p ON p.unit_id = e.unit_id AND (e.mn IS NULL OR e.mn = p.mn)
    JOIN hours ON hours.h >= e.start_time AND hours.h < e.end_time
    WHERE e.created_at <= ? AND (e.revoked_at IS NULL OR e.revoked_at > ?){ex_rules}
    UNION
    SELECT d.mn, hours.h
    FROM assessed_dates d
    JOIN hours ON hours.h < CAST(d.assessed_from AS TIMESTAMPTZ)
               OR hours.h >= CAST(d.assessed_to AS TIMESTAMPTZ) + INTERVAL '1 day'
),
ex_n AS (
    SELECT mn, COUNT(*) AS n FROM ex GROUP BY mn
),
ex_pid AS (
    SELECT pf.pid, ex.h FROM ex JOIN pf ON pf.mn = ex.mn
),
rr AS (
    SELECT pf.pid, r.data_time AS h, COALESCE(r.flag, '') AS flag, r.received_at, r.id,
           CASE WHEN COALESCE(r.trusted, TRUE) THEN 0 ELSE 1 END AS distrust
    FROM records r
    JOIN pf ON pf.mn = r.mn AND pf.factor = r.factor
    WHERE r.cn = '2061' AND r.data_time >= ? AND r.data_time < ? AND r.received_at <= ?
      AND r.received_at <= r.data_time + {complete}
      AND CAST(EXTRACT(EPOCH FROM r.data_time) AS BIGINT) % 3600 = 0
),
short AS (
    SELECT pf.pid, date_trunc('hour', r.data_time) AS h
    FROM records r
    JOIN pf ON pf.mn = r.mn AND pf.factor = r.factor
    WHERE {minutes_on} AND r.cn = '2051' AND r.data_time >= ? AND r.data_time < ?
      AND r.received_at <= ? AND r.received_at <= r.data_time + {complete}
    GROUP BY pf.pid, date_trunc('hour', r.data_time)
    HAVING COUNT(DISTINCT CASE WHEN COALESCE(r.flag, '') IN ({valid}) AND COALESCE(r.trusted, TRUE)
                               THEN r.data_time END) < {min_minutes}
),
agg AS (
    SELECT pid, h, MIN(received_at) AS received_at,
           MIN(flag) AS flag_lo, MAX(flag) AS flag_hi,
           MIN(distrust) AS distrust_lo, MAX(distrust) AS distrust_hi
    FROM rr
    GROUP BY pid, h
),
mixed AS (
    SELECT pid, h FROM agg WHERE flag_lo <> flag_hi OR distrust_lo <> distrust_hi
),
resolved AS (
    SELECT pid, h, flag, received_at FROM (
        SELECT rr.pid, rr.h, rr.flag, rr.received_at,
               ROW_NUMBER() OVER (PARTITION BY rr.pid, rr.h
                                  ORDER BY rr.distrust, rr.received_at, rr.id) AS rn
        FROM rr
        JOIN mixed ON mixed.pid = rr.pid AND mixed.h = rr.h
    ) ranked
    WHERE rn = 1
),
fr AS (
    SELECT a.pid, a.h, COALESCE(x.flag, a.flag_lo) AS flag,
           COALESCE(x.received_at, a.received_at) AS received_at
    FROM agg a
    LEFT JOIN resolved x ON x.pid = a.pid AND x.h = a.h
),
co AS (
    SELECT pid, h, action, created_at FROM (
        SELECT pf.pid, hours.h, c.action, c.created_at,
               ROW_NUMBER() OVER (PARTITION BY pf.pid, hours.h
                                  ORDER BY c.created_at DESC, c.id DESC) AS rn
        FROM corrections c
        JOIN pf ON pf.mn = c.mn AND (c.factor IS NULL OR c.factor = pf.factor)
        JOIN hours ON hours.h >= c.start_time AND hours.h < c.end_time
        WHERE c.created_at <= ? AND (c.revoked_at IS NULL OR c.revoked_at > ?){co_rules}
    ) latest
    WHERE rn = 1
),
obs AS (
    SELECT COALESCE(fr.pid, co.pid) AS pid, COALESCE(fr.h, co.h) AS h, fr.flag,
           fr.received_at, co.action, co.created_at AS corrected_at
    FROM fr
    FULL OUTER JOIN co ON co.pid = fr.pid AND co.h = fr.h
),
kept AS (
    SELECT o.* FROM obs o
    WHERE NOT EXISTS (SELECT 1 FROM ex_pid x WHERE x.pid = o.pid AND x.h = o.h)
),
std AS (
    SELECT pid, h FROM (
        SELECT o.pid, o.h,
               ROW_NUMBER() OVER (PARTITION BY o.pid, date_trunc('day', o.h)
                                  ORDER BY o.h) AS rn
        FROM kept o
        JOIN pf p ON p.pid = o.pid
        WHERE {std_rule}
    ) first_check
    WHERE rn = 1
),
cls AS (
    SELECT o.pid, o.h, o.flag,
           CASE WHEN o.action IS NULL AND short.pid IS NOT NULL AND o.flag IN ({valid})
                THEN 'short_minutes' ELSE o.action END AS action,
           CASE WHEN std.pid IS NULL THEN 0 ELSE 1 END AS std,
           CASE WHEN o.received_at <= o.h + {instant} THEN 1 ELSE 0 END AS i_rec,
           CASE WHEN o.received_at <= o.h + {instant} AND o.flag IN ({valid})
                     AND {not_invalidated} AND short.pid IS NULL THEN 1 ELSE 0 END AS i_val,
           CASE WHEN o.received_at IS NOT NULL OR {repaired} THEN 1 ELSE 0 END AS c_rec,
           CASE WHEN {repaired} OR (o.received_at IS NOT NULL AND o.flag IN ({valid})
                     AND {not_invalidated} AND short.pid IS NULL) THEN 1 ELSE 0 END AS c_val
    FROM kept o
    LEFT JOIN std ON std.pid = o.pid AND std.h = o.h
    LEFT JOIN short ON short.pid = o.pid AND short.h = o.h
)
"""
    params: list[Any] = [
        *(mns or []),  # pf
        start, end - HOUR,  # hours
        as_of, as_of,  # ex
        start, end, as_of,  # rr
        start, end, as_of,  # short
        as_of, as_of,  # co
    ]
    return sql, params


def point_counts_sql(
    config: AssessConfig, start: datetime, end: datetime, as_of: datetime
) -> tuple[str, list[Any]]:
    """SQL and parameters for the per-point counts of the period [start, end) as known at
    `as_of` (records received, marks made and revoked after it are ignored)."""
    hours = period_hours(start, end)
    with_clause, params = _classified(config, start, end, as_of)
    online = ("SELECT mn FROM raw_packets WHERE verdict = 'accepted' "
              "AND received_at >= ? AND received_at < ? AND received_at <= ?")
    online_params: list[Any] = [start, end, as_of]
    if config.networked_by == "data_time":
        online += (" UNION SELECT mn FROM records WHERE data_time >= ? AND data_time < ? "
                   "AND received_at <= ? AND COALESCE(trusted, TRUE)")
        online_params += [start, end, as_of]
    sql = with_clause + f""",
per_factor AS (
    SELECT pid,
           SUM(std) AS std_n,
           SUM(CASE WHEN std = 0 THEN i_rec ELSE 0 END) AS i_rec,
           SUM(CASE WHEN std = 0 THEN i_val ELSE 0 END) AS i_val,
           SUM(CASE WHEN std = 0 THEN c_rec ELSE 0 END) AS c_rec,
           SUM(CASE WHEN std = 0 THEN c_val ELSE 0 END) AS c_val
    FROM cls
    GROUP BY pid
),
per_point AS (
    SELECT pf.mn,
           COUNT(*) AS factors,
           SUM({hours} - COALESCE(ex_n.n, 0) - COALESCE(x.std_n, 0)) AS should,
           SUM(COALESCE(x.i_rec, 0)) AS i_rec,
           SUM(COALESCE(x.i_val, 0)) AS i_val,
           SUM(COALESCE(x.c_rec, 0)) AS c_rec,
           SUM(COALESCE(x.c_val, 0)) AS c_val
    FROM pf
    LEFT JOIN per_factor x ON x.pid = pf.pid
    LEFT JOIN ex_n ON ex_n.mn = pf.mn
    GROUP BY pf.mn
),
online AS ({online})
SELECT r.mn, r.unit_id, COALESCE(r.outlet_name, r.outlet_id) AS outlet,
       COALESCE(pp.factors, 0), COALESCE(pp.should, 0),
       COALESCE(pp.i_rec, 0), COALESCE(pp.i_val, 0), COALESCE(pp.c_rec, 0), COALESCE(pp.c_val, 0),
       CASE WHEN online.mn IS NULL THEN 0 ELSE 1 END AS networked
FROM point_registry r
LEFT JOIN per_point pp ON pp.mn = r.mn
LEFT JOIN online ON online.mn = r.mn
ORDER BY r.mn
"""
    params += online_params
    return sql, params


def hour_details_sql(
    config: AssessConfig, mns: list[str], start: datetime, end: datetime, as_of: datetime
) -> tuple[str, list[Any]]:
    """The hours of the given points that are due and not valid for 补全, for the bulletin's
    reasons: one row (mn, factor, hour, flag, action) per point-factor-hour; flag NULL means
    nothing received in the window, action 'invalidate' a manual invalid mark. Built on the
    same classification as the counts, so exempt and standard-sample hours are left out."""
    with_clause, params = _classified(config, start, end, as_of, mns)
    sql = with_clause + """
SELECT pf.mn, pf.factor, hours.h, c.flag, c.action
FROM pf
CROSS JOIN hours
LEFT JOIN cls c ON c.pid = pf.pid AND c.h = hours.h
WHERE NOT EXISTS (SELECT 1 FROM ex_pid x WHERE x.pid = pf.pid AND x.h = hours.h)
  AND COALESCE(c.std, 0) = 0 AND COALESCE(c.c_val, 0) = 0
ORDER BY pf.mn, hours.h, pf.factor
"""
    return sql, params
