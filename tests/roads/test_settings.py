"""Road settings file: thresholds are configuration (roads.md §4)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from envmon.cli import app
from envmon.roads.settings import load_settings


def test_defaults_and_overrides(tmp_path):
    assert load_settings(None).eligibility.min_days == 8
    f = tmp_path / "roads.toml"
    f.write_text("[eligibility]\nmin_days = 4\n[passes]\nidle_max_s = 90\n"
                 "[sensors]\nsaturation_ugm3 = 2000\n", encoding="utf-8")
    s = load_settings(f)
    assert s.eligibility.min_days == 4 and s.eligibility.min_passes == 15
    assert s.passes.idle_max_s == 90.0 and s.sensors.saturation_ugm3 == 2000.0


@pytest.mark.parametrize("text", ["[nope]\na = 1\n", "[passes]\nidle = 3\n",
                                  "[eligibility]\nmin_days = 'x'\n"])
def test_unknown_or_ill_typed_entries_are_errors(tmp_path, text):
    f = tmp_path / "roads.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        load_settings(f)


def test_cli_uses_the_settings_file(tmp_path):
    f = tmp_path / "roads.toml"
    f.write_text("[sensors]\nsaturation_ugm3 = 50\n", encoding="utf-8")
    csv = tmp_path / "r.csv"
    csv.write_text("device_id,time,lat,lon,pm25,pm10\nA,2026-10-01T08:00:00,37.85,112.55,20,60\n"
                   "A,2026-10-01T08:00:01,37.85,112.55,20,40\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["roads", "import", str(csv), "--db", str(tmp_path / "s.db"),
                                 "--settings", str(f)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["rejected"] == {"pm_saturated": 1}
    bad = tmp_path / "bad.toml"
    bad.write_text("[x]\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["roads", "import", str(csv), "--db", str(tmp_path / "s.db"),
                                 "--settings", str(bad)])
    assert r.exit_code == 2
