from __future__ import annotations

import pytest

from envmon.registry.codes import with_check_char
from envmon.store import open_store

UNIT_A = with_check_char("91140105MA0TEXTA0")  # 小店区
UNIT_B = with_check_char("12140106MA0TEXTB0")  # 迎泽区
MN_1 = "0A0000A8900016F000169DC1"
MN_2 = "0A0000A8900016F000169DC2"
MN_3 = "0A0000A8900016F000169DC3"

HEADER = (
    "province,city,city_code,county,county_code,unit_id,unit_name,must_network,assessed,"
    "outlet_id,outlet_name,kind,mn,pw,factors,o2_ref,standard"
)


def line(**kw: str) -> str:
    base = {
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": UNIT_A, "unit_name": "小店恒泰热电有限公司",
        "must_network": "1", "assessed": "1", "outlet_id": "DA001", "outlet_name": "1号锅炉排口",
        "kind": "gas", "mn": MN_1, "pw": "123456", "factors": "a21026:35;a21002:50;a34013:10",
        "o2_ref": "6", "standard": "GB 13223-2011",
    }  # fmt: skip
    base.update(kw)
    return ",".join(f'"{v}"' if ("," in v or ";" in v) else v for v in base.values())


def csv_text(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "envmon.duckdb") as s:
        yield s
