"""One record per (mn, cn, data_time, factor): which incoming records are new, which are
identical re-sent copies (not stored again) and which are conflicting copies (stored, marked).

Guards against replays and re-sends being stored again (a unit re-sends every unanswered
packet; an attacker may replay captured ones) and against a second copy with other values
silently winning or being lost. The copy policy itself is in `envmon.store.core_tables`.

How it stays fast (chosen by measuring `benchmarks/bench_receiver.py`): the DuckDB engine has
no index to look a key up (an ART unique index costs about 20 % of insert throughput, must
live in memory, and a violation aborts the whole group commit), and an anti-join of every
group against `records` scans ever more of the table when a group's data times spread over
days (back-fill). So the writer keeps, per (mn, cn), the latest data time stored (the high
mark: one GROUP BY when the store first writes records) and the copies of the records of the
most recently written periods (mn, cn, data_time: the records of one upload; bounded). An
upload later than its high mark is new without a lookup (the live case: every upload is the
next period; judged per upload, not per factor); an upload of a recent period is judged from
memory (the replay and re-send case); only an older upload whose period is not in memory (a
补遗 answer, a late replay) is looked up in `records`, restricted to the group's data-time
range so the zonemaps skip most row groups.

The state is the writing process's own: it holds as long as every record goes through
`Store.write_batch` of one store object (the embedded engine admits one writing process). With
several writers on one server database (PostgreSQL, several receivers), a point's records come
from the receiver that holds its live session; when a point's session starts on a receiver,
`Store.forget_point` marks its state stale here (`stale`), and the next batch of that point
reloads its high marks from the store and drops its recent periods, so a point that wrote
through another receiver meanwhile is judged against what that receiver stored. Batches of
the same point from two receivers at once are serialised by the engine
(`PostgresStore._lock_points`).

A new rule about what counts as "the same record" goes in `same_values`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter

import pyarrow as pa

from envmon.store.models import Conflict, RecordRow

Period = tuple[str, str, datetime]
"""(mn, cn, data_time): the records of one upload. The state is kept per period, not per
factor: five times fewer entries, and the records of a packet are judged together."""

DEFAULT_RECENT_PERIODS = 20_000
"""Periods whose copies the writer keeps in memory (an upload of 5 factors is about 2 KB, so
~40 MB): ten hours of hourly data of 2 000 points, far longer than units wait before
re-sending what was not answered."""

_VALUE_FIELDS = ("rtd", "avg", "min", "max", "cou", "zs_rtd", "zs_avg", "flag", "eflag", "extra")
_VALUE_INDEX = tuple(RecordRow._fields.index(name) for name in _VALUE_FIELDS)
_NAN = "NaN"  # NaN != NaN: compare a NaN as this marker


def values_of(row: RecordRow) -> tuple:
    """The values that make two copies of a record the same record: every numeric column,
    the flags and the extra suffixes (not the code as sent, QN, received time or sender)."""
    out = []
    for i in _VALUE_INDEX:
        value = row[i]
        if type(value) is float and math.isnan(value):
            value = _NAN
        out.append(value)
    return tuple(out)


def same_values(a: RecordRow, b: RecordRow) -> bool:
    return values_of(a) == values_of(b)


def differing_fields(a: RecordRow, b: RecordRow) -> tuple[str, ...]:
    """Names of the value fields in which two copies differ."""
    va, vb = values_of(a), values_of(b)
    return tuple(name for name, x, y in zip(_VALUE_FIELDS, va, vb, strict=True) if x != y)


def _rank(row: RecordRow) -> tuple:
    """Sort key of the copy policy (core_tables.RECORDS_FIRST_POLICY), best first."""
    return (not (row.trusted is None or row.trusted), bool(row.resent), row.received_at)


def best(copies: Sequence[RecordRow]) -> RecordRow:
    return min(copies, key=_rank)


@dataclass
class Judged:
    """One group's verdicts, applied to the state only once the group is committed."""

    stored: list[RecordRow] = field(default_factory=list)
    conflict: list[bool] = field(default_factory=list)
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    copies: dict[Period, list[RecordRow]] = field(default_factory=dict)


Lookup = Callable[[list[Period], datetime, datetime], dict[Period, list[RecordRow]]]
"""Every stored copy of the records of the given periods (data times within the bounds),
oldest first."""

_period_of = itemgetter(0, 1, 2)  # RecordRow -> (mn, cn, data_time)


