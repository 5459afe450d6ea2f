"""The 40 public packets of tests/hj212/data/hj212_public_packets.txt (sources on `# src:`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envmon.hj212.codec import decode
from envmon.hj212.crc import crc16, crc16_modbus

DATA = Path(__file__).parent / "data" / "hj212_public_packets.txt"


def load() -> list[tuple[str, bytes]]:
    """(src line, packet) pairs; packets are stored without the trailing CR LF."""
    out, src = [], None
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("# src:"):
            src = line
        elif line.startswith("##"):
            assert src is not None
            out.append((src, line.encode("utf-8")))
            src = None
    return out


PACKETS = load()


def kind(src: str) -> str:
    if "CRC_OK(HJ212)" in src:
        return "hj212"
    if "byte-swapped" in src:
        return "modbus_swapped"
    if "plain CRC-16/MODBUS" in src:
        return "modbus"
    return "broken"


def test_inventory():
    assert len(PACKETS) == 40
    counts = {k: sum(kind(s) == k for s, _ in PACKETS)
              for k in ("hj212", "modbus", "modbus_swapped", "broken")}
    assert counts == {"hj212": 25, "modbus": 6, "modbus_swapped": 3, "broken": 6}


@pytest.mark.parametrize(("src", "raw"), PACKETS, ids=[f"p{i:02d}" for i in range(len(PACKETS))])
def test_crc_values_match_the_annotations(src, raw):
    # The file states given / HJ 212 / MODBUS CRCs computed by two other implementations.
    m = re.search(r"given=(\w{4}) hj212=(\w{4}) modbus=(\w{4})", src)
    assert m
    segment = raw[6:-4]
    assert f"{crc16(segment):04X}" == m.group(2)
    assert f"{crc16_modbus(segment):04X}" == m.group(3)
    assert "LEN_OK" in src and int(raw[2:6]) == len(segment)


@pytest.mark.parametrize(("src", "raw"), PACKETS, ids=[f"p{i:02d}" for i in range(len(PACKETS))])
def test_verdicts(src, raw):
    expected = kind(src)
    strict = decode(raw + b"\r\n")
    assert strict.ok == (expected == "hj212"), strict.error
    assert strict.crc_ok == (expected == "hj212")
    assert strict.mn and strict.cn  # fields are reported even for rejected packets
    if expected in ("modbus", "modbus_swapped"):
        lenient = decode(raw + b"\r\n", (expected,))
        assert lenient.ok and lenient.crc_mode == expected, lenient.error
        other = "modbus" if expected == "modbus_swapped" else "modbus_swapped"
        assert not decode(raw, (other,)).ok
    if expected == "broken":
        p = decode(raw, ("hj212", "modbus", "modbus_swapped"))
        assert not p.ok and p.error.startswith("CRC: expected ")


def test_totals_under_each_policy():
    strict = sum(decode(raw).ok for _, raw in PACKETS)
    everything = sum(decode(raw, ("hj212", "modbus", "modbus_swapped")).ok for _, raw in PACKETS)
    assert strict == 25 and everything == 34


def _find(fragment: bytes) -> bytes:
    [raw] = [raw for _, raw in PACKETS if fragment in raw]
    return raw


def test_deviations_seen_in_the_wild():
    p = decode(_find(b"DataTime=20250131202809;a34001-Rtd=92;Flag=N"))
    assert p.ok and "Flag=N item inside CP" in p.deviations
    [raw] = [r for _, r in PACKETS if r.startswith(b"##0139") and r.endswith(b"4980")]
    p = decode(raw + b"\r\n")
    assert p.ok and "DataTime has 17 digits; truncated to seconds" in p.deviations
    assert "QN missing" in p.deviations and "Flag missing" in p.deviations
    assert p.factors["B01"] == {"Rtd": 36.91} and p.factors["011"] == {"Rtd": 231.0, "Flag": "N"}
    p = decode(_find(b"ST=101;"))
    assert p.ok and "ST has 3 digits" in p.deviations
    p = decode(_find(b"PW=BF470F88957588DE902D1A52"))
    assert p.ok and "PW has 24 characters" in p.deviations
    p = decode(_find(b"Flag=8;"))
    assert p.ok and p.version == 2 and not p.need_ack
    p = decode(_find(b"MN=NJGDKYYC202101q0001w0001"))
    assert p.ok and "MN is not hex" in p.deviations
    p = decode(_find(b"##1623"), ("modbus_swapped",))
    assert p.ok and "data segment 1623 > 1024 characters" in p.deviations
    assert len(p.factors) == 36 and p.factors["815"] == {"Min": 0.0, "Avg": 0.0, "Max": 0.0}
    p = decode(_find(b"BeginTime=20170506000000,EndTime"), ("modbus",))
    assert p.ok and "BeginTime/EndTime joined by ','" in p.deviations
    p = decode(_find(b"DataTime=20191112090000"))
    assert p.ok and (p.pnum, p.pno) == (2, 2) and p.split and p.flag is None
    p = decode(_find(b"MN=410183160889201000212505;Flag=4;CP=&&&&2080"))
    assert p.ok and p.items == {} and p.factors == {}
