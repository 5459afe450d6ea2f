"""Issue 11 item 29: the README says what a new user needs after `make demo`: where the
command is, the registry columns with their Chinese names, a five-command walkthrough, when
补遗 starts; and the install shows progress."""

from __future__ import annotations

import re
from pathlib import Path

from envmon.registry.importer import COLUMN_ALIASES, COLUMNS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_says_how_to_reach_the_command():
    assert "source .venv/bin/activate" in README and ".venv/bin/envmon" in README


def test_readme_lists_every_registry_column_with_its_chinese_name():
    for column in COLUMNS:
        chinese = next(a for a in COLUMN_ALIASES[column] if not a.isascii())
        row = re.search(rf"^\| `{column}` \|([^|]*)\|", README, re.M)
        assert row is not None, f"registry column {column} missing from the README"
        assert chinese in row.group(1), (column, chinese)


def test_readme_walks_through_five_commands_in_order():
    section = README.split("### Five commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    steps = ["envmon registry import", "envmon serve", "envmon simulate", "envmon assess",
             "envmon report transmission"]
    where = [block.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), where
    for step in steps:  # and what each prints
        assert f"- `{step.removeprefix('envmon ')}` prints" in section or \
               f"- `{step.removeprefix('envmon ')}` writes" in section, step


def test_readme_says_when_backfill_starts():
    assert "online_delay_s" in README and "after the unit (re)connects" in README


def test_install_is_not_silent():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = makefile.split("$(BIN)/envmon: pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "pip install -q -e" not in install and "Installing envmon" in install
