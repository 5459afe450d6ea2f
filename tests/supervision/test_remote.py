"""`envmon supervise …` through a running server (`--url`): the same use cases over the API,
who acted kept as the web keeps it, errors one line naming the option."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from envmon.cli import app
from envmon.web.context import WebContext
from tests.web.conftest import serve

runner = CliRunner()
UNIT = "91140100MA0GAS0001"


def test_supervise_through_the_server(store):
    with serve(WebContext(store=store)) as served:
        def run(*args, code=0):
            result = runner.invoke(app, [*args, "--url", served.base])
            assert result.exit_code == code, result.output
            return result.output

        case = json.loads(run("supervise", "open", "--unit", UNIT, "--reason", "现场检查",
                              "--by", "王"))
        cid = str(case["id"])
        assert case["state"] == "warning" and case["created_by"].startswith("王 (web ")
        assert "--deadline" in run("supervise", "notify", cid, "--action", "整改",
                                   "--deadline", "2000-01-01T00:00", code=2)
        assert json.loads(run("supervise", "notify", cid, "--action", "整改"))[
            "state"] == "notified"
        assert "not allowed" in run("supervise", "close", cid, code=2)
        listed = json.loads(run("supervise", "list", "--unit", UNIT, "--format", "json"))
        assert [c["id"] for c in listed] == [case["id"]]
        shown = json.loads(run("supervise", "show", cid, "--format", "json"))
        assert [e["action"] for e in shown["timeline"]] == ["open", "notify"]
        assert json.loads(run("supervise", "sweep")) == []
