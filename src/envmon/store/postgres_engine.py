"""The server engine: PostgreSQL through psycopg 3, for a province (several receivers, the web
app apart, all on one database).

What differs from the embedded engine, and where:
- Connections. One per thread (the receiver's writer thread, the event loop, the web app's
  worker threads), opened on first use and opened again when the server went away (a restart):
  the statement that met the broken connection fails, the next one reconnects.
- SQL. The domains write portable SQL with `?` placeholders; `sql_for_psycopg` turns them into
  psycopg's `%s` (and a literal `%` into `%%`), leaving quoted text and comments alone.
  NUMERIC results (PostgreSQL's SUM of BIGINT, AVG) come back as int or float, never Decimal,
  as DuckDB's do. The migrations' `DOUBLE` is `DOUBLE PRECISION` here.
- Bulk writes. `append` streams the rows with COPY straight into the table; `staged` copies a
  pyarrow table into a temporary table for the block. Arrow writes the rows as CSV (`_csv`).
- Partitions. `records` (by data_time) and `raw_packets` (by received_at) are partitioned by
  month (declarative range partitioning). A month's partition is created before the first
  row of that month is written (under an advisory lock, so receivers racing for it wait for
  each other) and ahead of time by `ensure_partitions`; `detach_partitions` takes old months
  out of the tables without deleting them (archive, then DROP them yourself). Months outside
  `PARTITION_YEARS` around today go to a default partition, so a unit's wrong clock can neither
  make a thousand partitions nor lose its packet.
- Large reads. `analytic` plans the assessment's counting for throughput (`ANALYTIC_SETTINGS`);
  `read_each` runs its chunks at once, each on a thread and connection of its own
  (`READ_PARALLELISM`): a materialized CTE runs in one backend, so one query uses one core.
- Schema upgrades run under an advisory lock: receivers starting together migrate once.
- The URL's password never appears in messages (`target` is the URL without it).
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus

from envmon.store import schema
from envmon.store.base import Store
from envmon.store.ddl import Index, Step
from envmon.store.errors import StoreError, StoreUnavailable

TIMEZONE = "Asia/Shanghai"
_BEIJING = ZoneInfo(TIMEZONE)
PARTITIONED = {"records": "data_time", "raw_packets": "received_at"}
"""Table → the column it is partitioned on by month."""
PARTITION_YEARS = 20
"""Monthly partitions are made for months within this many years of today (before or after);
other months' rows go to the table's default partition."""
PARTITION_LOCK_TIMEOUT_MS = 2000
POINT_LOCK_BUCKETS = 64
_POINT_LOCK_CLASS = 0x656E76  # the two-key advisory locks of point buckets: ("env", bucket)
_SCHEMA_LOCK = 0x656E766D6F6E01  # "envmon" + 1: the advisory lock of schema upgrades
_PARTITION_LOCK = 0x656E766D6F6E02  # … and of partition creation
_CONNECT_TIMEOUT_S = 10
_PASSWORD_PARAMETER = re.compile(r"((?:^|[?&\s])password=)[^&\s]*", re.I)
ANALYTIC_SETTINGS = {
    # The counting query's CTEs filter on expressions the planner cannot estimate (the record
    # on the hour, received within the window), so it expects a few rows where a province
    # has millions and loops over CTE scans rescanned per row: 20 points took 11.5 s per
    # 7-day chunk with nested loops, 0.12 s with hash joins (benchmarks/bench_pg.py).
    "enable_nestloop": "off",
    # A disabled node type still counts in the plan's cost, which then passes jit_above_cost:
    # compiling the query took 4-5 s of a 0.1 s query on PostgreSQL 15.
    "jit": "off",
    # The per-hour aggregates of a chunk spill to disk at the default 4 MB (a province-week is
    # ~2 M point-factor-hours); a few sorts and hashes of one session at this size are fine on
    # a server that holds the province.
    "work_mem": "64MB",
}
"""Settings of `analytic` blocks (transaction-local: the session's own come back after)."""
READ_PARALLELISM = 4
"""Queries `read_each` runs at once: a month is 5 weekly chunks of the assessment; 4 keep a
server's cores busy without taking many of its connections (each backend may use a few
`work_mem`s)."""
_CREATE_TABLE = re.compile(r"^\s*CREATE TABLE (?P<name>\w+) \(", re.I)
_DOUBLE = re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.I)

log = logging.getLogger("envmon.store")


