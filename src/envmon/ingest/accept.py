"""The one accept path: may this decoded packet be stored? (HJ 212-2017 §6.3.2, Table 3).

``accept(packet, points)`` answers :class:`Accepted` or :class:`Rejected`; the receiver, its
worker processes (they run the same receiver) and replay all call it, so a packet is judged
the same way live and replayed.  A packet is rejected when

1. the codec found it malformed (frame, length, CRC, a field: ``Packet.error``);
2. its MN is not registered, or 3. its PW is not that MN's password;
4. it is a data upload without DataTime (the protocol rule of :mod:`envmon.hj212.session`).

The receiver's guard (`ingest.guard`) adds the rules about who may speak for an MN (allow-list
and lockouts before the password, one live connection after it), with their own reasons here.

A new rule goes here as a new :class:`Reason`, in the order it is checked; its ``message``
names the field first ("PW: …"), as the raw log and the operators' queries expect, and the
receiver counts rejections by ``field``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from envmon.hj212.codec import Packet
from envmon.hj212.session import lacks_data_time
from envmon.store import PointAuth

__all__ = ["Accepted", "Reason", "Rejected", "accept"]


class Reason(Enum):
    """Why a packet was rejected."""

    MALFORMED = "malformed"  # a check of the codec failed; the field is the first it names
    UNREGISTERED_MN = "unregistered MN"
    WRONG_PASSWORD = "wrong password"
    NO_DATA_TIME = "data upload without DataTime"
    # Decided by the receiver's guard (`ingest.guard`), around this accept path:
    NOT_ALLOWED = "address outside the MN's allowed networks"
    LOCKED_OUT = "locked out after repeated wrong passwords"
    ALREADY_CONNECTED = "MN already connected from another address"
    TOO_MANY_MNS = "connection speaks for too many MNs"


@dataclass(frozen=True, slots=True)
class Accepted:
    """The packet may be stored and answered; ``point`` is the registered sender."""

    point: PointAuth


@dataclass(frozen=True, slots=True)
class Rejected:
    """The packet is logged as rejected, never stored as data, never answered.

    ``field`` names the offending field ("CRC", "MN", "PW", "DataTime" …), ``message`` is the
    raw log's ``reason`` text.
    """

    field: str
    reason: Reason
    message: str

    def __str__(self) -> str:
        return self.message


def accept(packet: Packet, points: dict[str, PointAuth]) -> Accepted | Rejected:
    """Judge a decoded packet against the registry (``points``: MN -> its credentials)."""
    if not packet.ok:
        return Rejected(packet.error_field or "packet", Reason.MALFORMED,
                        packet.error or "packet: malformed")
    point = points.get(packet.mn) if packet.mn else None
    if point is None:
        return Rejected("MN", Reason.UNREGISTERED_MN, f"MN: {packet.mn!r} is not registered")
    if packet.pw != point.pw:
        return Rejected("PW", Reason.WRONG_PASSWORD, f"PW: wrong password for MN {packet.mn}")
    if lacks_data_time(packet):
        return Rejected("DataTime", Reason.NO_DATA_TIME, "DataTime: missing in a data upload")
    return Accepted(point)


def crc_modes_for(points: dict[str, PointAuth], mn: str | None) -> tuple[str, ...]:
    """The CRC algorithms accepted from `mn`: its registered policy, strict HJ 212 for an
    unknown MN (whose packet is rejected anyway, with its CRC verdict recorded)."""
    point = points.get(mn) if mn else None
    return point.crc_modes if point else ("hj212",)
