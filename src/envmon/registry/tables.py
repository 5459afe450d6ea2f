"""Store tables of envmon.registry (schema versions 1, 7, 8 and 9).

- `regions` (GB/T 2260 codes), `units` (统一社会信用代码), `outlets` (keyed by unit and outlet
  number: 排放口编号 such as DA001 are only unique inside a unit), `points` (MN, password, CRC
  policy), `point_factors` (assessed factors, their limits and, from version 7, the
  instrument range `range_min`/`range_max` of each factor's analyser).
- version 7: `allow_networks` on points and units (CIDR list, ';'-separated, NULL or empty =
  any address; a point's list, else its unit's: `envmon.ingest.guard`).
- version 8: `registry_history`, the values that figures depend on (limit per factor, o2_ref,
  standard, pw) with the date from which each was in force (`effective_from`, NULL: since the
  point was registered) and when it was recorded. `points` / `point_factors` keep the current
  values; a figure for a past period reads the value in force then
  (`Store.registry_history`), so a re-import never rewrites the past.
- version 8: `point_assessed_periods` (assessed-from/to dates, append-only history).
- version 9: `units.longitude` / `units.latitude` (the unit's location, WGS 84 decimal
  degrees, for the web map) and `points.expected_interval_s` (the registered upload interval,
  the offline rule's cadence); `registry_history.field` may also be `factor` (a factor's
  code while measured, NULL from the day it was removed).
- views for analytics: `point_registry` (a point with its unit, outlet and region names) and
  `unit_registry` (a unit with its regions and number of points).

The store's registry repository (`Store.upsert_registry`, `load_point_auth`, `list_points`,
`registry_rows`, `set_crc_modes` …) reads and writes these tables.
"""

from __future__ import annotations

from envmon.store.ddl import Index, Migration

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

MIGRATIONS = [
    Migration(1, "registry", [
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
        POINT_REGISTRY_VIEW,
        UNIT_REGISTRY_VIEW,
        Index("points_unit", "points", ("unit_id", "outlet_id")),
    ]),
    Migration(7, "registry allow-lists", [
        "ALTER TABLE points ADD COLUMN allow_networks TEXT",
        "ALTER TABLE units ADD COLUMN allow_networks TEXT",
    ]),
    # Instrument range per point factor (emissions.md §8: "out of range: flag T, or value >
    # instrument range upper limit; range per analyser (registry)"). A value outside it is
    # stored with flag T and is never a valid hour (envmon.ingest.records).
    Migration(7, "registry: instrument ranges", [
        "ALTER TABLE point_factors ADD COLUMN range_min DOUBLE PRECISION",
        "ALTER TABLE point_factors ADD COLUMN range_max DOUBLE PRECISION",
    ]),
    # Versioned registry values (issue 11 item 17): one row per value taken on. `field` is
    # limit (per factor) | o2_ref | standard | pw (factor ''); `value` is text (numbers in
    # repr form, NULL for "none registered") so one column holds every field portably.
    Migration(8, "registry: value history", [
        """
        CREATE TABLE registry_history (
            mn             TEXT NOT NULL,
            factor         TEXT NOT NULL,       -- '' for point-level fields
            field          TEXT NOT NULL,       -- limit | o2_ref | standard | pw
            value          TEXT,
            effective_from TIMESTAMPTZ,         -- NULL: in force since registration
            recorded_at    TIMESTAMPTZ NOT NULL
        )
        """,
        # no index: a few rows per point (one per value taken on), read per point or whole
    ]),
    # Assessed-from/to dates per point (考核开始日期 / 考核结束日期, envmon.registry.assessed):
    # append-only, so a re-import never rewrites which hours of the past were due.
    Migration(8, "registry: assessed periods", [
        """
        CREATE TABLE point_assessed_periods (
            id            BIGINT NOT NULL,     -- order of the changes (max + 1)
            mn            TEXT NOT NULL,
            assessed_from DATE,                -- first Beijing day assessed; NULL: unbounded
            assessed_to   DATE,                -- last Beijing day assessed (included)
            recorded_at   TIMESTAMPTZ NOT NULL,
            source        TEXT                 -- the registry file that set them
        )
        """,
    ]),
    # The unit's location for the map (issue 12) and the point's registered upload interval
    # (issue 11 item 3: the offline rule's cadence when set). NULL: not registered.
    Migration(9, "registry: location, upload interval", [
        "ALTER TABLE units ADD COLUMN longitude DOUBLE PRECISION",
        "ALTER TABLE units ADD COLUMN latitude DOUBLE PRECISION",
        "ALTER TABLE points ADD COLUMN expected_interval_s INTEGER",
    ]),
    # The HJ 212 version a point speaks (issue 16: auto | 2017 | 2025; NULL = auto): a packet
    # of another version is a recorded deviation, never a rejection.
    Migration(10, "registry: protocol version", [
        "ALTER TABLE points ADD COLUMN protocol TEXT",
    ]),
]  # fmt: skip