def redacted(url: str) -> str:
    """`url` without its password (for messages and logs): the `user:password@` form and a
    `password=` parameter alike; a URL too malformed to parse is masked from the scheme on."""
    url = _PASSWORD_PARAMETER.sub(r"\1***", url)
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # e.g. an unclosed [ of an IPv6 host
        return url.split("://", 1)[0] + "://***"
    if password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


@lru_cache(maxsize=2048)
def sql_for_psycopg(sql: str) -> str:
    """Portable SQL (`?` placeholders) → psycopg's (`%s`, a literal `%` doubled).

    Quoted strings ('…'), quoted names ("…") and comments (-- …) are copied as they are, so a
    `?` or `%` inside a literal keeps its meaning. (A `%` inside a literal is doubled too:
    psycopg reads the whole text when parameters are given.)
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            end = sql.find(c, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == c:  # '' inside a literal
                end = sql.find(c, end + 2)
            end = n - 1 if end == -1 else end
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == "%":
            out.append("%%")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _NumberLoader(Loader):
    """NUMERIC as int when whole, else float (DuckDB gives int and float for the same SQL)."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode("ascii")
        if "." in text or "e" in text or "E" in text or text in ("NaN", "Infinity", "-Infinity"):
            return float(text)
        return int(text)


_ARROW_TYPES = {
    "bool": pa.bool_(), "int2": pa.int16(), "int4": pa.int32(), "int8": pa.int64(),
    "float4": pa.float32(), "float8": pa.float64(), "numeric": pa.float64(),
    "text": pa.string(), "varchar": pa.string(), "bpchar": pa.string(), "name": pa.string(),
    "json": pa.string(), "jsonb": pa.string(), "bytea": pa.binary(),
    "timestamptz": pa.timestamp("us", tz=TIMEZONE), "timestamp": pa.timestamp("us"),
    "date": pa.date32(), "interval": pa.duration("us"),
}


def _pg_type(arrow_type: pa.DataType) -> str:
    """The column type of a staged pyarrow column."""
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "BYTEA"
    if pa.types.is_duration(arrow_type):
        return "INTERVAL"
    return "TEXT"


def _python_columns(table: pa.Table) -> list[list[Any]]:
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column.to_pylist())
    return columns


