"""Real receivers on free loopback ports, real DuckDB files; no mocks."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from envmon.hj212 import codec
from envmon.store import open_store
from envmon.timeutil import BEIJING_FIXED

GAS_MN = "010000A8900016F000169DC0"
WATER_MN = "010000A8900016F000169DC1"
PW = "123456"


def registry_rows() -> list[dict]:
    common = {
        "province": "山西省", "city": "太原市", "city_code": "140100", "county": "小店区",
        "county_code": "140105", "unit_id": "91140100MA0GTEST01",
        "unit_name": "太原测试热电有限公司",
        "must_network": "1", "assessed": "1", "pw": PW, "standard": "GB 13223-2011",
    }
    return [
        {**common, "outlet_id": "DA001", "outlet_name": "1号锅炉排口", "kind": "gas",
         "mn": GAS_MN, "factors": "a21026:35;a21002:50;a34013:10", "o2_ref": "6"},
        {**common, "outlet_id": "DW001", "outlet_name": "总排口", "kind": "water",
         "mn": WATER_MN, "factors": "w01018:50;w21003:5", "o2_ref": ""},
    ]


@pytest.fixture
def store(tmp_path):
    from envmon.registry.importer import import_rows

    s = open_store(tmp_path / "envmon.duckdb")
    report = import_rows(s, registry_rows())
    assert len(s.list_points()) == 2, report
    yield s
    s.close()


def hourly_packet(hour: datetime, *, mn: str = GAS_MN, pw: str = PW, qn: str | None = None,
                  flag: int = 5, so2: float = 12.5) -> bytes:
    cp = codec.format_cp(
        data_time=hour,
        factors={
            "a21026": {"Min": so2 - 1, "Avg": so2, "Max": so2 + 1, "ZsAvg": so2 * 1.1,
                       "Cou": 0.5, "Flag": "N"},
            "a21002": {"Avg": 20.0, "Flag": "N"},
            "a34013": {"Avg": 3.2, "Flag": "N"},
        },
    )
    return codec.build_packet(qn=qn or codec.make_qn(hour), st="31", cn="2061", pw=pw, mn=mn,
                              flag=flag, cp=cp)


def hour(h: int, day: int = 1) -> datetime:
    return datetime(2026, 11, day, h, tzinfo=BEIJING_FIXED)


async def read_answers(reader: asyncio.StreamReader, n: int, timeout: float = 5.0) -> list:
    """Read until n packets have come back; returns decoded packets."""
    from envmon.hj212.framing import FrameBuffer

    frames = FrameBuffer()
    out: list = []
    while len(out) < n:
        data = await asyncio.wait_for(reader.read(65536), timeout)
        if not data:
            break
        out.extend(codec.decode(f) for f in frames.feed(data) if isinstance(f, bytes))
    return out


async def upload_client(port: int, k: int, per_conn: int) -> int:
    """Connection k sends `per_conn` hourly packets (distinct QNs) and counts its 9014s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    mn = GAS_MN if k % 2 else WATER_MN
    for j in range(per_conn):
        writer.write(hourly_packet(hour(j, day=1 + k % 28), mn=mn,
                                   qn=f"2026110{k:05d}{j:05d}"[:17]))
    answers = await read_answers(reader, per_conn, timeout=30)
    writer.close()
    assert all(a.cn == "9014" for a in answers)
    return len(answers)
