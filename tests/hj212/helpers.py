"""Shared helpers for the hj212 tests."""

from __future__ import annotations

from envmon.hj212.crc import crc16, crc16_modbus, swap_bytes

MN = "010000A8900016F000169DC0"


def frame(segment: str | bytes, *, crc: str | None = None, length: str | None = None,
          mode: str = "hj212", crlf: bool = True) -> bytes:
    """Wrap a data segment as ``##LLLL<segment>CCCC\\r\\n`` with a correct (or given) CRC."""
    seg = segment.encode("utf-8") if isinstance(segment, str) else segment
    if crc is None:
        value = {"hj212": crc16, "modbus": crc16_modbus,
                 "modbus_swapped": lambda d: swap_bytes(crc16_modbus(d))}[mode](seg)
        crc = f"{value:04X}"
    if length is None:
        length = f"{len(seg):04d}"
    return b"##" + length.encode() + seg + crc.encode() + (b"\r\n" if crlf else b"")


def upload(cp: str, *, head: str | None = None, **kw) -> bytes:
    """A 2061 upload frame with a standard header unless ``head`` is given."""
    if head is None:
        head = f"QN=20160801090000001;ST=32;CN=2061;PW=123456;MN={MN};Flag=5"
    return frame(f"{head};CP=&&{cp}&&", **kw)
