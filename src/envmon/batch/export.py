"""Export a store (DuckDB or PostgreSQL, through the public Store interface) to hive-style
Parquet partitioned by province and month, for the national batch (`envmon.batch`).

Province = the first two digits of the GB/T 2260 county code of the point's unit (registry).
Memory stays bounded: one partition is written at a time, and the big tables (records, the
accepted-packet log, road passes) are read one Beijing day at a time into the row groups of
the partition's one file. Idempotent: a partition is written into a hidden folder next to it
and then put in place of the old one, and partitions of a re-exported month for provinces no
longer in the registry are removed, so a re-export replaces a month and never duplicates it.

Left out on purpose: point passwords (`points.pw`) and the raw packet bytes (they hold the
password too, and the jobs need only who sent an accepted packet when). Records of an MN not
in the registry are not exported (no province; the assessment never counts them).
A new table: its query in `_QUERIES` and its name in `envmon.batch.layout.TABLES`.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from envmon.batch.layout import TABLES, BatchDataError, partition_dir
from envmon.period import Period

Progress = Callable[[int, int], None]

_OF_PROVINCE = "SUBSTR(u.county_code, 1, 2) = ?"
_POINT_UNIT = "JOIN points p ON p.mn = {a}.mn JOIN units u ON u.unit_id = p.unit_id"


@dataclass(frozen=True)
class _Query:
    sql: str
    kind: str  # registry: a snapshot per month | daily: one day at a time | month: overlapping
    roads: bool = False


_QUERIES: dict[str, _Query] = {
    "regions": _Query("SELECT * FROM regions WHERE SUBSTR(code, 1, 2) = ?", "registry"),
    "units": _Query(f"SELECT u.* FROM units u WHERE {_OF_PROVINCE}", "registry"),
    "outlets": _Query("SELECT o.* FROM outlets o JOIN units u ON u.unit_id = o.unit_id "
                      f"WHERE {_OF_PROVINCE}", "registry"),
    "points": _Query("SELECT p.mn, p.outlet_id, p.unit_id, p.kind, p.o2_ref, p.standard, "
                     "p.crc_modes, p.expected_interval_s, p.updated_at FROM points p "
                     f"JOIN units u ON u.unit_id = p.unit_id WHERE {_OF_PROVINCE}", "registry"),
    "point_factors": _Query(f"SELECT f.* FROM point_factors f {_POINT_UNIT.format(a='f')} "
                            f"WHERE {_OF_PROVINCE}", "registry"),
    "point_assessed_periods": _Query(
        f"SELECT a.* FROM point_assessed_periods a {_POINT_UNIT.format(a='a')} "
        f"WHERE {_OF_PROVINCE}", "registry"),
    "records": _Query(f"SELECT r.* FROM records r {_POINT_UNIT.format(a='r')} "
                      f"WHERE {_OF_PROVINCE} AND r.data_time >= ? AND r.data_time < ?",
                      "daily"),
    "raw_packets": _Query(
        f"SELECT k.id, k.received_at, k.verdict, k.mn, k.cn FROM raw_packets k "
        f"{_POINT_UNIT.format(a='k')} WHERE {_OF_PROVINCE} AND k.verdict = 'accepted' "
        "AND k.received_at >= ? AND k.received_at < ?", "daily"),
    "exemptions": _Query("SELECT e.* FROM exemptions e JOIN units u ON u.unit_id = e.unit_id "
                         f"WHERE {_OF_PROVINCE} AND e.start_time < ? AND e.end_time > ?",
                         "month"),
    "corrections": _Query(f"SELECT c.* FROM corrections c {_POINT_UNIT.format(a='c')} "
                          f"WHERE {_OF_PROVINCE} AND c.start_time < ? AND c.end_time > ?",
                          "month"),
    # Roads belong to a city: the whole network goes under one province (`roads_province`).
    "road_networks": _Query("SELECT * FROM road_networks", "registry", roads=True),
    "road_segments": _Query("SELECT * FROM road_segments", "registry", roads=True),
    "road_passes": _Query("SELECT * FROM road_passes WHERE start_time >= ? AND start_time < ?",
                          "daily", roads=True),
}
assert set(_QUERIES) == set(TABLES)


@dataclass
class ExportResult:
    """What `envmon export parquet` wrote: rows per table, partitions, time and rate."""

    out: Path
    months: list[str]
    provinces: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    partitions: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        total = sum(self.rows.values())
        return {"out": str(self.out), "months": self.months, "provinces": self.provinces,
                "partitions": self.partitions, "rows": self.rows, "total_rows": total,
                "seconds": round(self.seconds, 3),
                "rows_per_s": round(total / self.seconds) if self.seconds > 0 else None}


def provinces(store) -> list[str]:
    """The provinces of the registry (first two digits of the units' county codes)."""
    return [r[0] for r in store.query(
        "SELECT DISTINCT SUBSTR(county_code, 1, 2) FROM units ORDER BY 1")]


def data_months(store) -> list[Period]:
    """Every month holding records (by DataTime, Beijing time)."""
    lo, hi = store.query("SELECT MIN(data_time), MAX(data_time) FROM records")[0]
    if lo is None:
        return []
    return Period(lo, hi + timedelta(seconds=1)).months()


def _beijing():
    from envmon.timeutil import BEIJING_FIXED

    return BEIJING_FIXED


def has_data(store, month: Period) -> bool:
    """Whether the store holds records or road passes in the month."""
    bounds = [month.start, month.end]
    for table, column in (("records", "data_time"), ("road_passes", "start_time")):
        if store.query(f"SELECT 1 FROM {table} WHERE {column} >= ? AND {column} < ? LIMIT 1",
                       bounds):
            return True
    return False


def _has_roads(store) -> bool:
    return bool(store.query("SELECT 1 FROM road_networks LIMIT 1"))


def export_parquet(store, out: Path, months: list[Period], *,
                   roads_province: str | None = None,
                   progress: Progress | None = None) -> ExportResult:
    """Write `months` (whole calendar months) of the store under `out`; a month without data
    is refused naming it. `roads_province`: the province the road tables go under (default:
    the registry's one province; required when it holds several and roads exist)."""
    started = time.perf_counter()
    for month in months:
        if not has_data(store, month):
            raise BatchDataError(f"--month: the store holds no records or road passes in "
                                 f"{_label(month)}")
    wanted = provinces(store)
    roads = _has_roads(store)
    if roads and roads_province is None:
        if len(wanted) != 1:
            raise BatchDataError(
                f"--roads-province: the registry spans provinces {', '.join(wanted)}; say "
                "which one the road network belongs to")
        roads_province = wanted[0]
    jobs = [(table, prov, month) for month in months for table, query in _QUERIES.items()
            for prov in ([roads_province] if query.roads else wanted)
            if not query.roads or roads]
    result = ExportResult(out, [_label(m) for m in months], wanted)
    for done, (table, prov, month) in enumerate(jobs, start=1):
        rows = _write_partition(store, out, table, prov, month)
        result.rows[table] = result.rows.get(table, 0) + rows
        result.partitions += 1
        if progress is not None:
            progress(done, len(jobs))
    for month in months:  # a province gone from the registry leaves no stale partition
        for table, query in _QUERIES.items():
            keep = {roads_province} if query.roads else set(wanted)
            for old in (out / table).glob(f"province=*/month={_label(month)}"):
                if old.parent.name.removeprefix("province=") not in keep:
                    shutil.rmtree(old)
    result.seconds = time.perf_counter() - started
    return result


def _label(month: Period) -> str:
    return month.start.astimezone(_beijing()).strftime("%Y-%m")


def _pages(store, table: str, province: str, month: Period):
    query = _QUERIES[table]
    head = [] if query.roads else [province]
    if query.kind == "registry":
        yield store.arrow(query.sql, head)
    elif query.kind == "month":
        yield store.arrow(query.sql, [*head, month.end, month.start])
    else:
        for day in month.chunks(1):
            yield store.arrow(query.sql, [*head, day.start, day.end])


def _write_partition(store, out: Path, table: str, province: str, month: Period) -> int:
    """One partition into a hidden folder, then in place of the old one. Returns rows."""
    final = partition_dir(out, table, province, _label(month))
    staging = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    rows = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    try:
        for page in _pages(store, table, province, month):
            if writer is None:
                schema = page.schema
                writer = pq.ParquetWriter(staging / "part-0.parquet", schema)
            if page.num_rows or rows == 0:
                writer.write_table(page.cast(schema))
            rows += page.num_rows
    finally:
        if writer is not None:
            writer.close()
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    return rows


def month_periods(months: list[str], start: datetime | None = None,
                  end: datetime | None = None, store=None) -> list[Period]:
    """The months of `--month` (repeatable), else the months `--from/--to` touches, else
    every month of the store's records."""
    if months:
        return [Period.month(m, allow_future=True) for m in dict.fromkeys(months)]
    if start is not None and end is not None:
        return Period(start, end).months()
    return data_months(store) if store is not None else []
