"""The real 1 Hz mobile PM2.5 drive (Bengaluru, mmaqshiny, MIT) through the whole pipeline.

No OSM extract of Bengaluru is available offline, so the network is the drive's own route:
its path thinned to one vertex every ~30 fixes and cut into named links (路一, 路二, …). The
GPS fixes themselves are real (Garmin GPSMAP 64s), with their real jitter and stops.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import numpy as np
from typer.testing import CliRunner

from envmon.cli import app
from envmon.roads.network import network_from_links
from envmon.roads.pipeline import process
from envmon.roads.rank import ranking, segment_values
from envmon.roads.stats import Eligibility
from envmon.roads.storage import save_network
from envmon.store import open_store
from tests.roads.test_sensors import BENGALURU

NAMES = "一二三四五六七八九十"


def route_links() -> list[dict]:
    rows = list(csv.DictReader(BENGALURU.open(encoding="utf-8")))
    pts = np.array([[float(r["Longitude"]), float(r["Latitude"])] for r in rows])
    keep = [0]
    for i in range(1, len(pts)):  # one vertex every ≥ 40 m
        d = np.hypot(*(pts[i] - pts[keep[-1]]) * [108_000, 111_000])
        if d >= 40:
            keep.append(i)
    path = pts[keep]
    links, per = [], 12
    for k in range(0, len(path) - 1, per):
        chunk = path[k : k + per + 1]
        if len(chunk) < 2:
            break
        links.append({"link_id": k + 1, "from_node": k, "to_node": k + len(chunk) - 1,
                      "road_name": f"路{NAMES[(k // per) % 10]}{k // per}", "dir": 0,
                      "coords": [tuple(p) for p in chunk]})
    return links


def test_real_drive_imports_matches_and_ranks(tmp_path):
    db = tmp_path / "b.duckdb"
    result = CliRunner().invoke(app, ["roads", "import", str(BENGALURU), "--db", str(db),
                                      "--device", "KAN-car"])
    assert result.exit_code == 0, result.output
    net = network_from_links(route_links(), source="bengaluru-route")
    assert net.crs == "EPSG:32643"
    with open_store(db) as store:
        save_network(store, net)
        start = datetime.fromisoformat("2019-09-25T00:00:00+08:00")
        out = process(store, start, start + timedelta(days=1))
        assert out["points"] > 2990
        assert out["matched"] / out["points"] > 0.8
        assert out["passes_counted"] >= 10
        assert out["coverage"][0]["device_id"] == "KAN-car"
        cov = store.query("SELECT n_points, n_matched FROM road_coverage")
        assert cov and cov[0][1] <= cov[0][0]
        values = segment_values(store, start, start + timedelta(days=1), "pm25",
                                eligibility=Eligibility(1, 1, 1))
    r = ranking(values, start, start + timedelta(days=1), "pm25", top=5)
    assert len(r["dirty"]) == 5
    # RH-corrected DustTrak PM2.5: the file's median is 136 µg/m³
    assert 60 < r["dirty"][-1]["value"] < 400
