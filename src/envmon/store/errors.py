"""Store errors: each says what went wrong and what to do about it."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base class of every error the store raises on purpose."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached now (down, restarting, the network cut): a
    writer waits for it and tries again, rather than taking it for a full disk."""


class StoreLockedError(StoreError):
    """The database file is held by another process (DuckDB allows one writer per file).

    `holder` names that process as well as the engine can ("process 4242 (/usr/bin/python3)"),
    for messages that need it without the full explanation.
    """

    def __init__(self, message: str, *, holder: str = "another process") -> None:
        super().__init__(message)
        self.holder = holder


class StoreFormatError(StoreError):
    """The file is not one this engine can read: not a DuckDB file, written by a newer DuckDB
    storage format, or damaged (`store.duckdb_compat` words the message)."""


class SchemaError(StoreError):
    """The database schema is missing, too old for a read-only open, or from a newer envmon."""


class SchemaBehindError(SchemaError):
    """A read-only open found an older schema (`version` < `known`).

    `open_store` answers it by upgrading the store once read-write; this error reaches the
    user only when that upgrade cannot be done (the message says why and what to do).
    """

    def __init__(self, message: str, *, version: int, known: int) -> None:
        super().__init__(message)
        self.version = version
        self.known = known


class UnknownPointError(StoreError, LookupError):
    """No monitoring point with this MN in the registry."""
