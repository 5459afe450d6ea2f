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

6. (only with ``reject_unencrypted``) it is an HJ 212-2025 packet of a command §6.4.4 encrypts
   (CN 2000-2999, 1014, 3020) that arrived in clear from an MN the platform holds a key for:
   a downgrade. By default such a packet is kept and the raw log records the deviation
   (:func:`unencrypted_note`, ``not_encrypted``): PW and CRC still vouch for it, and units
   move to encryption one by one while keys reach them (HJ 212-2025 is in force from
   2026-01-01; a unit reset in maintenance may come back in clear), so rejecting would lose
   the data of a unit whose only fault is a missing setting. A bureau that enforces it sets
   ``[ingest] reject_unencrypted = true``.

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
from envmon.hj212.codes import must_encrypt
from envmon.hj212.session import lacks_data_time
from envmon.hj212.sm4 import KeyLookup
from envmon.store import PointAuth

__all__ = ["DEFAULT_DATA_TIME_WINDOW", "NOT_ENCRYPTED", "Accepted", "DataTimeWindow", "Reason",
           "Rejected", "accept", "unencrypted_note"]

NOT_ENCRYPTED = "not_encrypted"


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
    NOT_ENCRYPTED = "HJ 212-2025 command in clear from an MN with a key"


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


def unencrypted_note(packet: Packet, keys: KeyLookup | None) -> str | None:
    """The deviation of an HJ 212-2025 packet that §6.4.4 wants encrypted and that arrived in
    clear from an MN with a key (``keys``: the platform's), else None."""
    if (packet.protocol != 2025 or packet.encrypted or keys is None or packet.mn is None
            or not must_encrypt(packet.cn) or keys(packet.mn) is None):
        return None
    return (f"CP: {NOT_ENCRYPTED}: HJ 212-2025 CN {packet.cn} in clear from MN {packet.mn}, "
            "which has an SM4 key (§6.4.4 encrypts CN 2000-2999, 1014 and 3020)")


def accept(packet: Packet, points: dict[str, PointAuth], *,
           received_at: datetime | None = None,
           window: DataTimeWindow | None = DEFAULT_DATA_TIME_WINDOW,
           keys: KeyLookup | None = None,
           reject_unencrypted: bool = False) -> Accepted | Rejected:
    """Judge a decoded packet against the registry (``points``: MN -> its credentials).

    With ``received_at``, a DataTime outside ``window`` around it is rejected (None: no
    window). With ``reject_unencrypted``, a packet :func:`unencrypted_note` finds (against
    ``keys``) is rejected."""
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
    if reject_unencrypted:
        note = unencrypted_note(packet, keys)
        if note is not None:
            return Rejected("CP", Reason.NOT_ENCRYPTED, note)
    return Accepted(point)


def crc_modes_for(points: dict[str, PointAuth], mn: str | None) -> tuple[str, ...]:
    """The CRC algorithms accepted from `mn`: its registered policy, strict HJ 212 for an
    unknown MN (whose packet is rejected anyway, with its CRC verdict recorded)."""
    point = points.get(mn) if mn else None
    return point.crc_modes if point else ("hj212",)
