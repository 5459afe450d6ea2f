"""envmon store: one schema (portable SQL), two engines: a DuckDB file and PostgreSQL.

    from envmon.store import open_store
    with open_store("envmon.duckdb") as store:
        store.write_batch(raw_rows, record_rows)
        rows = store.query("SELECT mn, COUNT(*) FROM records_first GROUP BY mn")

Layout:
- `base.Store`: the interface every domain codes against (see its docstring for the three
  groups: engine primitives, engine hooks, the public portable methods). Domains call only
  public methods: `execute`, `query`, `arrow`, `transaction`, `staged`, `append`, the packet
  log and the registry repository. `tests/store/test_contract.py` is the contract.
- `duckdb_engine.DuckDBStore`: the embedded engine (one file, one writing process).
- `postgres_engine.PostgresStore`: the server engine (psycopg 3; many processes, tables of
  records partitioned by month), selected by a `postgresql://…` URL.
- `schema`: collects the numbered migrations of every domain (`SCHEMA_VERSION`, `OWNERS`);
  `ddl`: their vocabulary (`Migration`, `IdSequence`, `Index`); `core_tables`: the store's own
  tables (raw_packets, records).
- `models`: rows handed in and out (RawPacketRow, RecordRow, RegistryRow, PointAuth …);
  `errors`: StoreError and its kinds.

Where a new table goes: in the owning domain's `tables` module (`envmon/<domain>/tables.py`),
as a new `Migration(SCHEMA_VERSION + 1, title, steps)`; then raise `schema.SCHEMA_VERSION` (a
new domain also adds its module to `schema.OWNERS`). Steps are portable SQL, plus `IdSequence`
when rows get ids from `append` and `Index` for row-store engines. A released migration is
never edited: change a table with a new migration (ALTER, or CREATE … IF NOT EXISTS). Writes
go through `append` (bulk, from a pyarrow table) or `execute`, inside `transaction()` when
several statements must commit together.

What a new engine implements (PostgreSQL with psycopg 3 is next): a `Store` subclass with the
primitives `_run`, `_rows`, `_arrow`, `_transaction`, `_staged`, `close`; the session time
zone Asia/Shanghai (TIMESTAMPTZ values come back as aware datetimes in Beijing time); `?`
placeholders translated; `upgrade_schema()` called once connected; hooks overridden where the
engine differs (`ddl`, `_allocate_ids`, `tune_for_ingest`, `analytic`, `server_indexes`,
`upgrade_in_place`). Then add it to `_engine` below and to `ENGINES` in the contract tests,
which must pass unchanged.

Upgrades. Opening a store read-write applies the migrations it lacks. A read-only open (every
query command) of an older store upgrades it first, once, through the engine's
`upgrade_in_place`, then reads it: a user who installs a new envmon is not asked to run a
writing command before a query. When the upgrade cannot be done (the file is locked by another
process, read-only, or the role may not migrate) the reader gets SchemaBehindError saying why
and what to do. A store written by a newer envmon is never touched (SchemaError).
"""

from __future__ import annotations

import os
import re

from envmon.store.base import Store, default_path
from envmon.store.errors import (
    SchemaBehindError,
    SchemaError,
    StoreError,
    StoreFormatError,
    StoreLockedError,
    UnknownPointError,
)
from envmon.store.models import (
    CRC_MODES,
    DEFAULT_CRC_MODES,
    VERDICTS,
    Conflict,
    ImportCounts,
    PointAuth,
    PointHistory,
    PointInfo,
    RawPacketRow,
    RecordRow,
    RegistryChange,
    RegistryHistoryEntry,
    RegistryRow,
    WriteResult,
)

__all__ = [
    "CRC_MODES",
    "Conflict",
    "DEFAULT_CRC_MODES",
    "VERDICTS",
    "ImportCounts",
    "PointAuth",
    "PointHistory",
    "PointInfo",
    "RawPacketRow",
    "RecordRow",
    "RegistryChange",
    "RegistryHistoryEntry",
    "RegistryRow",
    "WriteResult",
    "SchemaBehindError",
    "SchemaError",
    "Store",
    "StoreError",
    "StoreFormatError",
    "StoreLockedError",
    "UnknownPointError",
    "is_server_url",
    "open_store",
]


def open_store(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
    """Open (and create or upgrade the schema of) the store at `path`.

    `path` is a DuckDB file (default `envmon.duckdb` in the working directory), ":memory:",
    or the URL of a PostgreSQL database (`postgresql://user@host:port/database`).

    Read-only, an older store is upgraded first (see "Upgrades" above); SchemaBehindError when
    that is not possible now.
    """
    target = default_path() if path is None else os.fspath(path)
    if _KEYWORD_DSN.match(target) and re.search(r"\b(host|dbname|password|user)=", target):
        # a libpq keyword string: never taken for a file path, and never echoed (a password)
        raise StoreError("a PostgreSQL store is given as a URL, not as keywords (host=… "
                         "dbname=…): postgresql://user@host:port/database (the password in "
                         "~/.pgpass or $PGPASSWORD)")
    engine = _engine(target)
    if not read_only:
        return engine(target)
    try:
        return engine(target, read_only=True)
    except SchemaBehindError as behind:
        _upgrade_for_reading(engine, target, behind)
    return engine(target, read_only=True)


def is_server_url(target: str | os.PathLike[str]) -> bool:
    """True for a PostgreSQL URL (`postgresql://…`), False for a DuckDB file path."""
    return os.fspath(target).startswith(("postgresql://", "postgres://"))


_KEYWORD_DSN = re.compile(r"^\s*\w+\s*=\S*(\s+\w+\s*=\S*)*\s*$")


def _engine(target: str) -> type[Store]:
    if is_server_url(target):
        from envmon.store.postgres_engine import PostgresStore

        return PostgresStore
    from envmon.store.duckdb_engine import DuckDBStore

    return DuckDBStore


def _upgrade_for_reading(engine: type[Store], target: str, behind: SchemaBehindError) -> None:
    """Upgrade an older store once so a reader can use it; or say why not and what to do.

    The migrations are idempotent and run in one transaction, so a reader racing another
    upgrader at worst finds the work done. A SchemaError from the read-write open (a newer
    envmon upgraded it meanwhile) is the user's answer as it stands.
    """
    try:
        engine.upgrade_in_place(target)
    except SchemaError:
        raise
    except StoreLockedError as error:  # its own advice is for a writer; a reader may hold it
        reason = f"{error.holder} has it open"
    except StoreError as error:
        reason = str(error).rstrip(".")
    else:
        return
    raise SchemaBehindError(
        f"{target}: schema version {behind.version} is older than {behind.known} and could "
        f"not be upgraded for reading: {reason}. Open it once read-write to upgrade: stop the "
        "process that holds it, or make the file writable (or work on a copy), then rerun "
        "this command; `envmon serve` also upgrades it when it starts.",
        version=behind.version,
        known=behind.known,
    ) from None
