"""xlsx, html and pdf go through the bulletin renderers of `envmon.reports`: a result's own
bulletin, or its `Table` turned into a one-table bulletin, so every workbook and page of
envmon has the same look (bold bordered headers, frozen header row, A4 print CSS)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from envmon.render.table import Table, plain
from envmon.timeutil import BEIJING


def _sheet_value(value: Any) -> Any:
    """Excel has no time zones: an aware time is shown as Beijing wall-clock text."""
    value = plain(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return f"{value.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}"
    return value


def table_bulletin(table: Table, issued: date | None = None) -> Any:
    """A `Table` as a bulletin with one table block (labels as headers)."""
    from envmon.reports.common import Bulletin
    from envmon.reports.common import Column as BulletinColumn
    from envmon.reports.common import Table as BulletinTable

    columns = [BulletinColumn(c.label, c.key, c.width, c.number_format) for c in table.columns]
    rows = [{c.key: _sheet_value(v) for c, v in zip(table.columns, row, strict=True)}
            for row in table.rows]
    return Bulletin(title=table.title, issued=issued or date.today(),
                    blocks=[BulletinTable(table.title, columns, rows)])


def write_bulletin(bulletin: Any, fmt: str, path: Path) -> Path:
    """Write a bulletin as xlsx, html or pdf (ReportError, an EnvmonError, when it cannot)."""
    from envmon.reports.common import write_html, write_pdf, write_xlsx

    writers = {"xlsx": write_xlsx, "html": write_html, "pdf": write_pdf}
    return writers[fmt](bulletin, path)
