"""Issue 13: a page a bureau administrator can follow (docs/admin.md, linked from the README)
that covers the first administrator, roles, users, tokens, marks, supervision, grades, remote
commands and the audit log — and whose commands are real commands with real options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from envmon.access.roles import ROLES
from envmon.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "admin.md").read_text(encoding="utf-8")


def test_the_readme_links_the_administrators_guide():
    assert "(docs/admin.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_guide_covers_what_an_administrator_runs():
    for topic in ("first administrator", "Roles and users", "Tokens", "Data marks",
                  "Supervision", "grades", "Remote commands", "audit log", "用户管理"):
        assert topic in DOC, topic
    for role in ROLES:
        assert f"| `{role}` |" in DOC, role


def _commands() -> list[list[str]]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", DOC, re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("envmon "):
                out.append(shlex.split(line)[1:])
    return out


def test_every_command_of_the_guide_exists_with_its_options():
    commands = _commands()
    assert len(commands) >= 12
    runner = CliRunner()
    for words in commands:
        path = [w for w in words[:2] if not w.startswith("-")]
        shown = runner.invoke(app, [*path[:2], "--help"])
        if shown.exit_code != 0 or "Usage" not in shown.output:
            shown = runner.invoke(app, [path[0], "--help"])  # `envmon command MN ACTION`
        assert shown.exit_code == 0, (words, shown.output)
        for option in (w.split("=", 1)[0] for w in words if w.startswith("--")):
            assert option in shown.output, (words, option)
