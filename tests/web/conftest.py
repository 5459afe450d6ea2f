"""Fixtures of the web tests: a store filled by the real demo (receiver + simulated units) and
the app served by uvicorn on a free loopback port over it (pages and API, no receiver: `web`),
and a running platform with simulated units sending to it (`live`, see tests/web/live.py).

`web.url(path)` is an address of the served app, `web.context` is its WebContext.
`roads_web` is the same over a store of simulated taxis imported and map-matched by the real
roads code (`simulate_fleet`), ranked with the low thresholds of ROADS_ELIGIBILITY.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
         str(DEMO_POINTS), "--hj212-port", "0", "--duration", "4", "--no-roads-air",
         "--upload-history"],  # the day's backlog through the receiver: alarms to show
        cwd=folder, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (folder / "demo.out").write_text(proc.stdout + proc.stderr)  # what a user reads
    return folder / "demo.duckdb"


@dataclass
class Served:
    base: str
    context: object
    loop: asyncio.AbstractEventLoop
    app: object = None  # the FastAPI app served

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(context) -> Iterator[Served]:
    """The app over `context`, served by uvicorn on a free loopback port until the end."""
    import uvicorn

    from envmon.web.app import create_app

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
    try:
        yield Served(f"http://127.0.0.1:{port}", context, loop, app)
    finally:
        server.should_exit = True  # open event streams are cut after timeout_graceful_shutdown
        thread.join(15)


@pytest.fixture(scope="session")
def web(demo_db) -> Iterator[Served]:
    from envmon.store import open_store
    from envmon.web.context import WebContext

    store = open_store(demo_db)
    with serve(WebContext(store=store)) as served:
        yield served
    store.close()


# ------------------------------------------------------------------------------ roads
ROADS_MONTH = "2026-10"
ROADS_ELIGIBILITY = {"min_days": 1, "min_passes": 1, "min_taxis": 1}  # a two-day fleet


def simulate_fleet(folder: Path, *, taxis: int = 3, minutes: int = 30,
                   matched: bool = False) -> Path:
    """A store with the synthetic grid and simulated taxis over two days of ROADS_MONTH,
    imported by the real importer (and map-matched by the real matcher when `matched`)."""
    from envmon.period import Period
    from envmon.roads import api as roads_api
    from envmon.store import open_store

    db = folder / "roads.duckdb"
    with open_store(db) as store:
        month = Period.month(ROADS_MONTH)
        roads_api.simulate_taxis(store, month, roads_api.SimulateOptions(
            out=folder / "t.csv", taxis=taxis, days=2, minutes=minutes, do_import=True))
        if matched:
            roads_api.match(store, month)
    return db


@pytest.fixture(scope="session")
def roads_web(tmp_path_factory) -> Iterator[Served]:
    """The app over a matched fleet's store (over 40 segments meet ROADS_ELIGIBILITY, the
    server's [roads] eligibility: both lists are full)."""
    from envmon.config import Config
    from envmon.store import open_store
    from envmon.web.context import WebContext

    db = simulate_fleet(tmp_path_factory.mktemp("web-roads-pages"), taxis=4, minutes=40,
                        matched=True)
    store = open_store(db)
    config = Config(roads={"eligibility": ROADS_ELIGIBILITY})
    with serve(WebContext(store=store, config=config)) as served:
        yield served
    store.close()


@pytest.fixture(scope="module")
def live(demo_db, tmp_path_factory):
    """The real platform (receiver, alarm engine, web app) over a copy of the demo's store,
    simulated units sending to it: one per test module."""
    from tests.web.live import start_live

    platform, stop = start_live(demo_db, tmp_path_factory.mktemp("live"))
    yield platform
    stop()
