"""[supervision] and [grade] in the configuration file: read, checked, errors naming the
key; the README's example is a valid configuration."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from envmon.config import Config, ConfigError, parse_config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_reads():
    section = README.split("## Supervision and grades", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    config = parse_config(tomllib.loads(block))
    assert config.supervision.near_pass_margin == 2.0
    assert config.grade.labels == ("A", "B", "C", "D")


def test_defaults_and_errors():
    assert Config().supervision.mark_deadline_hours == 24.0
    assert parse_config({"grade": {"labels": ["绿", "蓝", "黄", "红"]}}).grade.labels[3] == "红"
    with pytest.raises(ConfigError, match="near_pass_margin"):
        parse_config({"supervision": {"near_pass_margin": -1.0}})
    with pytest.raises(ConfigError, match="labels"):
        parse_config({"grade": {"labels": ["A", "B"]}})
    with pytest.raises(ConfigError, match="nonsense"):
        parse_config({"supervision": {"nonsense": 1}})
