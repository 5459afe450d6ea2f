"""Heavy-pollution emergency control (重污染天气应急管控): alerts, the emission-reduction list
(应急减排清单) and the check that each listed unit cut its emissions as its list requires.

* ``tables`` — the store tables (schema version 11): alerts, list entries, list imports;
* ``settings`` — `EmergencyConfig`, the `[emergency]` settings (baseline, verdict rules,
  the plan's region targets per level);
* ``records`` — reading and writing alerts and list entries (the only SQL of the domain);
* ``files`` — reading a list or an alert file (CSV/XLSX, English or Chinese headers), every
  bad row named with its line and field;
* ``compliance`` — the pure arithmetic: baseline per hour, achieved reduction, its
  uncertainty, the verdicts 落实 / 未落实 / 数据不足;
* ``api`` — the use cases (`envmon emergency …`, `GET /api/v1/emergency/…`).

A new measure or rule goes in ``compliance`` (with a test of known answers); a new door
(command, endpoint, page) calls ``api`` only.
"""
