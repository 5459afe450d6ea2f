"""Parse and build HJ 212 packets (one whole frame at a time; stream framing is in framing.py).

Frame (HJ 212-2017 §6.3, Table 2)::

    "##" | LLLL | data segment (LLLL bytes) | CCCC | CR LF

Data segment (§6.3.2, Table 3)::

    QN=…;ST=..;CN=....;PW=…;MN=…;Flag=n;[PNUM=n;PNO=n;]CP=&&<data area>&&

:func:`decode` is tolerant in the way the project reference §12 prescribes: it always returns a
:class:`Packet` with a strict verdict (``ok``/``error``, the error naming each violated field)
plus everything it could still understand, and records each tolerated deviation in
``deviations``.  It never raises.  Project rule (reference §1): length and CRC are over the
UTF-8 bytes of the data segment.

This module frames one packet and checks length, encoding and CRC; the data segment is read
by the small readers of :mod:`envmon.hj212.readers`, each of which records its errors as
``(field, what is wrong)``: ``Packet.error`` is their text and ``Packet.error_field`` the field
the first one names (what a rejection is counted by).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from envmon.hj212.crc import CRC_MODES, crc16, crc16_modbus, swap_bytes
from envmon.hj212.readers import (
    Errors,
    parse_time,
    read_area,
    read_head,
    split_segment,
)
from envmon.timeutil import BEIJING_FIXED

__all__ = [
    "Packet",
    "ack_9014",
    "answer_9011",
    "build_packet",
    "decode",
    "format_cp",
    "format_time",
    "history_request",
    "make_qn",
    "notice_9013",
    "parse_time",
    "result_9012",
]

MAX_SEGMENT = 9999  # all the 4-digit length field can express (reference §1, project rule)
STANDARD_MAX_SEGMENT = 1024  # HJ 212-2017 §6.3, Table 2

_HJ212_ONLY = ("hj212",)
_HEX = b"0123456789abcdefABCDEF"
_CRC_NAMES = {
    "hj212": "the HJ 212 CRC",
    "modbus": "CRC-16/MODBUS",
    "modbus_swapped": "byte-swapped CRC-16/MODBUS",
}


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded frame: the verdict, the parsed fields and the tolerated deviations.

    ``factors`` maps the factor code exactly as sent to ``{suffix: value}``; numeric values are
    floats, text suffixes (Flag, EFlag, SampleTime, Info, SN) and non-numeric values stay str.
    ``data_time`` is the CP ``DataTime`` as an aware Beijing (+08:00) datetime.
    """

    raw: bytes
    segment: str = ""
    ok: bool = False
    error: str | None = None
    crc_ok: bool = False
    crc_mode: str | None = None
    qn: str | None = None
    st: str | None = None
    cn: str | None = None
    pw: str | None = None
    mn: str | None = None
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    data_time: datetime | None = None
    items: dict[str, str] = field(default_factory=dict)
    factors: dict[str, dict[str, float | str]] = field(default_factory=dict)
    deviations: tuple[str, ...] = ()
    error_field: str | None = None  # the field the first error names ("CRC", "MN", "DataTime" …)
    # factor code as sent -> why its item is not valid data (empty, not a number, not finite,
    # implausible magnitude, repeated with different values; readers.read_area)
    invalid: dict[str, str] = field(default_factory=dict)

    @property
    def need_ack(self) -> bool:
        """Flag bit A (HJ 212-2017 Table 3): the sender wants an answer (9014 for uploads)."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def split(self) -> bool:
        """Flag bit D, or PNUM/PNO present (reference §12: order and Flag are not reliable)."""
        return (self.flag is not None and bool(self.flag & 2)) or (
            self.pnum is not None or self.pno is not None
        )

    @property
    def version(self) -> int | None:
        """Flag >> 2: 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025 (unverified)."""
        return None if self.flag is None else self.flag >> 2


# --------------------------------------------------------------------------------------------
# decoding


def decode(frame: bytes, crc_modes: tuple[str, ...] = _HJ212_ONLY) -> Packet:
    """Decode one whole frame ``##LLLL<segment>CCCC`` (trailing CR LF optional).

    ``crc_modes`` lists the accepted CRC algorithms (see :data:`CRC_MODES`), normally chosen
    per MN.  Never raises: any problem is reported in ``Packet.error``.
    """
    try:
        return _decode(frame, crc_modes)
    except Exception as exc:  # the codec must never let an exception escape (reference §12)
        raw = frame if isinstance(frame, bytes) else b""
        return Packet(raw=raw, error=f"internal: {type(exc).__name__}: {exc}",
                      error_field="internal")


def _decode(frame: bytes, crc_modes: tuple[str, ...]) -> Packet:
    if type(frame) is not bytes:
        if not isinstance(frame, (bytes, bytearray, memoryview)):
            return Packet(raw=b"", error=f"frame: expected bytes, got {type(frame).__name__}",
                          error_field="frame")
        frame = bytes(frame)
    errors: Errors = []
    devs: list[str] = []

    body = frame[:-2] if frame[-2:] == b"\r\n" else frame
    if body[-1:] in (b"\r", b"\n"):
        body = body.rstrip(b"\r\n")
        devs.append("trailer is not CR LF")
    if body[:2] != b"##":
        at = body.find(b"##")
        if at < 0:
            return Packet(raw=frame, error="header: missing '##'", error_field="header")
        errors.append(("header", f"{at} bytes before '##'"))
        body = body[at:]
    if len(body) < 10:
        return Packet(raw=frame, error=f"frame: too short ({len(body)} bytes after '##')",
                      error_field="frame")

    seg_b = body[6:-4]
    try:
        seg = seg_b.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError as exc:
        errors.append((
            "encoding",
            f"data segment is not UTF-8 (byte 0x{seg_b[exc.start]:02X} at offset {exc.start})",
        ))
        seg = seg_b.decode("utf-8", "replace")
        utf8_ok = False

    # Length (Table 2): UTF-8 bytes; a character count is a tolerated Java-peer deviation.
    len_field = body[2:6]
    nbytes = len(seg_b)
    if len_field.isdigit():
        declared = int(len_field)
        if declared != nbytes:
            if utf8_ok and declared == len(seg):
                devs.append(
                    f"length: declared {len_field.decode()} counts characters, "
                    f"not the {nbytes} UTF-8 bytes"
                )
            else:
                errors.append((
                    "length", f"declared {len_field.decode()} but data segment is {nbytes} bytes"
                ))
    else:
        errors.append(("length", f"{_show(len_field)} is not 4 digits"))
    if nbytes > STANDARD_MAX_SEGMENT:
        devs.append(f"data segment {nbytes} > {STANDARD_MAX_SEGMENT} characters")

    # CRC (Appendix A), compared case-insensitively; other algorithms only when enabled.
    crc_field = body[-4:]
    crc_ok = False
    crc_mode = None
    if crc_field.strip(_HEX):
        errors.append(("CRC", f"{_show(crc_field)} is not 4 hex digits"))
    else:
        given = int(crc_field, 16)
        if crc_field.upper() != crc_field:
            devs.append("CRC in lower-case hex")
        crc_ok, crc_mode, crc_error = _check_crc(seg_b, given, crc_modes)
        if crc_error:
            errors.append(("CRC", crc_error))
        elif crc_mode == "modbus":
            devs.append("CRC is CRC-16/MODBUS (accepted for this MN)")
        elif crc_mode == "modbus_swapped":
            devs.append("CRC is byte-swapped CRC-16/MODBUS (accepted for this MN)")

    if not seg.isprintable():
        at = next(i for i, ch in enumerate(seg) if not ch.isprintable())
        errors.append(("segment", f"control character U+{ord(seg[at]):04X} at offset {at}"))

    return _parse_segment(frame, seg, crc_ok, crc_mode, errors, devs)


def _check_crc(
    seg_b: bytes, given: int, crc_modes: tuple[str, ...]
) -> tuple[bool, str | None, str | None]:
    """Return (crc_ok, matching mode, what is wrong with the CRC field)."""
    expected = None
    modbus = None
    for mode in crc_modes:
        if mode == "hj212":
            value = crc16(seg_b)
        elif mode == "modbus":
            value = modbus = crc16_modbus(seg_b) if modbus is None else modbus
        elif mode == "modbus_swapped":
            modbus = crc16_modbus(seg_b) if modbus is None else modbus
            value = swap_bytes(modbus)
        else:
            return False, None, f"unknown mode {mode!r} (known: {', '.join(CRC_MODES)})"
        if value == given:
            return True, mode, None
        if expected is None:
            expected = value
    if expected is None:
        return False, None, "no CRC mode enabled"
    text = f"expected {expected:04X}, got {given:04X}"
    # Name the algorithm that would have matched: the operator can enable it for this MN.
    for mode in CRC_MODES:
        if mode in crc_modes:
            continue
        if mode == "hj212":
            value = crc16(seg_b)
        else:
            modbus = crc16_modbus(seg_b) if modbus is None else modbus
            value = modbus if mode == "modbus" else swap_bytes(modbus)
        if value == given:
            text += f" (it is {_CRC_NAMES[mode]}, not enabled for this MN)"
            break
    return False, None, text


def _parse_segment(
    frame: bytes,
    seg: str,
    crc_ok: bool,
    crc_mode: str | None,
    errors: Errors,
    devs: list[str],
) -> Packet:
    """Parse the data segment (HJ 212-2017 §6.3.2 Table 3 and §6.3.3) with the readers of
    :mod:`envmon.hj212.readers`, in the order of the segment."""
    head, area = split_segment(seg, errors)
    qn, st, cn, pw, mn, flag, pnum, pno = read_head(head, errors, devs)
    invalid: dict[str, str] = {}
    if area:
        items, factors, data_time = read_area(area, cn, errors, devs, invalid)
    else:
        items, factors, data_time = {}, {}, None

    return Packet(
        frame,
        seg,
        not errors,
        "; ".join([f"{name}: {what}" for name, what in errors]) if errors else None,
        crc_ok,
        crc_mode,
        qn,
        st,
        cn,
        pw,
        mn,
        flag,
        pnum,
        pno,
        data_time,
        items,
        factors,
        tuple(dict.fromkeys(devs)) if devs else (),  # one entry per distinct deviation
        errors[0][0] if errors else None,
        invalid,
    )


def _show(raw: bytes) -> str:
    return repr(raw.decode("utf-8", "replace"))


# --------------------------------------------------------------------------------------------
# encoding

_FORBIDDEN = frozenset(";,=&")


def _beijing(dt: datetime) -> datetime:
    """Aware datetimes are converted to Beijing time; naive ones are taken as Beijing time."""
    return dt.replace(tzinfo=BEIJING_FIXED) if dt.tzinfo is None else dt.astimezone(BEIJING_FIXED)


def format_time(dt: datetime) -> str:
    """N14 ``YYYYMMDDhhmmss`` in Beijing time (HJ 212-2017 Table 4)."""
    dt = _beijing(dt)
    return (
        f"{dt.year:04d}{dt.month:02d}{dt.day:02d}{dt.hour:02d}{dt.minute:02d}{dt.second:02d}"
    )


def make_qn(dt: datetime) -> str:
    """QN: ``YYYYMMDDhhmmsszzz``, 17 digits, Beijing time (HJ 212-2017 Table 3)."""
    return format_time(dt) + f"{_beijing(dt).microsecond // 1000:03d}"


def format_number(value: float | int) -> str:
    """Compact decimal text: shortest round-trip digits, no exponent, no trailing ``.0``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return str(value)
    if value - value != 0.0:
        raise ValueError(f"not a finite number: {value!r}")
    text = repr(value)
    if "e" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def _text(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected str, got {type(value).__name__}")
    if not value.isprintable() or not _FORBIDDEN.isdisjoint(value):
        raise ValueError(f"{what}: {value!r} contains a separator or control character")
    return value


def format_cp(
    data_time: datetime | None = None,
    items: dict[str, str] | None = None,
    factors: dict[str, dict[str, float | str]] | None = None,
) -> str:
    """CP data-area text (HJ 212-2017 §6.3.3), e.g. ``DataTime=…;a21026-Rtd=1.2,a21026-Flag=N``.

    ``DataTime`` first, then ``items`` (one ``;``-separated item each), then one item per
    factor with its suffixes joined by ``,``.  Raises ValueError on text that would not parse
    back (separators ``; , = &``, control characters, non-finite numbers).
    """
    parts: list[str] = []
    if data_time is not None:
        parts.append("DataTime=" + format_time(data_time))
    for key, value in (items or {}).items():
        _text(key, "item name")
        if not key or "-" in key or key == "DataTime":
            raise ValueError(f"item name {key!r}: empty, contains '-', or is DataTime")
        text = value if isinstance(value, str) else format_number(value)
        parts.append(f"{key}={_text(text, key)}")
    for code, values in (factors or {}).items():
        _text(code, "factor code")
        if not code or "-" in code:
            raise ValueError(f"factor code {code!r}: empty or contains '-'")
        fields = []
        for suffix, value in values.items():
            _text(suffix, "suffix")
            if not suffix:
                raise ValueError(f"{code}: empty suffix")
            text = value if isinstance(value, str) else format_number(value)
            fields.append(f"{code}-{suffix}={_text(text, f'{code}-{suffix}')}")
        if fields:
            parts.append(",".join(fields))
    return ";".join(parts)


def build_packet(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    flag: int | None,
    cp: str = "",
    qn: str | None = None,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """A complete frame: ``##LLLL`` + segment + ``%04X`` HJ 212 CRC + CR LF.

    Field order per HJ 212-2017 Table 3; ``qn=None`` omits QN, ``flag=None`` omits Flag.
    LLLL is the UTF-8 byte length (project rule).  Raises ValueError on unencodable input.
    """
    fields = []
    if qn is not None:
        fields.append("QN=" + _text(qn, "QN"))
    for name, value in (("ST", st), ("CN", cn), ("PW", pw), ("MN", mn)):
        if not _text(value, name):
            raise ValueError(f"{name}: empty")
        fields.append(f"{name}={value}")
    if flag is not None:
        if isinstance(flag, bool) or not isinstance(flag, int) or not 0 <= flag <= 255:
            raise ValueError(f"Flag: {flag!r} is not an integer 0-255")
        fields.append(f"Flag={flag}")
    if (pnum is None) != (pno is None):
        raise ValueError("PNUM and PNO go together")
    if pnum is not None and pno is not None:
        for name, value in (("PNUM", pnum), ("PNO", pno)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9999:
                raise ValueError(f"{name}: {value!r} is not an integer 1-9999")
        fields.append(f"PNUM={pnum}")
        fields.append(f"PNO={pno}")
    if not cp.isprintable() or "&&" in cp:
        raise ValueError(f"CP: {cp!r} contains '&&' or a control character")
    fields.append(f"CP=&&{cp}&&")
    segment = ";".join(fields).encode("utf-8")
    if len(segment) > MAX_SEGMENT:
        raise ValueError(f"data segment is {len(segment)} bytes (> {MAX_SEGMENT})")
    return b"##%04d%b%04X\r\n" % (len(segment), segment, crc16(segment))


# --------------------------------------------------------------------------------------------
# answers and requests (HJ 212-2017 §6.5, Appendix C)


def ack_9014(packet: Packet) -> bytes:
    """Data answer 9014 to an upload (§6.5, C.13–C.19): the upload's QN, ST=91, Flag=4, CP=&&&&.

    A packet without QN (HJ/T 212-2005 devices) is answered without QN (reference §12).
    Raises ValueError if the packet has no PW or MN (such a packet is never ``ok``).
    """
    if packet.ok:
        # Hot path of the receiver: decode already validated QN, PW and MN.
        qn = f"QN={packet.qn};" if packet.qn is not None else ""
        segment = f"{qn}ST=91;CN=9014;PW={packet.pw};MN={packet.mn};Flag=4;CP=&&&&".encode()
        return b"##%04d%b%04X\r\n" % (len(segment), segment, crc16(segment))
    return build_packet(
        st="91", cn="9014", pw=packet.pw or "", mn=packet.mn or "", flag=4, qn=packet.qn
    )


def answer_9011(qn: str | None, pw: str, mn: str, qn_rtn: int | str) -> bytes:
    """Request answer 9011 with ``QnRtn`` (§6.5; codes in codes.QNRTN)."""
    return build_packet(st="91", cn="9011", pw=pw, mn=mn, flag=4, qn=qn, cp=f"QnRtn={qn_rtn}")


def result_9012(qn: str | None, pw: str, mn: str, exe_rtn: int | str) -> bytes:
    """Execution result 9012 with ``ExeRtn`` (§6.5; codes in codes.EXERTN)."""
    return build_packet(st="91", cn="9012", pw=pw, mn=mn, flag=4, qn=qn, cp=f"ExeRtn={exe_rtn}")


def notice_9013(qn: str | None, pw: str, mn: str) -> bytes:
    """Notice answer 9013 (§6.5, e.g. to a 1013 time-calibration request)."""
    return build_packet(st="91", cn="9013", pw=pw, mn=mn, flag=4, qn=qn)


def history_request(
    cn: str, begin: datetime, end: datetime, pw: str, mn: str, st: str, qn: str
) -> bytes:
    """History re-fetch request (补遗, Appendix C.20–C.22, C.47–C.50): Flag=5,
    ``CP=&&BeginTime=…;EndTime=…&&`` (inclusive bounds, Beijing time)."""
    cp = f"BeginTime={format_time(begin)};EndTime={format_time(end)}"
    return build_packet(st=st, cn=cn, pw=pw, mn=mn, flag=5, qn=qn, cp=cp)
