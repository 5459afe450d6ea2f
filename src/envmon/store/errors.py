"""Store errors: each says what went wrong and what to do about it."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base class of every error the store raises on purpose."""


class StoreLockedError(StoreError):
    """The database file is held by another process (DuckDB allows one writer per file)."""


class SchemaError(StoreError):
    """The database schema is missing, too old for a read-only open, or from a newer envmon."""


class UnknownPointError(StoreError, LookupError):
    """No monitoring point with this MN in the registry."""
