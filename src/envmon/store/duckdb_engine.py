"""The embedded engine: one DuckDB file, zero setup.

DuckDB lets one process open a file for writing, and then no other process may open it at all
(not even read-only). Inside the process, each thread gets its own cursor on the one database
instance, so the receiver's writer thread and its event loop never share a connection.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from envmon.store.base import Store
from envmon.store.duckdb_compat import check_file, open_error
from envmon.store.errors import StoreError, StoreLockedError

TIMEZONE = "Asia/Shanghai"
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _lock_holder(error: Exception) -> str:
    holder = _LOCK_HOLDER.search(str(error))
    return f"process {holder['pid']} ({holder['exe']})" if holder else "another process"


def _locked_message(path: str, who: str) -> str:
    return (
        f"the database {path} is locked by {who}, probably a running receiver "
        "(`envmon serve`). DuckDB lets one process open a file for writing and then no other "
        "process may open it, not even read-only. Stop that process and retry, or work on a "
        "copy of the file."
    )


class DuckDBStore(Store):
    engine = "duckdb"
    server_indexes = False  # see envmon.store.schema: zonemaps instead of ART indexes

    def __init__(self, path: str, *, read_only: bool = False) -> None:
        super().__init__(path, read_only=read_only)
        if path != ":memory:":
            if read_only and not os.path.exists(path):
                raise StoreError(
                    f"no database at {path}: import a registry (`envmon registry import`) "
                    "or run the receiver first"
                )
            if not read_only:
                parent = os.path.dirname(os.path.abspath(path))
                os.makedirs(parent, exist_ok=True)
            foreign = check_file(path)
            if foreign is not None:
                raise foreign
        try:
            self._con = duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                who = _lock_holder(error)
                raise StoreLockedError(_locked_message(path, who), holder=who) from None
            raise open_error(path, error) or StoreError(f"cannot open {path}: {error}") from None
        except duckdb.ConnectionException as error:
            raise StoreError(
                f"cannot open {path}: this process already has it open "
                f"{'read-write' if read_only else 'read-only'}; reuse that store ({error})"
            ) from None
        except duckdb.Error as error:  # e.g. a checksum that does not match: damaged
            raise open_error(path, error) or StoreError(f"cannot open {path}: {error}") from None
        self._closed = False
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._set_session(self._con)
        self._local.cursor = self._con
        try:
            self.upgrade_schema()
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _set_session(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"SET TimeZone = '{TIMEZONE}'")

    def backup_before_migration(self, version: int) -> str | None:
        """Copy the file to `<path>.schema-v<version>.bak` (checkpointed first, so the copy is
        whole) before a migration: an older envmon can go on reading the copy, and a failed
        upgrade loses nothing. An existing copy is kept; the new one gets a numbered name."""
        if self.target == ":memory:":
            return None
        self._run("CHECKPOINT")
        base = f"{self.target}.schema-v{version}.bak"
        backup, n = base, 1
        while os.path.exists(backup):
            n += 1
            backup = f"{base}.{n}"
        shutil.copyfile(self.target, backup)
        return backup

    def tune_for_ingest(self) -> None:
        """A long-running receiver: checkpoint the WAL into the file less often.

        DuckDB checkpoints when the WAL reaches 16 MB by default; under a steady stream of
        small commits that means a table rewrite every few seconds, which stalls the group
        commits (measured: p99 answer latency 575 → 295 ms, throughput +9 % at 2 000
        connections). Commits stay durable either way: the WAL is synced on every commit.
        """
        self._run("SET checkpoint_threshold = '512MB'")

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            if self._closed:
                raise StoreError(f"{self.target}: the store is closed")
            cursor = self._con.cursor()
            self._set_session(cursor)
            with self._cursors_lock:
                self._cursors.append(cursor)
            self._local.cursor = cursor
        elif self._closed:
            raise StoreError(f"{self.target}: the store is closed")
        return cursor

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._cursor().execute(sql, params)

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self._cursor().execute(sql, params).fetchall()

    def _arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self._cursor().sql(sql, params=params).to_arrow_table()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        cursor = self._cursor()
        depth = getattr(self._local, "depth", 0)
        if depth:  # nested: the outer block commits
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        cursor.begin()
        self._local.depth = 1
        try:
            yield
        except BaseException:
            cursor.rollback()
            raise
        else:
            cursor.commit()
        finally:
            self._local.depth = 0

    @contextmanager
    def _staged(self, name: str, table: pa.Table) -> Iterator[None]:
        cursor = self._cursor()
        cursor.register(name, table)
        try:
            yield
        finally:
            cursor.unregister(name)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._cursors_lock:
            cursors, self._cursors = self._cursors, []
        for cursor in cursors:
            cursor.close()
        self._con.close()
