"""Events a :class:`~envmon.hj212.session.Session` returns (h11 ``_events`` style).

Small immutable records; the I/O layer reacts to them (store, answer, log, count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from envmon.hj212.codec import Packet

__all__ = [
    "Discarded",
    "Event",
    "NoticeAnswered",
    "PacketReceived",
    "RequestAnswered",
    "RequestCompleted",
    "SplitCompleted",
    "SplitIncomplete",
]


@dataclass(frozen=True, slots=True)
class PacketReceived:
    """One framed packet, decoded; ``packet.ok`` says whether it was accepted."""

    packet: Packet


@dataclass(frozen=True, slots=True)
class Discarded:
    """Bytes skipped by stream framing (garbage, bad length, missing CR LF)."""

    data: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class SplitCompleted:
    """All PNUM parts of a split upload arrived (HJ 212-2017 C.49/C.50).

    Parts are ordered by PNO; ``factors`` is the union of the parts' factor sets.
    """

    mn: str | None
    cn: str | None
    data_time: datetime | None
    parts: tuple[Packet, ...]
    factors: dict[str, dict[str, float | str]]


@dataclass(frozen=True, slots=True)
class SplitIncomplete:
    """A split upload given up on (group evicted to stay bounded, or end of stream).

    Each part was already reported as :class:`PacketReceived`; this only says the set
    never completed.
    """

    mn: str | None
    cn: str | None
    data_time: datetime | None
    parts: tuple[Packet, ...]
    pnum: int


@dataclass(frozen=True, slots=True)
class RequestAnswered:
    """9011 answer to a request this session sent; ``qn_rtn`` is the raw QnRtn text."""

    qn: str
    qn_rtn: str


@dataclass(frozen=True, slots=True)
class RequestCompleted:
    """9012 execution result for a request this session sent; ``exe_rtn`` is raw ExeRtn."""

    qn: str
    exe_rtn: str


@dataclass(frozen=True, slots=True)
class NoticeAnswered:
    """9013 answer to a notice this session sent (2012/2022 stop uploads, §7 "Notice")."""

    qn: str


Event = (
    PacketReceived
    | Discarded
    | SplitCompleted
    | SplitIncomplete
    | RequestAnswered
    | RequestCompleted
    | NoticeAnswered
)
