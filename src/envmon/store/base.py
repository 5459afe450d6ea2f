"""The store's interface: engine primitives, and everything else written once on top of them.

`Store` is what every domain codes against. Its methods fall in three groups:

- Engine primitives (abstract; an engine implements exactly these): `_run` (one statement),
  `_rows` (one query → tuples), `_arrow` (one query → pyarrow table), `_transaction` (commit
  durably or roll back; nested blocks join the outer one), `_staged` (a pyarrow table readable
  by SQL under a name inside a block), `close`. Placeholders are qmark (`?`): a PostgreSQL engine
  (psycopg 3) translates them to `%s` and stages tables with COPY into temporary tables.
- Engine hooks (a default here; override where the engine differs): `ddl` (render a migration
  step: sequences, indexes), `_allocate_ids` (a block of sequence values), `tune_for_ingest`,
  `analytic` (a block of large read queries, planned for throughput), `read_each` (independent
  reads, at once where the engine can),
  `upgrade_in_place` (bring an older store up to date before a read-only open uses it).
- The public, portable interface, used by the domains and run by the contract tests
  (`tests/store/test_contract.py`) on every engine:
  ad-hoc SQL `execute`, `query`, `arrow`, `transaction`, `staged`, `append`, `replace`;
  schema `schema_version`, `upgrade_schema`;
  packet log `write_batch`, `query_records`, `iter_raw_packets`, `raw_counts`;
  registry repository `upsert_registry`, `load_point_auth`, `point_auth`, `set_crc_modes`,
  `list_points`, `registry_rows`, `unit_exists`, `unit_names` (mixed in from `registry_repo`).

Code outside `envmon.store` calls only the public methods.
"""

from __future__ import annotations

import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import pyarrow as pa

from envmon.store import schema
from envmon.store.core_tables import RECORDS_FIRST_POLICY
from envmon.store.ddl import IdSequence, Index, Step
from envmon.store.errors import SchemaBehindError, SchemaError, StoreError
from envmon.store.models import VERDICTS, RawPacketRow, RecordRow, WriteResult
from envmon.store.recordkeys import Period, RecordKeys, periods_table
from envmon.store.registry_repo import RegistryRepository
from envmon.store.registry_repo import checked_crc_modes as checked_crc_modes  # re-export

T = TypeVar("T")
R = TypeVar("R")
_TS = pa.timestamp("us", tz="UTC")
_F64 = pa.float64()
_STR = pa.string()

RAW_COLUMNS = ("received_at", "peer", "verdict", "reason", "mn", "cn", "qn", "raw")
RAW_SCHEMA = pa.schema(
    [
        ("received_at", _TS),
        ("peer", _STR),
        ("verdict", _STR),
        ("reason", _STR),
        ("mn", _STR),
        ("cn", _STR),
        ("qn", _STR),
        ("raw", pa.binary()),
    ]
)
RECORD_COLUMNS = (
    "mn",
    "cn",
    "data_time",
    "factor",
    "factor_raw",
    "rtd",
    "avg",
    "min",
    "max",
    "cou",
    "zs_rtd",
    "zs_avg",
    "flag",
    "eflag",
    "extra",
    "received_at",
    "qn",
    "peer",
    "trusted",
    "resent",
    "st",
)
RECORD_SCHEMA = pa.schema(
    [("mn", _STR), ("cn", _STR), ("data_time", _TS), ("factor", _STR), ("factor_raw", _STR)]
    + [(name, _F64) for name in ("rtd", "avg", "min", "max", "cou", "zs_rtd", "zs_avg")]
    + [("flag", _STR), ("eflag", _STR), ("extra", _STR), ("received_at", _TS), ("qn", _STR)]
    + [("peer", _STR), ("trusted", pa.bool_()), ("resent", pa.bool_()), ("st", _STR)]
)
QUERY_RECORD_COLUMNS = (
    "mn",
    "cn",
    "data_time",
    "factor",
    "rtd",
    "avg",
    "min",
    "max",
    "cou",
    "flag",
    "received_at",
)
_RAW_PAGE = 5000
_WRITES_RECORDS = re.compile(
    r"^\s*(INSERT|DELETE|UPDATE|TRUNCATE|ALTER|DROP|COPY)\b.*\brecords\b", re.I | re.S)

