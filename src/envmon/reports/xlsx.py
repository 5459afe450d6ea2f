"""A bulletin as an XLSX workbook (openpyxl): a 通报 sheet with the title and paragraphs, one
sheet per table, chart and calendar; Chinese headers, bold header row with borders, column
widths, number formats, frozen header, cell fills; charts inserted as PNG."""

from __future__ import annotations

import io
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from envmon.reports.model import (
    MISSING_TEXT,
    WEEKDAYS,
    Bulletin,
    Calendar,
    Cell,
    Chart,
    Paragraph,
    Table,
    hex_digits,
    month_grid,
    text_color_for,
)


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in '[]:*?/\\')[:31] or "Sheet"
    candidate, n = base, 2
    while candidate in used:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def write_xlsx(bulletin: Bulletin, path: str | os.PathLike[str]) -> Path:
    """Write the bulletin as an XLSX workbook (see the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    wb = Workbook()
    cover = wb.active
    used: set[str] = set()
    cover.title = _sheet_name("通报", used)
    cover["A1"] = bulletin.title
    cover["A1"].font = Font(size=16, bold=True)
    row = 2
    if bulletin.subtitle:
        cover.cell(row=row, column=1, value=bulletin.subtitle).font = Font(size=11, italic=True)
        row += 1
    cover.cell(row=row, column=1, value=f"发布日期：{bulletin.issued.isoformat()}"
               + (f"　发布单位：{bulletin.issuer}" if bulletin.issuer else ""))
    row += 2
    cover.column_dimensions["A"].width = 110
    image_anchor_row = row

    def put_cell(ws, r: int, c: int, value: Any, number_format: str | None,
                 missing: str | None = MISSING_TEXT) -> None:
        raw = value.value if isinstance(value, Cell) else value
        if isinstance(raw, float) and raw != raw:
            raw = None
        cell = ws.cell(row=r, column=c, value=missing if raw is None else raw)
        cell.border = border
        if number_format and isinstance(raw, int | float) and not isinstance(raw, bool):
            cell.number_format = number_format
        elif isinstance(raw, datetime):  # naive Beijing wall-clock (Excel has no time zones)
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(raw, date):
            cell.number_format = "yyyy-mm-dd"
        if isinstance(value, Cell):
            if value.fill:
                cell.fill = PatternFill("solid", fgColor=hex_digits(value.fill))
            if value.color or value.bold:
                cell.font = Font(color=hex_digits(value.color) if value.color else None,
                                 bold=value.bold)
        if raw is None or not isinstance(raw, str):
            cell.alignment = Alignment(horizontal="center")

    for block in bulletin.blocks:
        if isinstance(block, Paragraph):
            cell = cover.cell(row=row, column=1, value=block.text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if block.heading:
                cell.font = Font(size=12, bold=True)
            row += 1
        elif isinstance(block, Chart):
            image = Image(io.BytesIO(block.png))
            ws = wb.create_sheet(_sheet_name(block.title, used))
            ws.add_image(image, "A1")
        elif isinstance(block, Table):
            ws = wb.create_sheet(_sheet_name(block.sheet or block.title, used))
            ws.cell(row=1, column=1, value=block.title).font = Font(size=12, bold=True)
            for c, column in enumerate(block.columns, start=1):
                cell = ws.cell(row=2, column=c, value=column.header)
                cell.font = Font(bold=True)
                cell.fill = header_fill
                cell.border = border
                cell.alignment = center
                ws.column_dimensions[get_column_letter(c)].width = column.width
            for r, values in enumerate(block.rows, start=3):
                for c, column in enumerate(block.columns, start=1):
                    put_cell(ws, r, c, values.get(column.key), column.number_format,
                             block.missing)
            ws.freeze_panes = "A3"
            if block.note:
                ws.cell(row=len(block.rows) + 4, column=1, value=block.note)
        elif isinstance(block, Calendar):
            ws = wb.create_sheet(_sheet_name(block.sheet or block.title, used))
            _calendar_sheet(ws, block, border, center)
    for note_row, note in enumerate(bulletin.footnotes, start=max(row + 1, image_anchor_row)):
        cover.cell(row=note_row, column=1, value=note).font = Font(size=9, italic=True)
    if not bulletin.cover and len(wb.sheetnames) > 1:
        wb.remove(cover)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def _calendar_sheet(ws, block: Calendar, border, center) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.cell(row=1, column=1, value=block.title).font = Font(size=12, bold=True)
    for c, name in enumerate(WEEKDAYS, start=1):
        cell = ws.cell(row=2, column=c, value=f"星期{name}")
        cell.font = Font(bold=True)
        cell.alignment = center
        cell.border = border
        ws.column_dimensions[get_column_letter(c)].width = 13
    r = 3
    for week in month_grid(block.year, block.month):
        for c, day in enumerate(week, start=1):
            if day is None:
                continue
            info = block.days.get(day)
            text = f"{day.day}日\n{info.text if info else MISSING_TEXT}"
            cell = ws.cell(row=r, column=c, value=text)
            cell.alignment = center
            cell.border = border
            if info and info.fill:
                cell.fill = PatternFill("solid", fgColor=hex_digits(info.fill))
                cell.font = Font(color=hex_digits(info.color or text_color_for(info.fill)))
        ws.row_dimensions[r].height = 32
        r += 1
    r += 1
    for label, fill in block.legend:
        ws.cell(row=r, column=1).fill = PatternFill("solid", fgColor=hex_digits(fill))
        ws.cell(row=r, column=2, value=label)
        r += 1
