"""Who may send: MN must be registered and PW must match (HJ 212-2017 §6.3.2, Table 3)."""

from __future__ import annotations

from envmon.hj212.codec import Packet
from envmon.store import PointAuth


def verdict(packet: Packet, points: dict[str, PointAuth]) -> str | None:
    """None when the packet is accepted, else the reason, naming the field."""
    if not packet.ok:
        return packet.error or "packet: malformed"
    point = points.get(packet.mn) if packet.mn else None
    if point is None:
        return f"MN: {packet.mn!r} is not registered"
    if packet.pw != point.pw:
        return f"PW: wrong password for MN {packet.mn}"
    return None
