"""Taxi fleet simulator with a known pollution field (roads.md §9: no real taxi data offline).

Taxis drive random routes over a road network's directed edges at 1 Hz through a pollution
field that is constant per segment (the ground truth) and scaled per day (weather), with:
GPS noise (σ metres), optional GCJ-02 output, idling at taxi ranks (dirty air while parked,
which the idle filter must drop), data gaps, per-device calibration error (slope/intercept the
platform knows) and humidity inflation (RH > 60 %, Chakrabarti factor), and sensor noise.
`truth` holds the true per-segment concentration; `true_edge` the true edge of every fix.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from envmon.roads.coords import wgs84_to_gcj02
from envmon.roads.network import RoadNetwork, network_from_links, transformer
from envmon.roads.sensors import rh_correction_factor
from envmon.timeutil import BEIJING_FIXED

ROAD_NAMES = [
    "迎泽大街", "府西街", "府东街", "北大街", "南内环街", "并州路", "五一路", "解放路",
    "建设路", "新建路", "滨河东路", "滨河西路", "长风街", "龙城大街", "太榆路", "北营南路",
    "卧虎山路", "马练营路", "新兰路", "胜利街", "和平路", "千峰路", "晋祠路", "体育路",
]


@dataclass
class TaxiSimConfig:
    taxis: int = 6
    days: int = 9
    start: datetime = datetime(2026, 10, 1, 8, tzinfo=BEIJING_FIXED)
    minutes_per_day: float = 40.0
    speed_kmh: tuple[float, float] = (20.0, 50.0)
    gps_sigma_m: float = 4.0
    datum: str = "wgs84"  # gcj02: output Mars coordinates
    idle_per_km: float = 0.12  # stops at a taxi rank per km driven (at the end of an edge)
    idle_minutes: tuple[float, float] = (3.0, 8.0)
    idle_factor: float = 3.0  # parked next to a rank: dirtier air that must not count
    gaps_per_km: float = 0.05  # data gaps (tunnel, upload) per km driven
    gap_seconds: tuple[float, float] = (20.0, 120.0)
    noise_sigma: float = 0.15  # multiplicative lognormal sensor noise
    rh_range: tuple[float, float] = (0.3, 0.85)
    calibration_error: bool = True  # raw = (true − intercept)/slope, slope/intercept known
    seed: int = 7


@dataclass
class TaxiSim:
    device: np.ndarray
    t: np.ndarray  # epoch seconds
    lon: np.ndarray
    lat: np.ndarray
    pm25: np.ndarray  # raw as the sensor reports
    pm10: np.ndarray
    rh: np.ndarray
    true_edge: np.ndarray  # −1 while idling
    idle: np.ndarray
    truth: dict[str, tuple[float, float]]  # segment_id → true (pm25, pm10)
    calibrations: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def rows(self) -> list[dict]:
        out = []
        for i in range(len(self.t)):
            out.append({
                "device_id": self.device[i],
                "time": datetime.fromtimestamp(self.t[i], BEIJING_FIXED).isoformat(),
                "lat": f"{self.lat[i]:.7f}", "lon": f"{self.lon[i]:.7f}",
                "pm25": f"{self.pm25[i]:.2f}", "pm10": f"{self.pm10[i]:.2f}",
                "rh": f"{self.rh[i]:.3f}",
            })
        return out

    def write_csv(self, path: str | Path) -> Path:
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=["device_id", "time", "lat", "lon", "pm25", "pm10",
                                              "rh"])
            w.writeheader()
            w.writerows(self.rows())
        return path


def synthetic_city_links(nx: int = 6, ny: int = 6, spacing_m: float = 450.0,
                         lon0: float = 112.55, lat0: float = 37.85) -> list[dict]:
    """A grid city with Chinese road names (east–west roads, then north–south roads)."""
    names = ROAD_NAMES
    def ll(i: float, j: float) -> tuple[float, float]:
        return (lon0 + i * spacing_m / (111_320.0 * math.cos(math.radians(lat0))),
                lat0 + j * spacing_m / 111_320.0)
    links, lid = [], 1
    node = lambda i, j: 1000 + 100 * j + i  # noqa: E731
    for j in range(ny):
        for i in range(nx - 1):
            links.append({"link_id": lid, "from_node": node(i, j), "to_node": node(i + 1, j),
                          "road_name": names[j % len(names)], "dir": 0, "highway": "primary",
                          "coords": [ll(i, j), ll(i + 0.5, j + 0.01), ll(i + 1, j)]})
            lid += 1
    for i in range(nx):
        for j in range(ny - 1):
            links.append({"link_id": lid, "from_node": node(i, j), "to_node": node(i, j + 1),
                          "road_name": names[(ny + i) % len(names)], "dir": 0,
                          "highway": "secondary", "coords": [ll(i, j), ll(i, j + 1)]})
            lid += 1
    return links


def synthetic_districts(nx: int = 6, ny: int = 6, spacing_m: float = 450.0,
                        lon0: float = 112.55, lat0: float = 37.85) -> dict:
    """Four quadrant districts and 综改示范区 over the north-east corner (cut out of them)."""
    dx = spacing_m / (111_320.0 * math.cos(math.radians(lat0)))
    dy = spacing_m / 111_320.0
    x0, y0 = lon0 - dx, lat0 - dy
    xm, ym = lon0 + (nx - 1) * dx / 2, lat0 + (ny - 1) * dy / 2
    x1, y1 = lon0 + nx * dx, lat0 + ny * dy
    zx, zy = lon0 + (nx - 1) * dx * 0.7, lat0 + (ny - 1) * dy * 0.7

    def box(a: float, b: float, c: float, d: float) -> dict:
        return {"type": "Polygon",
                "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]}

    parts = [("小店区", box(x0, y0, xm, ym)), ("迎泽区", box(xm, y0, x1, ym)),
             ("万柏林区", box(x0, ym, xm, y1)), ("杏花岭区", box(xm, ym, x1, y1)),
             ("综改示范区", box(zx, zy, x1, y1))]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"name": n}, "geometry": g}
                         for n, g in parts]}


def synthetic_city(nx: int = 6, ny: int = 6, spacing_m: float = 450.0) -> RoadNetwork:
    """The grid with Chinese road names and its districts (see `synthetic_districts`)."""
    return network_from_links(synthetic_city_links(nx, ny, spacing_m),
                              districts=synthetic_districts(nx, ny, spacing_m),
                              source="synthetic")


def pollution_field(net: RoadNetwork, seed: int = 7) -> dict[str, tuple[float, float]]:
    """True (pm25, pm10) per segment: background + a few dust hotspots + noise, µg/m³."""
    rng = np.random.default_rng(seed)
    mids = np.array([s.coords[len(s.coords) // 2] for s in net.segments])
    lo, hi = mids.min(axis=0), mids.max(axis=0)
    pm10 = np.full(len(mids), 45.0)
    for _ in range(3):
        c = lo + rng.random(2) * (hi - lo)
        r = 0.15 * float(np.max(hi - lo)) + 1.0
        pm10 += rng.uniform(40, 100) * np.exp(-np.sum((mids - c) ** 2, axis=1) / (2 * r * r))
    pm10 *= rng.lognormal(0.0, 0.25, len(mids))
    pm25 = pm10 * rng.uniform(0.4, 0.6, len(mids))
    return {s.segment_id: (float(a), float(b))
            for s, a, b in zip(net.segments, pm25, pm10, strict=True)}


def simulate(net: RoadNetwork, config: TaxiSimConfig = TaxiSimConfig(),
             truth: dict[str, tuple[float, float]] | None = None) -> TaxiSim:
    rng = np.random.default_rng(config.seed)
    truth = truth or pollution_field(net, config.seed)
    out_edges: dict[int, list[int]] = {}
    for k, e in enumerate(net.edges):
        out_edges.setdefault(e.source, []).append(k)
    seg_pm = np.array([truth[s.segment_id] for s in net.segments] or [(0.0, 0.0)])
    # unnamed edges: a typical value (they are never ranked)
    default_pm = seg_pm.mean(axis=0)
    to_wgs = transformer(net.crs, "EPSG:4326")
    cols: dict[str, list] = {k: [] for k in ("device", "t", "x", "y", "true25", "true10",
                                             "edge", "idle")}
    cal = {}
    for v in range(config.taxis):
        device = f"晋A-T{v + 1:03d}"
        if config.calibration_error:
            cal[device] = (rng.uniform(0.8, 1.25), rng.uniform(-5, 5),
                           rng.uniform(0.8, 1.25), rng.uniform(-5, 5))
        for day in range(config.days):
            t = (config.start + timedelta(days=day, minutes=float(rng.uniform(0, 600)))
                 ).timestamp()
            t_end = t + config.minutes_per_day * 60
            k = int(rng.integers(len(net.edges)))
            day_factor = rng.lognormal(0.0, 0.2)
            while t < t_end:
                e = net.edges[k]
                speed = rng.uniform(*config.speed_kmh) / 3.6
                pm = seg_pm[e.segment] if e.segment >= 0 else default_pm
                seglen = np.hypot(*np.diff(e.coords, axis=0).T)
                cum = np.concatenate([[0.0], np.cumsum(seglen)])
                n = max(int(cum[-1] / speed), 1)
                s = (np.arange(n) + rng.random()) * speed
                s = s[s < cum[-1]]
                xs = np.interp(s, cum, e.coords[:, 0])
                ys = np.interp(s, cum, e.coords[:, 1])
                ts = t + np.arange(len(s), dtype=float)
                km = cum[-1] / 1000.0  # per-km rates: independent of how finely edges are cut
                if rng.random() < config.gaps_per_km * km:  # a data gap (tunnel, upload)
                    gap_from = rng.integers(0, max(len(s), 1))
                    keep = np.arange(len(s)) < gap_from
                    xs, ys, ts = xs[keep], ys[keep], ts[keep]
                    t += float(rng.uniform(*config.gap_seconds))
                m = len(ts)
                cols["device"] += [device] * m
                cols["t"] += ts.tolist()
                cols["x"] += xs.tolist()
                cols["y"] += ys.tolist()
                cols["true25"] += [pm[0] * day_factor] * m
                cols["true10"] += [pm[1] * day_factor] * m
                cols["edge"] += [e.edge_id] * m
                cols["idle"] += [False] * m
                t += max(len(s), 1)
                if rng.random() < config.idle_per_km * km:  # wait at a rank
                    dur = int(rng.uniform(*config.idle_minutes) * 60)
                    cols["device"] += [device] * dur
                    cols["t"] += (t + np.arange(dur, dtype=float)).tolist()
                    cols["x"] += [float(e.coords[-1, 0])] * dur
                    cols["y"] += [float(e.coords[-1, 1])] * dur
                    cols["true25"] += [pm[0] * day_factor * config.idle_factor] * dur
                    cols["true10"] += [pm[1] * day_factor * config.idle_factor] * dur
                    cols["edge"] += [-1] * dur
                    cols["idle"] += [True] * dur
                    t += dur
                nxt = out_edges.get(e.target, [])
                choices = [j for j in nxt if net.edges[j].target != e.source] or nxt
                if not choices:
                    k = int(rng.integers(len(net.edges)))
                    t += 30.0
                    continue
                k = int(choices[int(rng.integers(len(choices)))])
    device = np.array(cols["device"], dtype=object)
    t = np.array(cols["t"])
    x = np.array(cols["x"]) + rng.normal(0, config.gps_sigma_m, len(t))
    y = np.array(cols["y"]) + rng.normal(0, config.gps_sigma_m, len(t))
    lon, lat = to_wgs.transform(x, y)
    lon, lat = np.asarray(lon), np.asarray(lat)
    if config.datum == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    rh = rng.uniform(*config.rh_range, len(t))
    cf = rh_correction_factor(rh)
    noise = rng.lognormal(0.0, config.noise_sigma, (2, len(t)))
    p25 = np.array(cols["true25"]) * noise[0] * cf
    p10 = np.array(cols["true10"]) * noise[1] * cf
    if config.calibration_error:
        for d, (a25, b25, a10, b10) in cal.items():
            sel = device == d
            p25[sel] = (p25[sel] - b25) / a25
            p10[sel] = (p10[sel] - b10) / a10
    p25 = np.maximum(p25, 0.5)
    p10 = np.maximum(p10, 0.5)
    return TaxiSim(device, t, lon, lat, p25, p10, rh, np.array(cols["edge"]),
                   np.array(cols["idle"]), truth, cal)
