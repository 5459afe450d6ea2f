"""The partitioned Parquet folder the export writes and the jobs read.

DIR/<table>/province=<2-digit GB/T 2260 code>/month=<YYYY-MM>/part-0.parquet (hive style, so
Spark and DuckDB both read `province` and `month` as columns). Registry tables are written as
a snapshot in every month they are exported for, so one month's folder is all a job needs.
A new exported table goes in `TABLES` (and its query in `envmon.batch.export`).
"""

from __future__ import annotations

import re
from pathlib import Path

from envmon.errors import MissingDataError

# What the two jobs read (the store's tables of the same names, some columns left out).
ASSESS_TABLES = ("regions", "units", "outlets", "points", "point_factors",
                 "point_assessed_periods", "records", "raw_packets", "exemptions", "corrections")
ROADS_TABLES = ("road_networks", "road_segments", "road_passes")
TABLES = ASSESS_TABLES + ROADS_TABLES

PART_FILE = "part-0.parquet"
_MONTH_DIR = re.compile(r"month=(\d{4}-\d{2})")


class BatchDataError(MissingDataError):
    """The Parquet folder lacks what the job needs (no such month, no table)."""


def partition_dir(root: Path, table: str, province: str, month: str) -> Path:
    return root / table / f"province={province}" / f"month={month}"


def month_glob(root: Path, table: str, month: str) -> str:
    """The files of one month of one table, every province."""
    return str(root / table / "province=*" / f"month={month}" / "*.parquet")


def months_present(root: Path, table: str = "records") -> list[str]:
    """The months exported for `table`, sorted."""
    found = {m.group(1) for d in (root / table).glob("province=*/month=*")
             if (m := _MONTH_DIR.fullmatch(d.name))}
    return sorted(found)


def check_month(root: Path, month: str, tables: tuple[str, ...]) -> None:
    """Refuse a month the folder does not hold for every table of a job, naming what is
    there."""
    if not root.is_dir():
        raise BatchDataError(f"--parquet: {root} is not a folder (write it with "
                             f"`envmon export parquet --out {root}`)")
    for table in tables:
        if not list((root / table).glob(f"province=*/month={month}/*.parquet")):
            there = ", ".join(months_present(root, table)) or "none"
            raise BatchDataError(
                f"--month: {month} is not exported in {root} (table {table}; months "
                f"exported: {there}); run `envmon export parquet --month {month}` first")
