"""CRC of HJ 212-2017 Appendix A, its fast form, and the MODBUS variants seen in the field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envmon.hj212.crc import (
    CRC_MODES,
    TABLE,
    crc16,
    crc16_modbus,
    crc16_reference,
    crc_for_mode,
    swap_bytes,
)

MN = "010000A8900016F000169DC0"

# HJ 212-2017 Appendix A worked example; the standard's prose mistypes the CRC as "1C08".
APPENDIX_A = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&"
)

# Project reference docs/hj212.md §4 "Further vectors": Appendix C data segments, CRCs
# computed with the Appendix A algorithm and cross-checked with two implementations.
FURTHER_VECTORS = [
    (f"QN=20160801085857223;ST=91;CN=9011;PW=123456;MN={MN};Flag=4;CP=&&QnRtn=1&&", 94, 0x1B00),
    (f"QN=20160801085857223;ST=91;CN=9012;PW=123456;MN={MN};Flag=4;CP=&&ExeRtn=1&&", 95, 0x6240),
    (f"QN=20160801085857223;ST=91;CN=9013;PW=123456;MN={MN};Flag=4;CP=&&&&", 87, 0x2A80),
    (f"QN=20160801090000001;ST=91;CN=9014;PW=123456;MN={MN};Flag=4;CP=&&&&", 87, 0xFF01),
    (
        f"QN=20160801085857223;ST=32;CN=2061;PW=123456;MN={MN};Flag=5;"
        "CP=&&BeginTime=20160801080000;EndTime=20160801080000&&",
        134,
        0x7EC0,
    ),
    (
        f"QN=20160801085857223;ST=32;CN=2051;PW=123456;MN={MN};Flag=5;"
        "CP=&&BeginTime=20160801084000;EndTime=20160801084000&&",
        134,
        0x56C0,
    ),
    (
        f"QN=20160801085857223;ST=32;CN=1012;PW=123456;MN={MN};Flag=5;"
        "CP=&&SystemTime=20160801085857&&",
        112,
        0x6C00,
    ),
]


def bitwise_crc(data: bytes) -> int:
    """Appendix A in the standard's own bit-by-bit wording (an independent third form)."""
    reg = 0xFFFF
    for b in data:
        reg = (reg >> 8) ^ b
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


def test_appendix_a_worked_example():
    assert len(APPENDIX_A) == 101
    assert f"{crc16(APPENDIX_A):04X}" == "1C80"
    assert f"{crc16_reference(APPENDIX_A):04X}" == "1C80"
    assert f"{bitwise_crc(APPENDIX_A):04X}" == "1C80"


@pytest.mark.parametrize(("segment", "length", "crc"), FURTHER_VECTORS)
def test_further_vectors(segment, length, crc):
    data = segment.encode()
    assert len(data) == length
    assert crc16(data) == crc
    assert crc16_reference(data) == crc


def test_modbus_negative_vectors():
    # Reference §4: CRC-16/MODBUS of the Appendix A segment is 0759, byte-swapped 5907.
    assert f"{crc16_modbus(APPENDIX_A):04X}" == "0759"
    assert f"{swap_bytes(crc16_modbus(APPENDIX_A)):04X}" == "5907"
    assert crc_for_mode("modbus_swapped", APPENDIX_A) == 0x5907
    assert crc16(APPENDIX_A) not in (0x0759, 0x5907)


def test_modbus_check_value():
    # CRC-16/MODBUS catalogue check value (RevEng catalogue): "123456789" -> 0x4B37.
    assert crc16_modbus(b"123456789") == 0x4B37


def test_table_is_the_modbus_table():
    # Well-known first entries of the reflected 0xA001 table.
    assert TABLE[:4] == (0x0000, 0xC0C1, 0xC181, 0x0140)
    assert TABLE[255] == 0x4040


@given(st.binary(max_size=2048))
def test_fast_equals_reference(data):
    assert crc16(data) == crc16_reference(data) == bitwise_crc(data)


@pytest.mark.parametrize("n", range(0, 70))
def test_fast_equals_reference_each_length(n):
    # Every residue of the length mod 8 and every fold depth up to 9 words.
    data = bytes((i * 37 + n) & 0xFF for i in range(n))
    assert crc16(data) == crc16_reference(data)


def test_empty_and_single_byte():
    assert crc16(b"") == crc16_reference(b"") == 0xFFFF
    for b in range(256):
        assert crc16(bytes([b])) == crc16_reference(bytes([b])) == TABLE[0xFF ^ b]


@given(st.binary(min_size=1, max_size=300))
def test_result_is_a_table_entry(data):
    # Reference §4: only 256 distinct values; the low byte is one of 00 01 40 41 80 81 C0 C1.
    value = crc16(data)
    assert value in TABLE
    assert value & 0xFF in (0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1)


def test_modes():
    assert CRC_MODES == ("hj212", "modbus", "modbus_swapped")
    with pytest.raises(ValueError):
        crc_for_mode("crc32", b"x")
