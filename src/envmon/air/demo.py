"""Air-quality stations and hourly data of the demo province (`envmon demo`): a few
stations per city near its seat and seeded, plausible hourly concentrations, written through
the real CSV importer (`storage.import_stations`, `storage.import_data`) so the demo's
空气质量 page has a ranking, a calendar and year-on-year figures. Nothing here is measured."""

from __future__ import annotations

import csv
import math
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from envmon.air import storage
from envmon.period import Period
from envmon.timeutil import BEIJING_FIXED

# Per station: two city (national control) stations and one control (background) station.
STATIONS_PER_CITY = (("city", "监测站"), ("city", "市政府"), ("control", "对照点"))
# Winter heating-season mean levels (µg/m³; CO mg/m³) of a northern Chinese city, and the
# summer ones: PM and SO2 high in winter, O3 high in summer (orders of magnitude of the
# published Shanxi monthly bulletins; invented figures, not measurements).
WINTER = {"so2": 18.0, "no2": 38.0, "co": 1.3, "o3": 45.0, "pm10": 95.0, "pm25": 55.0}
SUMMER = {"so2": 8.0, "no2": 24.0, "co": 0.7, "o3": 150.0, "pm10": 60.0, "pm25": 28.0}


def _level(month: int) -> dict[str, float]:
    """Seasonal mean: winter (January) and summer (July) interpolated by a cosine."""
    w = (1 + math.cos((month - 1) / 12 * 2 * math.pi)) / 2  # 1 in January, 0 in July
    return {k: WINTER[k] * w + SUMMER[k] * (1 - w) for k in WINTER}


def station_rows(cities: list[tuple[str, tuple[float, float]]]) -> list[tuple]:
    """(code, name, city, type, lat, lon) for each city (name, (lon, lat) of its seat)."""
    rows = []
    for c, (city, (lon, lat)) in enumerate(cities, start=1):
        short = city.removesuffix("市")
        for s, (kind, suffix) in enumerate(STATIONS_PER_CITY, start=1):
            angle = s * 2.1
            rows.append((f"D{c:02d}{s}A", f"{short}{suffix}", city, kind,
                         round(lat + 0.04 * math.sin(angle), 4),
                         round(lon + 0.05 * math.cos(angle), 4)))
    return rows


def hourly_values(code: str, label: datetime, seed: int) -> dict[str, float]:
    """One hour's concentrations: the season's level × a city factor × a daily weather
    factor (episodes of a few days) × a diurnal cycle (O3 peaks in the afternoon)."""
    day = (label - timedelta(hours=1)).date()
    city_rng = random.Random(f"{seed}-{code[:3]}")
    city_factor = 0.75 + 0.5 * city_rng.random()
    weather = random.Random(f"{seed}-{code[:3]}-{day.toordinal() // 3}").lognormvariate(0, 0.35)
    noise = random.Random(f"{seed}-{code}-{label:%Y%m%d%H}")
    hour = label.hour
    out = {}
    for k, mean in _level(day.month).items():
        diurnal = (1 + 0.6 * math.cos((hour - 15) / 24 * 2 * math.pi) if k == "o3"
                   else 1 + 0.2 * math.cos((hour - 20) / 24 * 2 * math.pi))
        value = mean * city_factor * (1 / weather if k == "o3" else weather) * diurnal
        value *= noise.lognormvariate(0, 0.1)
        out[k] = round(value, 2) if k == "co" else round(value)
    return out


def seed_air(store, cities: list[tuple[str, tuple[float, float]]], periods: list[Period],
             seed: int = 1) -> storage.ImportReport:
    """Register the stations of `cities` and import their hourly data over `periods`
    (hour labels in (start, end], Beijing time) through the CSV importer."""
    rows = station_rows(cities)
    with tempfile.TemporaryDirectory(prefix="envmon-demo-air-") as folder:
        stations = Path(folder) / "stations.csv"
        with stations.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "name", "city", "type", "lat", "lon"])
            w.writerows(rows)
        storage.import_stations(store, stations)
        hourly = Path(folder) / "hourly.csv"
        with hourly.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(storage.HOURLY_COLUMNS)
            for period in periods:
                label = period.start.astimezone(BEIJING_FIXED).replace(tzinfo=None)
                end = period.end.astimezone(BEIJING_FIXED).replace(tzinfo=None)
                label += timedelta(hours=1)
                while label <= end:
                    for row in rows:
                        v = hourly_values(row[0], label, seed)
                        w.writerow([row[0], label.strftime("%Y-%m-%dT%H:%M:%S"),
                                    *(v[p] for p in storage.POLLUTANT_COLUMNS)])
                    label += timedelta(hours=1)
        return storage.import_data(store, [hourly], "hourly")
