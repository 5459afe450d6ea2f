"""Implausible values through the real receiver (issue 10, finding 6).

An item whose value is empty, not a number, not finite or of implausible magnitude, or a factor
repeated with different values, is answered (the packet is well-formed) but stored with flag
X, and a value outside the point's instrument range with flag T (HJ 212-2017 Table 8: 超测量
上限): neither hour is valid in the assessment (transmission.md §3: valid = flag N, HJ 75 /
HJ 76 App. B) nor in the emissions; the tax prints as strict JSON with finite figures. A
DataTime far from the receipt is rejected with the reason in the raw log.
"""

from __future__ import annotations

import asyncio
import json
import math
from datetime import timedelta

from typer.testing import CliRunner

from envmon.assess.compute import assess
from envmon.assess.config import AssessConfig
from envmon.cli import app
from envmon.emissions.accounting import emissions
from envmon.hj212 import codec
from envmon.ingest.server import Receiver, ReceiverLimits
from envmon.registry.importer import import_rows
from tests.ingest.conftest import GAS_MN, PW, hour, read_answers, registry_rows

BAD = ["1e308", "NaN", "inf", "1e309", "", "abc", "0x10", "repeated"]


def so2_packet(data_time, so2: str, *, mn: str = GAS_MN) -> bytes:
    """A 2061 upload whose a21026-Avg is the text `so2` (or 1 and 500: a repeated factor)."""
    so2_item = ("a21026-Avg=1,a21026-Flag=N;a21026-Avg=500,a21026-Flag=N" if so2 == "repeated"
                else f"a21026-Avg={so2},a21026-ZsAvg={so2},a21026-Flag=N")
    cp = (f"DataTime={codec.format_time(data_time)};{so2_item};"
          "a21002-Avg=20,a21002-Flag=N;a34013-Avg=3.2,a34013-Flag=N;"
          "a00000-Avg=50,a00000-Flag=N;a19001-Avg=8,a19001-Flag=N")
    return codec.build_packet(qn=codec.make_qn(data_time), st="31", cn="2061", pw=PW, mn=mn,
                              flag=5, cp=cp)


def send(store, packets: list[bytes], *, answers: int, limits: ReceiverLimits | None = None,
         received_at=None) -> list:
    async def scenario():
        receiver = Receiver(store, "127.0.0.1", 0, limits or ReceiverLimits(),
                            clock=lambda: received_at or hour(12))
        await receiver.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        for packet in packets:
            writer.write(packet)
        got = await read_answers(reader, answers)
        writer.close()
        await receiver.stop()
        return got

    return asyncio.run(scenario())


def test_implausible_values_are_answered_stored_invalid_and_never_a_valid_hour(store, tmp_path):
    packets = [so2_packet(hour(h), value) for h, value in enumerate(BAD)]
    packets.append(so2_packet(hour(len(BAD)), "12.5"))  # one good hour beside them
    answers = send(store, packets, answers=len(packets))
    assert [a.cn for a in answers] == ["9014"] * len(packets)  # answered: no re-send storm

    rows = {r["data_time"]: r for r in store.query_records(
        GAS_MN, "2061", hour(0), hour(12), columns=("data_time", "factor", "avg", "flag",
                                                    "extra"))
        if r["factor"] == "a21026"}
    for h, value in enumerate(BAD):
        row = rows[hour(h)]
        extra = json.loads(row["extra"])
        assert row["flag"] == "X" and extra["sent_flag"] == "N", (value, row)
        assert extra["invalid"].startswith("a21026-Avg: "), (value, extra)
        assert row["avg"] is None or math.isfinite(row["avg"]) and row["avg"] < 1e15, value
    assert rows[hour(len(BAD))]["flag"] == "N"

    # the assessment: every hour received, only the good one valid
    result = assess(store, hour(0), hour(12), AssessConfig(factors=("a21026",)),
                    as_of=hour(13))
    [point] = [p for p in result.points if p.code == GAS_MN]
    assert point.counts.complete_received == len(BAD) + 1
    assert point.counts.complete_valid == 1

    # the emissions: those hours are invalid, every figure finite
    [so2] = [r for r in emissions(store, hour(0), hour(12)) if r.mn == GAS_MN
             and r.factor == "a21026"]
    status = {h.hour: h.status for h in so2.hours}
    assert [status[hour(h)] for h in range(len(BAD))] == ["invalid"] * len(BAD)
    assert status[hour(len(BAD))] == "valid"
    assert math.isfinite(so2.kg)

    # the tax prints as strict JSON (no NaN/Infinity) with finite figures
    store.close()

    def no_constant(name):
        raise AssertionError(f"invalid JSON constant {name}")

    result = CliRunner().invoke(app, ["tax", "--month", "2026-11", "--format", "json",
                                      "--db", str(tmp_path / "envmon.duckdb")])
    assert result.exit_code == 0, result.output
    tax = json.loads(result.stdout, parse_constant=no_constant)
    figures = [v for unit in tax["units"] for line in unit["lines"] for v in line.values()
               if isinstance(v, float)]
    assert figures and all(math.isfinite(v) for v in figures)
    assert math.isfinite(tax["total_yuan"])


