"""Compatibility names: the bulletin machinery that lived here now has one module per job —
`model` (Bulletin and its blocks, value formatting), `xlsx`, `html`, `pdf`, `charts`, `fonts`,
and `envmon.render.bulletins` (`write_all`, a bulletin in several formats through the renderer
registry). Import from those; this module only keeps older imports working.
"""

from __future__ import annotations

from envmon.render.bulletins import FORMATS, write_all
from envmon.reports.charts import bar_chart, figure, finish, line_chart
from envmon.reports.fonts import CJK_FONT_FAMILIES, MissingFontError, cjk_font
from envmon.reports.html import CSS, png_data_uri, render_html, write_html
from envmon.reports.model import (
    MISSING_TEXT,
    WEEKDAYS,
    Block,
    Bulletin,
    Calendar,
    CalendarDay,
    Cell,
    Chart,
    Column,
    Paragraph,
    ReportError,
    Table,
    decimals_of,
    format_value,
    hex_digits,
    month_grid,
    rgb_hex,
    text_color_for,
)
from envmon.reports.pdf import PdfUnavailable, pdf_available, write_pdf
from envmon.reports.xlsx import write_xlsx

_figure = figure
_finish = finish
_hex = hex_digits

__all__ = [
    "CJK_FONT_FAMILIES", "CSS", "FORMATS", "MISSING_TEXT", "WEEKDAYS", "Block", "Bulletin",
    "Calendar", "CalendarDay", "Cell", "Chart", "Column", "MissingFontError", "Paragraph",
    "PdfUnavailable", "ReportError", "Table", "bar_chart", "cjk_font", "decimals_of", "figure",
    "finish", "format_value", "hex_digits", "line_chart", "month_grid", "pdf_available",
    "png_data_uri", "render_html", "rgb_hex", "text_color_for", "write_all", "write_html",
    "write_pdf", "write_xlsx",
]
