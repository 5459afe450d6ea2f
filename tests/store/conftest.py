from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from envmon.store import RawPacketRow, RecordRow, open_store
from envmon.timeutil import BEIJING_FIXED

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=BEIJING_FIXED)
MN = "010000A8900016F000169DC0"


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "envmon.duckdb"


@pytest.fixture
def store(db_path):
    with open_store(db_path) as s:
        yield s


def raw_row(received_at=T0 + timedelta(hours=1), *, verdict="accepted", mn=MN, raw=b"##0101"):
    return RawPacketRow(
        received_at=received_at,
        peer="10.0.0.1:40001",
        verdict=verdict,
        reason=None if verdict == "accepted" else "crc: mismatch",
        mn=mn,
        cn="2061",
        qn="20260501090000001",
        raw=raw,
    )


def record(
    factor="a21026",
    *,
    data_time=T0,
    received_at=T0 + timedelta(hours=1),
    avg=12.5,
    mn=MN,
    cn="2061",
    flag="N",
):
    return RecordRow(
        mn=mn,
        cn=cn,
        data_time=data_time,
        factor=factor,
        factor_raw=factor,
        rtd=None,
        avg=avg,
        min=avg - 1,
        max=avg + 1,
        cou=3.25,
        zs_rtd=None,
        zs_avg=avg * 1.1,
        flag=flag,
        eflag=None,
        extra=None,
        received_at=received_at,
        qn="20260501090000001",
    )
