"""The monthly partitions of a PostgreSQL store as a use case (`envmon store partitions`).

`records` (by data time) and `raw_packets` (by receipt) are partitioned by month on PostgreSQL
(`postgres_engine`). This lists them, creates the coming months ahead (`ahead`: the current
month and the N after it) and detaches the months before a given one (they stay in the database
as plain tables, to archive and then drop). The embedded engine has no partitions: the use case
refuses it with a clear reason. `serve` calls `ensure_ahead` at start and daily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from envmon.errors import OptionError

__all__ = ["AHEAD_MONTHS", "MAX_AHEAD", "PartitionReport", "ensure_ahead", "manage_partitions",
           "supports_partitions"]

AHEAD_MONTHS = 2
"""Months made ahead of the current one by serve: a month boundary and a long weekend pass
with the partition already there, so no receiver makes one under load."""
MAX_AHEAD = 120
"""Ten years: a typing slip (`--ahead 1200`) must not make a thousand tables."""


def supports_partitions(store: Any) -> bool:
    return callable(getattr(store, "ensure_partitions", None))


def _months_ahead(today: date, ahead: int) -> list[date]:
    first, months = date(today.year, today.month, 1), []
    for _ in range(ahead + 1):
        months.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return months


def ensure_ahead(store: Any, ahead: int = AHEAD_MONTHS, today: date | None = None
                 ) -> list[str]:
    """Create the partitions of this month and the `ahead` after it (both tables); the names
    created. Nothing on an engine without partitions."""
    if not supports_partitions(store):
        return []
    from envmon.store.postgres_engine import PARTITIONED

    months = _months_ahead(today or date.today(), ahead)
    made: list[str] = []
    for table in PARTITIONED:
        made.extend(store.ensure_partitions(table, months))
    return made


@dataclass(frozen=True)
class PartitionReport:
    """The partitions after the command: per table, and what it created and detached."""

    partitions: dict[str, list[str]]
    created: list[str]
    detached: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"partitions": self.partitions, "created": self.created,
                "detached": self.detached}

    def as_table(self):
        from envmon.render import Column, Table

        done = {**{name: "新建" for name in self.created},
                **{name: "已分离" for name in self.detached}}
        rows = [(table, name, done.get(name, ""))
                for table, names in self.partitions.items() for name in names]
        rows += [(name.rsplit("_y", 1)[0], name, "已分离") for name in self.detached]
        return Table("月分区", [Column("table", "表"), Column("partition", "月分区", 24),
                                Column("action", "操作")], rows)


def manage_partitions(store: Any, ahead: int | None = None,
                      detach_before: date | None = None, today: date | None = None
                      ) -> PartitionReport:
    """List the monthly partitions; with `ahead`, create this month's and the next `ahead`;
    with `detach_before`, detach every month before it. OptionError on DuckDB."""
    if not supports_partitions(store):
        raise OptionError("--db", "monthly partitions are a PostgreSQL feature; this store is "
                          "a DuckDB file (nothing to list or make)")
    if ahead is not None and not 0 <= ahead <= MAX_AHEAD:
        raise OptionError("--ahead", f"must be 0…{MAX_AHEAD} months, not {ahead}")
    today = today or date.today()
    if detach_before is not None and detach_before > date(today.year, today.month, 1):
        raise OptionError("--detach-before", f"{detach_before:%Y-%m} is after this month: "
                          "its data is still being written")
    created = ensure_ahead(store, ahead, today) if ahead is not None else []
    detached = store.detach_partitions(detach_before) if detach_before is not None else []
    from envmon.store.postgres_engine import PARTITIONED

    return PartitionReport({table: store.partitions(table) for table in PARTITIONED},
                           created, detached)
