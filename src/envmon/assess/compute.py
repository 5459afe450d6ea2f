"""Run the assessment in the store and roll it up: point → unit → county → city → province.

Per-point counts come from one SQL query (`envmon.assess.sql`); the roll-up sums counts
(transmission.md §2 "Aggregation") or, with `aggregate="mean_of_units"`, averages unit rates;
rates are exact fractions rounded once by GB/T 8170 (`envmon.assess.rates`).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from envmon.assess.config import AssessConfig
from envmon.assess.rates import (
    competition_ranks,
    mean_percent,
    percent,
    percent_fraction,
)
from envmon.assess.sql import hour_details_sql, point_counts_sql
from envmon.period import Period
from envmon.timeutil import BEIJING_FIXED, now_beijing

LEVELS = ("point", "unit", "county", "city", "province")
VARIANTS = ("instant", "complete")


@dataclass
class Counts:
    should: int = 0
    instant_received: int = 0
    instant_valid: int = 0
    complete_received: int = 0
    complete_valid: int = 0

    def add(self, other: Counts) -> None:
        self.should += other.should
        self.instant_received += other.instant_received
        self.instant_valid += other.instant_valid
        self.complete_received += other.complete_received
        self.complete_valid += other.complete_valid

    def received(self, variant: str) -> int:
        return getattr(self, f"{variant}_received")

    def valid(self, variant: str) -> int:
        return getattr(self, f"{variant}_valid")

    def exact(self, variant: str) -> dict[str, Fraction | None]:
        """Exact percentages of one variant (None when undefined)."""
        received, valid = self.received(variant), self.valid(variant)
        return {
            "transmission_rate": percent_fraction(received, self.should),
            "valid_rate": percent_fraction(valid, received),
            "effective_rate": percent_fraction(valid, self.should),
        }


@dataclass
class Row:
    """One row of the assessment at one level."""

    level: str
    code: str
    name: str
    must_network: int = 0
    networked: int = 0
    points: int = 0
    counts: Counts = field(default_factory=Counts)
    rates: dict[str, dict[str, Decimal | None]] = field(default_factory=dict)
    rank: int | None = None
    parent: dict[str, str] = field(default_factory=dict)  # unit_id, county_code, city_code …
    members: list[Row] = field(default_factory=list)  # the units below a region, points of a unit
    mean_exact: dict[str, Fraction | None] | None = None
    """With aggregate "mean_of_units": the exact mean of the units' effective rates."""

    def exact_rate(self, variant: str) -> Fraction | None:
        """The effective rate in percent, exact (unrounded): what the pass mark judges."""
        if self.mean_exact is not None:
            return self.mean_exact[variant]
        return self.counts.exact(variant)["effective_rate"]

    def passes(self, config: AssessConfig, variant: str = "complete") -> bool | None:
        """Whether the effective rate reaches the pass mark, judged on the full value unless
        `config.pass_compare` is "rounded" (GB/T 8170-2008 §4.3); None when undefined."""
        return config.passes(self.exact_rate(variant))

    @property
    def network_rate(self) -> Decimal | None:
        return percent(self.networked, self.must_network)

    def rate(self, variant: str, name: str = "effective_rate") -> Decimal | None:
        return self.rates[variant][name]

    def as_json(self) -> dict[str, Any]:
        def num(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        out: dict[str, Any] = {
            "level": self.level,
            "code": self.code,
            "name": self.name,
            "must_network": self.must_network,
            "networked": self.networked,
            "network_rate": num(self.network_rate),
            "points": self.points,
            "should": self.counts.should,
        }
        for variant in VARIANTS:
            out[variant] = {
                "received": self.counts.received(variant),
                "valid": self.counts.valid(variant),
                **{k: num(v) for k, v in self.rates[variant].items()},
            }
        out["rank"] = self.rank
        return out


@dataclass
class Assessment:
    start: datetime
    end: datetime
    as_of: datetime
    config: AssessConfig
    points: list[Row]
    units: list[Row]

    def level(self, level: str) -> list[Row]:
        """Rows of one level, sorted by the effective rate (config.rank_by), best first,
        ranked (ties share a rank; rows without a rate come last, unranked)."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        if level == "point":
            rows = self.points
        elif level == "unit":
            rows = self.units
        else:
            rows = _regions(self.units, level, self.config)
        return rank_rows(rows, self.config.rank_by)

    def as_json(self, level: str) -> dict[str, Any]:
        return {
            "from": self.start.astimezone(BEIJING_FIXED).isoformat(),
            "to": self.end.astimezone(BEIJING_FIXED).isoformat(),
            "instant_hours": _plain_number(self.config.instant_hours),
            "complete_days": _plain_number(self.config.complete_days),
            "rows": [row.as_json() for row in self.level(level)],
        }


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def rank_rows(rows: list[Row], variant: str = "complete") -> list[Row]:
    """Sort best first by the (displayed, two-decimal) effective rate and set `rank`; ties
    share a rank; rows without a rate go last with rank None. Ties are judged on the
    published two-decimal value, as a reader of the bulletin would."""

    def key(row: Row) -> tuple:
        rate = row.rate(variant)
        return (rate is None, -(rate or 0), row.code)

    ordered = sorted(rows, key=key)
    for row, rank in zip(
        ordered, competition_ranks(ordered, lambda r: r.rate(variant)), strict=True
    ):
        row.rank = rank
    return ordered


def _sum_rates(counts: Counts) -> dict[str, dict[str, Decimal | None]]:
    return {
        variant: {k: percent(*_num_den(counts, variant, k)) for k in _RATE_NAMES}
        for variant in VARIANTS
    }


_RATE_NAMES = ("transmission_rate", "valid_rate", "effective_rate")


def _num_den(counts: Counts, variant: str, name: str) -> tuple[int, int]:
    received, valid = counts.received(variant), counts.valid(variant)
    if name == "transmission_rate":
        return received, counts.should
    if name == "valid_rate":
        return valid, received
    return valid, counts.should


def _mean_rates(units: list[Row]) -> dict[str, dict[str, Decimal | None]]:
    return {
        variant: {
            name: mean_percent([u.counts.exact(variant)[name] for u in units])
            for name in _RATE_NAMES
        }
        for variant in VARIANTS
    }


def _mean_fraction(values: list[Fraction | None]) -> Fraction | None:
    defined = [v for v in values if v is not None]
    return sum(defined, Fraction(0)) / len(defined) if defined else None


def _regions(units: list[Row], level: str, config: AssessConfig) -> list[Row]:
    key = {"county": "county_code", "city": "city_code", "province": "province_code"}[level]
    name_key = {"county": "county", "city": "city", "province": "province"}[level]
    groups: dict[str, list[Row]] = defaultdict(list)
    for unit in units:
        groups[unit.parent[key]].append(unit)
    rows = []
    for code, members in groups.items():
        row = Row(level=level, code=code, name=members[0].parent.get(name_key) or code)
        row.parent = {k: v for k, v in members[0].parent.items() if _above(k, level)}
        row.members = members
        for unit in members:
            row.must_network += unit.must_network
            row.networked += unit.networked if unit.must_network else 0
            row.points += unit.points
            row.counts.add(unit.counts)
        if config.aggregate == "sum":
            row.rates = _sum_rates(row.counts)
        else:
            row.rates = _mean_rates(members)
            row.mean_exact = {
                variant: _mean_fraction([u.exact_rate(variant) for u in members])
                for variant in VARIANTS
            }
        rows.append(row)
    return rows


def _above(key: str, level: str) -> bool:
    order = {"county": 0, "city": 1, "province": 2}
    for name, rank in order.items():
        if key.startswith(name):
            return rank > order[level]
    return False


def assess(
    store,
    start: datetime,
    end: datetime,
    config: AssessConfig | None = None,
    *,
    as_of: datetime | None = None,
    chunk_days: int | None = 7,
) -> Assessment:
    """Assess the period [start, end) (Beijing hours) as known at `as_of` (default now).

    Runs the counting query in the store and builds point and unit rows; regions are rolled
    up on demand by `Assessment.level`. Every rule is per hour or per Beijing day, so the
    period is counted in chunks of `chunk_days` days cut at Beijing midnight and the counts
    are summed: memory stays bounded and time grows linearly with the data (None: one query).
    """
    config = config or AssessConfig()
    as_of = as_of or now_beijing()
    # Hours that have not ended by `as_of` are not yet due: a month in progress is assessed
    # on its elapsed hours only (otherwise its rates would fall as if the future were lost).
    elapsed_end = Period(start, end).ended_hours_end(as_of) if start < end else start
    point_counts = (_point_counts(store, config, start, elapsed_end, as_of, chunk_days)
                    if elapsed_end > start else [])
    registry = {
        r[0]: r
        for r in store.query(
            "SELECT mn, unit_id, unit_name, outlet_id, outlet_name, must_network FROM "
            "point_registry"
        )
    }
    units_sql = (
        "SELECT unit_id, unit_name, must_network, assessed, county_code, county, city_code, "
        "city, province_code, province FROM unit_registry ORDER BY unit_id"
    )
    unit_rows: dict[str, Row] = {}
    for (unit_id, unit_name, must, assessed, county_code, county, city_code, city,
         province_code, province) in store.query(units_sql):
        unit_rows[unit_id] = Row(
            level="unit", code=unit_id, name=unit_name, must_network=int(bool(must)),
            parent={
                "county_code": county_code, "county": county or county_code,
                "city_code": city_code, "city": city or city_code,
                "province_code": province_code, "province": province or province_code,
                "assessed": "1" if assessed else "0",
            },
        )
    points: list[Row] = []
    for mn, unit_id, outlet, _factors, should, i_rec, i_val, c_rec, c_val, online in (
        point_counts
    ):
        unit = unit_rows[unit_id]
        reg = registry[mn]
        counts = Counts(int(should), int(i_rec), int(i_val), int(c_rec), int(c_val))
        point = Row(
            level="point", code=mn, name=f"{unit.name} {outlet or ''}".strip(),
            must_network=int(bool(reg[5])), networked=int(online), points=1, counts=counts,
            parent={**unit.parent, "unit_id": unit_id, "unit_name": unit.name,
                    "outlet": outlet or ""},
        )
        point.rates = _sum_rates(counts)
        points.append(point)
        unit.members.append(point)
    for unit in unit_rows.values():
        unit.points = len(unit.members)
        for point in unit.members:
            unit.counts.add(point.counts)
        online = [p.networked for p in unit.members]
        if not online:
            unit.networked = 0
        elif config.networked_rule == "all_points":
            unit.networked = int(all(online))
        else:
            unit.networked = int(any(online))
        unit.rates = _sum_rates(unit.counts)
    return Assessment(start, end, as_of, config, points, list(unit_rows.values()))


def chunks(start: datetime, end: datetime, days: int | None) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at Beijing midnights every `days` days (one piece when None):
    `envmon.period.Period.chunks`, as (start, end) pairs for the counting query."""
    return [(piece.start, piece.end) for piece in Period(start, end).chunks(days)]


def _analytic(store) -> AbstractContextManager:
    """The store's `analytic` block; the batch sources (`envmon.batch.sources`: Parquet on
    DuckDB or Spark) answer `query` only."""
    hook = getattr(store, "analytic", None)
    return hook() if hook is not None else nullcontext()


def _point_counts(store, config, start, end, as_of, chunk_days) -> list[tuple]:
    """Per-point counts over the chunks, summed (networked: in any chunk)."""
    def count(piece: tuple[datetime, datetime]) -> list[tuple]:
        sql, params = point_counts_sql(config, piece[0], piece[1], as_of)
        with _analytic(store):
            return store.query(sql, params)

    pieces = chunks(start, end, chunk_days)
    read_each = getattr(store, "read_each", None)
    totals: dict[str, list] = {}
    for rows in read_each(count, pieces) if read_each else map(count, pieces):
        for row in rows:
            mn = row[0]
            old = totals.get(mn)
            if old is None:
                totals[mn] = list(row)
            else:
                for k in range(3, 9):
                    old[k] += row[k]
                old[3] = row[3]  # factors: not a sum
                old[9] = max(old[9], row[9])
    return [tuple(v) for _, v in sorted(totals.items())]


def problem_hours(
    store, config: AssessConfig, mns: list[str], start: datetime, end: datetime,
    as_of: datetime | None = None,
) -> list[tuple[str, str, datetime, str | None, str | None]]:
    """(mn, factor, hour, flag, action) of due hours not valid for 补全 (flag None: no data;
    action "invalidate": marked invalid by hand), for the bulletin's reasons."""
    if not mns:
        return []
    sql, params = hour_details_sql(config, mns, start, end, as_of or now_beijing())
    with _analytic(store):
        return [tuple(r) for r in store.query(sql, params)]


def late_hours(
    store, config: AssessConfig, mns: list[str], start: datetime, end: datetime,
    as_of: datetime | None = None,
) -> set[tuple[str, str, datetime]]:
    """(mn, factor, hour) of hourly records that reached the platform by `as_of` but after the
    补全 window (DataTime + complete_days): not counted, yet not missing either — the 通报 says
    "late" for them, not "no data"."""
    if not mns:
        return set()
    marks = ", ".join("?" for _ in mns)
    rows = store.query(
        f"SELECT DISTINCT mn, factor, data_time FROM records WHERE cn = '2061' "
        f"AND mn IN ({marks}) AND data_time >= ? AND data_time < ? AND received_at <= ? "
        f"AND received_at > data_time + INTERVAL '{config.complete_seconds} seconds' "
        f"AND COALESCE(trusted, TRUE)",
        [*mns, start, end, as_of or now_beijing()])
    return {(mn, factor, hour.astimezone(BEIJING_FIXED)) for mn, factor, hour in rows}
