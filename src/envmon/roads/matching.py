"""Map matching with fastmm (FMM: Yang & Gidófalvi 2018, IJGIS 32(3):547; UBODT precomputed
shortest paths), in the network's metric CRS (roads.md §5).

- Trajectories are cut per device at gaps ≥ `gap_s` (60 s, roads.md §4.3) before matching;
  fastmm further splits a trajectory at points without candidates and keeps both sides.
- `reverse_tolerance_m` ≈ 20 m stops stationary jitter from becoming fake U-turns.
- Output per input point: the matched directed edge id (−1 when unmatched), the snapped
  position and the offset along the edge.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from envmon.roads.network import RoadNetwork


@dataclass(frozen=True)
class MatchConfig:
    max_candidates: int = 8
    search_radius_m: float = 50.0  # roads.md §4.1: no road candidate within 50 m → dropped
    gps_error_m: float = 15.0
    reverse_tolerance_m: float = 20.0
    ubodt_delta_m: float = 1000.0  # upper bound of shortest paths between consecutive fixes
    gap_s: float = 60.0
    cache_dir: str | None = None  # UBODT cache (default: a per-user temp folder)


@contextlib.contextmanager
def quiet_stdout():
    """fastmm's C++ logger writes to file descriptor 1; keep it off the command's output."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # pragma: no cover - no real stdout
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class Matcher:
    """One fastmm network + UBODT for a road network; `match` many trajectories."""

    def __init__(self, net: RoadNetwork, config: MatchConfig = MatchConfig()) -> None:
        import fastmm

        self.net = net
        self.config = config
        max_id = max(e.edge_id for e in net.edges)
        self.edge_segment = np.full(max_id + 1, -1, dtype=np.int64)
        self.edge_length = np.zeros(max_id + 1)
        cache = config.cache_dir or str(Path(tempfile.gettempdir()) / "envmon-ubodt")
        with quiet_stdout():
            fnet = fastmm.Network()
            for e in net.edges:
                fnet.add_edge(int(e.edge_id), int(e.source), int(e.target),
                              [(float(x), float(y)) for x, y in e.coords])
                self.edge_segment[e.edge_id] = e.segment
                self.edge_length[e.edge_id] = e.length_m
            fnet.finalize()
            self._fnet = fnet
            self._fmm = fastmm.FastMapMatch(
                fnet, fastmm.TransitionMode.SHORTEST,
                max_distance_between_candidates=config.ubodt_delta_m, cache_dir=cache)
        self._fastmm = fastmm

    def match_one(self, x: np.ndarray, y: np.ndarray, t: np.ndarray, out_edge: np.ndarray,
                  out_x: np.ndarray, out_y: np.ndarray, out_offset: np.ndarray,
                  base: int) -> None:
        """Match one trajectory (no gap ≥ gap_s inside) into the output arrays at `base`."""
        fastmm = self._fastmm
        c = self.config
        traj = fastmm.Trajectory.from_xyt_tuples(list(zip(x.tolist(), y.tolist(),
                                                          t.tolist(), strict=True)))
        result = self._fmm.match(traj, max_candidates=c.max_candidates,
                                 candidate_search_radius=c.search_radius_m,
                                 gps_error=c.gps_error_m,
                                 reverse_tolerance=c.reverse_tolerance_m)
        for sub in result.subtrajectories:
            if sub.error_code != fastmm.SUCCESS:
                continue
            last = None
            for seg in sub.segments:
                edges = seg.edges
                p0 = seg.p0
                i = base + p0.trajectory_index
                out_edge[i] = edges[0].edge_id
                out_x[i], out_y[i] = p0.x, p0.y
                out_offset[i] = p0.offset_from_start_of_edge
                last = (seg.p1, edges[-1].edge_id)
            if last is not None:
                p1, eid = last
                i = base + p1.trajectory_index
                out_edge[i] = eid
                out_x[i], out_y[i] = p1.x, p1.y
                out_offset[i] = p1.offset_from_start_of_edge

    def match(self, device: np.ndarray, t: np.ndarray, x: np.ndarray, y: np.ndarray
              ) -> dict[str, np.ndarray]:
        """Points sorted by (device, time) → matched edge, snapped x/y, offset, trajectory id.

        Trajectories are cut at device changes and gaps ≥ gap_s; single points stay unmatched.
        """
        n = len(t)
        edge = np.full(n, -1, dtype=np.int64)
        sx, sy, off = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        brk = np.ones(n, dtype=bool)
        if n > 1:
            brk[1:] = (device[1:] != device[:-1]) | (np.diff(t) >= self.config.gap_s)
        starts = np.nonzero(brk)[0]
        ends = np.append(starts[1:], n)
        with quiet_stdout():
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
                if b - a >= 2:
                    self.match_one(x[a:b], y[a:b], t[a:b], edge, sx, sy, off, a)
        traj = np.cumsum(brk) - 1
        return {"edge": edge, "x": sx, "y": sy, "offset": off, "traj": traj}