log = logging.getLogger("envmon.store")


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} must be a timezone-aware datetime (Beijing time: "
            "envmon.timeutil.BEIJING_FIXED), got naive {value.isoformat()}"
        )


def _timestamps(values: Sequence[datetime], what: str) -> pa.Array:
    for value in values:
        if value.tzinfo is None:
            _require_aware(value, what)
    return pa.array(values, type=_TS)


def _columns(rows: Sequence[tuple], schema: pa.Schema, what: str) -> pa.Table:
    """Named-tuple rows → an Arrow table, transposed in one pass (`zip(*rows)`); the rows'
    leading fields are the schema's columns in order."""
    columns = list(zip(*rows, strict=False))
    arrays = []
    for field, values in zip(schema, columns, strict=False):
        if field.type == _TS:
            arrays.append(_timestamps(values, f"{what}.{field.name}"))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


class Store(RegistryRepository, ABC):
    """The envmon store. Open one with `envmon.store.open_store`; use as a context manager.

    An engine subclass implements the primitives below and calls `upgrade_schema()` once its
    connection is open. Everything else is inherited.
    """

    engine: ClassVar[str] = "?"
    server_indexes: ClassVar[bool] = True  # create the schema's `Index` steps (see `ddl`)
    shared_writers: ClassVar[bool] = False  # several processes may write (see forget_point)

    def __init__(self, target: str, *, read_only: bool = False) -> None:
        self.target = target
        self.read_only = read_only
        self.record_keys = RecordKeys()  # the key of `records`, kept by `write_batch`

    # ------------------------------------------------------------------ engine primitives
    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement (inside the current transaction, if any)."""

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one query and return all its rows (TIMESTAMPTZ as aware datetimes, Beijing)."""

    @abstractmethod
    def _arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run one query and return its result as a pyarrow table."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """Commit on success, roll back on error; the commit is durable when it returns.
        A block nested in another joins it (the outer block commits)."""

    @abstractmethod
    def _staged(self, name: str, table: pa.Table) -> AbstractContextManager[None]:
        """Make `table` readable by SQL as the relation `name` within the block."""

    @abstractmethod
    def close(self) -> None:
        """Close the store; it cannot be used afterwards."""

    # ------------------------------------------------------------------ engine hooks
    def ddl(self, step: Step) -> list[str]:
        """The statements that apply one migration step on this engine.

        Portable SQL runs as written; an `IdSequence` is `CREATE SEQUENCE … START 1`; an
        `Index` is created only by engines with `server_indexes` (row stores).
        """
        if isinstance(step, str):
            return [step]
        if isinstance(step, IdSequence):
            return [f"CREATE SEQUENCE {step.name} START 1"]
        if isinstance(step, Index):
            return [step.sql()] if self.server_indexes else []
        raise TypeError(f"not a migration step: {step!r}")

    def _allocate_ids(self, sequence: str, n: int) -> pa.Array:
        """`n` new values of `sequence`, ascending, as an int64 array."""
        table = self._arrow(
            f"SELECT nextval('{sequence}') AS id FROM generate_series(1, ?) ORDER BY id", [n]
        )
        return table.column("id").combine_chunks().cast(pa.int64())

    def tune_for_ingest(self) -> None:
        """Engine settings for a long-running receiver (see the engines); default: none."""
        return None

    def analytic(self) -> AbstractContextManager[None]:
        """A block of large read queries (the assessment's counting over a province-month):
        the engine may plan them for throughput rather than for quick lookups. Default:
        nothing to change (the embedded engine is built for such queries)."""
        return nullcontext()

    def read_each(self, read: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[read(item) for item in items]`, in order: independent reads (the assessment's
        chunks) that an engine with a connection per thread runs at once. Default: one after
        another (the embedded engine parallelises each query itself)."""
        return [read(item) for item in items]

    def _lock_points(self, points: list[str]) -> None:
        """Inside `write_batch`'s transaction, before its records are judged: keep other
        writers from judging records of these points until this one commits. Default: nothing
        (the embedded engine has one writing process)."""
        return None

    def forget_point(self, mn: str) -> None:
        """Another process may have written records of `mn` (its unit's session was on another
        receiver): judge its next records against the store, not this writer's memory
        (`envmon.store.recordkeys`): one small query at the point's next batch. Nothing on an
        engine with one writing process (`shared_writers` False), whose memory is never
        behind."""
        if self.shared_writers:
            self.record_keys.forget_point(mn)

    def backup_before_migration(self, version: int) -> str | None:
        """Keep a copy of the store as it is at schema `version` before migrations change it;
        returns where (None: the engine keeps none, e.g. a server's own backups)."""
        return None

    @classmethod
    def upgrade_in_place(cls, target: str) -> None:
        """Apply the migrations the store at `target` lacks, for a reader that found it behind.

        `open_store` calls this when a read-only open raised SchemaBehindError, then opens the
        store read-only again. Default: open it read-write once (which migrates, in one
        transaction) and close it. Raises StoreError when the store cannot be opened for
        writing (a DuckDB file locked by another process, a read-only file or file system, no
        permission); an engine whose readers may lack the right to migrate (a PostgreSQL
        read-only role) lets that failure surface as StoreError too, or overrides this hook.
        """
        cls(target, read_only=False).close()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"<{type(self).__name__} {self.target!r} {mode}>"

    # ------------------------------------------------------------------ schema
    def schema_version(self) -> int:
        """The highest migration applied to this store (0: not an envmon store yet)."""
        rows = self._rows(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        )
        if not rows[0][0]:
            return 0
        return self._rows("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]

    def upgrade_schema(self) -> None:
        """Apply the migrations this store lacks (`envmon.store.schema`), in one transaction.

        Idempotent. A read-only store is only checked: SchemaBehindError when it is behind
        (`open_store` then upgrades it with `upgrade_in_place`), SchemaError when it is not an
        envmon store; a store written by a newer envmon is refused either way, never touched.
        """
        current = self.schema_version()
        if current > schema.SCHEMA_VERSION:
            raise SchemaError(
                f"{self.target}: schema version {current} was written by a newer envmon "
                f"(this one knows version {schema.SCHEMA_VERSION}); upgrade envmon, or open "
                "the file with the envmon that wrote it (this one leaves it unchanged)"
            )
        if current == schema.SCHEMA_VERSION:
            return
        if self.read_only:
            if current == 0:
                raise SchemaError(f"{self.target} is not an envmon database (no schema)")
            raise SchemaBehindError(
                f"{self.target}: schema version {current} is older than {schema.SCHEMA_VERSION}; "
                "open it once read-write to upgrade",
                version=current,
                known=schema.SCHEMA_VERSION,
            )
        backup = self.backup_before_migration(current) if current else None
        with self._transaction():
            self._run(schema.SCHEMA_VERSION_TABLE)
            for migration in schema.migrations()[current:]:
                for step in migration.steps:
                    for statement in self.ddl(step):
                        self._run(statement)
                self._run(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, now())",
                    [migration.version],
                )
        if current:
            log.info(
                "%s: schema version upgraded from %d to %d%s",
                self.target,
                current,
                schema.SCHEMA_VERSION,
                f" (the version-{current} store is kept as {backup})" if backup else "",
            )

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.target} is open read-only; open it without read_only to write")

    # ------------------------------------------------------------------ ad-hoc SQL
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement (portable SQL, `?` placeholders)."""
        if _WRITES_RECORDS.match(sql):
            self.record_keys.forget()  # written around `write_batch`: re-read what is stored
        self._run(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one query (portable SQL, `?` placeholders) and return its rows.

        TIMESTAMPTZ values come back as aware datetimes in Beijing time, DATE as `date`.
        """
        return self._rows(sql, params)

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run one query (portable SQL, `?` placeholders) and return it as a pyarrow table."""
        return self._arrow(sql, params)

    def transaction(self) -> AbstractContextManager[None]:
        """A transaction: commit (durably) when the block ends, roll back on an exception.

        Blocks nest: an inner block joins the outer one, which commits. Refused (StoreError) on
        a read-only store.
        """
        self._writable()
        return self._forgetting_on_rollback()

    @contextmanager
    def _forgetting_on_rollback(self) -> Iterator[None]:
        try:
            with self._transaction():
                yield
        except BaseException:
            # `write_batch` calls inside it remembered keys that are not stored after all.
            self.record_keys.forget()
            raise

    def staged(self, name: str, table: pa.Table) -> AbstractContextManager[None]:
        """Make the pyarrow `table` readable by SQL as the relation `name` inside the block
        (for joins, `DELETE … WHERE EXISTS`, `UPDATE … FROM`); nothing is written."""
        return self._staged(name, table)

    def append(self, table: str, rows: pa.Table) -> pa.Array | None:
        """Insert the pyarrow `rows` into `table` (columns matched by name): the bulk path.

        When `table` has an id sequence (an `IdSequence` in its migration) and `rows` has no
        `id` column, ids are allocated from it in row order and returned (int64 array);
        otherwise None is returned. Runs in the caller's transaction, if any.
        """
        self._writable()
        if table == "records":
            self.record_keys.forget()  # written around `write_batch`: re-read what is stored
        return self._append(table, rows)

    def _append(self, table: str, rows: pa.Table) -> pa.Array | None:
        sequence = schema.id_sequences().get(table)
        ids = None
        if sequence is not None and "id" not in rows.column_names:
            ids = self._allocate_ids(sequence, rows.num_rows) if rows.num_rows else (
                pa.array([], pa.int64()))
            rows = rows.add_column(0, "id", ids)
        if rows.num_rows:
            self._insert(table, rows)
        return ids

    def _insert(self, table: str, rows: pa.Table) -> None:
        """Insert `rows` (ids given) into `table`: an engine hook (default: a staged table,
        INSERT … SELECT)."""
        names = ", ".join(rows.column_names)
        staged = f"_envmon_append_{table}"
        with self._staged(staged, rows):
            self._run(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged}")

    def replace(self, table: str, rows: pa.Table, key: Sequence[str]) -> pa.Array | None:
        """Delete the rows of `table` whose `key` columns equal those of a row of `rows`, then
        `append(table, rows)`: a re-imported station hour (day, …) replaces the earlier one.

        Both run in one transaction (the caller's, if any); returns what `append` returns.
        """
        self._writable()
        if not key:
            raise ValueError("replace needs at least one key column")
        staged = f"_envmon_replace_{table}"
        match = " AND ".join(f"s.{k} = {table}.{k}" for k in key)
        with self._transaction():
            if rows.num_rows:
                with self._staged(staged, rows.select(list(key))):
                    self._run(f"DELETE FROM {table} WHERE EXISTS "
                              f"(SELECT 1 FROM {staged} s WHERE {match})")
            return self.append(table, rows)

    # ------------------------------------------------------------------ packet log
    def write_batch(self, raw: list[RawPacketRow], records: list[RecordRow]) -> WriteResult:
        """Append raw packets and records in ONE transaction, committed when this returns.

        Every raw packet is appended. Records keep one row per (mn, cn, data_time, factor):
        a copy identical to a stored one is not stored again (counted in `duplicates`), a copy
        with other values is stored marked as a conflict (`conflicts`); see
        `envmon.store.core_tables` for the policy and `envmon.store.recordkeys` for how.
        Columns are built as pyarrow arrays and appended; the store assigns `id`s (monotonic).
        """
        self._writable()
        if not raw and not records:
            return WriteResult()
        raw_table = None
        if raw:
            for row in raw:
                if row.verdict not in VERDICTS:
                    raise ValueError(
                        f"raw packet verdict must be one of {', '.join(VERDICTS)}, "
                        f"got {row.verdict!r}"
                    )
            raw_table = _columns(raw, RAW_SCHEMA, "RawPacketRow")
        keys = self.record_keys
        judged = None
        with self._transaction():
            if raw_table is not None:
                self._append("raw_packets", raw_table)
            if records:
                self._lock_points(sorted({r.mn for r in records}))
                if keys.high is None:
                    keys.load_high(self._rows(
                        "SELECT mn, cn, MAX(data_time) FROM records GROUP BY mn, cn"))
                stale = keys.stale_in(records)
                if stale:
                    marks = ", ".join("?" for _ in stale)
                    keys.reload(stale, self._rows(
                        "SELECT mn, cn, MAX(data_time) FROM records "
                        f"WHERE mn IN ({marks}) GROUP BY mn, cn", stale))
                judged = keys.judge(records, self._stored_copies)
                if judged.stored:
                    table = _columns(judged.stored, RECORD_SCHEMA, "RecordRow")
                    table = table.append_column("conflict", pa.array(judged.conflict,
                                                                      pa.bool_()))
                    self._append("records", table)
        if judged is None:
            return WriteResult()
        keys.committed(judged)
        return WriteResult(len(judged.stored), judged.duplicates, tuple(judged.conflicts))

    def _stored_copies(self, periods: list[Period], first: datetime, last: datetime
                       ) -> dict[Period, list[RecordRow]]:
        """Every stored record of `periods` (data times in [first, last]), oldest first."""
        names = ", ".join(f"r.{name}" for name in RECORD_COLUMNS)
        with self._periods_relation(periods) as (keys, params):
            rows = self._rows(
                f"SELECT {names} FROM records r JOIN {keys} ON r.mn = k.mn AND "
                "r.cn = k.cn AND r.data_time = k.data_time "
                "WHERE r.data_time >= ? AND r.data_time <= ? ORDER BY r.received_at, r.id",
                [*params, first, last])
        out: dict[Period, list[RecordRow]] = {}
        for row in rows:
            copy = RecordRow(*row)
            out.setdefault((copy.mn, copy.cn, copy.data_time), []).append(copy)
        return out

    @contextmanager
    def _periods_relation(self, periods: list[Period]) -> Iterator[tuple[str, list]]:
        """`periods` as the relation `k(mn, cn, data_time)` of a join: its SQL and the
        parameters that SQL takes (an engine hook; default: a staged table)."""
        staged = "_envmon_record_periods"
        with self._staged(staged, periods_table(periods)):
            yield f"{staged} k", []

    def query_records(
        self, mn: str, cn: str, start: datetime, end: datetime,
        columns: Sequence[str] = QUERY_RECORD_COLUMNS, *, offset: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records of one point and command code with `start <= data_time < end`
        (`offset`/`limit`: one page of them, in the same order).

        One dict per factor per data time (keys: `QUERY_RECORD_COLUMNS`); when the same
        (mn, cn, data_time, factor) has several copies, the one the copy policy picks
        (`envmon.store.core_tables`: trusted first, then first received).
        Ordered by data_time, factor.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        unknown = set(columns) - {"id", *RECORD_COLUMNS}
        if unknown:
            raise ValueError(f"not record columns: {', '.join(sorted(unknown))}")
        names = ", ".join(columns)
        rows = self._rows(
            f"""
            SELECT {names} FROM (
                SELECT {names}, ROW_NUMBER() OVER (
                    PARTITION BY data_time, factor ORDER BY {RECORDS_FIRST_POLICY}) AS rn
                FROM records
                WHERE mn = ? AND cn = ? AND data_time >= ? AND data_time < ?
            ) ranked
            WHERE rn = 1
            ORDER BY data_time, factor
            {"" if limit is None else f"LIMIT {int(limit)}"}
            {f"OFFSET {int(offset)}" if offset else ""}
            """,
            [mn, cn, start, end],
        )
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def iter_raw_packets(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[RawPacketRow]:
        """Raw packets with `start <= received_at < end` (either bound optional), in id order.

        Reads page by page (keyset on id), so a long log never sits in memory at once.
        """
        where, params = [], []
        if start is not None:
            _require_aware(start, "start")
            where.append("received_at >= ?")
            params.append(start)
        if end is not None:
            _require_aware(end, "end")
            where.append("received_at < ?")
            params.append(end)
        last_id = 0
        while True:
            rows = self._rows(
                "SELECT id, received_at, peer, verdict, reason, mn, cn, qn, raw FROM raw_packets"
                f" WHERE {' AND '.join(['id > ?', *where])} ORDER BY id LIMIT {_RAW_PAGE}",
                [last_id, *params],
            )
            for id_, received_at, peer, verdict, reason, mn, cn, qn, raw in rows:
                yield RawPacketRow(
                    received_at=received_at,
                    peer=peer,
                    verdict=verdict,
                    reason=reason,
                    mn=mn,
                    cn=cn,
                    qn=qn,
                    raw=bytes(raw),
                    id=id_,
                )
            if len(rows) < _RAW_PAGE:
                return
            last_id = rows[-1][0]

    def raw_counts(self) -> dict[str, int]:
        """Number of raw packets per verdict (all three verdicts are always present)."""
        counts = dict.fromkeys(VERDICTS, 0)
        for verdict, count in self._rows(
            "SELECT verdict, COUNT(*) FROM raw_packets GROUP BY verdict"
        ):
            counts[verdict] = count
        return counts


def default_path() -> str:
    """The embedded store's default file: `envmon.duckdb` in the working directory."""
    return os.path.join(os.getcwd(), "envmon.duckdb")
