"""A `Table` on the terminal with rich.

On a terminal the table fits its width; anywhere else (a pipe, a file, a test runner) it keeps
its natural width, so no row wraps at 80 columns and `grep`/`cut` see one line per row.
Cell text is never read as rich markup. A table with whole columns (`Column.whole`) keeps them
as wide as their text, folds the others no narrower than `FOLDED_MIN_WIDTH`, and on a terminal
too narrow for all of them leaves out the trailing columns, with a note (the CSV has them all).
"""

from __future__ import annotations

from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from envmon.render.table import Table, cell_text, is_number

UNBOUNDED_WIDTH = 100_000  # wider than any row: rich then lays a table out at natural width
FOLDED_MIN_WIDTH = 10  # narrower, a name or a time would be folded into shreds


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


def _columns_that_fit(table: Table, width: int) -> int:
    """How many leading columns fit in `width`: whole columns as wide as their text, the
    others folded to `FOLDED_MIN_WIDTH`; the whole columns are always kept."""
    def cells(i: int) -> list[int]:
        return [cell_len(table.columns[i].label), *(cell_len(cell_text(r[i])) for r in table.rows)]

    widths = [max(cells(i)) if c.whole else FOLDED_MIN_WIDTH
              for i, c in enumerate(table.columns)]
    keep = 1 + max(i for i, c in enumerate(table.columns) if c.whole)
    n = len(table.columns)
    while n > keep and sum(widths[:n]) + 3 * n + 1 > width:  # + padding and borders
        n -= 1
    return n


def write_table(table: Table, stream: TextIO) -> None:
    console = console_for(stream)
    fitting = any(c.whole for c in table.columns)
    shown = _columns_that_fit(table, console.width) if fitting else len(table.columns)
    rich_table = RichTable(title=escape(table.title) if table.title else None)
    for index, column in enumerate(table.columns[:shown]):
        numeric = any(is_number(r[index]) for r in table.rows) and all(
            r[index] is None or is_number(r[index]) for r in table.rows)
        justify = "right" if numeric else "left"
        if fitting:
            rich_table.add_column(Text(column.label), justify=justify, no_wrap=column.whole,
                                  overflow="fold",
                                  min_width=None if column.whole else FOLDED_MIN_WIDTH)
        else:
            rich_table.add_column(Text(column.label), justify=justify,
                                  no_wrap=not _is_terminal(stream))
    for row in table.rows:
        rich_table.add_row(*(Text(cell_text(v)) for v in row[:shown]))
    console.print(rich_table)
    if shown < len(table.columns):
        console.print(f"（终端宽度不足，另有 {len(table.columns) - shown} 列未显示；"
                      "--format csv 显示全部）")
