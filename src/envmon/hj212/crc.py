"""CRC of HJ 212-2017 Appendix A ("ANSI CRC16"), and CRC-16/MODBUS for non-conformant peers.

HJ 212-2017 Appendix A (normative): over the data-segment bytes b1..bn, with T the reflected
CRC-16 table of polynomial 0xA001 (the MODBUS table),

    reg0 = 0xFFFF;  reg_k = T[(reg_{k-1} >> 8) ^ b_k];  output reg_n as %04X.

The ``>> 8`` drops the register's low byte before the data byte is mixed in, so this is *not*
CRC-16/MODBUS (which keeps it: ``reg = (reg >> 8) ^ T[(reg ^ b) & 0xFF]``).

Fast form (``crc16``). T is GF(2)-linear, so with H[x] = T[x] >> 8 the lookup index
s_k = H[s_{k-1}] ^ b_k is a linear recurrence on 8-bit vectors, and H has order 8 (H^8 = I,
checked at import).  Unrolled, s_n = H^(n-1)[0xFF] ^ XOR_k H^(n-k)[b_k], and only (n-k) mod 8
matters.  XOR-folding the message, read as a big-endian integer, down to 64 bits puts in byte
j (from the right) the XOR of all b_k with (n-k) mod 8 == j.  So the CRC costs one fold (C speed)
plus 9 table lookups, whatever the message length.
"""

from __future__ import annotations

from enum import StrEnum


class CrcMode(StrEnum):
    """A CRC algorithm a unit may use: the standard's, or MODBUS (plain or byte-swapped) for
    non-conformant peers (enabled per MN in the registry, or with ``--crc-mode``)."""

    HJ212 = "hj212"
    MODBUS = "modbus"
    MODBUS_SWAPPED = "modbus_swapped"


CRC_MODES = tuple(mode.value for mode in CrcMode)


def _make_table() -> tuple[int, ...]:
    """Reflected CRC-16 table for polynomial 0xA001 (HJ 212-2017 Appendix A)."""
    table = []
    for i in range(256):
        r = i
        for _ in range(8):
            r = (r >> 1) ^ 0xA001 if r & 1 else r >> 1
        table.append(r)
    return tuple(table)


TABLE: tuple[int, ...] = _make_table()

_H = tuple(t >> 8 for t in TABLE)


def _power_tables() -> tuple[tuple[int, ...], ...]:
    """_HP[j][x] = H^j(x) for j = 0..7."""
    powers = [tuple(range(256))]
    for _ in range(7):
        prev = powers[-1]
        powers.append(tuple(_H[prev[x]] for x in range(256)))
    return tuple(powers)


_HP = _power_tables()
# The whole fast form rests on H^8 = I; fail loudly at import if that were ever wrong.
if tuple(_H[_HP[7][x]] for x in range(256)) != _HP[0]:  # pragma: no cover
    raise AssertionError("HJ 212 CRC: H^8 != identity")

(_HP0, _HP1, _HP2, _HP3, _HP4, _HP5, _HP6, _HP7) = _HP
# Contribution of the initial register 0xFFFF: H^(n-1)[0xFF], indexed by n mod 8.
_INIT = tuple(_HP[(n - 1) % 8][0xFF] for n in range(8))


def crc16_reference(data: bytes) -> int:
    """HJ 212-2017 Appendix A CRC, one table lookup per byte (the reference form)."""
    reg = 0xFFFF
    table = TABLE
    for b in data:
        reg = table[(reg >> 8) ^ b]
    return reg


def crc16(data: bytes) -> int:
    """HJ 212-2017 Appendix A CRC (fast form, equal to :func:`crc16_reference`).

    Returns the register as an int; print it with ``%04X`` (high byte first).
    """
    n = len(data)
    if n == 0:
        return 0xFFFF
    x = int.from_bytes(data, "big")
    # Fold to 64 bits: halving widths that stay multiples of 64 keep byte alignment mod 8.
    width = ((n + 7) >> 3) << 6
    while width > 64:
        half = ((width >> 7) + ((width >> 6) & 1)) << 6  # ceil(words / 2) * 64
        x = (x >> half) ^ (x & ((1 << half) - 1))
        width = half
    s = (
        _INIT[n & 7]
        ^ _HP0[x & 0xFF]
        ^ _HP1[(x >> 8) & 0xFF]
        ^ _HP2[(x >> 16) & 0xFF]
        ^ _HP3[(x >> 24) & 0xFF]
        ^ _HP4[(x >> 32) & 0xFF]
        ^ _HP5[(x >> 40) & 0xFF]
        ^ _HP6[(x >> 48) & 0xFF]
        ^ _HP7[x >> 56]
    )
    return TABLE[s]


def crc16_modbus(data: bytes) -> int:
    """Plain CRC-16/MODBUS (init 0xFFFF, poly 0xA001 reflected), as a %04X-printable int.

    Not the HJ 212 CRC; used by some firmware (HJ 212 reference §4, "Wrong CRCs in the field").
    The byte-swapped variant (Modbus RTU wire order) is :func:`swap_bytes` of this value.
    """
    reg = 0xFFFF
    table = TABLE
    for b in data:
        reg = (reg >> 8) ^ table[(reg ^ b) & 0xFF]
    return reg


def swap_bytes(value: int) -> int:
    """Swap the two bytes of a 16-bit value (MODBUS low-byte-first printing)."""
    return ((value & 0xFF) << 8) | (value >> 8)


def crc_for_mode(mode: str, data: bytes) -> int:
    """CRC of ``data`` under one of :data:`CRC_MODES`."""
    if mode == "hj212":
        return crc16(data)
    if mode == "modbus":
        return crc16_modbus(data)
    if mode == "modbus_swapped":
        return swap_bytes(crc16_modbus(data))
    raise ValueError(f"unknown CRC mode {mode!r}; expected one of {CRC_MODES}")
