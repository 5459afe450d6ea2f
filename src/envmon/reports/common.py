"""Shared bulletin machinery: a small data model and its renderers (XLSX, HTML, PDF, charts).

A domain builds one `Bulletin` — a title, a date, and an ordered list of blocks
(`Paragraph`, `Table`, `Chart`, `Calendar`) — and hands it to the renderers:

    from envmon.reports.common import Bulletin, Column, Paragraph, Table, write_all
    bulletin = Bulletin(title="…月环境空气质量通报", issued=date.today(), blocks=[
        Paragraph("本月优良天数 25 天……"),
        Table("各城市排名", [Column("城市", "city", 12), Column("综合指数", "index", 10, "0.00")],
              rows=[{"city": "太原市", "index": 4.52}]),
    ])
    paths = write_all(bulletin, out_dir, "air-2026-11")   # .xlsx, .html, .pdf

- **XLSX** (openpyxl): a 通报 sheet with the title and paragraphs, one sheet per table and per
  calendar; Chinese headers, bold header row with borders, column widths, number formats,
  frozen header, cell fills; charts inserted as PNG.
- **HTML**: one self-contained zh-CN file (inline CSS, charts as inline SVG with glyphs as
  paths, so it needs no font on the reader's machine), print CSS for A4.
- **PDF**: the HTML through WeasyPrint (PyPI; needs the Debian pango libraries, installed by
  `.ci/run`). Without it, `write_pdf` raises `PdfUnavailable`; the HTML then prints to PDF
  from any browser (A4 page rules are in the CSS).
- **Charts**: matplotlib with a CJK font (Debian `fonts-noto-cjk`), found through
  `matplotlib.font_manager`; `MissingFontError` says what to install when none is there.

Values in table rows are plain Python values or `Cell(value, fill=…, bold=…)` for a coloured
or emphasised cell. `None` prints as "—".
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from envmon.errors import EnvmonError

MISSING_TEXT = "—"
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
)


class ReportError(EnvmonError):
    """A bulletin could not be rendered (the message says why and what to do)."""


class MissingFontError(ReportError):
    pass


class PdfUnavailable(ReportError):
    pass


# ---------------------------------------------------------------------------------- model
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


def _hex(color: str) -> str:
    return color.lstrip("#").upper()


def rgb_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def text_color_for(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (ITU-R BT.601 luma)."""
    r, g, b = (int(_hex(fill)[i : i + 2], 16) for i in (0, 2, 4))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 128 else "#FFFFFF"


# ---------------------------------------------------------------------------------- fonts, charts
_font_cache: str | None = None


def cjk_font() -> str:
    """The family name of an installed CJK font known to matplotlib, or MissingFontError."""
    global _font_cache
    if _font_cache:
        return _font_cache
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any(family in names for family in CJK_FONT_FAMILIES):
        # the font may have been installed after matplotlib cached its font list: rescan once
        with contextlib.suppress(Exception):  # a private helper: fall through to the error
            font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONT_FAMILIES:
        if family in names:
            _font_cache = family
            return family
    others = sorted(n for n in names if "CJK" in n or "Hei" in n)
    if others:
        _font_cache = others[0]
        return others[0]
    raise MissingFontError(
        "no CJK font found for the charts (looked for "
        + ", ".join(CJK_FONT_FAMILIES)
        + "). On Debian/Ubuntu: apt-get install fonts-noto-cjk, then delete matplotlib's font "
        "cache (~/.cache/matplotlib) so it is found."
    )


def _figure(width_in: float = 7.0, height_in: float = 3.2):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    family = cjk_font()
    plt.rcParams["font.family"] = [family]
    plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "path"  # glyphs as paths: the SVG needs no font
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=120)
    return fig, ax


