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

**Versions.**  Each packet is read by the rules of its own version, taken from Flag's
version bits (``Flag >> 2``: 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025; a packet
without Flag is taken as 2005, the only version where Flag is optional):
``Packet.protocol`` is 2005, 2017 or 2025 (``Packet.version`` stays the raw bits).
HJ 212-2025 adds the re-send mark ``RF=1`` (``Packet.resent``; any other value is a
deviation and the packet is kept as live), the SM4-encrypted data region
(:mod:`envmon.hj212.encryption`; ``Packet.encrypted``, and ``Packet.key_error`` =
``no_key`` / ``bad_key`` / ``bad_ciphertext`` when it cannot be read),
new codes (:mod:`envmon.hj212.codes`), and answers with ``Flag=8`` (its version bits, no
answer wanted) where 2017 answers with ``Flag=4``.  :func:`decode` takes a ``keys`` lookup
(MN -> key or None) for encrypted packets; :func:`encode_packets` builds 2025 packets,
encrypted and split into PNUM/PNO parts where the standard asks.

**What of HJ 212-2025 is confirmed, and where** (the standard's text was not reachable; the
points below are checked against public quotations of the official PDF, 92 pages, issued
2025-06-06, in force 2026-01-01).  Daidai52640/cems-data-pipeline quotes clauses verbatim
with page numbers (docs/adr/0006-补传优先级与RF标志.md, docs/reference/hj212-协议实现说明.md,
tests/protocol/hj212/test_vectors.json): Table 2 segment [0, 1024]; Table 3 ``RF`` "RF=1,
标志数据报文属于补传报文；非补传时，无本字段" after PNO and before CP; ``CP`` [0, 950]; the Flag
example "Flag=9 … 版本号为本次修订，需要应答且数据段不包含拆分包" (Appendix C uses 8/9 and
10/11 with PNUM/PNO); A.1 ``…Flag=9;CP=&&&&2200``; §6.4.2 SM4 / 16-byte key / ECB / no
padding over the characters between ``CP=&&`` and ``&&``; A.2 "先完成 CRC 校验并组包，再对数据段
加密" (CRC on the plaintext), 16-character blocks with a plaintext tail, the ``{0xE4,…}``
form and the example key of sixteen 0x30 bytes (its two encrypted examples are test vectors
here, and decrypt to the printed plaintext with the printed CRCs 2200 and B541);
§6.4.4 encryption of CN 2000-2999, 1014 and 3020; §8.1.2/§8.2.2 re-send with new data first,
segments over 1 024 characters split.  The new CN and ST 44/45 agree between
caoyiliang/HJ212 (HJ212/Enum.cs) and two other public 2025 implementations.  Unconfirmed:
the 9015 heartbeat's answer (caoyiliang/HJ212 waits for a 9014 with the heartbeat's QN; the
standard's flow was not found), the length field of an encrypted packet (A.2 prints the
plaintext length, 0295 for 1128 characters sent: both are accepted, the one sent is
written; Table 2's bound of 1 024 is applied to the segment as sent, so that A.2 example
draws a deviation and :func:`encode_packets` splits by the ciphertext's size), and the
second tail rendering (hex inside the braces; read, never written unless a multi-byte
character straddles the block boundary).  SM4 itself is checked against GB/T
32907-2016 Example 1 as OpenSSL (test/sm4_internal_test.c), nettle and RustCrypto quote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from envmon.hj212.codes import CN_TABLE, VERSIONS, must_encrypt
from envmon.hj212.crc import CRC_MODES, crc16, crc16_modbus, swap_bytes
from envmon.hj212.encryption import (
    NO_KEY,
    RegionError,
    decrypt_region,
    encrypt_region,
)
from envmon.hj212.readers import (
    Errors,
    parse_time,
    read_area,
    read_head,
    read_rf,
    split_segment,
)
from envmon.hj212.sm4 import KeyLookup
from envmon.timeutil import BEIJING_FIXED

__all__ = [
    "Packet",
    "ack_9014",
    "answer_9011",
    "answer_flag",
    "build_packet",
    "decode",
    "encode_packets",
    "format_cp",
    "format_time",
    "history_request",
    "make_qn",
    "notice_9013",
    "parse_time",
    "result_9012",
]

