"""Ambient air quality: IAQI/AQI (HJ 633), validity rules (GB 3095), statistics and the
composite index (HJ 663, the MEE ranking method), good days, year-on-year change, rankings.

Modules: `standards` (breakpoints, limits, the standard set by date), `rounding` (GB/T 8170,
IAQI ceil), `aqi` (IAQI/AQI, levels, primary pollutants), `stats` (daily values, MDA8,
validity, city values, percentiles, composite index, good days, YoY, rankings, trend),
`storage` (stations and data in the store: import and load, one rule for every importer),
`settings` (the `[air]` settings: open choices with cited defaults), `service` (city summaries
and rankings from the store), `api` (the use cases of `envmon air …` and `envmon report air`:
`(store, period, options) -> result`, shared by the CLI and the web app), `tables` (the air
tables as numbered migrations, 2: stations, hourly and daily data, CNEMC's published figures;
8: untyped stations and station active dates; a new table or column goes there as a new
migration).
"""