def _finish(fig, title: str) -> Chart:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    svg_buffer = io.StringIO()
    fig.savefig(svg_buffer, format="svg")
    png_buffer = io.BytesIO()
    fig.savefig(png_buffer, format="png", dpi=110)
    plt.close(fig)
    svg = svg_buffer.getvalue()
    svg = svg[svg.find("<svg") :]  # drop the XML prolog and doctype: inline in HTML
    return Chart(title=title, svg=svg, png=png_buffer.getvalue())


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    *,
    ylabel: str = "",
    colors: Sequence[str] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    value_format: str = "{:.2f}",
) -> Chart:
    """Vertical bars with value labels; `reference` draws a dashed horizontal line."""
    fig, ax = _figure(min(9.0, max(5.0, 0.3 * len(labels) + 2)), 3.2)
    heights = [0 if v is None else v for v in values]
    bars = ax.bar(range(len(labels)), heights, color=list(colors) if colors else "#4472C4")
    for bar, value in zip(bars, values, strict=False):
        if value is not None:
            ax.annotate(value_format.format(value), (bar.get_x() + bar.get_width() / 2,
                        bar.get_height()), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(labels)), list(labels), rotation=45 if len(labels) > 8 else 0,
                  ha="right" if len(labels) > 8 else "center", fontsize=8)
    if reference is not None:
        ax.axhline(reference, linestyle="--", color="#C00000", linewidth=1, label=reference_label)
        if reference_label:
            ax.legend(fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _finish(fig, title)


def line_chart(
    x: Sequence[Any],
    series: dict[str, Sequence[float | None]],
    title: str,
    *,
    ylabel: str = "",
    colors: dict[str, str] | None = None,
) -> Chart:
    """One line per series (None = gap)."""
    fig, ax = _figure(7.0, 3.0)
    for name, values in series.items():
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(list(x), ys, marker="o", markersize=3, label=name,
                color=(colors or {}).get(name))
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _finish(fig, title)


# ---------------------------------------------------------------------------------- XLSX
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

    def put_cell(ws, r: int, c: int, value: Any, number_format: str | None) -> None:
        raw = value.value if isinstance(value, Cell) else value
        if isinstance(raw, float) and raw != raw:
            raw = None
        cell = ws.cell(row=r, column=c, value=MISSING_TEXT if raw is None else raw)
        cell.border = border
        if number_format and isinstance(raw, int | float) and not isinstance(raw, bool):
            cell.number_format = number_format
        if isinstance(value, Cell):
            if value.fill:
                cell.fill = PatternFill("solid", fgColor=_hex(value.fill))
            if value.color or value.bold:
                cell.font = Font(color=_hex(value.color) if value.color else None,
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
                    put_cell(ws, r, c, values.get(column.key), column.number_format)
            ws.freeze_panes = "A3"
            if block.note:
                ws.cell(row=len(block.rows) + 4, column=1, value=block.note)
        elif isinstance(block, Calendar):
            ws = wb.create_sheet(_sheet_name(block.sheet or block.title, used))
            _calendar_sheet(ws, block, border, center)
    for note_row, note in enumerate(bulletin.footnotes, start=max(row + 1, image_anchor_row)):
        cover.cell(row=note_row, column=1, value=note).font = Font(size=9, italic=True)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


def month_grid(year: int, month: int) -> list[list[date | None]]:
    """Weeks (Monday first) of the month; None outside the month."""
    import calendar

    return [
        [date(year, month, d) if d else None for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdayscalendar(year, month)
    ]


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
                cell.fill = PatternFill("solid", fgColor=_hex(info.fill))
                cell.font = Font(color=_hex(info.color or text_color_for(info.fill)))
        ws.row_dimensions[r].height = 32
        r += 1
    r += 1
    for label, fill in block.legend:
        ws.cell(row=r, column=1).fill = PatternFill("solid", fgColor=_hex(fill))
        ws.cell(row=r, column=2, value=label)
        r += 1


# ---------------------------------------------------------------------------------- HTML
CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", sans-serif; font-size: 11pt; color: #222; max-width: 180mm;
       margin: 0 auto; line-height: 1.6; }
h1 { font-size: 18pt; text-align: center; margin: 0.4em 0 0.1em; }
.subtitle, .issued { text-align: center; color: #555; margin: 0; }
h2 { font-size: 13pt; border-left: 4px solid #4472C4; padding-left: 6px; margin-top: 1.2em; }
p { text-indent: 2em; margin: 0.4em 0; }
p.heading { text-indent: 0; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; font-size: 9.5pt;
        page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: 2px 4px; text-align: center; }
th { background: #D9E1F2; }
thead { display: table-header-group; }
table.calendar td { width: 14.28%; height: 3.2em; vertical-align: top; }
table.calendar .d { font-size: 8pt; display: block; text-align: left; }
table.calendar .v { font-size: 11pt; font-weight: bold; }
.legend span { display: inline-block; padding: 0 6px; margin: 2px; border: 1px solid #999;
               font-size: 9pt; }
figure { margin: 0.6em 0; text-align: center; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
.note, .footnotes { font-size: 9pt; color: #555; text-indent: 0; }
@media print { body { max-width: none; } h2 { page-break-after: avoid; } }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _style(fill: str | None, color: str | None) -> str:
    parts = []
    if fill:
        parts.append(f"background:{fill}")
        parts.append(f"color:{color or text_color_for(fill)}")
    elif color:
        parts.append(f"color:{color}")
    return f' style="{";".join(parts)}"' if parts else ""


def _html_table(block: Table) -> str:
    out = [f"<h2>{_esc(block.title)}</h2>", "<table><thead><tr>"]
    out += [f"<th>{_esc(c.header)}</th>" for c in block.columns]
    out.append("</tr></thead><tbody>")
    for values in block.rows:
        out.append("<tr>")
        for column in block.columns:
            value = values.get(column.key)
            style = ""
            text = format_value(value, column.number_format)
            if isinstance(value, Cell):
                style = _style(value.fill, value.color)
                if value.bold:
                    text = f"<b>{_esc(text)}</b>"
                    out.append(f"<td{style}>{text}</td>")
                    continue
            out.append(f"<td{style}>{_esc(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if block.note:
        out.append(f'<p class="note">{_esc(block.note)}</p>')
    return "".join(out)


def _html_calendar(block: Calendar) -> str:
    out = [f"<h2>{_esc(block.title)}</h2>", '<table class="calendar"><thead><tr>']
    out += [f"<th>星期{w}</th>" for w in WEEKDAYS]
    out.append("</tr></thead><tbody>")
    for week in month_grid(block.year, block.month):
        out.append("<tr>")
        for day in week:
            if day is None:
                out.append("<td></td>")
                continue
            info = block.days.get(day)
            style = _style(info.fill, info.color) if info else ""
            title = f' title="{_esc(info.tooltip)}"' if info and info.tooltip else ""
            value = _esc(info.text) if info else MISSING_TEXT
            out.append(
                f'<td{style}{title}><span class="d">{day.day}日</span>'
                f'<span class="v">{value}</span></td>'
            )
        out.append("</tr>")
    out.append("</tbody></table>")
    if block.legend:
        out.append('<div class="legend">')
        out += [f"<span{_style(fill, None)}>{_esc(label)}</span>" for label, fill in block.legend]
        out.append("</div>")
    return "".join(out)


def render_html(bulletin: Bulletin) -> str:
    """The bulletin as one self-contained zh-CN HTML document (A4 print CSS)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_esc(bulletin.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(bulletin.title)}</h1>",
    ]
    if bulletin.subtitle:
        out.append(f'<p class="subtitle">{_esc(bulletin.subtitle)}</p>')
    issuer = f"　{_esc(bulletin.issuer)}" if bulletin.issuer else ""
    out.append(f'<p class="issued">{bulletin.issued.isoformat()}{issuer}</p>')
    for block in bulletin.blocks:
        if isinstance(block, Paragraph):
            cls = ' class="heading"' if block.heading else ""
            out.append(f"<p{cls}>{_esc(block.text)}</p>")
        elif isinstance(block, Table):
            out.append(_html_table(block))
        elif isinstance(block, Calendar):
            out.append(_html_calendar(block))
        elif isinstance(block, Chart):
            out.append(f"<figure>{block.svg}<figcaption>{_esc(block.title)}</figcaption></figure>")
    if bulletin.footnotes:
        out.append('<div class="footnotes">')
        out += [f"<p class='footnotes'>{_esc(n)}</p>" for n in bulletin.footnotes]
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out)


def png_data_uri(png: bytes) -> str:
    """A PNG as a data: URI, for pages that prefer <img> to inline SVG."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def write_html(bulletin: Bulletin, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(bulletin), encoding="utf-8")
    return target


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def write_pdf(bulletin: Bulletin, path: str | os.PathLike[str]) -> Path:
    """The HTML rendered to PDF with WeasyPrint; `PdfUnavailable` if it cannot load."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"PDF output needs WeasyPrint and the pango libraries ({error}); "
            "pip install weasyprint and apt-get install libpango-1.0-0 libpangoft2-1.0-0, "
            "or open the HTML in a browser and print it to PDF (A4 is set in its CSS)"
        ) from None
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=render_html(bulletin)).write_pdf(target)
    return target


FORMATS = ("xlsx", "html", "pdf")


def write_all(
    bulletin: Bulletin,
    out_dir: str | os.PathLike[str],
    stem: str,
    formats: Iterable[str] = FORMATS,
) -> list[Path]:
    """Write the bulletin as `out_dir/stem.{xlsx,html,pdf}`; returns the paths written."""
    writers = {"xlsx": write_xlsx, "html": write_html, "pdf": write_pdf}
    paths = []
    for fmt in formats:
        if fmt not in writers:
            raise ReportError(f"unknown bulletin format {fmt!r}; allowed: {', '.join(FORMATS)}")
        paths.append(writers[fmt](bulletin, Path(out_dir) / f"{stem}.{fmt}"))
    return paths