MAX_SEGMENT = 9999  # all the 4-digit length field can express (reference §1, project rule)
STANDARD_MAX_SEGMENT = 1024  # HJ 212-2017 §6.3, Table 2; HJ 212-2025 Table 2 and §8.1.2
STANDARD_MAX_CP = 950  # HJ 212-2025 Table 3 (and HJ 212-2017 Table 3): CP field [0, 950]

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
    # HJ 212-2025: RF=1 (a re-sent packet); the data region arrived SM4-encrypted; and why an
    # encrypted region could not be read (no_key, bad_key, bad_ciphertext; encryption.py).
    resent: bool = False
    encrypted: bool = False
    key_error: str | None = None

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
        """Flag >> 2, the version bits: 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025."""
        return None if self.flag is None else self.flag >> 2

    @property
    def protocol(self) -> int | None:
        """The protocol version as the standard's year: 2005, 2017 or 2025 (from Flag >> 2);
        2005 when Flag is absent (only HJ/T 212-2005 leaves it out); None for other bits.
        This is the ``version`` of the JSON form and the registry's ``protocol``."""
        return 2005 if self.flag is None else VERSIONS.get(self.flag >> 2)


# --------------------------------------------------------------------------------------------
# decoding


def decode(
    frame: bytes, crc_modes: tuple[str, ...] = _HJ212_ONLY, keys: KeyLookup | None = None
) -> Packet:
    """Decode one whole frame ``##LLLL<segment>CCCC`` (trailing CR LF optional).

    ``crc_modes`` lists the accepted CRC algorithms (see :data:`CRC_MODES`), normally chosen
    per MN.  ``keys`` finds the SM4 key of an MN for an encrypted data region (HJ 212-2025);
    without it, or when it gives None, such a packet is rejected with ``key_error="no_key"``.
    Never raises: any problem is reported in ``Packet.error``.
    """
    try:
        return _decode(frame, crc_modes, keys)
    except Exception as exc:  # the codec must never let an exception escape (reference §12)
        raw = frame if isinstance(frame, bytes) else b""
        return Packet(raw=raw, error=f"internal: {type(exc).__name__}: {exc}",
                      error_field="internal")


def _decode(frame: bytes, crc_modes: tuple[str, ...], keys: KeyLookup | None) -> Packet:
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

    # Encrypted data region (HJ 212-2025 §6.4.2): length limit and CRC are the plaintext's.
    parse_seg = seg
    plain_b = seg_b
    key_error = None
    enc_at = seg.find("CP=&&{")
    if enc_at >= 0:
        parse_seg, key_error, key_detail = _decrypt_segment(seg, enc_at, keys)
        if key_error is None:
            plain_b = parse_seg.encode("utf-8")
        else:
            errors.append(("CP", f"{key_error}: {key_detail}"))

    # Length (Table 2): UTF-8 bytes; a character count is a tolerated Java-peer deviation.
    len_field = body[2:6]
    nbytes = len(seg_b)
    if len_field.isdigit():
        declared = int(len_field)
        if declared != nbytes:
            if enc_at >= 0 and (declared == len(plain_b) or key_error and declared < nbytes):
                if key_error is None:
                    devs.append(
                        f"length: declared {len_field.decode()} counts the plaintext segment "
                        f"(as HJ 212-2025 A.2 prints it), not the {nbytes} bytes sent"
                    )
            elif utf8_ok and declared == len(seg):
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
    # Table 2 bounds the data segment as sent: an encrypted one by its written ciphertext.
    if nbytes > STANDARD_MAX_SEGMENT:
        opened = f" as sent (encrypted; {len(plain_b)} in plaintext)" if plain_b is not seg_b \
            else ""
        devs.append(f"data segment {nbytes} > {STANDARD_MAX_SEGMENT} characters{opened}")

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
        if key_error is None:
            crc_ok, crc_mode, crc_error = _check_crc(plain_b, given, crc_modes)
        else:  # the CRC is the plaintext's: it cannot be checked without it, unless it is
            # that of the segment as sent (a region that only looks encrypted: "CP=&&{")
            crc_ok, crc_mode, crc_error = _check_crc(seg_b, given, crc_modes)
            crc_error = None
        if crc_error:
            errors.append(("CRC", crc_error))
        elif crc_mode == "modbus":
            devs.append("CRC is CRC-16/MODBUS (accepted for this MN)")
        elif crc_mode == "modbus_swapped":
            devs.append("CRC is byte-swapped CRC-16/MODBUS (accepted for this MN)")

    if not seg.isprintable():
        at = next(i for i, ch in enumerate(seg) if not ch.isprintable())
        errors.append(("segment", f"control character U+{ord(seg[at]):04X} at offset {at}"))

    packet = _parse_segment(frame, parse_seg, crc_ok, crc_mode, errors, devs, seg)
    if enc_at >= 0:
        return _encrypted(packet, key_error)
    return packet


