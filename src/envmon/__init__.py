"""envmon: pollution-source, road particulate and ambient air monitoring on one store.

The layers, from the doors down (each calls only the ones below it):
- `cli/` (and the coming web app): parse options, call a use case, render; no SQL here.
- `<domain>/api.py` (registry, records, assess, alarms, emissions, roads, air): the use cases,
  `(store, period, options) -> result`; options typed once (`choices`, `errors.OptionError`).
- the domains (`hj212`, `ingest`, `assess`, `alarms`, `emissions`, `roads`, `air`, …): pure
  rules and their SQL, each owning its tables.
- `store/`: the public store interface (`query`, `arrow`, `transaction`, `append`) and engines.
Beside them: `period` (the one Period value), `render` (results → json, csv, table, xlsx, html,
pdf), `reports` (bulletin model and writers), `app` (the one process that owns the store).
"""

__version__ = "0.1.0"
