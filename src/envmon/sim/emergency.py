"""An emergency-control scenario: a heavy-pollution alert and listed units that comply,
partly comply, ignore it, stop as told, or lack the data to judge — with the verdict each
must get (`EXPECTED`), for the tests and the demo.

Five gas units of 太原市小店区 (140105), each with one flue-gas point. The alert
(orange, region 140100) lasts `ALERT_HOURS` from `alert_start`; the baseline is the 30 days
before. During the alert a unit's production (so its flue gas and emissions, `Faults.
scale_hours`) is cut as its behaviour says:

| unit | list: measure, reduction | does | verdict |
|---|---|---|---|
| …EMGC000 complies | 限产 20 % | runs at 70 % | 落实 |
| …EMGC001 partly | 限产 30 % | runs at 85 % | 未落实 |
| …EMGC002 ignores | 减排 20 % | runs at 100 % | 未落实 |
| …EMGC003 stops | 停产 | sends flag F (stopped) | 落实 |
| …EMGC004 no data | 限产 20 % | offline but 3 baseline days, runs at 70 % | 数据不足 |

The simulator only sends what the units would (`Fleet` over TCP, or `demo.seed_history`
for the demo's past); the alert and the list are entered through `envmon.emergency.api`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from envmon.sim.dau import Faults

HOUR = timedelta(hours=1)
BASELINE_DAYS = 30
ALERT_HOURS = 48
LEVEL = "orange"
REGION = "140100"
PREFIX = "91140100MA0EMGC"

# (behaviour, measure, reduction %, production scale during the alert, expected verdict)
UNITS = (
    ("complies", "限产", 20.0, 0.70, "落实"),
    ("partly", "限产", 30.0, 0.85, "未落实"),
    ("ignores", "减排", 20.0, 1.00, "未落实"),
    ("stops", "停产", 100.0, None, "落实"),
    ("no_data", "限产", 20.0, 0.70, "数据不足"),
)
GRADES = ("B", "C", "C", "D", "C")


def unit_id(k: int) -> str:
    return f"{PREFIX}{k:03d}"


def mn(k: int) -> str:
    return f"EEEE{k:020d}"


EXPECTED = {unit_id(k): u[4] for k, u in enumerate(UNITS)}


@dataclass(frozen=True)
class EmergencyScenario:
    alert_start: datetime  # on the hour, Beijing time

    @property
    def alert_end(self) -> datetime:
        return self.alert_start + ALERT_HOURS * HOUR

    @property
    def history_start(self) -> datetime:
        return self.alert_start - timedelta(days=BASELINE_DAYS)

    @property
    def history_hours(self) -> int:
        return int((self.alert_end - self.history_start) / HOUR)

    @staticmethod
    def registry_rows() -> list[dict]:
        return [{
            "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
            "county_code": "140105", "unit_id": unit_id(k),
            "unit_name": f"应急演示单位{k}（{behaviour}）", "must_network": "1",
            "assessed": "1", "outlet_id": "DA001", "outlet_name": "锅炉排口", "kind": "gas",
            "mn": mn(k), "pw": f"{500000 + k}", "factors": "a21026:35;a21002:50;a34013:10",
            "o2_ref": "6", "standard": "",
        } for k, (behaviour, *_rest) in enumerate(UNITS)]

    @staticmethod
    def list_csv() -> str:
        """The emission-reduction list as a file (Chinese headers, as a bureau keeps it)."""
        lines = ["统一社会信用代码,预警级别,绩效分级,措施,减排比例(%),污染物"]
        for k, (_b, measure, pct, _s, _v) in enumerate(UNITS):
            lines.append(f"{unit_id(k)},橙色,{GRADES[k]},{measure},{pct:g},SO2、NOx、PM")
        return "\n".join(lines) + "\n"

    def faults(self) -> dict[str, Faults]:
        """MN → the faults that make each unit behave as its row says."""
        alert = [self.alert_start + k * HOUR for k in range(ALERT_HOURS)]
        out = {}
        for k, (behaviour, _m, _p, scale, _v) in enumerate(UNITS):
            f = Faults()
            if scale is None:
                f.invalid_hours.update({h: "F" for h in alert})
            else:
                f.scale_hours.update({h: scale for h in alert})
            if behaviour == "no_data":  # only the 3 days before the alert in the baseline
                kept_from = self.alert_start - timedelta(days=3)
                hour = self.history_start
                while hour < kept_from:
                    f.offline_hours.add(hour)
                    hour += HOUR
            out[mn(k)] = f
        return out

    def apply(self, fleet) -> None:
        """Give the fleet's scenario units their faults (the others are untouched)."""
        faults = self.faults()
        for unit in fleet.units:
            if unit.point.mn in faults:
                unit.faults = faults[unit.point.mn]
