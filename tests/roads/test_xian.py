"""Chinese road names and matching on the Xi'an network of ../shared/data (gotrackit, MIT;
not OSM, tests only). Skipped where the shared data folder is not beside the repository."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from envmon.roads import pipeline
from envmon.roads.matching import Matcher
from envmon.roads.network import network_from_links
from envmon.timeutil import BEIJING_FIXED

XIAN = Path(__file__).resolve().parents[3] / "shared" / "data" / "xian_gotrackit"
if not XIAN.exists():
    XIAN = Path("/work/shared/data/xian_gotrackit")
pytestmark = pytest.mark.skipif(not XIAN.exists(), reason="shared/data/xian_gotrackit absent")


@pytest.fixture(scope="module")
def xian():
    import pyogrio  # comes with pyrosm (geopandas)
    gdf = pyogrio.read_dataframe(XIAN / "modifiedConn_link.shp", encoding="gbk")
    links = [{"link_id": int(r.link_id), "from_node": int(r.from_node),
              "to_node": int(r.to_node), "road_name": r.road_name, "dir": int(r.dir),
              "coords": list(r.geometry.coords)} for r in gdf.itertuples()]
    return network_from_links(links, source="xian")


def test_segments_named_from_chinese_cross_streets(xian):
    assert xian.crs == "EPSG:32649"  # UTM 49N, as for Taiyuan
    names = [s.name for s in xian.segments]
    junction_form = [n for n in names if "口至" in n and n.endswith("口")]
    assert len(junction_form) > 0.5 * len(names)
    # turn connectors (路口转向) and 无名道路 are not road names
    assert not any(s.road in ("路口转向", "无名道路") for s in xian.segments)
    assert any(n.startswith("神舟大道") for n in names)


def test_example_trajectories_match(xian):
    with (XIAN / "example_gps.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    dev = np.array([r["agent_id"] for r in rows], dtype=object)
    t = np.array([datetime.fromisoformat(r["time"]).replace(tzinfo=BEIJING_FIXED).timestamp()
                  for r in rows])
    lon = np.array([float(r["lng"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    o = np.lexsort((t, dev.astype(str)))
    res = pipeline.run(xian, Matcher(xian), dev[o], t[o], lon[o], lat[o], np.ones(len(o)),
                       np.ones(len(o)))
    # the data README measured 2,127 of 2,242 points in matched sub-trajectories
    assert res.matched.mean() > 0.9
    assert (res.on_segment <= res.matched).all()
    assert len(res.passes["segment"]) > 100
