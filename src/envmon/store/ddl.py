"""The vocabulary of table declarations: numbered migrations made of portable SQL and a few
engine-rendered items.

A domain declares its tables in its own `tables` module (`envmon/air/tables.py` …) as a list of
`Migration`s; `envmon.store.schema` collects them into one ordered list. A migration step is
either a portable SQL string (runs unchanged on DuckDB and PostgreSQL) or one of the items
below, which each engine renders itself (`Store.ddl`): sequences and indexes are where the
engines differ.

This module imports nothing from envmon, so a tables module can import it without cycles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdSequence:
    """The sequence `<table>_id_seq` that numbers the `id` column of `table`.

    `Store.append(table, rows)` allocates ids from it when the rows have no `id` column.
    """

    table: str

    @property
    def name(self) -> str:
        return f"{self.table}_id_seq"


@dataclass(frozen=True)
class Index:
    """A b-tree index for row-store engines (PostgreSQL).

    The DuckDB engine does not create them (see `envmon.store.schema`): its min/max zonemaps
    already skip most row groups for the time-range filters envmon runs.
    """

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False

    def sql(self) -> str:
        kind = "UNIQUE INDEX" if self.unique else "INDEX"
        return (
            f"CREATE {kind} IF NOT EXISTS {self.name} ON {self.table} ({', '.join(self.columns)})"
        )


Step = str | IdSequence | Index


@dataclass(frozen=True)
class Migration:
    """Schema version `version`: the steps that bring a store from `version - 1` to it.

    A released migration is never edited: a change to a table is a new migration (ALTER, or
    CREATE … IF NOT EXISTS for a table some stores may already have).
    """

    version: int
    title: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
