"""A `Table` on the terminal with rich.

On a terminal the table fits its width; anywhere else (a pipe, a file, a test runner) it keeps
its natural width, so no row wraps at 80 columns and `grep`/`cut` see one line per row.
Cell text is never read as rich markup.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from envmon.render.table import Table, cell_text, is_number

UNBOUNDED_WIDTH = 100_000  # wider than any row: rich then lays a table out at natural width


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def console_for(stream: TextIO) -> Console:
    """A console that wraps only on a real terminal."""
    terminal = _is_terminal(stream)
    return Console(file=stream, soft_wrap=True, highlight=False, emoji=False,
                   width=None if terminal else UNBOUNDED_WIDTH,
                   force_terminal=None if terminal else False)


def write_table(table: Table, stream: TextIO) -> None:
    rich_table = RichTable(title=escape(table.title) if table.title else None)
    for index, column in enumerate(table.columns):
        numeric = any(is_number(r[index]) for r in table.rows) and all(
            r[index] is None or is_number(r[index]) for r in table.rows)
        rich_table.add_column(Text(column.label), justify="right" if numeric else "left",
                              no_wrap=not _is_terminal(stream))
    for row in table.rows:
        rich_table.add_row(*(Text(cell_text(v)) for v in row))
    console_for(stream).print(rich_table)
