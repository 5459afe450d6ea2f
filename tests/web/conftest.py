"""Fixtures of the web tests: a store filled by the real demo (receiver + simulated units) and
the app served by uvicorn on a free loopback port over it (pages and API, no receiver: `web`),
and a running platform with simulated units sending to it (`live`, see tests/web/live.py).

`web.url(path)` is an address of the served app, `web.context` is its WebContext.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DEMO_POINTS = 300  # the province demo the overview must draw in under a second


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A DuckDB store the real `envmon demo` filled: the registry of the province, a day of
    data through the real receiver, alarms raised by the real engine."""
    folder = tmp_path_factory.mktemp("webdemo")
    proc = subprocess.run(
        [sys.executable, "-m", "envmon", "demo", "--db", "demo.duckdb", "--points",
         str(DEMO_POINTS), "--hj212-port", "0", "--duration", "4"],
        cwd=folder, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (folder / "demo.out").write_text(proc.stdout + proc.stderr)  # what a user reads
    return folder / "demo.duckdb"


@dataclass
class Served:
    base: str
    context: object
    loop: asyncio.AbstractEventLoop

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def web(demo_db) -> Iterator[Served]:
    import uvicorn

    from envmon.store import open_store
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    store = open_store(demo_db)
    context = WebContext(store=store)
    app = create_app(context)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),),
                              daemon=True)
    thread.start()
    started = threading.Event()

    def check() -> None:
        if server.started:
            started.set()
        else:
            loop.call_later(0.02, check)

    loop.call_soon_threadsafe(check)
    assert started.wait(30), "uvicorn did not start"
    yield Served(f"http://127.0.0.1:{port}", context, loop)
    server.should_exit = True  # open event streams are cut after timeout_graceful_shutdown
    thread.join(15)
    store.close()


@pytest.fixture(scope="module")
def live(demo_db, tmp_path_factory):
    """The real platform (receiver, alarm engine, web app) over a copy of the demo's store,
    simulated units sending to it: one per test module."""
    from tests.web.live import start_live

    platform, stop = start_live(demo_db, tmp_path_factory.mktemp("live"))
    yield platform
    stop()
