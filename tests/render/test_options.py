"""`envmon.cli.options`: the shared --format/--output options and `emit`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from envmon.cli.options import emit, format_option, output_option
from envmon.errors import OptionError
from envmon.render import Column, Table


@dataclass
class Result:
    bad: bool = False
    default_stem = "result"

    def as_json(self):
        return {"名称": "甲"}

    def as_table(self):
        if self.bad:
            raise OptionError("--level", "must be point or unit")
        return Table("结果", [Column("name", "名称")], [("甲",)])


app = typer.Typer()


@app.command()
def show(fmt: str = format_option("json", ("json", "csv", "xlsx", "yaml")),
         output: Path | None = output_option("--out"),
         bad: bool = typer.Option(False, "--bad")) -> None:
    emit(Result(bad), fmt, output)


def test_json_to_stdout():
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"名称": "甲"}


def test_a_format_outside_the_choices_is_one_line_and_exit_2():
    result = CliRunner().invoke(app, ["--format", "pdf"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --format: 'pdf' is not available here; choose one of json, csv, xlsx, yaml"]


def test_a_format_the_result_cannot_give_is_one_line_and_exit_2():
    result = CliRunner().invoke(app, ["--format", "yaml"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--format: 'yaml'" in result.stderr and "choose one of json, csv" in result.stderr


def test_an_option_error_while_rendering_is_one_line_and_exit_2():
    result = CliRunner().invoke(app, ["--format", "csv", "--bad"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --level: must be point or unit"


def test_output_and_its_alias_write_the_file_and_print_the_path(tmp_path):
    for name in ("--output", "-o", "--out"):
        target = tmp_path / f"x{name.strip('-')}.xlsx"
        result = CliRunner().invoke(app, ["--format", "xlsx", name, str(target)])
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == str(target)
        assert target.exists()
    target = tmp_path / "r.csv"
    result = CliRunner().invoke(app, ["--format", "csv", "-o", str(target)])
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == "name\n甲\n"


def test_help_lists_the_choices():
    result = CliRunner().invoke(app, ["--help"])
    assert "json, csv, xlsx, yaml" in result.stdout
    assert "--out" in result.stdout and "-o" in result.stdout


def test_a_bulletin_that_cannot_render_is_one_line_and_exit_2(tmp_path, monkeypatch):
    from envmon.reports import pdf
    from envmon.reports.model import Bulletin, Paragraph

    def no_pdf(bulletin, path):
        raise pdf.PdfUnavailable("PDF output needs WeasyPrint; print the HTML to PDF")

    monkeypatch.setattr(pdf, "write_pdf", no_pdf)
    pdf_app = typer.Typer()

    @pdf_app.command()
    def report(output: Path = output_option()) -> None:
        emit(Bulletin("通报", date(2026, 12, 1), [Paragraph("正文")]), "pdf", output)

    result = CliRunner().invoke(pdf_app, ["-o", str(tmp_path / "b.pdf")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: PDF output needs WeasyPrint; print the HTML to PDF")
    assert not (tmp_path / "b.pdf").exists()


# ---------------------------------------------------------------------------- emit_many
def _bulletin_result():
    from envmon.reports.model import Bulletin, Paragraph

    @dataclass
    class Monthly:
        default_stem = "monthly-2026-11"

        def as_json(self):
            return {"month": "2026-11"}

        def bulletin(self):
            return Bulletin("通报", date(2026, 12, 1), [Paragraph("正文")])

    return Monthly()


many_app = typer.Typer()


@many_app.command()
def bulletin(out: Path | None = output_option("--out"),
             formats: str = typer.Option("xlsx,html", "--formats")) -> None:
    from envmon.cli.options import emit_many

    emit_many(_bulletin_result(), formats, out)


def test_emit_many_writes_each_format_into_the_folder_and_prints_each_path(tmp_path):
    out = tmp_path / "new" / "folder"
    result = CliRunner().invoke(many_app, ["--out", str(out), "--formats", "xlsx, html,xlsx"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "monthly-2026-11.xlsx"),
                                          str(out / "monthly-2026-11.html")]
    assert sorted(p.name for p in out.iterdir()) == ["monthly-2026-11.html",
                                                     "monthly-2026-11.xlsx"]


def test_emit_many_checks_every_format_before_writing_any(tmp_path):
    result = CliRunner().invoke(many_app, ["--out", str(tmp_path), "--formats", "xlsx,bogus"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: --formats: 'bogus' is not available here; "
                                     "choose one of xlsx, html, pdf")
    assert list(tmp_path.iterdir()) == []


def test_emit_many_skips_pdf_with_a_note_when_weasyprint_cannot_load(tmp_path, monkeypatch):
    from envmon.reports import pdf

    monkeypatch.setattr(pdf, "pdf_available", lambda: False)
    result = CliRunner().invoke(many_app, ["--out", str(tmp_path), "--formats", "pdf,html"])
    assert result.exit_code == 0, result.output
    assert "PDF skipped: WeasyPrint is not available" in result.stderr
    assert result.stdout.splitlines() == [str(tmp_path / "monthly-2026-11.html")]
    assert [p.name for p in tmp_path.iterdir()] == ["monthly-2026-11.html"]


def test_emit_many_writes_one_format_to_the_file_named(tmp_path):
    target = tmp_path / "b.html"
    result = CliRunner().invoke(many_app, ["--out", str(target), "--formats", "html"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target) and target.exists()


def test_emit_many_into_a_folder_that_cannot_be_made_is_one_line(tmp_path):
    from envmon.cli.options import emit_many

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(typer.Exit) as exit_:
        emit_many(Result(), "xlsx,html", blocker / "out")
    assert exit_.value.exit_code == 2 and blocker.read_text() == "x"
    written = emit_many(Result(), "xlsx,html", tmp_path / "out")
    assert [p.name for p in written] == ["result.xlsx", "result.html"]
