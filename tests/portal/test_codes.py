"""Unit codes: made once, stable, unguessable, rotated by hand; the CLI prints them and
writes the placard (HTML with the inline QR code, SVG, PDF)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.errors import OptionError
from envmon.portal.codes import CODE_PATTERN, code_for, unit_of_code
from tests.portal.conftest import GAS_UNIT, WATER_UNIT


def test_a_code_is_stable_random_and_rotates(store):
    first = code_for(store, GAS_UNIT)
    assert CODE_PATTERN.fullmatch(first.code) and GAS_UNIT not in first.code
    assert code_for(store, GAS_UNIT).code == first.code  # stable
    other = code_for(store, WATER_UNIT)
    assert other.code != first.code
    assert unit_of_code(store, first.code) == GAS_UNIT
    rotated = code_for(store, GAS_UNIT, rotate=True, by="王")
    assert rotated.code != first.code and rotated.rotated == 1 and rotated.created_by == "王"
    assert unit_of_code(store, first.code) is None  # the old placard stops working
    assert unit_of_code(store, rotated.code) == GAS_UNIT
    for bad in ("", "x", "'; DROP TABLE units; --", first.code + "A"):
        assert unit_of_code(store, bad) is None
    with pytest.raises(OptionError) as error:
        code_for(store, "NO-SUCH-UNIT")
    assert error.value.option == "UNIT_ID"


def test_cli_code_and_placards(tmp_path):
    from envmon.registry.importer import import_rows
    from envmon.store import open_store
    from tests.assess.conftest import registry_rows

    db = tmp_path / "cli.duckdb"
    with open_store(db) as store:
        assert import_rows(store, registry_rows()).ok
    runner = CliRunner()
    answer = runner.invoke(cli_app, ["portal", "code", GAS_UNIT, "--db", str(db), "--json",
                                     "--base-url", "https://hbm.example.cn"])
    assert answer.exit_code == 0, answer.output
    code = json.loads(answer.output)
    assert code["card_url"] == f"https://hbm.example.cn/card/{code['code']}"
    again = runner.invoke(cli_app, ["portal", "code", GAS_UNIT, "--db", str(db), "--json"])
    assert json.loads(again.output)["code"] == code["code"]
    assert json.loads(again.output)["card_url"].startswith("http://127.0.0.1:8000/card/")
    html = tmp_path / "placard.html"
    answer = runner.invoke(cli_app, ["portal", "placard", GAS_UNIT, "--db", str(db),
                                     "--output", str(html), "--base-url", "https://h.cn"])
    assert answer.exit_code == 0, answer.output
    text = html.read_text(encoding="utf-8")
    assert "甲电厂" in text and code["code"] in text and "<svg" in text
    assert f"https://h.cn/card/{code['code']}" in text and "生态环境局" in text
    assert "@page { size: A4" in text
    svg = tmp_path / "qr.svg"
    assert runner.invoke(cli_app, ["portal", "placard", GAS_UNIT, "--db", str(db), "-o",
                                   str(svg)]).exit_code == 0
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    bad = runner.invoke(cli_app, ["portal", "placard", GAS_UNIT, "--db", str(db), "-o",
                                  str(tmp_path / "p.docx")])
    assert bad.exit_code == 2 and "--output" in bad.output
    unknown = runner.invoke(cli_app, ["portal", "code", "NOPE", "--db", str(db)])
    assert unknown.exit_code == 2 and "UNIT_ID" in unknown.output
    from envmon.reports.pdf import pdf_available

    if pdf_available():
        pdf = tmp_path / "placard.pdf"
        assert runner.invoke(cli_app, ["portal", "placard", GAS_UNIT, "--db", str(db), "-o",
                                       str(pdf), "--size", "A5"]).exit_code == 0
        assert pdf.read_bytes().startswith(b"%PDF-")
