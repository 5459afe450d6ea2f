"""The one accept path: typed reasons, the field counted, the raw log text as before."""

from __future__ import annotations

from envmon.hj212 import codec
from envmon.ingest.accept import Accepted, Reason, Rejected, accept
from envmon.store import PointAuth
from tests.ingest.conftest import GAS_MN, PW, hour, hourly_packet

POINTS = {GAS_MN: PointAuth(mn=GAS_MN, pw=PW, unit_id="U1", kind="gas", crc_modes=("hj212",))}


def test_accepted_names_the_point():
    verdict = accept(codec.decode(hourly_packet(hour(8))), POINTS)
    assert verdict == Accepted(POINTS[GAS_MN])


def test_each_reason_with_its_field_and_message():
    bad_crc = codec.decode(hourly_packet(hour(8))[:-6] + b"0000\r\n")
    unknown = codec.decode(hourly_packet(hour(8), mn="FFFF00000000000000000000"))
    wrong_pw = codec.decode(hourly_packet(hour(8), pw="654321"))
    no_time = codec.decode(codec.build_packet(
        qn="20261101090000123", st="31", cn="2011", pw=PW, mn=GAS_MN, flag=5,
        cp="RtdInterval=30"))
    verdicts = [accept(p, POINTS) for p in (bad_crc, unknown, wrong_pw, no_time)]
    assert all(type(v) is Rejected for v in verdicts)
    assert [(v.field, v.reason) for v in verdicts] == [
        ("CRC", Reason.MALFORMED), ("MN", Reason.UNREGISTERED_MN),
        ("PW", Reason.WRONG_PASSWORD), ("DataTime", Reason.NO_DATA_TIME)]
    assert verdicts[0].message == bad_crc.error and verdicts[0].message.startswith("CRC: ")
    assert verdicts[1].message == "MN: 'FFFF00000000000000000000' is not registered"
    assert str(verdicts[2]) == f"PW: wrong password for MN {GAS_MN}"
    assert verdicts[3].message == "DataTime: missing in a data upload"


def test_a_malformed_packet_is_judged_before_the_registry():
    packet = codec.decode(hourly_packet(hour(8), mn="FFFF00000000000000000000")[:-6]
                          + b"0000\r\n")
    verdict = accept(packet, POINTS)
    assert (verdict.field, verdict.reason) == ("CRC", Reason.MALFORMED)
