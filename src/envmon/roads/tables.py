"""Store tables of envmon.roads (schema version 5, `envmon.store.schema.MIGRATIONS[5]`).

- `road_networks`: one row per built network version (segment ids are stable across builds of
  the same OSM data; a new extract makes a new version).
- `road_segments`: junction-to-junction segments (name, road, district, length, WGS-84 WKT).
- `road_edges`: directed matching edges (fastmm), each on one segment or none (unnamed way).
- `road_devices`: per-device calibration `PM_cal = slope · PM_raw + intercept` from
  `valid_from`, sensor model and coordinate datum (roads.md §3, §6).
- `road_readings`: accepted 1 Hz readings, WGS-84, corrected and raw PM (µg/m³).
- `road_rejections`: every rejected input row with its reason (counted, never dropped silently).
- `road_passes`: drive passes (one vehicle, one segment, no gap ≥ 60 s) with mean PM.
- `road_coverage`: match coverage per taxi per day (points matched / points received).
"""

from __future__ import annotations

from envmon.store.schema import ROADS_MIGRATION

__all__ = ["ROADS_MIGRATION"]
