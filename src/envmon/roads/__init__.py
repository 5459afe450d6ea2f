"""Road-network particulate monitoring (全路网颗粒物监测): taxi PM sensors, map matching,
per-segment drive-pass statistics and monthly dirty/clean road rankings (roads.md).

Flow (each step a module):

    envmon roads network --pbf city.osm.pbf --districts districts.geojson   # network.py
    envmon roads calibrate 晋A-T001 --from 2026-10-01 --pm25 1.1 -2 --pm10 1.2 0   # sensors.py
    envmon roads import taxis.csv [--crs gcj02]      (or POST /roads/readings: intake_http.py)
    envmon roads match --month 2026-10               # matching.py (fastmm) → stats.py passes
    envmon roads rank --month 2026-10 --pollutant pm10 --format json|xlsx|html|pdf
                      [--map map.png] [--geojson layer.geojson] [--names hotspot]
    envmon roads coverage --month 2026-10
    envmon simulate-taxis --out taxis.csv --truth truth.json --import   # envmon.sim.taxis

Each command is a use case in `api` (`(store, period, options) -> result`), shared by the CLI,
the HTTP intake and the web app; the modules above do the domain work. The roads tables are
declared in `tables` as numbered migrations 5 (network, devices, readings and rejections,
passes, coverage) and 6 (`road_pois`, `road_segment_stats`); a new table or column goes there
as a new migration.
Thresholds live in dataclasses (`SensorConfig`, `MatchConfig`, `PassConfig`, `Eligibility`,
`NamingConfig`) and can be set from a TOML file (`--settings`, see `settings`).
"""
