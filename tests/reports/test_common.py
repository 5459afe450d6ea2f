"""The bulletin machinery: XLSX, HTML, PDF and charts from one Bulletin."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from envmon.reports import charts, fonts, html, model, pdf, xlsx
from envmon.reports.model import (
    Bulletin,
    Calendar,
    CalendarDay,
    Cell,
    Column,
    Paragraph,
    Table,
)


def _bulletin(with_chart: bool = False) -> Bulletin:
    blocks = [
        Paragraph("概况", heading=True),
        Paragraph("本月优良天数25天，同比增加5天。"),
        Table(
            "城市排名",
            [Column("排名", "rank", 6, "0"), Column("城市", "city", 10),
             Column("综合指数", "index", 10, "0.00")],
            rows=[{"rank": 1, "city": "太原市", "index": Cell(4.5, fill="#00E400")},
                  {"rank": 2, "city": "大同市", "index": None}],
        ),
        Calendar("日历", 2026, 11, {date(2026, 11, 3): CalendarDay("82", "#FFFF00")},
                 legend=[("良", "#FFFF00")]),
    ]
    if with_chart:
        blocks.append(charts.bar_chart(["太原市", "大同市"], [4.5, 3.2], "综合指数"))
    return Bulletin("测试通报", date(2026, 12, 1), blocks, issuer="某某生态环境局")


def test_xlsx_has_sheets_headers_formats_and_fills(tmp_path):
    path = xlsx.write_xlsx(_bulletin(), tmp_path / "b.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["通报", "城市排名", "日历"]
    assert wb["通报"]["A1"].value == "测试通报"
    ws = wb["城市排名"]
    assert [c.value for c in ws[2]] == ["排名", "城市", "综合指数"]
    assert ws["C3"].value == 4.5 and ws["C3"].number_format == "0.00"
    assert ws["C3"].fill.fgColor.rgb.endswith("00E400")
    assert ws["C4"].value == "—"
    assert ws.column_dimensions["B"].width == 10
    cal = wb["日历"]
    # 2026-11-01 is a Sunday: week 1 row 3 column G; the 3rd is Tuesday of week 2
    assert cal["G3"].value.startswith("1日")
    assert cal["B4"].value == "3日\n82"
    assert cal["B4"].fill.fgColor.rgb.endswith("FFFF00")


def test_html_is_self_contained_zh_cn_with_a4_print_css():
    text = html.render_html(_bulletin())
    assert '<html lang="zh-CN">' in text and "size: A4" in text
    assert "本月优良天数25天，同比增加5天。" in text
    assert "<td>4.50</td>" not in text and ">4.50<" in text  # 2 decimals, coloured cell
    assert 'class="calendar"' in text and "background:#FFFF00" in text
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")


def test_value_formatting():
    assert model.format_value(None) == "—"
    assert model.format_value(float("nan")) == "—"
    assert model.format_value(0.25, "0.0%") == "25.0%"
    assert model.format_value(3, "0.00") == "3.00"
    assert model.decimals_of("0.0") == 1 and model.decimals_of(None) is None
    assert model.text_color_for("#00E400") == "#000000"
    assert model.text_color_for("#7E0023") == "#FFFFFF"


def test_chart_uses_a_cjk_font_and_svg_has_no_font_dependency(tmp_path):
    family = fonts.cjk_font()  # .ci/run installs fonts-noto-cjk: a missing font fails
    assert family
    chart = charts.bar_chart(["太原市", "大同市"], [4.5, None], "综合指数", reference=4.0)
    assert chart.svg.startswith("<svg") and chart.png.startswith(b"\x89PNG")
    page = html.render_html(_bulletin(with_chart=True))
    assert "<figure><svg" in page
    wb = load_workbook(xlsx.write_xlsx(_bulletin(with_chart=True), tmp_path / "c.xlsx"))
    assert "综合指数" in wb.sheetnames


def test_pdf_or_clear_error(tmp_path):
    if not pdf.pdf_available():
        with pytest.raises(pdf.PdfUnavailable, match="print it to PDF"):
            pdf.write_pdf(_bulletin(), tmp_path / "b.pdf")
        return
    path = pdf.write_pdf(_bulletin(), tmp_path / "b.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_a_report_error_is_a_user_error():
    from envmon.errors import EnvmonError

    assert issubclass(model.ReportError, EnvmonError)
    assert issubclass(fonts.MissingFontError, EnvmonError)
