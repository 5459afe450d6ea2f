"""The one accept path: may this decoded packet be stored? (HJ 212-2017 §6.3.2, Table 3).

``accept(packet, points)`` answers :class:`Accepted` or :class:`Rejected`; the receiver, its
worker processes (they run the same receiver) and replay all call it, so a packet is judged
the same way live and replayed.  A packet is rejected when

1. the codec found it malformed (frame, length, CRC, a field: ``Packet.error``);
2. its MN is not registered, or 3. its PW is not that MN's password;
4. it is a data upload without DataTime (the protocol rule of :mod:`envmon.hj212.session`);
5. its DataTime lies outside a window around the time it was received (:class:`DataTimeWindow`,
   judged only when the caller gives ``received_at``: the receiver its clock, replay the
   packet's original receipt). A DataTime in year 1, 2099 or 9999 is no measurement: stored,
   it would be counted, shown and taxed as one (issue 10).

The receiver's guard (`ingest.guard`) adds the rules about who may speak for an MN (allow-list
and lockouts before the password, one live connection after it), with their own reasons here.

A new rule goes here as a new :class:`Reason`, in the order it is checked; its ``message``
names the field first ("PW: …"), as the raw log and the operators' queries expect, and the
receiver counts rejections by ``field``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from envmon.hj212.codec import Packet
from envmon.hj212.session import lacks_data_time
from envmon.store import PointAuth

__all__ = ["DEFAULT_DATA_TIME_WINDOW", "Accepted", "DataTimeWindow", "Reason", "Rejected",
           "accept"]


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
    DATA_TIME_OUT_OF_WINDOW = "DataTime outside the window around its receipt"


@dataclass(frozen=True, slots=True)
class DataTimeWindow:
    """How far a packet's DataTime may lie before or after the time it was received.

    ``past_days`` = 40: back-fill (补遗) answers legitimately carry old hours, and the 补全
    window reaches the 10th of the next month (transmission.md §2: up to ~40 days after the
    hour). ``future_minutes`` = 10: DataTime is the period start (HJ 212-2017 Table 4), so it
    is never after receipt; 10 minutes allow for a unit's clock running ahead.
    """

    past_days: float = 40.0
    future_minutes: float = 10.0

    def __post_init__(self) -> None:
        for name in ("past_days", "future_minutes"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < 36_500):
                raise ValueError(f"{name}: {value!r} is not a number of 0 or more")

    def problem(self, data_time: datetime, received_at: datetime) -> str | None:
        """Why `data_time` is outside the window around `received_at`, or None."""
        ahead = data_time - received_at
        if ahead > timedelta(minutes=self.future_minutes):
            return (f"DataTime: {data_time.isoformat()} is {_span(ahead)} after its receipt "
                    f"at {received_at.isoformat()} (at most {self.future_minutes:g} minutes "
                    "after is accepted)")
        if -ahead > timedelta(days=self.past_days):
            return (f"DataTime: {data_time.isoformat()} is {_span(-ahead)} before its receipt "
                    f"at {received_at.isoformat()} (at most {self.past_days:g} days before "
                    "is accepted)")
        return None


DEFAULT_DATA_TIME_WINDOW = DataTimeWindow()


def _span(delta: timedelta) -> str:
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    return f"{delta.total_seconds() / 60:.0f} minutes"


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


def accept(packet: Packet, points: dict[str, PointAuth], *,
           received_at: datetime | None = None,
           window: DataTimeWindow | None = DEFAULT_DATA_TIME_WINDOW) -> Accepted | Rejected:
    """Judge a decoded packet against the registry (``points``: MN -> its credentials).

    With ``received_at``, a DataTime outside ``window`` around it is rejected (None: no
    window)."""
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
    if received_at is not None and window is not None and packet.data_time is not None:
        problem = window.problem(packet.data_time, received_at)
        if problem is not None:
            return Rejected("DataTime", Reason.DATA_TIME_OUT_OF_WINDOW, problem)
    return Accepted(point)


def crc_modes_for(points: dict[str, PointAuth], mn: str | None) -> tuple[str, ...]:
    """The CRC algorithms accepted from `mn`: its registered policy, strict HJ 212 for an
    unknown MN (whose packet is rejected anyway, with its CRC verdict recorded)."""
    point = points.get(mn) if mn else None
    return point.crc_modes if point else ("hj212",)
