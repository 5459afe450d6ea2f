"""Frozen copy of the schema DDL as envmon wrote it at schema version 5 (before the domains
owned their tables). Tests build stores with it the way the old code did and upgrade them.
Never edit: it stands for store files that exist.
"""

# ruff: noqa: E501
from __future__ import annotations

SCHEMA_VERSION = 5

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL
)
"""

RECORDS_FIRST_VIEW = """
CREATE VIEW records_first AS
SELECT id, mn, cn, data_time,
       CASE cn
           WHEN '2061' THEN data_time + INTERVAL '1 hour'
           WHEN '2031' THEN data_time + INTERVAL '1 day'
           WHEN '2041' THEN data_time + INTERVAL '1 day'  -- daily running hours (C.23)
       END AS period_end,
       factor, factor_raw, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, eflag, extra,
       received_at, qn, copies
FROM (
    SELECT r.*,
           ROW_NUMBER() OVER (PARTITION BY mn, cn, data_time, factor
                              ORDER BY received_at, id) AS rn,
           COUNT(*) OVER (PARTITION BY mn, cn, data_time, factor) AS copies
    FROM records r
) ranked
WHERE rn = 1
"""

POINT_REGISTRY_VIEW = """
CREATE VIEW point_registry AS
SELECT p.mn, p.kind, p.o2_ref, p.standard, p.crc_modes,
       p.unit_id, u.name AS unit_name, u.must_network, u.assessed,
       p.outlet_id, o.name AS outlet_name,
       u.county_code, county.name AS county,
       COALESCE(county.parent_code, SUBSTR(u.county_code, 1, 4) || '00') AS city_code,
       city.name AS city,
       SUBSTR(u.county_code, 1, 2) || '0000' AS province_code,
       province.name AS province
FROM points p
JOIN units u ON u.unit_id = p.unit_id
LEFT JOIN outlets o ON o.unit_id = p.unit_id AND o.outlet_id = p.outlet_id
LEFT JOIN regions county ON county.code = u.county_code
LEFT JOIN regions city
       ON city.code = COALESCE(county.parent_code, SUBSTR(u.county_code, 1, 4) || '00')
LEFT JOIN regions province ON province.code = SUBSTR(u.county_code, 1, 2) || '0000'
"""

UNIT_REGISTRY_VIEW = """
CREATE VIEW unit_registry AS
SELECT u.unit_id, u.name AS unit_name, u.must_network, u.assessed,
       u.county_code, county.name AS county,
       COALESCE(county.parent_code, SUBSTR(u.county_code, 1, 4) || '00') AS city_code,
       city.name AS city,
       SUBSTR(u.county_code, 1, 2) || '0000' AS province_code,
       province.name AS province,
       (SELECT COUNT(*) FROM points p WHERE p.unit_id = u.unit_id) AS points
FROM units u
LEFT JOIN regions county ON county.code = u.county_code
LEFT JOIN regions city
       ON city.code = COALESCE(county.parent_code, SUBSTR(u.county_code, 1, 4) || '00')
