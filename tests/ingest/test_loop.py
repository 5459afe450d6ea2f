"""`ingest.loop.run_loop`: the one event-loop runner of serve, simulate, demo, replay, workers."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from envmon.ingest.loop import run_loop

SRC = Path(__file__).resolve().parents[2] / "src" / "envmon"


def test_run_loop_returns_the_value_on_uvloop_when_installed():
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    module = run_loop(which())
    if importlib.util.find_spec("uvloop") is not None:
        assert module.startswith("uvloop")
    else:
        assert module.startswith("asyncio")


def test_no_other_module_starts_uvloop_itself():
    starters = sorted(str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                      if "uvloop.run(" in path.read_text(encoding="utf-8"))
    assert starters == ["ingest/loop.py"]
