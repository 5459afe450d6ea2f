"""A bulletin as one self-contained zh-CN HTML file: inline CSS with A4 print rules, charts as
inline SVG with glyphs as paths (no font needed on the reader's machine), no script, no link.
The same HTML is what `pdf` prints."""

from __future__ import annotations

import html
import os
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
    format_value,
    month_grid,
    text_color_for,
)

KEEP_TOGETHER_CSS = """
h1, h2, h3, h4, p.heading, .subtitle, .issued {
    break-after: avoid; page-break-after: avoid; break-inside: avoid; page-break-inside: avoid; }
thead, tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
figure { break-inside: avoid; page-break-inside: avoid; }
"""
"""The page-break rules of print (PDF, a browser's print): a heading (h1–h4, a section heading
paragraph "一、总体情况", a table's title) stays with what follows it, never the last line of a
page; a table row and the header rows are never cut, and the header repeats on every page the
table runs onto (issue 11, item 27). Both spellings: `break-*` (CSS Fragmentation 3) for
WeasyPrint and current browsers, `page-break-*` for older ones. tests/reports/test_page_breaks.py
lays a long bulletin out and checks every page's end."""

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
th, td { border: 1px solid #999; padding: 2px 4px; text-align: center; }
th { background: #D9E1F2; }
table.calendar td { width: 14.28%; height: 3.2em; vertical-align: top; }
table.calendar .d { font-size: 8pt; display: block; text-align: left; }
table.calendar .v { font-size: 11pt; font-weight: bold; }
.legend span { display: inline-block; padding: 0 6px; margin: 2px; border: 1px solid #999;
               font-size: 9pt; }
figure { margin: 0.6em 0; text-align: center; }
figure svg { max-width: 100%; height: auto; }
.note, .footnotes { font-size: 9pt; color: #555; text-indent: 0; }
@media print { body { max-width: none; } }
""" + KEEP_TOGETHER_CSS


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


def write_html(bulletin: Bulletin, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(bulletin), encoding="utf-8")
    return target