def _decrypt_segment(
    seg: str, enc_at: int, keys: KeyLookup | None
) -> tuple[str, str | None, str]:
    """(segment to parse, key error, detail): the plaintext segment, or the header with an
    empty CP when the region cannot be read (so the header is still reported)."""
    area_at = enc_at + 5
    closed = seg[-2:] == "&&" and len(seg) >= area_at + 2
    written = seg[area_at:-2] if closed else seg[area_at:]
    head_only = seg[:area_at] + "&&"
    mn = _mn_of(seg[:enc_at])
    key = keys(mn) if keys is not None and mn is not None else None
    if key is None:
        return head_only, NO_KEY, f"encrypted data region and no key for MN {mn!r}"
    try:
        plain = decrypt_region(written, key)
    except RegionError as exc:
        return head_only, exc.code, exc.detail
    return seg[:area_at] + plain + ("&&" if closed else ""), None, ""


def _mn_of(head: str) -> str | None:
    for piece in head.split(";"):
        if piece[:3] == "MN=":
            return piece[3:]
    return None


def _encrypted(packet: Packet, key_error: str | None) -> Packet:
    """Mark a packet whose data region arrived encrypted (and record it in a packet of an
    earlier version, where the region is not defined to be encrypted)."""
    devs = packet.deviations
    if packet.protocol != 2025:
        devs = (*devs, "encrypted data region in a packet of HJ 212-2017 or earlier")
    return replace(packet, encrypted=True, key_error=key_error, deviations=devs)


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
    sent: str,
) -> Packet:
    """Parse the data segment (HJ 212-2017 §6.3.2 Table 3 and §6.3.3) with the readers of
    :mod:`envmon.hj212.readers`, in the order of the segment.  ``seg`` is the plaintext
    segment, ``sent`` the one received (they differ when the region arrived encrypted)."""
    head, area = split_segment(seg, errors)
    qn, st, cn, pw, mn, flag, pnum, pno = read_head(head, errors, devs)
    resent = read_rf(head, flag, devs)
    if flag is not None and flag >> 2 == 1 and (st in _ST_2025 or cn in _CN_2025):
        devs.append(f"ST {st} / CN {cn}: an HJ 212-2025 code in an HJ 212-2017 packet")
    invalid: dict[str, str] = {}
    if area:
        items, factors, data_time = read_area(area, cn, errors, devs, invalid)
    else:
        items, factors, data_time = {}, {}, None

    return Packet(
        frame,
        sent,
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
        resent,
    )


