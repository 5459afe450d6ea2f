"""envmon store: one schema (portable SQL), the DuckDB engine now, PostgreSQL later.

from envmon.store import open_store
with open_store("envmon.duckdb") as store:
    store.write_batch(raw_rows, record_rows)
"""

from __future__ import annotations

import os

from envmon.store.base import Store, default_path
from envmon.store.errors import SchemaError, StoreError, StoreLockedError, UnknownPointError
from envmon.store.models import (
    CRC_MODES,
    DEFAULT_CRC_MODES,
    VERDICTS,
    ImportCounts,
    PointAuth,
    PointInfo,
    RawPacketRow,
    RecordRow,
    RegistryRow,
)

__all__ = [
    "CRC_MODES",
    "DEFAULT_CRC_MODES",
    "VERDICTS",
    "ImportCounts",
    "PointAuth",
    "PointInfo",
    "RawPacketRow",
    "RecordRow",
    "RegistryRow",
    "SchemaError",
    "Store",
    "StoreError",
    "StoreLockedError",
    "UnknownPointError",
    "open_store",
]


def open_store(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
    """Open (and create or upgrade the schema of) the store at `path`.

    `path` is a DuckDB file (default `envmon.duckdb` in the working directory) or ":memory:".
    URLs `postgresql://…` are reserved for the server engine, which is not there yet.
    """
    target = default_path() if path is None else os.fspath(path)
    if target.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            "the PostgreSQL engine is not available yet; use a DuckDB file path "
            "(for example envmon.duckdb)"
        )
    from envmon.store.duckdb_engine import DuckDBStore

    return DuckDBStore(target, read_only=read_only)