def _csv(table: pa.Table) -> bytes | None:
    """`table` as COPY's CSV, written by Arrow in one pass (a burst's rows took 3× as long
    turned into Python objects and written row by row: benchmarks/bench_pg_write.py); None
    for a column type CSV cannot carry (the caller copies row by row then).

    Arrow writes NULL as an empty field and an empty string as "", as COPY reads them;
    timestamps with their zone (Z), floats in round-trip form (nan, inf as PostgreSQL
    reads them). Binary columns go as bytea's hex text."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            column = pa.array([None if v is None else "\\x" + v.hex()
                               for v in column.to_pylist()], pa.string())
        elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                  or pa.types.is_integer(kind) or pa.types.is_floating(kind)
                  or pa.types.is_boolean(kind) or pa.types.is_timestamp(kind)
                  or pa.types.is_date(kind) or pa.types.is_null(kind)):
            return None
        columns.append(column)
    out = pa.BufferOutputStream()
    pa_csv.write_csv(pa.Table.from_arrays(columns, names=table.column_names), out,
                     pa_csv.WriteOptions(include_header=False))
    return out.getvalue().to_pybytes()


class _ThreadConnection:
    """A thread's connection, closed when the thread ends (its thread-local data goes, and
    this with it): threads that come and go never pile up server connections."""

    def __init__(self, con: psycopg.Connection, registry: list, lock: threading.Lock) -> None:
        self.con = con
        self.release = weakref.finalize(self, _release, con, registry, lock)


def _release(con: psycopg.Connection, registry: list, lock: threading.Lock) -> None:
    with lock:
        if con in registry:
            registry.remove(con)
    with suppress(psycopg.Error):
        con.close()


class PostgresStore(Store):
    engine = "postgresql"
    server_indexes = True
    shared_writers = True

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        super().__init__(redacted(url), read_only=read_only)
        try:
            database = urlsplit(url).path.strip("/")
        except ValueError:
            raise StoreError(f"not a PostgreSQL URL: {self.target}; the form is "
                             "postgresql://user@host:port/database") from None
        if not database:
            raise StoreError(f"the URL {self.target} names no database: the form is "
                             "postgresql://user@host:port/database")
        self._url = url
        self._closed = False
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._connections_lock = threading.Lock()
        self._partitions: set[tuple[str, date]] = set()
        self._connection()  # fail now, clearly, when the server cannot be reached
        try:
            self.upgrade_schema()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ connections
    def _connect(self) -> psycopg.Connection:
        options = f"-c TimeZone={TIMEZONE}"
        if self.read_only:
            options += " -c default_transaction_read_only=on"
        try:
            con = psycopg.connect(self._url, autocommit=True, options=options,
                                  connect_timeout=_CONNECT_TIMEOUT_S,
                                  application_name="envmon")
        except psycopg.OperationalError as error:
            reason = " ".join(line.strip() for line in str(error).strip().splitlines()
                              if line.strip()) or "no answer"
            raise StoreUnavailable(
                f"cannot connect to the PostgreSQL store {self.target}: {reason}; check that "
                "the server runs and the URL (host, port, database, user; the password in the "
                "URL or ~/.pgpass) is right") from None
        con.adapters.register_loader("numeric", _NumberLoader)
        return con

    def _connection(self) -> psycopg.Connection:
        if self._closed:
            raise StoreError(f"{self.target}: the store is closed")
        held = getattr(self._local, "held", None)
        if held is not None and (held.con.closed or held.con.broken):
            if getattr(self._local, "depth", 0):
                raise StoreUnavailable(
                    f"{self.target}: the connection was lost in a transaction")
            held.release()
            held = None
        if held is None:
            con = self._connect()
            with self._connections_lock:
                self._connections.append(con)
            held = self._local.held = _ThreadConnection(con, self._connections,
                                                        self._connections_lock)
        return held.con

    # ------------------------------------------------------------------ primitives
    def _run(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._connection().execute(sql_for_psycopg(sql), params or ())

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        cursor = self._connection().execute(sql_for_psycopg(sql), params or ())
        return cursor.fetchall() if cursor.description else []

    def _arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        con = self._connection()
        cursor = con.execute(sql_for_psycopg(sql), params or ())
        rows = cursor.fetchall()
        names = [column.name for column in cursor.description]
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = []
        for column, values in zip(cursor.description, columns, strict=True):
            info = con.adapters.types.get(column.type_code)
            arrow_type = _ARROW_TYPES.get(info.name) if info is not None else None
            arrays.append(pa.array(values, type=arrow_type) if arrow_type is not None
                          else pa.array(values))
        return pa.Table.from_arrays(arrays, names=names)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        con = self._connection()
        depth = getattr(self._local, "depth", 0)
        if depth:  # nested: the outer block commits
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        self._local.depth = 1
        try:
            with con.transaction():
                yield
        finally:
            self._local.depth = 0

    @contextmanager
    def _staged(self, name: str, table: pa.Table) -> Iterator[None]:
        con = self._connection()
        columns = ", ".join(f"{field.name} {_pg_type(field.type)}" for field in table.schema)
        self._temporary_ddl(con, f"CREATE TEMPORARY TABLE {name} ({columns})")
        try:
            self._copy(con, name, table)
            yield
        finally:
            if con.info.transaction_status != TransactionStatus.INERROR and not con.broken:
                self._temporary_ddl(con, f"DROP TABLE IF EXISTS {name}")

    def _temporary_ddl(self, con: psycopg.Connection, sql: str) -> None:
        """CREATE or DROP of a temporary table. PostgreSQL refuses both in a read-only
        transaction (a read-only store's default), even for a temporary table, though it lets
        one write rows into it: so a read-only store runs them in a READ WRITE transaction of
        their own, which can touch nothing but this session's temporary table."""
        if not self.read_only or self._in_transaction():
            con.execute(sql)
            return
        con.execute("BEGIN READ WRITE")
        try:
            con.execute(sql)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @staticmethod
    def _copy(con: psycopg.Connection, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        names = ", ".join(table.column_names)
        data = _csv(table)
        if data is not None:
            with con.cursor().copy(f"COPY {name} ({names}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(data)
            return
        columns = _python_columns(table)
        with con.cursor().copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for con in connections:
            with suppress(psycopg.Error):
                con.close()

    # ------------------------------------------------------------------ hooks
    def ddl(self, step: Step) -> list[str]:
        if isinstance(step, str):
            sql = _DOUBLE.sub("DOUBLE PRECISION", step)
            created = _CREATE_TABLE.match(sql)
            if created and created["name"] in PARTITIONED:
                column = PARTITIONED[created["name"]]
                sql = f"{sql.rstrip().rstrip(';')} PARTITION BY RANGE ({column})"
                default = f"{created['name']}_other"
                return [sql, f"CREATE TABLE {default} PARTITION OF {created['name']} DEFAULT"]
            return [sql]
        if isinstance(step, Index) and step.unique and step.table in PARTITIONED:
            # a unique index of a partitioned table must hold the partition column
            key = PARTITIONED[step.table]
            if key not in step.columns:
                step = Index(step.name, step.table, (*step.columns, key), unique=True)
        return super().ddl(step)

    def upgrade_schema(self) -> None:
        """As `Store.upgrade_schema`, one process at a time: receivers that start together
        wait for the first to migrate, then find the schema current."""
        if self.read_only or self.schema_version() == schema.SCHEMA_VERSION:
            super().upgrade_schema()
            return
        with self._transaction():
            self._run("SELECT pg_advisory_xact_lock(?)", [_SCHEMA_LOCK])
            super().upgrade_schema()

    def write_batch(self, raw, records):
        """As `Store.write_batch`; the months' partitions are made first, outside the batch's
        transaction (see `ensure_partitions`)."""
        self._writable()
        if not self._in_transaction():
            self.ensure_partitions("raw_packets", (_month_of(r.received_at) for r in raw))
            self.ensure_partitions("records", (_month_of(r.data_time) for r in records))
        return super().write_batch(raw, records)

    def _insert(self, table: str, rows: pa.Table) -> None:
        """COPY straight into the table (its month's partition made first, outside a
        transaction: see `ensure_partitions`)."""
        column = PARTITIONED.get(table)
        if column is not None and not self._in_transaction():
            self.ensure_partitions(table, _months(rows.column(column)))
        self._copy(self._connection(), table, rows)

    @contextmanager
    def _periods_relation(self, periods):
        """The periods as three arrays (`unnest`) rather than a staged table: no temporary
        table per batch, so no catalog churn under a steady stream of group commits."""
        mns, cns, times = (list(column) for column in zip(*periods, strict=True))
        yield ("unnest(?::text[], ?::text[], ?::timestamptz[]) AS k(mn, cn, data_time)",
               [mns, cns, times])

    @contextmanager
    def analytic(self) -> Iterator[None]:
        """A transaction with `ANALYTIC_SETTINGS` (SET LOCAL: they end with it; inside an
        outer transaction they last until the outer one ends)."""
        with self._transaction():
            self._run("SELECT " + ", ".join("set_config(?, ?, true)" for _ in ANALYTIC_SETTINGS),
                      [value for item in ANALYTIC_SETTINGS.items() for value in item])
            yield

    def read_each(self, read, items):
        """As `Store.read_each`, `READ_PARALLELISM` at a time on threads of their own (each
        opens its connection, closed when the thread ends). Inside a transaction one after
        another on its connection: other connections would not see what it wrote."""
        items = list(items)
        if len(items) < 2 or self._in_transaction():
            return [read(item) for item in items]
        with ThreadPoolExecutor(min(READ_PARALLELISM, len(items)),
                                thread_name_prefix="envmon-read") as pool:
            return list(pool.map(read, items))

    def _lock_points(self, points: list[str]) -> None:
        """Transaction-level advisory locks on the points' buckets (`POINT_LOCK_BUCKETS`, in
        one order, so two receivers never deadlock): records of one point are judged and
        written by one receiver at a time. Buckets bound the locks a batch of thousands of
        points takes (PostgreSQL's lock table is shared and finite)."""
        buckets = sorted({zlib.crc32(mn.encode()) % POINT_LOCK_BUCKETS for mn in points})
        self._run("SELECT pg_advisory_xact_lock(?, b) FROM unnest(?::int[]) AS b",
                  [_POINT_LOCK_CLASS, buckets])

    def _in_transaction(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    # ------------------------------------------------------------------ partitions
    def ensure_partitions(self, table: str, months: Iterable[date]) -> list[str]:
        """Create the monthly partitions of `table` for `months` (first days) that are
        missing; returns the names created. Months far from today are left to the default
        partition (see `PARTITION_YEARS`).

        It runs on a connection of its own, committed at once, and waits at most
        `PARTITION_LOCK_TIMEOUT` for the table (a long report may be reading it): when it
        cannot have the table in time, the rows go to the default partition and the month's
        partition is made later, moving them (nothing is lost, nothing waits long). `serve`
        makes the coming months' partitions ahead, so this is rare.
        """
        today = date.today()
        wanted = [m for m in sorted(set(months)) if (table, m) not in self._partitions
                  and abs(m.year - today.year) <= PARTITION_YEARS]
        if not wanted:
            return []
        made = []
        # Its own connection and transaction: the creation commits at once (never rolled back
        # with a failed batch), and concurrent receivers queue on the lock, not on each other's
        # batches.
        try:
            with self._connect() as con, con.transaction():
                con.execute(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_TIMEOUT_MS}ms'")
                con.execute("SELECT pg_advisory_xact_lock(%s)", [_PARTITION_LOCK])
                existing = {row[0] for row in con.execute(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [table])}
                names = [partition_name(table, month) for month in wanted]
                taken = {row[0] for row in con.execute(
                    "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND "
                    "relkind IN ('r', 'p') AND pg_table_is_visible(oid)", [names])}
                for month, name in zip(wanted, names, strict=True):
                    if name in existing:
                        continue
                    if name in taken:  # detached (archived): never made again over it
                        log.warning(
                            "%s: %s is detached, so rows of %s go to %s_other; attach it "
                            "again (ALTER TABLE %s ATTACH PARTITION …) to put them with it",
                            table, name, month.strftime("%Y-%m"), table, table)
                        continue
                    made.extend(self._create_partition(con, table, month))
        except psycopg.errors.LockNotAvailable:
            log.warning("%s: partitions of %s not made now (the table is busy); its rows go to "
                        "%s_other until they are", table,
                        ", ".join(m.strftime("%Y-%m") for m in wanted), table)
            return []
        self._partitions.update((table, m) for m in wanted)
        return made

    @staticmethod
    def _create_partition(con: psycopg.Connection, table: str, month: date) -> list[str]:
        """One month's partition. Rows of that month already in the default partition (written
        before the month was near) are moved into it, as PostgreSQL requires."""
        name = partition_name(table, month)
        column = PARTITIONED[table]
        start, end = month.isoformat(), _next_month(month).isoformat()
        bounds = (f"{column} >= TIMESTAMPTZ '{start} 00:00:00+08' AND "
                  f"{column} < TIMESTAMPTZ '{end} 00:00:00+08'")
        default = f"{table}_other"
        moved = con.execute(f"SELECT COUNT(*) FROM {default} WHERE {bounds}").fetchone()[0]
        if moved:
            con.execute(f"CREATE TEMPORARY TABLE _envmon_moving ON COMMIT DROP AS "
                        f"SELECT * FROM {default} WHERE {bounds}")
            con.execute(f"DELETE FROM {default} WHERE {bounds}")
        con.execute(
            f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM "
            f"('{start} 00:00:00+08') TO ('{end} 00:00:00+08')")
        if moved:
            con.execute(f"INSERT INTO {table} SELECT * FROM _envmon_moving")
        log.info("%s: partition %s created", table, name)
        return [name]

    def partitions(self, table: str) -> list[str]:
        """The monthly partitions attached to `table`, oldest first."""
        rows = self._rows(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ? ORDER BY c.relname",
            [table])
        return [row[0] for row in rows if row[0] != f"{table}_other"]

    def detach_partitions(self, before: date) -> list[str]:
        """Detach the monthly partitions of months before `before` from `records` and
        `raw_packets`; they stay in the database as plain tables (archive, then drop them)."""
        self._writable()
        detached = []
        for table in PARTITIONED:
            for name in self.partitions(table):
                if partition_month(name) < before:
                    self._run(f"ALTER TABLE {table} DETACH PARTITION {name}")
                    self._partitions.discard((table, partition_month(name)))
                    detached.append(name)
        return detached


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def partition_month(name: str) -> date:
    match = re.search(r"_y(\d{4})m(\d{2})$", name)
    if match is None:
        raise ValueError(f"not a monthly partition: {name}")
    return date(int(match[1]), int(match[2]), 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_of(moment) -> date:
    local = moment.astimezone(_BEIJING)
    return date(local.year, local.month, 1)


def _months(column: pa.ChunkedArray) -> set[date]:
    """The Beijing months (first days) of a timestamp column."""
    if column.null_count == len(column):
        return set()
    local = column.cast(pa.timestamp("us", tz=TIMEZONE))  # components in Beijing time
    years = pc.year(local).to_pylist()
    months = pc.month(local).to_pylist()
    return {date(y, m, 1) for y, m in zip(years, months, strict=True) if y is not None}
