"""Store tables of envmon.roads (schema versions 5, 6 and 7), collected by `envmon.store.schema`.

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
- `road_pois`: named POIs and gates of a network version (naming fallbacks, 2021 hotspot form).
- `road_segment_stats`: per-segment statistics of each ranked period (value, IQR, CI, counts).
- `road_intake_tokens` (version 7): bearer tokens of the HTTP intake, as SHA-256 digests only,
  each optionally bound to a device-id prefix (`envmon roads tokens`, `roads.tokens`).

`road_pois` and `road_segment_stats` were added to version 5 after it was first released, so
stores exist at version 5 without them; version 6 creates them where they are missing (this
replaces the old `ensure_tables`, which patched the DDL at run time). A new table or column of
this domain goes here, as a new numbered `Migration`; see `envmon.store`.
"""

from __future__ import annotations

from envmon.store.ddl import Migration

# Schema version 5 (roads.md): road network (versions, junction-to-junction segments, directed
# matching edges), taxi sensor devices with calibrations, readings (WGS-84, corrected and raw),
# rejected rows with reasons, drive passes per segment, match coverage per taxi-day.
MIGRATIONS = [
    Migration(5, "roads", [
        """
        CREATE TABLE road_networks (
            version     TEXT PRIMARY KEY,
            source      TEXT,
            crs         TEXT NOT NULL,          -- metric CRS used for matching (e.g. EPSG:32649)
            n_segments  INTEGER NOT NULL,
            n_edges     INTEGER NOT NULL,
            built_at    TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE road_segments (
            network_version TEXT NOT NULL,
            segment_id  TEXT NOT NULL,          -- hash of OSM way ids and end-node ids (stable)
            name        TEXT NOT NULL,          -- 路名 + A路口至B路口
            road        TEXT NOT NULL,
            start_label TEXT NOT NULL,
            end_label   TEXT NOT NULL,
            district    TEXT,                   -- district or development zone by majority length
            highway     TEXT,
            length_m    DOUBLE PRECISION NOT NULL,
            way_ids     TEXT NOT NULL,          -- comma-separated OSM way ids
            start_node  BIGINT,
            end_node    BIGINT,
            geom_wkt    TEXT NOT NULL,          -- WGS-84 LINESTRING in the segment's direction
            PRIMARY KEY (network_version, segment_id)
        )
        """,
        """
        CREATE TABLE road_edges (
            network_version TEXT NOT NULL,
            edge_id     BIGINT NOT NULL,
            source      BIGINT NOT NULL,
            target      BIGINT NOT NULL,
            segment_id  TEXT,                   -- NULL: unnamed way, matched but never ranked
            road        TEXT,
            highway     TEXT,
            length_m    DOUBLE PRECISION NOT NULL,
            geom_wkt    TEXT NOT NULL,          -- WGS-84, in the edge's direction
            PRIMARY KEY (network_version, edge_id)
        )
        """,
        """
        CREATE TABLE road_devices (
            device_id      TEXT NOT NULL,
            valid_from     TIMESTAMPTZ NOT NULL,
            pm25_slope     DOUBLE PRECISION NOT NULL,
            pm25_intercept DOUBLE PRECISION NOT NULL,
            pm10_slope     DOUBLE PRECISION NOT NULL,
            pm10_intercept DOUBLE PRECISION NOT NULL,
            sensor_model   TEXT,
            datum          TEXT,                -- wgs84 | gcj02: what the device reports
            updated_at     TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (device_id, valid_from)
        )
        """,
        """
        CREATE TABLE road_readings (
            device_id   TEXT NOT NULL,
            time        TIMESTAMPTZ NOT NULL,
            lat         DOUBLE PRECISION NOT NULL,  -- WGS-84
            lon         DOUBLE PRECISION NOT NULL,
            pm25        DOUBLE PRECISION,       -- µg/m3, calibrated and RH-corrected
            pm10        DOUBLE PRECISION,
            pm25_raw    DOUBLE PRECISION,       -- µg/m3 as sent
            pm10_raw    DOUBLE PRECISION,
            rh          DOUBLE PRECISION,       -- fraction 0..1
            speed_kmh   DOUBLE PRECISION,
            datum       TEXT NOT NULL,          -- datum of the input coordinates
            source      TEXT,
            imported_at TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE road_rejections (
            device_id   TEXT,
            time        TIMESTAMPTZ,
            line        INTEGER,
            reason      TEXT NOT NULL,
            raw         TEXT,
            source      TEXT,
            imported_at TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE road_passes (
            network_version TEXT NOT NULL,
            segment_id  TEXT NOT NULL,
            device_id   TEXT NOT NULL,
            start_time  TIMESTAMPTZ NOT NULL,
            end_time    TIMESTAMPTZ NOT NULL,
            n_readings  INTEGER NOT NULL,
            covered_m   DOUBLE PRECISION NOT NULL,
            pm25_mean   DOUBLE PRECISION,
            pm10_mean   DOUBLE PRECISION,
            counted     BOOLEAN NOT NULL        -- >= 3 readings or >= 30 % of the length
        )
        """,
        """
        CREATE TABLE road_coverage (
            network_version TEXT NOT NULL,
            device_id   TEXT NOT NULL,
            day         DATE NOT NULL,          -- Beijing day
            n_points    INTEGER NOT NULL,
            n_matched   INTEGER NOT NULL,
            n_on_segments INTEGER NOT NULL,
            n_idle      INTEGER NOT NULL,
            computed_at TIMESTAMPTZ NOT NULL
        )
        """,
    ]),
    Migration(6, "road POIs and segment statistics (missing from early version-5 stores)", [
        """
        CREATE TABLE IF NOT EXISTS road_pois (
            network_version TEXT NOT NULL,
            name        TEXT NOT NULL,          -- named POI, gate or landmark (naming fallbacks,
            kind        TEXT NOT NULL,          -- poi | gate         2021 hotspot form)
            lon         DOUBLE PRECISION NOT NULL,
            lat         DOUBLE PRECISION NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS road_segment_stats (
            network_version TEXT NOT NULL,
            period_from TIMESTAMPTZ NOT NULL,
            period_to   TIMESTAMPTZ NOT NULL,
            pollutant   TEXT NOT NULL,          -- pm10 | pm25
            normalise   TEXT NOT NULL,          -- none | multiplicative | additive
            segment_id  TEXT NOT NULL,
            value       DOUBLE PRECISION NOT NULL,  -- median of pass means, µg/m3
            q1          DOUBLE PRECISION NOT NULL,
            q3          DOUBLE PRECISION NOT NULL,
            ci_low      DOUBLE PRECISION,       -- bootstrap 90 % CI of the median (measured)
            ci_high     DOUBLE PRECISION,
            n_passes    INTEGER NOT NULL,
            n_days      INTEGER NOT NULL,
            n_taxis     INTEGER NOT NULL,
            eligible    BOOLEAN NOT NULL,       -- false: 数据不足
            computed_at TIMESTAMPTZ NOT NULL
        )
        """,
    ]),
    Migration(7, "roads intake tokens", [
        """
        CREATE TABLE road_intake_tokens (
            token_id      TEXT PRIMARY KEY,     -- short public id (list, revoke)
            token_sha256  TEXT NOT NULL UNIQUE, -- hex digest; the token itself is never stored
            label         TEXT NOT NULL,
            device_prefix TEXT,                 -- NULL: any device; else device_id must start so
            created_at    TIMESTAMPTZ NOT NULL,
            revoked_at    TIMESTAMPTZ           -- NULL: in force
        )
        """,
    ]),
]  # fmt: skip
