"""envmon.config: defaults, file discovery, unknown keys and wrong types named."""

from __future__ import annotations

import pytest

from envmon.config import Config, ConfigError, load_config, parse_config


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENVMON_CONFIG", raising=False)


def test_defaults_without_any_file():
    config = load_config()
    assert config == Config()
    assert config.store.path == "envmon.duckdb"
    assert (config.ingest.port, config.ingest.idle_timeout_s) == (6000, 600)
    assert config.ingest.commit_interval_ms == 5
    assert config.source is None


def test_envmon_toml_in_cwd_is_read(tmp_path):
    (tmp_path / "envmon.toml").write_text(
        '[store]\npath = "data/x.duckdb"\n[ingest]\nport = 7000\nidle_timeout_s = 30\n',
        encoding="utf-8",
    )
    config = load_config()
    assert config.ingest.port == 7000
    assert config.ingest.idle_timeout_s == 30.0 and isinstance(config.ingest.idle_timeout_s, float)
    assert config.ingest.max_batch == 20000  # untouched default
    assert config.store.path == "data/x.duckdb"


def test_explicit_path_and_env_var(tmp_path, monkeypatch):
    conf = tmp_path / "etc" / "site.toml"
    conf.parent.mkdir()
    conf.write_text('[store]\npath = "site.duckdb"\n[sim]\nseed = 9\n', encoding="utf-8")
    config = load_config(conf)
    assert config.sim.seed == 9
    assert config.store.path == str(tmp_path / "etc" / "site.duckdb")  # relative to the file
    monkeypatch.setenv("ENVMON_CONFIG", str(conf))
    assert load_config().sim.seed == 9


def test_absolute_and_url_store_paths_are_kept(tmp_path):
    conf = tmp_path / "a.toml"
    conf.write_text('[store]\npath = "postgresql://envmon@db/envmon"\n', encoding="utf-8")
    assert load_config(conf).store.path == "postgresql://envmon@db/envmon"


def test_unknown_keys_and_sections_are_named():
    with pytest.raises(ConfigError, match=r"unknown key in \[ingest\]: prot"):
        parse_config({"ingest": {"prot": 1}}, "envmon.toml")
    with pytest.raises(ConfigError, match=r"unknown section \[stroe\]"):
        parse_config({"stroe": {}}, "envmon.toml")


def test_wrong_types_are_named():
    with pytest.raises(ConfigError, match=r"\[ingest\] port: expected an integer"):
        parse_config({"ingest": {"port": "6000"}})
    with pytest.raises(ConfigError, match=r"\[store\] path: expected a string"):
        parse_config({"store": {"path": 3}})
    with pytest.raises(ConfigError, match="must be a table"):
        parse_config({"sim": 3})


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[store\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_domain_sections_reach_the_commands(tmp_path):
    """[assess] sets the assessment's rules for `envmon assess`; options still win."""
    import json

    from typer.testing import CliRunner

    from envmon.cli import app
    from envmon.store import open_store

    open_store(tmp_path / "e.duckdb").close()
    config = tmp_path / "envmon.toml"
    config.write_text('[assess]\ninstant_hours = 3\ncomplete_days = 7\n\n'
                      '[backfill]\nlookback_hours = 48\n', encoding="utf-8")
    args = ["assess", "--db", str(tmp_path / "e.duckdb"), "--config", str(config),
            "--month", "2026-11", "--level", "province", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["instant_hours"], out["complete_days"]) == (3, 7)
    result = CliRunner().invoke(app, [*args, "--instant-hours", "1"])
    assert json.loads(result.output)["instant_hours"] == 1
    assert load_config(config).backfill.lookback_hours == 48


def test_domain_section_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[assess]\npass_mark = "ninety"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[assess\] pass_mark"):
        load_config(bad)


def test_raw_domain_tables_are_checked_when_read(tmp_path):
    good = parse_config({"alarms": {"offline_after_s": 900, "webhook_url": "http://127.0.0.1:9/h"},
                         "tax": {"no_reduction_scope": "taxpayer"}})
    assert good.alarms["offline_after_s"] == 900
    assert good.tax == {"no_reduction_scope": "taxpayer"}
    with pytest.raises(ConfigError, match="offline_after"):
        parse_config({"alarms": {"offline_after": 900}})
    with pytest.raises(ConfigError, match=r"\[tax\]"):
        parse_config({"tax": {"no_reduction_scope": "everyone"}})


def test_roads_tables_in_envmon_toml(tmp_path):
    from envmon.roads.settings import settings_from_dict

    config = parse_config({"roads": {"eligibility": {"min_days": 5}, "passes": {"gap_s": 90}}})
    settings = settings_from_dict(config.roads)
    assert settings.eligibility.min_days == 5 and settings.passes.gap_s == 90
    with pytest.raises(ConfigError, match="min_dayz"):
        parse_config({"roads": {"eligibility": {"min_dayz": 5}}})


def test_web_section_reaches_serve_and_a_bad_value_is_one_line(tmp_path):
    """[web] is envmon.web.service.WebSettings: read, and a bad value is one line naming
    `[web] key` (serve: exit 2, no traceback)."""
    from typer.testing import CliRunner

    from envmon.cli import app

    good = parse_config({"web": {"max_connections": 50, "header_timeout_s": 3}})
    assert good.web.max_connections == 50 and good.web.header_timeout_s == 3.0
    assert Config().web.query_slots == 4  # the default without a [web] section
    for text, key in (("[web]\nmax_connections = 0\n", "max_connections"),
                      ('[web]\nquery_slots = "four"\n', "query_slots"),
                      ("[web]\nheader_timeout_s = -1\n", "header_timeout_s"),
                      ("[web]\nmax_body = 10\n", "max_body")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=rf"\[web\].* {key}"):
            load_config(bad)
        result = CliRunner().invoke(app, ["serve", "--config", str(bad), "--db",
                                          str(tmp_path / "s.duckdb"), "--hj212-port", "0"])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "[web]" in lines[0] and key in lines[0], result.output
        assert "Traceback" not in result.output
