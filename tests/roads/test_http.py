"""HTTP JSON intake of readings (same fields as the CSV), served on loopback without tokens."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request

import pytest

from envmon.roads.intake_http import Intake
from envmon.roads.intake_server import IntakeServer
from envmon.store import open_store


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class ServedIntake:
    """An intake served by its own event loop on a thread, for blocking test clients."""

    def __init__(self, intake: Intake, host: str = "127.0.0.1") -> None:
        self.intake = intake
        self.server = IntakeServer(intake, host, 0)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServedIntake:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture()
def server(tmp_path):
    store = open_store(tmp_path / "h.duckdb")
    with ServedIntake(Intake(store)) as served:
        yield served.url, store
    store.close()


def test_post_readings(server):
    url, store = server
    readings = [{"device_id": "晋A-T001", "time": f"2026-10-02T08:00:0{i}", "lat": 37.85,
                 "lon": 112.55 + i * 1e-4, "pm25": 40 + i, "pm10": 80} for i in range(5)]
    readings.append({"device_id": "晋A-T001", "time": "2026-10-02T08:00:09", "lat": 37.85,
                     "lon": 112.55, "pm25": -1, "pm10": 80})
    code, body = post(url + "/roads/readings",
                      json.dumps({"crs": "gcj02", "readings": readings}).encode())
    assert code == 200
    assert body["accepted"] == 5 and body["rejected"] == {"pm_nonpositive": 1}
    n, datum = store.query("SELECT COUNT(*), MIN(datum) FROM road_readings")[0]
    assert (n, datum) == (5, "gcj02")


def test_bad_bodies_are_400(server):
    url, _ = server
    assert post(url + "/roads/readings", b"{nope")[0] == 400
    assert post(url + "/roads/readings", b'{"readings": 3}')[0] == 400
    assert post(url + "/roads/readings", b'{"crs": "bd09", "readings": []}')[0] == 400