LEFT JOIN regions province ON province.code = SUBSTR(u.county_code, 1, 2) || '0000'
"""

# Version 3 (envmon.assess, transmission.md): what changes the assessment without touching the
# append-only records: exemption periods (停产/停运/停排) and manual corrections (修约), each
# with who, when, why and proof, revoked by stamping (never deleted, never overwritten); and the
# log of back-fill (补遗, hj212.md §7) requests the platform sent and how each ended.
ASSESS_MIGRATION: list[str] = [
    "CREATE SEQUENCE exemptions_id_seq START 1",
    """
    CREATE TABLE exemptions (
        id            BIGINT NOT NULL,
        unit_id       TEXT NOT NULL,
        mn            TEXT,                   -- NULL: every point of the unit
        kind          TEXT NOT NULL,          -- 停产 | 停运 | 停排
        start_time    TIMESTAMPTZ NOT NULL,   -- hours whose start is in [start, end) are exempt
        end_time      TIMESTAMPTZ NOT NULL,
        reason        TEXT NOT NULL,
        proof         TEXT,                   -- reference of the document that backs the mark
        created_by    TEXT NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL,
        revoked_by    TEXT,
        revoked_at    TIMESTAMPTZ,
        revoke_reason TEXT
    )
    """,
    "CREATE SEQUENCE corrections_id_seq START 1",
    """
    CREATE TABLE corrections (
        id            BIGINT NOT NULL,
        mn            TEXT NOT NULL,
        factor        TEXT,                   -- NULL: every assessed factor of the point
        start_time    TIMESTAMPTZ NOT NULL,   -- hours whose start is in [start, end)
        end_time      TIMESTAMPTZ NOT NULL,
        action        TEXT NOT NULL,          -- invalidate | repair
        value         DOUBLE PRECISION,       -- repaired hourly value, if one was supplied
        reason        TEXT NOT NULL,
        proof         TEXT,
        created_by    TEXT NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL,
        revoked_by    TEXT,
        revoked_at    TIMESTAMPTZ,
        revoke_reason TEXT
    )
    """,
    "CREATE SEQUENCE backfill_requests_id_seq START 1",
    """
    CREATE TABLE backfill_requests (
        id            BIGINT NOT NULL,
        mn            TEXT NOT NULL,
        cn            TEXT NOT NULL,          -- 2061: hourly data
        qn            TEXT NOT NULL,          -- QN of the request (answers carry it)
        begin_time    TIMESTAMPTZ NOT NULL,   -- BeginTime, inclusive
        end_time      TIMESTAMPTZ NOT NULL,   -- EndTime, inclusive
        hours         INTEGER NOT NULL,       -- missing hours the request asks for
        trigger       TEXT NOT NULL,          -- online | schedule | manual
        requested_at  TIMESTAMPTZ NOT NULL,
        qn_rtn        TEXT,                   -- 9011 QnRtn
        exe_rtn       TEXT,                   -- 9012 ExeRtn (1 done, 100 no data …)
        finished_at   TIMESTAMPTZ,
        outcome       TEXT NOT NULL           -- pending | completed | no_data | refused
                                              -- | failed | timeout | not_sent
    )
    """,
]

# Version 2 (envmon.air, airquality.md): ambient air-quality stations and their data. Hourly
# values are labelled by the END of the hour (HJ 663 / CNEMC; HJ 212 labels by the start), and
# both bounds are stored. A re-imported (station, hour) or (station, day) replaces the earlier
# row (the importer deletes then inserts in one transaction). CNEMC's own published figures are
# kept apart, for comparison only: envmon always computes its own AQI.
AIR_MIGRATION: list[str] = [
    """
    CREATE TABLE air_stations (
        code        TEXT PRIMARY KEY,       -- national station code (e.g. 1001A)
        name        TEXT,
        city        TEXT NOT NULL,          -- city name (…市)
        type        TEXT NOT NULL,          -- city | control | background | regional
                                            -- | roadside | source; city values use city only
        lat         DOUBLE PRECISION,
        lon         DOUBLE PRECISION,
        updated_at  TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE air_hourly (
        station_code TEXT NOT NULL,
        start_time   TIMESTAMPTZ NOT NULL,  -- start of the hour
        end_time     TIMESTAMPTZ NOT NULL,  -- end of the hour: the HJ 663 / CNEMC label
        so2          DOUBLE PRECISION,      -- µg/m3 (reference state since 2018-09-01)
        no2          DOUBLE PRECISION,      -- µg/m3
        co           DOUBLE PRECISION,      -- mg/m3
        o3           DOUBLE PRECISION,      -- µg/m3, 1-h value
        pm10         DOUBLE PRECISION,      -- µg/m3 (actual state)
        pm25         DOUBLE PRECISION,      -- µg/m3
        source       TEXT NOT NULL,         -- cnemc | hourly
        imported_at  TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE air_daily (
        station_code TEXT NOT NULL,
        day          DATE NOT NULL,         -- natural day, hours 1:00…24:00 Beijing time
        so2          DOUBLE PRECISION,
        no2          DOUBLE PRECISION,
        co           DOUBLE PRECISION,
        pm10         DOUBLE PRECISION,
        pm25         DOUBLE PRECISION,
        o3_1h_max    DOUBLE PRECISION,
        o3_8h_max    DOUBLE PRECISION,      -- MDA8
        source       TEXT NOT NULL,
        imported_at  TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE air_published (
        station_code      TEXT NOT NULL,
        end_time          TIMESTAMPTZ NOT NULL,
        published_aqi     DOUBLE PRECISION,  -- CNEMC real-time AQI, for comparison only
        published_primary TEXT,              -- CNEMC primarypollutant
        pm10_24h          DOUBLE PRECISION,
        pm25_24h          DOUBLE PRECISION,
        no2_24h           DOUBLE PRECISION,
        so2_24h           DOUBLE PRECISION,
        co_24h            DOUBLE PRECISION,
        o3_1h_max_24h     DOUBLE PRECISION,  -- archive column o3 (swapped, airquality.md §7.1)
        o3_8h             DOUBLE PRECISION,  -- archive column o3_8h_24h: latest 8-h rolling
        o3_8h_max         DOUBLE PRECISION,  -- archive column o3_8h: day's max 8-h so far
        imported_at       TIMESTAMPTZ NOT NULL
    )
    """,
]

# Version 4 (envmon.alarms, emissions.md §8): alarms with their lifecycle (open → acknowledged →
# closed; at most one not-closed alarm per point, factor and rule, kept by the engine), the
# audit trail of every transition (who, when, note), and the log of notification attempts.
# `factor` is '' for point-level rules (offline).
ALARMS_MIGRATION: list[str] = [
    "CREATE SEQUENCE alarms_id_seq START 1",
    """
    CREATE TABLE alarms (
        id              BIGINT NOT NULL,
        mn              TEXT NOT NULL,
        unit_id         TEXT,
        factor          TEXT NOT NULL,
        rule            TEXT NOT NULL,          -- exceedance | offline | constant | zero | …
        status          TEXT NOT NULL,          -- open | acknowledged | closed
        opened_at       TIMESTAMPTZ NOT NULL,   -- platform time the alarm was raised
        data_time       TIMESTAMPTZ,            -- data time of the evidence
        value           DOUBLE PRECISION,
        limit_value     DOUBLE PRECISION,
        detail          TEXT,
        acknowledged_at TIMESTAMPTZ,
        acknowledged_by TEXT,
        ack_note        TEXT,
        closed_at       TIMESTAMPTZ,
        closed_by       TEXT,                   -- 'auto' when the condition cleared
        close_note      TEXT
    )
    """,
    "CREATE SEQUENCE alarm_events_id_seq START 1",
    """
    CREATE TABLE alarm_events (
        id        BIGINT NOT NULL,
        alarm_id  BIGINT NOT NULL,
        event_at  TIMESTAMPTZ NOT NULL,
        action    TEXT NOT NULL,                -- open | acknowledge | close
        actor     TEXT NOT NULL,                -- 'engine' or the person
        note      TEXT
    )
    """,
    "CREATE SEQUENCE notifications_id_seq START 1",
    """
    CREATE TABLE notifications (
        id          BIGINT NOT NULL,
        alarm_id    BIGINT NOT NULL,
        channel     TEXT NOT NULL,              -- webhook | log
        target      TEXT,
        attempt     INTEGER NOT NULL,
        sent_at     TIMESTAMPTZ NOT NULL,
        ok          BOOLEAN NOT NULL,
        http_status INTEGER,
        error       TEXT
    )
    """,
]

# Version 5 (envmon.roads, roads.md): road network (versions, junction-to-junction segments,
# directed matching edges), taxi sensor devices with calibrations, readings (WGS-84, corrected
# and raw), rejected rows with reasons, drive passes per segment, match coverage per taxi-day.
ROADS_MIGRATION: list[str] = [
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
    """
    CREATE TABLE road_pois (
        network_version TEXT NOT NULL,
        name        TEXT NOT NULL,          -- named POI, gate or landmark (naming fallbacks,
        kind        TEXT NOT NULL,          -- poi | gate         2021 hotspot form)
        lon         DOUBLE PRECISION NOT NULL,
        lat         DOUBLE PRECISION NOT NULL
    )
    """,    """
    CREATE TABLE road_segment_stats (
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
]

# version -> statements that bring the schema from version-1 to version.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """
        CREATE TABLE regions (
            code        TEXT PRIMARY KEY,   -- GB/T 2260 six-digit code
            name        TEXT,
            level       TEXT NOT NULL,      -- province | city | county
            parent_code TEXT
        )
        """,
        """
        CREATE TABLE units (
            unit_id      TEXT PRIMARY KEY,  -- 统一社会信用代码 (GB 32100-2015)
            name         TEXT NOT NULL,
            county_code  TEXT NOT NULL,
            must_network BOOLEAN NOT NULL,  -- 应联网
            assessed     BOOLEAN NOT NULL,  -- 纳入考核
            updated_at   TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE outlets (
            unit_id    TEXT NOT NULL,
            outlet_id  TEXT NOT NULL,       -- 排放口编号, unique within the unit
            name       TEXT,
            kind       TEXT NOT NULL,       -- gas | water
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (unit_id, outlet_id)
        )
        """,
        """
        CREATE TABLE points (
            mn         TEXT PRIMARY KEY,
            outlet_id  TEXT NOT NULL,
            unit_id    TEXT NOT NULL,
            pw         TEXT NOT NULL,
            kind       TEXT NOT NULL,       -- gas | water
            o2_ref     DOUBLE PRECISION,    -- reference O2, % (gas)
            standard   TEXT,                -- 执行标准
            crc_modes  TEXT NOT NULL,       -- comma-separated: hj212, modbus, modbus_swapped
            updated_at TIMESTAMPTZ NOT NULL
        )
        """,
        """
        CREATE TABLE point_factors (
            mn          TEXT NOT NULL,
            factor      TEXT NOT NULL,      -- HJ 212-2017 code
            limit_value DOUBLE PRECISION,   -- mg/m3 at reference O2 (gas), mg/L (water)
            PRIMARY KEY (mn, factor)
        )
        """,
        "CREATE SEQUENCE raw_packets_id_seq START 1",
        """
        CREATE TABLE raw_packets (
            id          BIGINT NOT NULL,
            received_at TIMESTAMPTZ NOT NULL,
            peer        TEXT,
            verdict     TEXT NOT NULL,      -- accepted | rejected | discarded
            reason      TEXT,
            mn          TEXT,
            cn          TEXT,
            qn          TEXT,
            raw         BYTEA NOT NULL
        )
        """,
        "CREATE SEQUENCE records_id_seq START 1",
        """
        CREATE TABLE records (
            id          BIGINT NOT NULL,
            mn          TEXT NOT NULL,
            cn          TEXT NOT NULL,
            data_time   TIMESTAMPTZ NOT NULL,  -- DataTime: start of the period (hj212.md §8)
            factor      TEXT NOT NULL,         -- HJ 212-2017 code
            factor_raw  TEXT NOT NULL,         -- code as sent
            rtd         DOUBLE PRECISION,
            avg         DOUBLE PRECISION,
            min         DOUBLE PRECISION,
            max         DOUBLE PRECISION,
            cou         DOUBLE PRECISION,
            zs_rtd      DOUBLE PRECISION,
            zs_avg      DOUBLE PRECISION,
            flag        TEXT,                  -- raw data flag (N, F, M, S, D, C, T, B …)
            eflag       TEXT,
            extra       TEXT,                  -- JSON text of any other suffixes
            received_at TIMESTAMPTZ NOT NULL,
            qn          TEXT
        )
        """,
        RECORDS_FIRST_VIEW,
        POINT_REGISTRY_VIEW,
        UNIT_REGISTRY_VIEW,
    ],
    2: AIR_MIGRATION,
    3: ASSESS_MIGRATION,
    4: ALARMS_MIGRATION,
    5: ROADS_MIGRATION,
}

# version -> indexes for engines that keep b-tree indexes (see the module docstring).
SERVER_INDEXES: dict[int, list[str]] = {
    1: [
        "CREATE INDEX IF NOT EXISTS records_mn_cn_time ON records (mn, cn, data_time)",
        "CREATE INDEX IF NOT EXISTS records_received_at ON records (received_at)",
        "CREATE UNIQUE INDEX IF NOT EXISTS raw_packets_pkey ON raw_packets (id)",
        "CREATE INDEX IF NOT EXISTS raw_packets_received_at ON raw_packets (received_at)",
        "CREATE INDEX IF NOT EXISTS points_unit ON points (unit_id, outlet_id)",
    ],
    2: [
        "CREATE INDEX IF NOT EXISTS air_hourly_station_time ON air_hourly (station_code, end_time)",
        "CREATE INDEX IF NOT EXISTS air_daily_station_day ON air_daily (station_code, day)",
        "CREATE INDEX IF NOT EXISTS air_published_station_time "
        "ON air_published (station_code, end_time)",
    ],
    3: [
        "CREATE INDEX IF NOT EXISTS exemptions_unit ON exemptions (unit_id, start_time)",
        "CREATE INDEX IF NOT EXISTS corrections_mn ON corrections (mn, start_time)",
        "CREATE INDEX IF NOT EXISTS backfill_requests_mn ON backfill_requests (mn, requested_at)",
    ],
    4: [
        "CREATE INDEX IF NOT EXISTS alarms_mn_status ON alarms (mn, status)",
        "CREATE INDEX IF NOT EXISTS alarm_events_alarm ON alarm_events (alarm_id)",
    ],
    # version 13 (envmon.store.server_indexes): the PostgreSQL engine's ids and filters
    13: [
        "CREATE UNIQUE INDEX IF NOT EXISTS marks_id ON marks (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS mark_proofs_id ON mark_proofs (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS supervision_cases_id ON supervision_cases (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS supervision_events_id ON supervision_events (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS supervision_deliveries_id ON supervision_deliveries (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS emergency_alerts_id ON emergency_alerts (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS emergency_list_imports_id ON emergency_list_imports (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS alarms_id ON alarms (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS alarm_events_id ON alarm_events (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS notifications_id ON notifications (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS point_assessed_periods_id ON point_assessed_periods (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS exemptions_id ON exemptions (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS corrections_id ON corrections (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS backfill_requests_id ON backfill_requests (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS alarm_answers_id ON alarm_answers (id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS alarm_answer_files_id ON alarm_answer_files (id)",
        "CREATE INDEX IF NOT EXISTS alarms_opened_at ON alarms (opened_at)",
        "CREATE INDEX IF NOT EXISTS alarms_status ON alarms (status)",
        "CREATE INDEX IF NOT EXISTS marks_mn_status ON marks (mn, status)",
        "CREATE INDEX IF NOT EXISTS commands_mn_state ON commands (mn, state)",
        "CREATE INDEX IF NOT EXISTS audit_log_happened_at ON audit_log (happened_at)",
        "CREATE INDEX IF NOT EXISTS supervision_cases_unit ON supervision_cases (unit_id, state)",
        "CREATE INDEX IF NOT EXISTS supervision_cases_source_key ON supervision_cases (source_key)",
        "CREATE INDEX IF NOT EXISTS unit_grades_month ON unit_grades (month)",
        "CREATE INDEX IF NOT EXISTS road_readings_time ON road_readings (time)",
        "CREATE INDEX IF NOT EXISTS road_readings_device_time ON road_readings (device_id, time)",
        "CREATE INDEX IF NOT EXISTS road_passes_segment ON road_passes (network_version, segment_id, start_time)",
        "CREATE INDEX IF NOT EXISTS registry_history_mn_field ON registry_history (mn, field, factor)",
        "CREATE INDEX IF NOT EXISTS records_cn_time ON records (cn, data_time)",
    ],
}

assert max(MIGRATIONS) == SCHEMA_VERSION
