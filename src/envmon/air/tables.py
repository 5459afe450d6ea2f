"""Store tables of envmon.air (schema versions 2 and 8), collected by `envmon.store.schema`.

A new table or column of this domain goes here, as a new numbered `Migration` (never an edit of
a released one); see `envmon.store`.
"""

from __future__ import annotations

from envmon.store.ddl import Index, Migration

# Version 2 (envmon.air, airquality.md): ambient air-quality stations and their data. Hourly
# values are labelled by the END of the hour (HJ 663 / CNEMC; HJ 212 labels by the start), and
# both bounds are stored. A re-imported (station, hour) or (station, day) replaces the earlier
# row (the importer deletes then inserts in one transaction). CNEMC's own published figures are
# kept apart, for comparison only: envmon always computes its own AQI.
MIGRATIONS = [
    Migration(2, "ambient air", [
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
        Index("air_hourly_station_time", "air_hourly", ("station_code", "end_time")),
        Index("air_daily_station_day", "air_daily", ("station_code", "day")),
        Index("air_published_station_time", "air_published", ("station_code", "end_time")),
    ]),
]  # fmt: skip

# Version 8 (issue 11): a station CNEMC lists but the registry does not know is kept untyped
# (type NULL) and out of city values until `air stations import` types it, because a control
# station typed "city" by default changes city figures (HJ 663-2013 Annex A: city stations
# only). active_from / active_to bound the days a station counts in the city's number of
# stations for the 75 % / 50 % valid-stations rule (HJ 663-2013 §6.1); NULL is unbounded.
MIGRATIONS.append(
    Migration(8, "air station types may be unknown; station active dates", [
        "ALTER TABLE air_stations ALTER COLUMN type DROP NOT NULL",
        "ALTER TABLE air_stations ADD COLUMN active_from DATE",
        "ALTER TABLE air_stations ADD COLUMN active_to DATE",
    ])
)