class RecordKeys:
    """The writer's knowledge of stored record keys (see the module docstring)."""

    def __init__(self, max_recent: int = DEFAULT_RECENT_PERIODS) -> None:
        self.max_recent = max_recent
        self.recent: dict[Period, list[RecordRow]] = {}
        self.high: dict[tuple[str, str], datetime] | None = None
        self.stale: set[str] = set()  # points whose state another writer may have changed
        self.lookups = 0  # periods looked up in the store (for tests and tuning)

    def load_high(self, rows: list[tuple[str, str, datetime]]) -> None:
        self.high = {(mn, cn): latest for mn, cn, latest in rows}
        self.stale.clear()

    def stale_in(self, records: Sequence[RecordRow]) -> list[str]:
        """The stale points among `records`' points (see `forget_point`)."""
        if not self.stale:
            return []
        return sorted({r.mn for r in records} & self.stale)

    def reload(self, points: Sequence[str], rows: list[tuple[str, str, datetime]]) -> None:
        """Replace the state of `points` with their high marks as stored (`rows`: mn, cn,
        latest data time)."""
        assert self.high is not None
        drop = set(points)
        for key in [k for k in self.high if k[0] in drop]:
            del self.high[key]
        for period in [p for p in self.recent if p[0] in drop]:
            del self.recent[period]
        for mn, cn, latest in rows:
            self.high[(mn, cn)] = latest
        self.stale -= drop

    def forget_point(self, mn: str) -> None:
        """Another writer may have stored records of `mn`: reload its state before judging."""
        if self.high is not None:
            self.stale.add(mn)

    def judge(self, records: Sequence[RecordRow], lookup: Lookup) -> Judged:
        assert self.high is not None, "load_high first"
        high, recent = self.high, self.recent
        runs = [(period, list(run)) for period, run in groupby(records, _period_of)]
        unknown = []
        for period, _ in runs:
            if period in recent:
                continue
            latest = high.get((period[0], period[1]))
            if latest is not None and period[2] <= latest:
                unknown.append(period)
        found: dict[Period, list[RecordRow]] = {}
        if unknown:
            self.lookups += len(unknown)
            times = [p[2] for p in unknown]
            found = lookup(unknown, min(times), max(times))
        judged = Judged()
        batch = judged.copies
        for period, run in runs:
            copies = batch.get(period)
            if copies is None:
                copies = recent.get(period) or found.get(period)
            if not copies and len({r.factor for r in run}) == len(run):
                # The usual case: a new period (nothing stored, no factor twice).
                judged.stored += run
                judged.conflict += [False] * len(run)
                batch[period] = run
                continue
            copies = list(copies or ())
            for r in run:
                self._judge_one(judged, r, copies)
            batch[period] = copies
        return judged

    @staticmethod
    def _judge_one(judged: Judged, r: RecordRow, copies: list[RecordRow]) -> None:
        """Judge `r` against the stored copies of its period; a stored `r` joins them."""
        factor = r.factor
        same_key = [c for c in copies if c.factor == factor]
        conflict = False
        if same_key:
            values = values_of(r)
            same = [c for c in same_key if values_of(c) == values]
            if any(_rank(c) <= _rank(r) for c in same):
                judged.duplicates += 1
                return
            conflict = len(same) < len(same_key)
            if conflict:
                judged.conflicts.append(
                    Conflict(r, best([c for c in same_key if values_of(c) != values])))
        judged.stored.append(r)
        judged.conflict.append(conflict)
        copies.append(r)

    def committed(self, judged: Judged) -> None:
        """The group is durable: remember its periods (the oldest leave first)."""
        high, recent = self.high, self.recent
        assert high is not None
        for period, copies in judged.copies.items():
            recent[period] = copies
            point = (period[0], period[1])
            latest = high.get(point)
            if latest is None or period[2] > latest:
                high[point] = period[2]
        overflow = len(recent) - self.max_recent
        if overflow > 0:
            for period in list(_first(recent, overflow)):
                del recent[period]

    def forget(self) -> None:
        """Drop the state (a write outside `write_batch` may have changed the records)."""
        self.recent.clear()
        self.high = None
        self.stale.clear()


def _first(mapping: dict, n: int):
    for i, key in enumerate(mapping):
        if i >= n:
            return
        yield key


PERIOD_SCHEMA = pa.schema([("mn", pa.string()), ("cn", pa.string()),
                           ("data_time", pa.timestamp("us", tz="UTC"))])


def periods_table(keys: list[Period]) -> pa.Table:
    columns = list(zip(*keys, strict=True))
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, PERIOD_SCHEMA,
                                                                     strict=True)],
                                schema=PERIOD_SCHEMA)
