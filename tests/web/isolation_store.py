"""A store for the isolation tests: four units in three counties of two cities (the registry
of tests/assess), each with records, raw packets, an alarm, a data mark, a remote command, a
supervision case and a grade; an emergency alert; and one user of every role.

`build(path)` returns the store; `PRINCIPALS` names each role's user and what its scope
holds, so a test knows which MNs, unit ids and unit names it must never see.
"""

from __future__ import annotations

from datetime import timedelta

from envmon.alarms.store import open_alarm
from envmon.control.storage import CommandRow, insert_command
from envmon.grading.api import grade_month
from envmon.marks.api import FileOptions, file_mark
from envmon.marks.settings import MarksSettings
from envmon.period import Period
from envmon.registry.importer import import_rows
from envmon.store import open_store
from envmon.supervision.api import Actor, open_case
from envmon.timeutil import now_beijing
from tests.access.conftest import make_user
from tests.assess.conftest import GAS, GAS2, OTHER, WATER, raw, rec, registry_rows, write

UNIT_A = "91140100MA0GAS0001"  # 甲电厂, 太原 小店区 140105: GAS, GAS2
UNIT_B = "91140100MA0WAT0001"  # 乙水厂, 太原 迎泽区 140106: WATER
UNIT_C = "91140100MA0NOPT001"  # 丙公司, 太原 迎泽区 140106: no point
UNIT_D = "91140200MA0GAS0003"  # 丁钢铁, 大同 平城区 140213: OTHER
NAMES = {UNIT_A: "甲电厂", UNIT_B: "乙水厂", UNIT_C: "丙公司", UNIT_D: "丁钢铁"}
POINTS = {GAS: UNIT_A, GAS2: UNIT_A, WATER: UNIT_B, OTHER: UNIT_D}

# role → (user name, make_user options, the units its scope holds)
PRINCIPALS = {
    "admin": ("root", {}, set(NAMES)),
    "bureau": ("city", {"region": "140100"}, {UNIT_A, UNIT_B, UNIT_C}),
    "district": ("xiaodian", {"region": "140105"}, {UNIT_A}),
    "officer": ("officer", {"region": "140105"}, {UNIT_A}),
    "enterprise": ("jia", {"unit": UNIT_A}, {UNIT_A}),
    "readonly": ("reader", {}, set(NAMES)),
}


def foreign_strings(units: set[str]) -> set[str]:
    """The MNs, unit ids and unit names outside `units`: none may appear in an answer."""
    outside = set(NAMES) - units
    return ({u for u in outside} | {NAMES[u] for u in outside}
            | {mn for mn, u in POINTS.items() if u in outside})


def build(path) -> tuple:
    """The store and the ids made: {"alarm": {mn: id}, "mark": {mn: id}, "command": {mn: id},
    "case": {unit: id}}."""
    store = open_store(path)
    report = import_rows(store, registry_rows())
    assert report.ok, str(report)
    now = now_beijing()
    hour = now.replace(minute=0, second=0, microsecond=0)
    hours = [hour - timedelta(hours=n) for n in range(1, 4)]
    records = [rec(mn, factor, h) for mn in POINTS for h in hours
               for factor in (("w01018",) if mn == WATER else ("a21026",))]
    write(store, records, online=[(mn, h) for mn in POINTS for h in hours])
    store.write_batch([raw(mn, hours[0]) for mn in POINTS], [])
    ids: dict[str, dict] = {"alarm": {}, "mark": {}, "command": {}, "case": {}}
    settings = MarksSettings()
    day = hour.replace(hour=0) - timedelta(days=1)
    for n, (mn, unit) in enumerate(POINTS.items()):
        ids["alarm"][mn] = open_alarm(store, mn=mn, unit_id=unit, factor="a21026",
                                      rule="exceedance", data_time=hours[0], value=99.0,
                                      limit=35.0, detail=f"超标 {NAMES[unit]}").id
        done = file_mark(store, settings, Period.parse(day, day + timedelta(hours=2)),
                         FileOptions(mn=mn, type="comm_interrupt", by="tests",
                                     filed_from="cli:tests", note=f"{NAMES[unit]} 断网"))
        ids["mark"][mn] = done.mark["id"]
        ids["command"][mn] = insert_command(store, CommandRow(
            1000 + n, mn, "1011", "get_time", "", f"2026120100000000{n}", "tests", now,
            "cli:tests", "answered")).id
    for unit in NAMES:
        ids["case"][unit] = open_case(store, actor=Actor("tests"), unit_id=unit,
                                      reason=f"督办 {NAMES[unit]}").case.id
    grade_month(store, f"{day:%Y-%m}")
    for role, (name, options, _) in PRINCIPALS.items():
        make_user(store, name, role, **options)
    return store, ids
