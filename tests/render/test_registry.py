"""`envmon.render.render`: every format parses back, files land where they should, and a
format a result cannot give is an OptionError naming --format and the choices."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len

from envmon.errors import OptionError
from envmon.render import Column, Table, formats_for, render, renderer
from envmon.render.terminal import write_table

BEIJING = timezone(timedelta(hours=8))
LONG_NAME = "某某市某某区某某工业园区某某有限责任公司第一号废气排放口在线监测点位" * 2


@dataclass
class Listing:
    """A tabular result, as a use case returns it."""

    names: list[str]
    default_stem = "listing-2026-11"

    def as_json(self):
        return {"rows": [{"id": i, "name": n} for i, n in enumerate(self.names, 1)]}

    def as_table(self) -> Table:
        return Table(
            "点位列表",
            [Column("id", "序号", 6, "0"), Column("name", "名称", 30),
             Column("opened_at", "报警时间", 20), Column("rate", "有效率(%)", 10, "0.00")],
            [(i, n, datetime(2026, 11, 1, 8, tzinfo=BEIJING), 98.5 if i == 1 else None)
             for i, n in enumerate(self.names, 1)],
        )


@dataclass
class JsonOnly:
    value: int


@dataclass
class Lines:
    items: list[dict]
    json_layout = "lines"

    def as_json(self):
        return self.items


def test_json_is_as_json_with_indent_1(capsys):
    assert render(Listing(["甲", "乙"]), "json") is None
    out = capsys.readouterr().out
    assert json.loads(out) == {"rows": [{"id": 1, "name": "甲"}, {"id": 2, "name": "乙"}]}
    assert out.startswith('{\n "rows"') and "甲" in out


def test_json_of_a_plain_dataclass_and_a_layout_attribute(capsys):
    render(JsonOnly(3), "json")
    assert json.loads(capsys.readouterr().out) == {"value": 3}
    render(Lines([{"a": 1}, {"a": 2}]), "json")
    assert capsys.readouterr().out == '{"a": 1}\n{"a": 2}\n'


def test_csv_parses_back_with_key_headers_and_iso_times(capsys):
    render(Listing(["甲,逗号", "乙"]), "csv")
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "name", "opened_at", "rate"]
    assert rows[1] == ["1", "甲,逗号", "2026-11-01T08:00:00+08:00", "98.5"]
    assert rows[2] == ["2", "乙", "2026-11-01T08:00:00+08:00", ""]
    assert "\r" not in out


def test_csv_to_a_file_is_utf8(tmp_path):
    path = render(Listing(["甲"]), "csv", tmp_path / "out.csv")
    assert path == tmp_path / "out.csv"
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith("1,甲,")


def test_terminal_table_does_not_wrap_at_80_columns_when_not_a_tty(capsys):
    render(Listing([LONG_NAME]), "table")
    lines = capsys.readouterr().out.splitlines()
    row = [line for line in lines if "某某市" in line]
    assert len(row) == 1, lines  # the whole name on one line
    assert LONG_NAME in row[0]
    assert len(row[0]) > 80
    assert "序号" in "".join(lines) and "点位列表" in lines[0]


def test_terminal_table_does_not_read_markup():
    stream = io.StringIO()
    write_table(Table("t", [Column("a", "A")], [("[red]x[/red]",)]), stream)
    assert "[red]x[/red]" in stream.getvalue()
    assert "\x1b[" not in stream.getvalue()


def test_terminal_table_wraps_to_a_real_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "80")
    stream = Tty()
    write_table(Listing([LONG_NAME]).as_table(), stream)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in stream.getvalue().splitlines()]
    assert max(cell_len(line) for line in lines) <= 80
    assert LONG_NAME not in "".join(lines)  # wrapped over several lines


def test_whole_columns_stay_whole_and_trailing_columns_make_room(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    code = "0221234567890123456789AB"
    columns = [Column("mn", "MN", whole=True),
               *(Column(f"c{k}", f"C{k}") for k in range(8))]
    table = Table("t", columns, [(code, *(f"value {k}" for k in range(8)))])
    monkeypatch.setenv("COLUMNS", "60")
    stream = Tty()
    write_table(table, stream)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in stream.getvalue().splitlines()]
    assert max(cell_len(line) for line in lines) <= 60
    assert any(code in line for line in lines)  # whole, on one line
    assert "C1" in "".join(lines) and "C2" not in "".join(lines)
    assert lines[-1] == "（终端宽度不足，另有 6 列未显示；--format csv 显示全部）"
    piped = io.StringIO()  # off a terminal every column is there, at natural width
    write_table(table, piped)
    assert "C7" in piped.getvalue() and "终端宽度不足" not in piped.getvalue()


def test_xlsx_from_a_table_opens_with_labels_and_formats(tmp_path):
    path = render(Listing(["甲", "乙"]), "xlsx", tmp_path / "l.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["点位列表"]  # a data export: no 通报 cover sheet
    ws = wb["点位列表"]
    assert [c.value for c in ws[2]] == ["序号", "名称", "报警时间", "有效率(%)"]
    assert ws["A3"].value == 1 and ws["B3"].value == "甲"
    # A date cell in Beijing wall-clock time (Excel has no zones), so it sorts and filters.
    assert ws["C3"].value == datetime(2026, 11, 1, 8, 0)
    assert ws["C3"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["D3"].value == 98.5 and ws["D3"].number_format == "0.00"
    assert ws["D4"].value is None  # empty stays empty in a data export


def test_file_formats_default_to_the_stem_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert render(Listing(["甲"]), "html") == tmp_path.joinpath("listing-2026-11.html").relative_to(
        tmp_path)
    text = (tmp_path / "listing-2026-11.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "<th>名称</th>" in text and "甲" in text
    assert "2026-11-01 08:00:00" in text  # Beijing time, as people write it
    folder = tmp_path / "out"
    folder.mkdir()
    assert render(Listing(["甲"]), "xlsx", folder) == folder / "listing-2026-11.xlsx"
    assert (folder / "listing-2026-11.xlsx").exists()


def test_a_file_format_without_stem_or_output_names_output():
    @dataclass
    class NoStem:
        def as_table(self):
            return Table("t", [Column("a", "A")], [(1,)])

    with pytest.raises(OptionError) as caught:
        render(NoStem(), "xlsx")
    assert caught.value.option == "--output"


def test_unknown_format_names_format_and_the_choices():
    with pytest.raises(OptionError) as caught:
        render(Listing(["甲"]), "yaml")
    assert caught.value.option == "--format"
    assert "'yaml'" in str(caught.value)
    assert "json, csv, table, xlsx, html" in caught.value.reason
    with pytest.raises(OptionError, match="--format: 'csv'.*choose one of json$"):
        render(JsonOnly(1), "csv")


def test_formats_for_follows_what_a_result_offers():
    assert formats_for(Listing) == ("json", "csv", "table", "xlsx", "html")
    assert formats_for(JsonOnly) == ("json",)


def test_a_registered_renderer_wins_and_is_inherited(capsys, tmp_path):
    @dataclass
    class Ranked(Listing):
        pass

    @dataclass
    class RankedChild(Ranked):
        pass

    @renderer(Ranked, "text")
    def ranked_text(result, stream):
        for name in result.names:
            stream.write(f"* {name}\n")

    @renderer(Ranked, "xlsx")
    def ranked_xlsx(result, path):
        path.write_bytes(b"own")

    assert formats_for(RankedChild) == ("json", "csv", "table", "xlsx", "html", "text")
    render(RankedChild(["甲", "乙"]), "text")
    assert capsys.readouterr().out == "* 甲\n* 乙\n"
    path = render(RankedChild(["甲"]), "xlsx", tmp_path / "r.xlsx")
    assert path.read_bytes() == b"own"
    assert formats_for(Listing) == ("json", "csv", "table", "xlsx", "html")  # base untouched


def test_a_bulletin_result_renders_its_bulletin(tmp_path):
    from envmon.reports.model import Bulletin, Paragraph

    @dataclass
    class Monthly:
        month: str
        default_stem = "monthly"

        def as_json(self):
            return {"month": self.month}

        def bulletin(self):
            return Bulletin(f"{self.month}通报", date(2026, 12, 1), [Paragraph("本月正常。")])

    assert formats_for(Monthly) == ("json", "xlsx", "html", "pdf")
    wb = load_workbook(render(Monthly("2026-11"), "xlsx", tmp_path))
    assert wb.sheetnames == ["通报"]
    assert wb["通报"]["A1"].value == "2026-11通报"
    html_text = render(Monthly("2026-11"), "html", tmp_path).read_text(encoding="utf-8")
    assert "本月正常。" in html_text


def test_a_bulletin_renders_as_itself_and_only_to_files(tmp_path):
    from envmon.reports.model import Bulletin, Paragraph

    bulletin = Bulletin("通报", date(2026, 12, 1), [Paragraph("正文")])
    assert formats_for(Bulletin) == ("xlsx", "html", "pdf")
    path = render(bulletin, "html", tmp_path / "b.html")
    assert "正文" in path.read_text(encoding="utf-8")
    with pytest.raises(OptionError, match="choose one of xlsx, html, pdf"):
        render(bulletin, "json")


def test_output_errors_name_the_option_and_dash_is_stdout(tmp_path, capsys):
    @dataclass
    class Rows:
        def as_json(self):
            return {"n": 1}

        def as_table(self):
            return Table("t", [Column("n", "数")], [(1,)])

    blocker = tmp_path / "file.csv"
    blocker.write_text("x")
    cases = [(blocker / "x.json", "json", "cannot write"),          # a file where a folder must be
             (tmp_path / "out.csv", "xlsx", "ends in .csv but --format is xlsx"),
             (tmp_path / "t.xlsx", "table", "ends in .xlsx"),
             ("-", "xlsx", "file format")]
    for output, fmt, words in cases:
        with pytest.raises(OptionError) as err:
            render(Rows(), fmt, output)
        assert err.value.option == "--output" and words in err.value.reason
    assert blocker.read_text() == "x"
    assert render(Rows(), "json", "-") is None
    assert '"n": 1' in capsys.readouterr().out
    assert render(Rows(), "table", tmp_path / "t.txt") == tmp_path / "t.txt"
