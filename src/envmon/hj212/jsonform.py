"""The JSON form of a packet: what ``envmon hj212 decode`` prints and ``encode`` reads back.

One shape for every door (CLI today, web API next): :func:`packet_json` turns a decoded
:class:`~envmon.hj212.codec.Packet` into a JSON object with the keys of :data:`JSON_KEYS`,
and :func:`packet_from_json` builds the frame back from such an object.  The two round-trip.
The keys are a contract: add new ones at the end, never rename or remove one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from envmon.hj212.codec import Packet, build_packet, format_cp, parse_time
from envmon.timeutil import parse_iso

__all__ = ["JSON_KEYS", "packet_from_json", "packet_json"]

# Keys of a decoded packet as printed by `decode` (and read back by `encode`).
JSON_KEYS = (
    "ok", "error", "crc_ok", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno",
    "data_time", "items", "factors", "deviations",
)
_ENCODE_KEYS = frozenset(
    {"qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "data_time", "items", "factors"}
)
_VERDICT_KEYS = frozenset({"ok", "error", "crc_ok", "deviations"})  # ignored by encode


def packet_json(packet: Packet) -> dict[str, Any]:
    """The JSON shape of a decoded packet (keys in :data:`JSON_KEYS`)."""
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
    cp = format_cp(_data_time(obj.get("data_time")), items, factors)
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
    )
