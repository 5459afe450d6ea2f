"""Map matching with fastmm on simulated taxis, and the real 1 Hz trace end to end."""

from __future__ import annotations

import numpy as np
import pytest

from envmon.roads import pipeline
from envmon.roads.matching import Matcher
from envmon.sim.taxis import TaxiSimConfig, simulate, synthetic_city


@pytest.fixture(scope="module")
def city():
    return synthetic_city(5, 5, 400.0)


def test_fastmm_recovers_the_true_segment(city, tmp_path):
    sim = simulate(city, TaxiSimConfig(taxis=2, days=2, minutes_per_day=20, seed=3))
    m = Matcher(city)
    order = np.lexsort((sim.t, sim.device.astype(str)))
    res = pipeline.run(city, m, sim.device[order], sim.t[order], sim.lon[order],
                       sim.lat[order], sim.pm25[order], sim.pm10[order])
    te = sim.true_edge[order]
    moving = te >= 0
    truth_seg = m.edge_segment[te[moving]]
    assert res.matched.mean() > 0.95
    assert (res.seg[moving] == truth_seg).mean() > 0.95
    # parked at ranks: most of those readings are dropped as idle
    assert res.idle[sim.idle[order]].mean() > 0.5
    assert res.idle[~sim.idle[order]].mean() < 0.02


def test_gaps_split_trajectories(city):
    m = Matcher(city)
    seg = city.segments[0]
    xs = np.linspace(seg.coords[0, 0], seg.coords[-1, 0], 20)
    ys = np.linspace(seg.coords[0, 1], seg.coords[-1, 1], 20)
    t = np.concatenate([np.arange(10.0), 200 + np.arange(10.0)])
    dev = np.array(["A"] * 20, dtype=object)
    out = m.match(dev, t, xs, ys)
    assert out["traj"].tolist() == [0] * 10 + [1] * 10
    assert (out["edge"] >= 0).all()
