"""The tabular shape of a result: `Table(title, columns, rows)`, what `as_table()` returns.

`Column.key` is the English field name (the CSV header), `Column.label` the zh-CN header a
person reads (terminal, xlsx, html). `width` (characters) and `number_format` (an Excel
format such as "0.00") only shape the xlsx and html output; `whole` only the terminal: such a
column is never cut or wrapped there (an MN, an id), and a table with whole columns leaves out
its trailing columns that a narrow terminal cannot hold (`envmon.render.terminal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: float = 12
    number_format: str | None = None
    whole: bool = False


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: row {number} has {len(row)} values "
                                 f"for {len(self.columns)} columns")

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column key."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def plain(value: Any) -> Any:
    """A cell value reduced to what csv and a terminal show: Enums as their value, Decimal
    and numpy scalars as Python numbers, dates and times kept (callers format them)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)  # type: ignore[operator]
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def cell_text(value: Any) -> str:
    """A cell for people: empty for None, times to the second, numbers without noise."""
    value = plain(value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


def is_number(value: Any) -> bool:
    value = plain(value)
    return isinstance(value, int | float) and not isinstance(value, bool)
