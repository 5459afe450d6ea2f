"""HTTP JSON intake of readings (same fields as the CSV)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from envmon.roads.http import make_server
from envmon.store import open_store


def post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture()
def server(tmp_path):
    store = open_store(tmp_path / "h.duckdb")
    srv = make_server(store, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", store
    srv.shutdown()
    srv.server_close()
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
