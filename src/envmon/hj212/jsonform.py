"""The JSON form of a packet: what ``envmon hj212 decode`` prints and ``encode`` reads back.

One shape for every door (CLI today, web API next): :func:`packet_json` turns a decoded
:class:`~envmon.hj212.codec.Packet` into a JSON object with the keys of :data:`JSON_KEYS`,
and :func:`packet_from_json` builds the frame back from such an object.  The two round-trip.
The keys are a contract: add new ones at the end, never rename or remove one.

HJ 212-2025 (issue 16) adds :data:`PROTOCOL_KEYS` after them: ``version`` (2005, 2017,
2025), ``resent`` (RF=1), ``encrypted`` and ``key_error`` (no_key, bad_key,
bad_ciphertext or null), printed for every packet (a 2017 packet says ``"version": 2017``).
``version`` is null when the packet does not tell it: no ``##`` frame, Flag not a number, Flag's
version bits naming no known version, or no Flag and a header too broken (no CN, PW or MN) to
take it for HJ/T 212-2005; ``deviations`` then ends with ``version: unknown (…)`` saying which.
``crc_ok`` is null when the CRC was never checked (no frame, or an encrypted region that did
not open: the CRC is the plaintext's, unless it matches the segment as sent), false only when
it was checked and did not match.
:func:`packets_from_json` builds 2025 packets
(``version=2025``: encrypted with a key, split into PNUM/PNO parts over 1 024 characters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from envmon.hj212.codec import Packet, build_packet, encode_packets, format_cp, parse_time
from envmon.hj212.codes import VERSION_BITS, must_encrypt
from envmon.timeutil import parse_iso

__all__ = ["JSON_KEYS", "PROTOCOL_KEYS", "packet_from_json", "packet_json", "packets_from_json"]

# Keys of a decoded packet as printed by `decode` (and read back by `encode`).
JSON_KEYS = (
    "ok", "error", "crc_ok", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno",
    "data_time", "items", "factors", "deviations",
)
# HJ 212-2025 (issue 16) keys, printed after JSON_KEYS for every packet.
PROTOCOL_KEYS = ("version", "resent", "encrypted", "key_error")
_ENCODE_KEYS = frozenset(
    {"qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "data_time", "items", "factors",
     "resent"}
)
# Ignored by encode: the verdict, and what the flag and the key already say.
_VERDICT_KEYS = frozenset({"ok", "error", "crc_ok", "deviations", "version", "encrypted",
                           "key_error"})


def packet_json(packet: Packet) -> dict[str, Any]:
    """The JSON shape of a decoded packet (keys in :data:`JSON_KEYS`, then
    :data:`PROTOCOL_KEYS`)."""
    obj = _json(packet)
    version, unknown = _version(packet)
    if unknown is not None:
        obj["deviations"].append(f"version: unknown ({unknown})")
    if not packet.segment or packet.key_error is not None and not packet.crc_ok:
        obj["crc_ok"] = None  # never checked (no frame; the plaintext's CRC, not opened)
    obj["version"] = version
    obj["resent"] = packet.resent
    obj["encrypted"] = packet.encrypted
    obj["key_error"] = packet.key_error
    return obj


def _version(packet: Packet) -> tuple[int | None, str | None]:
    """(version, why it is unknown): Flag's version bits, 2005 for a readable header without
    Flag (only HJ/T 212-2005 leaves it out), else None and the reason."""
    if not packet.segment:
        return None, "no '##' frame"
    if packet.flag is not None:
        if packet.protocol is None:
            return None, f"Flag {packet.flag}: version bits {packet.flag >> 2} name no version"
        return packet.protocol, None
    head = ";" + packet.segment.split("CP=", 1)[0]
    if ";Flag=" in head:
        return None, "Flag is not a number"
    if packet.cn is None or packet.pw is None or packet.mn is None:
        return None, "no Flag, and no CN, PW or MN to read it as HJ/T 212-2005 by"
    return 2005, None


def _json(packet: Packet) -> dict[str, Any]:
    return {
        "ok": packet.ok,
        "error": packet.error,
        "crc_ok": packet.crc_ok,
        "qn": packet.qn,
        "st": packet.st,
        "cn": packet.cn,
        "pw": packet.pw,
        "mn": packet.mn,
        "flag": packet.flag,
        "pnum": packet.pnum,
        "pno": packet.pno,
        "data_time": packet.data_time.isoformat() if packet.data_time else None,
        "items": packet.items,
        "factors": packet.factors,
        "deviations": list(packet.deviations),
    }


def _data_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"data_time: expected a string, got {value!r}")
    if value.isdigit():
        parsed = parse_time(value)
        if parsed is None:
            raise ValueError(f"data_time: {value!r} is not YYYYMMDDhhmmss")
        return parsed
    return parse_iso(value)


def packet_from_json(obj: Any) -> bytes:
    """Build a frame from a JSON object shaped like `decode` output (missing keys omitted).

    Raises ValueError (or TypeError) naming the key that is wrong.
    """
    cp = _check(obj)
    return build_packet(
        st=obj["st"],
        cn=obj["cn"],
        pw=obj["pw"],
        mn=obj["mn"],
        flag=obj.get("flag"),
        cp=cp,
        qn=obj.get("qn"),
        pnum=obj.get("pnum"),
        pno=obj.get("pno"),
        rf=_resent(obj),
    )


def packets_from_json(
    obj: Any, version: int | None = None, key: bytes | None = None
) -> list[bytes]:
    """The frames for one JSON object: :func:`packet_from_json`'s one frame, or with
    ``version`` the flag's version bits set to it (Flag 4/8 when the object has none), and
    for HJ 212-2025 :func:`~envmon.hj212.codec.encode_packets` (encrypted with ``key`` for the
    commands §6.4.4 names, split over 1 024 characters unless PNUM/PNO are given).

    ``key`` or ``"resent": true`` on a packet of another version is a ValueError (only 2025
    encrypts and has RF).
    """
    cp = _check(obj)
    flag = obj.get("flag")
    if version is not None:
        bits = VERSION_BITS[version] << 2
        flag = (flag & 3 if isinstance(flag, int) and not isinstance(flag, bool) else 0) | bits
    protocol = None if not isinstance(flag, int) else {0: 2005, 4: 2017, 8: 2025}.get(
        flag & ~3)
    if protocol != 2025:
        if key is not None:
            raise ValueError(f"key: only HJ 212-2025 packets are encrypted (this one is "
                             f"{protocol or 'of unknown version'})")
        if _resent(obj):  # RF is not in the Table 3 of earlier versions
            raise ValueError(f"resent: RF=1 is an HJ 212-2025 field (this packet is "
                             f"{protocol or 'of unknown version'}): give --version 2025 or "
                             "drop \"resent\"")
        return [packet_from_json({**obj, "flag": flag})]
    if obj.get("pnum") is not None or obj.get("pno") is not None:
        return [build_packet(st=obj["st"], cn=obj["cn"], pw=obj["pw"], mn=obj["mn"], flag=flag,
                             cp=cp, qn=obj.get("qn"), pnum=obj.get("pnum"), pno=obj.get("pno"),
                             rf=_resent(obj), key=key if must_encrypt(obj["cn"]) else None)]
    return encode_packets(
        st=obj["st"], cn=obj["cn"], pw=obj["pw"], mn=obj["mn"], flag=flag, qn=obj.get("qn"),
        data_time=_data_time(obj.get("data_time")), items=obj.get("items") or None,
        factors=obj.get("factors") or None, rf=_resent(obj), key=key,
    )


def _resent(obj: dict[str, Any]) -> bool:
    value = obj.get("resent", False)
    if not isinstance(value, bool):
        raise ValueError(f"resent: expected true or false, got {value!r}")
    return value


def _check(obj: Any) -> str:
    """Check the object's keys and types; return its CP text."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    unknown = set(obj) - _ENCODE_KEYS - _VERDICT_KEYS
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    for key in ("st", "cn", "pw", "mn"):
        if not isinstance(obj.get(key), str):
            raise ValueError(f"{key}: missing or not a string")
    for key in ("qn",):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise ValueError(f"{key}: not a string")
    items = obj.get("items") or {}
    factors = obj.get("factors") or {}
    if not isinstance(items, dict) or not isinstance(factors, dict):
        raise ValueError("items and factors must be objects")
    if not all(isinstance(v, dict) for v in factors.values()):
        raise ValueError("factors: each code maps to an object {suffix: value}")
    return format_cp(_data_time(obj.get("data_time")), items, factors)
