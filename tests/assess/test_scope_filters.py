"""`envmon assess --region/--unit` (the drill-down filters) and their checks."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from envmon.assess.api import AssessOptions, region_prefix
from envmon.cli import app
from envmon.errors import OptionError
from envmon.ingest.api import mask_password


@pytest.mark.parametrize(("code", "prefix"), [("14", "14"), ("140000", "14"),
                                              ("140100", "1401"), ("140105", "140105"),
                                              (" 1401 ", "1401")])
def test_a_region_code_is_the_prefix_of_its_regions(code, prefix):
    assert region_prefix(code) == prefix


@pytest.mark.parametrize(("options", "option"), [
    ({"region": "1x"}, "--region"), ({"region": "14010"}, "--region"),
    ({"level": "city", "region": "140105"}, "--region"),
    ({"level": "county", "unit": "91140100MA0GTEST01"}, "--unit"),
    ({"level": "unit", "unit": " "}, "--unit"),
])
def test_bad_scopes_name_their_option(options, option):
    with pytest.raises(OptionError) as caught:
        AssessOptions(**options)
    assert caught.value.option == option


def test_the_cli_refuses_a_bad_region_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["assess", "--db", str(tmp_path / "x.duckdb"),
                                      "--month", "2026-10", "--region", "abc"])
    assert result.exit_code == 2 and "--region" in result.output
    assert "Traceback" not in result.output


def test_passwords_are_masked_in_raw_text():
    raw = "##0101QN=1;ST=31;CN=2061;PW=123456;MN=010000A8;Flag=5;CP=&&PW=x&&"
    assert mask_password(raw) == ("##0101QN=1;ST=31;CN=2061;PW=******;MN=010000A8;Flag=5;"
                                  "CP=&&PW=******&&")
