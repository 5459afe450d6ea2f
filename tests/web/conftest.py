"""Fixtures of the web tests: a store filled by the real demo (receiver + simulated units) and
the app served by uvicorn on a free loopback port.

`web.url(path)` is an address of the served app, `web.publish(kind, data)` puts an event on the
app's hub (on the server's loop, as the platform's hooks do), `web.context` is its WebContext.
`roads_web` is the same over a store of simulated taxis imported and map-matched by the real
roads code (`simulate_fleet`), ranked with the low thresholds of ROADS_ELIGIBILITY.
"""

from __future__ import annotations

import asyncio
import json
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
         str(DEMO_POINTS), "--hj212-port", "0", "--duration", "4"],
        cwd=folder, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder / "demo.duckdb"


def _events_route(app, hub) -> None:
    """`GET /api/v1/events` as the contract says (SSE, the kind as the event name), for an
    app without the API routers (the server side's own is used when `create_app` exists)."""
    from fastapi.responses import StreamingResponse

    async def stream():
        with hub.subscribe() as subscription:
            yield ": connected\n\n"
            while True:
                event = await subscription.get()
                yield f"id: {event.id}\nevent: {event.kind}\ndata: {json.dumps(event.data)}\n\n"

    @app.get("/api/v1/events")
    def events():
        return StreamingResponse(stream(), media_type="text/event-stream")


def build_app(context):
    """The server side's `create_app` when present (with the pages installed once), else an
    app of the pages alone with the events stream."""
    from fastapi import FastAPI

    from envmon.web.pages import install

    try:
        from envmon.web.app import create_app
    except ImportError:
        app = FastAPI()
        _events_route(app, context.events)
        install(app, context)
        return app
    app = create_app(context)
    if not any(getattr(r, "path", None) == "/overview/data" for r in app.routes):
        install(app, context)
    return app


@dataclass
class Served:
    base: str
    context: object
    loop: asyncio.AbstractEventLoop

    def url(self, path: str) -> str:
        return self.base + path

    def publish(self, kind: str, data: dict) -> None:
        """Publish on the server's event loop, as the platform's hooks do."""
        done = threading.Event()

        def publish() -> None:
            self.context.events.publish(kind, data)
            done.set()

        self.loop.call_soon_threadsafe(publish)
        assert done.wait(10), "the server's loop did not run the publish"


@contextmanager
def serve(context) -> Iterator[Served]:
    """The app over `context`, served by uvicorn on a free loopback port until the end."""
    import uvicorn

    app = build_app(context)
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
        yield Served(f"http://127.0.0.1:{port}", context, loop)
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
