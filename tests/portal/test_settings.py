"""`[portal]`: the README's example is a valid configuration; bad values name their key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envmon.config import ConfigError, load_config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_is_read(tmp_path):
    block = re.search(r"```toml\n(\[portal\].*?)```", README, re.S).group(1)
    path = tmp_path / "envmon.toml"
    path.write_text(block, encoding="utf-8")
    settings = load_config(path).portal
    assert settings.bureau_name == "生态环境局" and settings.max_answer_files == 5
    assert load_config(None).portal.public_base_url == ""


@pytest.mark.parametrize("line, key", [('public_base_url = "ftp://x"', "public_base_url"),
                                       ("card_requests_per_minute = 0",
                                        "card_requests_per_minute"),
                                       ("max_answer_files = 50", "max_answer_files")])
def test_bad_values_name_their_key(tmp_path, line, key):
    path = tmp_path / "envmon.toml"
    path.write_text(f"[portal]\n{line}\n", encoding="utf-8")
    with pytest.raises((ConfigError, ValueError)) as error:
        load_config(path)
    assert key in str(error.value)