def test_a_value_outside_the_instrument_range_is_flagged_t_and_not_valid(tmp_path):
    from envmon.store import open_store

    rows = [{**r, "ranges": "a21026:0~2000"} if r["mn"] == GAS_MN else r
            for r in registry_rows()]
    with open_store(tmp_path / "ranged.duckdb") as store:
        assert import_rows(store, rows).ok
        send(store, [so2_packet(hour(0), "2500"), so2_packet(hour(1), "-3"),
                     so2_packet(hour(2), "1999")], answers=3)
        got = {r["data_time"]: r for r in store.query_records(
            GAS_MN, "2061", hour(0), hour(3), columns=("data_time", "factor", "avg", "flag",
                                                       "extra"))
            if r["factor"] == "a21026"}
        assert (got[hour(0)]["flag"], got[hour(0)]["avg"]) == ("T", 2500.0)
        assert json.loads(got[hour(0)]["extra"]) == {
            "sent_flag": "N",
            "invalid": "a21026-Avg: 2500 above the instrument range's upper end 2000"}
        assert got[hour(1)]["flag"] == "T"  # below the lower end
        assert "below the instrument range's lower end 0" in got[hour(1)]["extra"]
        assert got[hour(2)]["flag"] == "N"
        result = assess(store, hour(0), hour(3), AssessConfig(factors=("a21026",)),
                        as_of=hour(13))
        [point] = [p for p in result.points if p.code == GAS_MN]
        assert (point.counts.complete_received, point.counts.complete_valid) == (3, 1)


def test_a_data_time_far_from_the_receipt_is_rejected_with_the_reason(store, tmp_path):
    from envmon.hj212.readers import parse_time
    from envmon.ingest.accept import DataTimeWindow

    limits = ReceiverLimits(data_time_window=DataTimeWindow(past_days=40, future_minutes=10))
    received = hour(12)
    far = [parse_time(t) for t in ("00011231000000", "20990101000000", "99991231230000")]
    near = [received - timedelta(days=39), received + timedelta(minutes=5)]
    too_old = received - timedelta(days=41)
    answers = send(store, [so2_packet(t, "12.5") for t in (*far, too_old, *near)],
                   answers=len(near), limits=limits, received_at=received)
    assert len(answers) == len(near)  # the rejected ones are never answered
    reasons = [r[0] for r in store.query(
        "SELECT reason FROM raw_packets WHERE verdict = 'rejected' ORDER BY id")]
    assert len(reasons) == 4 and all(r.startswith("DataTime: ") for r in reasons)
    assert "0001-12-31T00:00:00+08:00 is " in reasons[0] and "before its receipt" in reasons[0]
    assert "after its receipt" in reasons[1] and "at most 10 minutes after" in reasons[1]
    assert "9999-12-31T23:00:00+08:00" in reasons[2]
    assert "41 days before its receipt" in reasons[3]
    stored = {r["data_time"] for r in store.query_records(
        GAS_MN, "2061", received - timedelta(days=400), received + timedelta(days=400))}
    assert stored == set(near)

    # `envmon data` never shows a year-1 hour (as "0001-12-31 (BC)")
    store.close()
    result = CliRunner().invoke(app, ["data", "--mn", GAS_MN, "--from", "2026-01-01T00:00",
                                      "--to", "2027-01-01T00:00", "--format", "json",
                                      "--db", str(tmp_path / "envmon.duckdb")])
    assert result.exit_code == 0, result.output
    assert "BC" not in result.stdout and "0001-" not in result.stdout
    assert {row["data_time"][:4] for row in json.loads(result.stdout)} == {"2026"}