_ST_2025 = frozenset({"44", "45"})
_CN_2025 = frozenset(
    cn for cn, command in CN_TABLE.items() if command.source == "HJ 212-2025" and cn != "1001"
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
    rf: bool = False,
    key: bytes | None = None,
    tail: str = "after",
) -> bytes:
    """A complete frame: ``##LLLL`` + segment + ``%04X`` HJ 212 CRC + CR LF.

    Field order per HJ 212-2017 Table 3; ``qn=None`` omits QN, ``flag=None`` omits Flag.
    LLLL is the UTF-8 byte length (project rule).  Raises ValueError on unencodable input.
    HJ 212-2025: ``rf=True`` writes ``RF=1`` (after PNO, before CP); ``key`` encrypts the
    data region (SM4, :func:`~envmon.hj212.encryption.encrypt_region`, ``tail`` says where a
    plaintext tail goes) after the CRC is computed on the plaintext segment (Appendix A.2).
    LLLL is then the length of the segment as sent.
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
    if rf:
        fields.append("RF=1")
    if not cp.isprintable() or "&&" in cp:
        raise ValueError(f"CP: {cp!r} contains '&&' or a control character")
    if cp[:1] == "{":
        raise ValueError("CP: a data area cannot start with '{' (the encrypted form)")
    head = ";".join(fields)
    segment = f"{head};CP=&&{cp}&&".encode()
    crc = crc16(segment)
    if key is not None:
        segment = f"{head};CP=&&{encrypt_region(cp, key, tail)}&&".encode()
    if len(segment) > MAX_SEGMENT:
        raise ValueError(f"data segment is {len(segment)} bytes (> {MAX_SEGMENT})")
    return b"##%04d%b%04X\r\n" % (len(segment), segment, crc)


def encode_packets(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    flag: int,
    qn: str | None = None,
    data_time: datetime | None = None,
    items: dict[str, str] | None = None,
    factors: dict[str, dict[str, float | str]] | None = None,
    rf: bool = False,
    key: bytes | None = None,
) -> list[bytes]:
    """HJ 212-2025 packets for one message: encrypted when ``key`` is given and the command
    is one §6.4.4 names (CN 2000-2999, 1014, 3020), and split into PNUM/PNO parts (Flag bit D,
    Appendix C.49/C.50 form: each part its own QN and the full DataTime, a subset of the
    factors; items go with the first part) when the data segment as sent (encrypted, when it
    is) would exceed 1 024 characters or the CP field 950 (Table 2, Table 3, §8.1.2).

    Part QNs are the message's QN plus the part's index in milliseconds.  Raises ValueError
    when one factor alone does not fit.
    """
    key = key if must_encrypt(cn) else None

    def frame(cp: str, part: tuple[int, int] | None, part_qn: str | None) -> bytes:
        pnum, pno = part if part else (None, None)
        part_flag = flag | 2 if part else flag & ~2
        return build_packet(st=st, cn=cn, pw=pw, mn=mn, flag=part_flag, cp=cp, qn=part_qn,
                            pnum=pnum, pno=pno, rf=rf, key=key)

    def fits(cp: str, split: bool) -> bool:
        # Measured as sent (Table 2, Table 3): encrypted, the region is ~5 characters a byte,
        # so the plaintext must fit first (and then the ciphertext stays under 9 999).
        part = {"pnum": 9999, "pno": 9999} if split else {}
        plain = build_packet(st=st, cn=cn, pw=pw, mn=mn, flag=flag, cp=cp, qn=qn, rf=rf, **part)
        if len(plain) - 12 > STANDARD_MAX_SEGMENT or len(cp) + 7 > STANDARD_MAX_CP:
            return False
        if key is None:
            return True
        sent = build_packet(st=st, cn=cn, pw=pw, mn=mn, flag=flag, cp=cp, qn=qn, rf=rf, key=key,
                            **part)
        segment = len(sent) - 12  # "##LLLL", CRC and CR LF around it
        cp_sent = len(sent) - 6 - (sent.index(b";CP=&&") + 1)  # "CP=&&…&&"
        return segment <= STANDARD_MAX_SEGMENT and cp_sent <= STANDARD_MAX_CP

    whole = format_cp(data_time, items, factors)
    if fits(whole, False):
        return [frame(whole, None, qn)]
    parts: list[str] = []
    current: dict[str, dict[str, float | str]] = {}
    first_items = items
    for code, values in (factors or {}).items():
        trial = {**current, code: values}
        if fits(format_cp(data_time, first_items, trial), True):
            current = trial
            continue
        if not current:
            raise ValueError(f"factor {code}: does not fit in one packet of "
                             f"{STANDARD_MAX_SEGMENT} characters")
        parts.append(format_cp(data_time, first_items, current))
        first_items, current = None, {code: values}
        if not fits(format_cp(data_time, None, current), True):
            raise ValueError(f"factor {code}: does not fit in one packet of "
                             f"{STANDARD_MAX_SEGMENT} characters")
    if current or first_items:
        parts.append(format_cp(data_time, first_items, current))
    if len(parts) == 1 and not fits(parts[0], True):
        raise ValueError(f"data area does not fit in one packet of {STANDARD_MAX_SEGMENT} "
                         "characters and has no factors to split")
    return [frame(cp, (len(parts), number), _part_qn(qn, number - 1))
            for number, cp in enumerate(parts, 1)]


def _part_qn(qn: str | None, index: int) -> str | None:
    """The QN of part ``index`` (0-based): each part of a split upload has its own QN (C.49)."""
    if qn is None or index == 0:
        return qn
    if qn.isdigit():
        return str(int(qn) + index).zfill(len(qn))
    return qn


# --------------------------------------------------------------------------------------------
# answers and requests (HJ 212-2017 §6.5, Appendix C)


def ack_9014(packet: Packet) -> bytes:
    """Data answer 9014 to an upload (§6.5, C.13–C.19): the upload's QN, ST=91, Flag=4
    (Flag=8 to an HJ 212-2025 packet: :func:`answer_flag`), CP=&&&&.

    A packet without QN (HJ/T 212-2005 devices) is answered without QN (reference §12).
    Raises ValueError if the packet has no PW or MN (such a packet is never ``ok``).
    """
    flag = answer_flag(packet.protocol)
    if packet.ok:
        # Hot path of the receiver: decode already validated QN, PW and MN.
        qn = f"QN={packet.qn};" if packet.qn is not None else ""
        segment = f"{qn}ST=91;CN=9014;PW={packet.pw};MN={packet.mn};Flag={flag};CP=&&&&".encode()
        return b"##%04d%b%04X\r\n" % (len(segment), segment, crc16(segment))
    return build_packet(
        st="91", cn="9014", pw=packet.pw or "", mn=packet.mn or "", flag=flag, qn=packet.qn
    )


def answer_flag(version: int | None) -> int:
    """The Flag of an answer that wants no answer, in the unit's version: 8 for HJ 212-2025
    (Appendix C's answers), 4 otherwise (HJ 212-2017, and what 2005 units have always got)."""
    return 8 if version == 2025 else 4


def answer_9011(
    qn: str | None, pw: str, mn: str, qn_rtn: int | str, version: int | None = 2017
) -> bytes:
    """Request answer 9011 with ``QnRtn`` (§6.5; codes in codes.QNRTN), in ``version``."""
    return build_packet(st="91", cn="9011", pw=pw, mn=mn, flag=answer_flag(version), qn=qn,
                        cp=f"QnRtn={qn_rtn}")


def result_9012(
    qn: str | None, pw: str, mn: str, exe_rtn: int | str, version: int | None = 2017
) -> bytes:
    """Execution result 9012 with ``ExeRtn`` (§6.5; codes in codes.EXERTN), in ``version``."""
    return build_packet(st="91", cn="9012", pw=pw, mn=mn, flag=answer_flag(version), qn=qn,
                        cp=f"ExeRtn={exe_rtn}")


def notice_9013(qn: str | None, pw: str, mn: str, version: int | None = 2017) -> bytes:
    """Notice answer 9013 (§6.5, e.g. to a 1013 time-calibration request), in ``version``."""
    return build_packet(st="91", cn="9013", pw=pw, mn=mn, flag=answer_flag(version), qn=qn)


def history_request(
    cn: str, begin: datetime, end: datetime, pw: str, mn: str, st: str, qn: str,
    version: int | None = 2017, key: bytes | None = None,
) -> bytes:
    """History re-fetch request (补遗, Appendix C.20–C.22, C.47–C.50): Flag=5 (9 to an HJ
    212-2025 unit), ``CP=&&BeginTime=…;EndTime=…&&`` (inclusive bounds, Beijing time);
    ``key`` encrypts it for a 2025 unit (a 2xxx command, §6.4.4)."""
    cp = f"BeginTime={format_time(begin)};EndTime={format_time(end)}"
    return build_packet(st=st, cn=cn, pw=pw, mn=mn, flag=answer_flag(version) | 1, qn=qn,
                        cp=cp, key=key if version == 2025 else None)
