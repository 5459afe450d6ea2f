"""xlsx, html and pdf of envmon go through the bulletin renderers of `envmon.reports`
(`reports.xlsx`, `reports.html`, `reports.pdf`): a result's own bulletin, or its `Table`
turned into a one-table bulletin, so every workbook and page has the same look (bold bordered
headers, frozen header row, A4 print CSS). A `Bulletin` is itself renderable:
`render(bulletin, "pdf", path)`; `cli.options.emit_many` writes several formats into a folder.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from envmon.render.table import Table, plain
from envmon.reports.model import Bulletin, ReportError
from envmon.reports.model import Column as BulletinColumn
from envmon.reports.model import Table as BulletinTable
from envmon.timeutil import BEIJING, today_beijing

FORMATS = ("xlsx", "html", "pdf")


def _sheet_value(value: Any) -> Any:
    """Excel has no time zones: an aware time becomes Beijing wall-clock time (a real date
    cell, so it sorts and filters)."""
    value = plain(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(BEIJING).replace(tzinfo=None)
    return value


def table_bulletin(table: Table, issued: date | None = None) -> Bulletin:
    """A `Table` as a bulletin with one table block (labels as headers): a data export, so
    the workbook has just that sheet and empty values stay empty cells."""
    columns = [BulletinColumn(c.label, c.key, c.width, c.number_format) for c in table.columns]
    rows = [{c.key: _sheet_value(v) for c, v in zip(table.columns, row, strict=True)}
            for row in table.rows]
    sheet = table.title if len(table.title) <= 31 else "数据"
    return Bulletin(title=table.title, issued=issued or today_beijing(), cover=False,
                    blocks=[BulletinTable(table.title, columns, rows, sheet=sheet, missing=None)])


def write_bulletin(bulletin: Bulletin, fmt: str, path: Path) -> Path:
    """Write a bulletin as xlsx, html or pdf (ReportError, an EnvmonError, when it cannot)."""
    if fmt == "xlsx":
        from envmon.reports.xlsx import write_xlsx

        return write_xlsx(bulletin, path)
    if fmt == "html":
        from envmon.reports.html import write_html

        return write_html(bulletin, path)
    if fmt == "pdf":
        from envmon.reports.pdf import write_pdf

        return write_pdf(bulletin, path)
    raise ReportError(f"unknown bulletin format {fmt!r}; allowed: {', '.join(FORMATS)}")
