"""The bulletin model: a `Bulletin` is a title, a date and an ordered list of blocks
(`Paragraph`, `Table`, `Chart`, `Calendar`), plus the value formatting every renderer shares.

    bulletin = Bulletin(title="…月环境空气质量通报", issued=today_beijing(), blocks=[
        Paragraph("本月优良天数 25 天……"),
        Table("各城市排名", [Column("城市", "city", 12), Column("综合指数", "index", 10, "0.00")],
              rows=[{"city": "太原市", "index": 4.52}]),
    ])

Values in table rows are plain Python values or `Cell(value, fill=…, bold=…)` for a coloured
or emphasised cell. `None` prints as "—". A new kind of block goes here, with its rendering in
each of `xlsx`, `html` (and so `pdf`).

Words every bulletin uses for its period: `month_label(period)` ("2025年11月" when the
`envmon.period.Period` is exactly a calendar month) and `PROVISIONAL_NOTE`, said after the
period of one that has not ended (`Period.in_progress()`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from envmon.errors import EnvmonError
from envmon.timeutil import BEIJING_FIXED

MISSING_TEXT = "—"
# said after the period in the titles and bulletins of a period that has not ended
PROVISIONAL_NOTE = "（初步统计，统计期未结束）"


def month_label(period) -> str | None:
    """"2025年11月" when `period` (an `envmon.period.Period`) is exactly one calendar month in
    Beijing time, however it was given (`--month`, or its first to last day); else None."""
    from envmon.period import Period

    first = period.first_last_days()[0]
    month = Period.month(f"{first:%Y-%m}", allow_future=True)
    if (month.start, month.end) != (period.start, period.end):
        return None
    return f"{first.year}年{first.month}月"


class ReportError(EnvmonError):
    """A bulletin could not be rendered (the message says why and what to do)."""


@dataclass(frozen=True)
class Cell:
    """A table value with presentation: `fill` and `color` are hex RGB ("#00E400")."""

    value: Any
    fill: str | None = None
    color: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class Column:
    """`header` (Chinese), the row key, the width in characters, an Excel number format
    ("0", "0.0", "0.00", "0.0%", "yyyy-mm-dd"); HTML uses the same decimals."""

    header: str
    key: str
    width: float = 12
    number_format: str | None = None


@dataclass
class Paragraph:
    text: str
    heading: bool = False


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    sheet: str | None = None  # XLSX sheet name (default: title, cut to 31 characters)
    note: str | None = None
    missing: str | None = MISSING_TEXT  # an empty cell in XLSX ("—" in a 通报; None: blank)


@dataclass
class Chart:
    """A rendered chart: SVG text for HTML, PNG bytes for XLSX."""

    title: str
    svg: str
    png: bytes


@dataclass
class CalendarDay:
    text: str  # shown in the cell (e.g. the AQI)
    fill: str | None = None  # hex RGB
    color: str | None = None  # text colour
    tooltip: str | None = None


@dataclass
class Calendar:
    """One month as a Monday-first grid of coloured days, with a legend."""

    title: str
    year: int
    month: int
    days: dict[date, CalendarDay]
    legend: Sequence[tuple[str, str]] = ()  # (label, fill)
    sheet: str | None = None


Block = Paragraph | Table | Chart | Calendar


@dataclass
class Bulletin:
    title: str
    issued: date
    blocks: list[Block] = field(default_factory=list)
    subtitle: str | None = None
    issuer: str | None = None
    footnotes: list[str] = field(default_factory=list)
    cover: bool = True  # XLSX: the 通报 sheet (title, paragraphs); a plain table export has none


# ---------------------------------------------------------------------------------- values
def decimals_of(number_format: str | None) -> int | None:
    """Decimals shown by an Excel number format such as "0.00" or "0.0%"; None if not numeric."""
    if not number_format or not number_format.startswith("0"):
        return None
    head = number_format.rstrip("%")
    return len(head.split(".", 1)[1]) if "." in head else 0


def format_value(value: Any, number_format: str | None = None) -> str:
    """A value as bulletin text. Numbers are expected already rounded (GB/T 8170) by the
    domain; this only fixes the number of decimals shown."""
    if isinstance(value, Cell):
        value = value.value
    if value is None or (isinstance(value, float) and value != value):
        return MISSING_TEXT
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BEIJING_FIXED)
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        decimals = decimals_of(number_format)
        if decimals is not None:
            if number_format and number_format.endswith("%"):
                return f"{value * 100:.{decimals}f}%"
            return f"{value:.{decimals}f}"
        return str(value)
    return str(value)


def hex_digits(color: str) -> str:
    """"#00e400" → "00E400" (what openpyxl wants)."""
    return color.lstrip("#").upper()


def text_color_for(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (ITU-R BT.601 luma)."""
    r, g, b = (int(hex_digits(fill)[i : i + 2], 16) for i in (0, 2, 4))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 128 else "#FFFFFF"


WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


def month_grid(year: int, month: int) -> list[list[date | None]]:
    """Weeks (Monday first) of the month; None outside the month."""
    import calendar

    return [
        [date(year, month, d) if d else None for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdayscalendar(year, month)
    ]
