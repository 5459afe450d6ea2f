"""One connection's HJ 212 state, sans-I/O (h11 ``_connection`` style): bytes in, events out.

The platform side of HJ 212-2017 §6.1–6.5 and Appendix C:

* frames the byte stream (:class:`~envmon.hj212.framing.FrameBuffer`) and decodes each frame
  with the CRC modes the caller allows for its MN (reference §4, "Wrong CRCs in the field");
* reassembles split uploads (Flag bit D / PNUM+PNO, C.49/C.50) by (MN, CN, DataTime);
* tracks the platform's outstanding requests by QN (补遗 history requests, the 1012 that sets
  a unit's clock, the remote commands of `envmon.control`) and turns the matching 9011/9012
  into :class:`RequestAnswered` / :class:`RequestCompleted`, a 9013 into
  :class:`NoticeAnswered`;
* builds every reply the platform owes: :meth:`Session.reply` gives 9014 to an upload that
  asks for it, 9013 + 1012 to a time-calibration request (1013); and states the protocol's
  own acceptance rule, :func:`lacks_data_time`.

It never sends and never reads a clock: the I/O layer calls :meth:`Session.reply` once the
packet is stored (the project acknowledges only durable data) and passes the platform's time.
A new kind of reply goes into :meth:`Session.reply`; a new request the platform sends gets a
builder here that remembers its QN (see :meth:`Session.request_history`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from envmon.hj212.codec import (
    Packet,
    ack_9014,
    answer_flag,
    build_packet,
    decode,
    format_time,
    history_request,
    make_qn,
    notice_9013,
)
from envmon.hj212.codes import ANSWERED_CNS, DATA_UPLOAD_CNS
from envmon.hj212.events import (
    Discarded,
    Event,
    NoticeAnswered,
    PacketReceived,
    RequestAnswered,
    RequestCompleted,
    SplitCompleted,
    SplitIncomplete,
)
from envmon.hj212.framing import Discard, FrameBuffer
from envmon.hj212.sm4 import KeyLookup

__all__ = ["NEW_KEY_FIELDS", "Session", "ack", "lacks_data_time", "new_key_of_1014",
           "time_calibration"]

# CN 1014's new-key field: the standard's table of the 1014 fields was not found in any public
# quotation. We send `SecretKey` (32 hex digits); caoyiliang/HJ212 (Test/Program.cs) sends
# `NewSK` as 16 characters (the key's bytes as text, as A.2's key "16个0x30" reads) with a
# 17-digit SKCreateTime. Both names and both forms are read.
NEW_KEY_FIELDS = ("SecretKey", "NewSK")


def new_key_of_1014(items: dict[str, str]) -> bytes | None:
    """The 16-byte SM4 key a CN 1014 carries (either field name of :data:`NEW_KEY_FIELDS`,
    32 hex digits or 16 ASCII characters), or None when it carries none that reads."""
    for name in NEW_KEY_FIELDS:
        text = items.get(name)
        if text is None:
            continue
        if len(text) == 32:
            try:
                return bytes.fromhex(text)
            except ValueError:
                return None
        if len(text) == 16 and text.isascii() and text.isprintable():
            return text.encode("ascii")
        return None
    return None

_DEFAULT_MODES = ("hj212",)

SplitKey = tuple[str | None, str | None, datetime | None]


def ack(packet: Packet) -> bytes | None:
    """The 9014 data answer a packet calls for, or None (HJ 212-2017 §6.5, C.13–C.19).

    Only accepted uploads (DATA_UPLOAD_CNS, the HJ 212-2025 uploads 2013/2052/2062/2111) and
    the 2025 heartbeat 9015 with Flag bit A = 1 are answered, in the unit's version (Flag=8
    to a 2025 unit); a packet that failed its checks gets no reply ("on a CRC error the
    command ends", Table 2).  The heartbeat's 9014 follows caoyiliang/HJ212, whose 2025 unit
    waits for a 9014 with the heartbeat's QN (the standard's own flow was not reachable).
    """
    if packet.ok and packet.need_ack and packet.cn in ANSWERED_CNS:
        return ack_9014(packet)
    return None


def lacks_data_time(packet: Packet) -> bool:
    """A data upload must say which time its values are for (DataTime, HJ 212-2017 Table 4).

    2081 (boot time) is the one upload that carries none; the codec already rejects uploads
    with factors but no DataTime, this also catches those without factors.
    """
    return packet.data_time is None and packet.cn in DATA_UPLOAD_CNS and packet.cn != "2081"


def time_calibration(request: Packet, now: datetime) -> tuple[bytes, bytes, str]:
    """The answers to a unit's time-calibration request (CN 1013, HJ 212-2017 §6.7, C.3):
    9013 to the notice, then a 1012 request (new QN, Flag=5) setting the unit's clock to
    ``now``, the platform's time; and that request's QN.  Both in the unit's version
    (Flag 8/9 to an HJ 212-2025 unit)."""
    qn = make_qn(now)
    version = request.protocol
    set_time = build_packet(
        qn=qn, st=request.st or "91", cn="1012", pw=request.pw or "",
        mn=request.mn or "", flag=answer_flag(version) | 1,
        cp=f"SystemTime={format_time(now)}",
    )
    notice = notice_9013(request.qn, request.pw or "", request.mn or "", version)
    return notice, set_time, qn


class _SplitGroup:
    __slots__ = ("parts", "pnum")

    def __init__(self, pnum: int) -> None:
        self.pnum = pnum
        self.parts: dict[int, Packet] = {}


class Session:
    """Protocol state of one connection.

    ``crc_modes_for(mn)`` returns the CRC modes accepted for that MN (default ``("hj212",)``
    for every MN).  At most ``max_split_groups`` incomplete split uploads and
    ``max_requests`` outstanding requests are kept; the oldest are dropped beyond that.
    ``keys(mn)`` gives the SM4 key of an HJ 212-2025 unit that encrypts its data region
    (None: no key, such packets come back with ``key_error="no_key"``).
    """

    def __init__(
        self,
        crc_modes_for: Callable[[str | None], tuple[str, ...]] | None = None,
        max_segment: int = 9999,
        max_split_groups: int = 64,
        max_requests: int = 256,
        keys: KeyLookup | None = None,
    ) -> None:
        self._frames = FrameBuffer(max_segment)
        self._keys = keys
        self._crc_modes_for = crc_modes_for
        self._splits: dict[SplitKey, _SplitGroup] = {}
        self._requests: dict[str, str] = {}  # QN -> MN of requests we sent
        self.max_split_groups = max_split_groups
        self.max_requests = max_requests

    # ---------------------------------------------------------------- input

    def receive(self, data: bytes) -> list[Event]:
        """Feed received bytes; return the events they complete, in order."""
        events: list[Event] = []
        for item in self._frames.feed(data):
            if isinstance(item, Discard):
                events.append(Discarded(item.data, item.reason))
            else:
                self._on_frame(item, events)
        return events

    def receive_frame(self, frame: bytes) -> list[Event]:
        """Process one already-framed packet (e.g. replaying a raw log, offline mode)."""
        events: list[Event] = []
        self._on_frame(frame, events)
        return events

    def close(self) -> list[Event]:
        """End of stream: report buffered bytes and split uploads that never completed."""
        events: list[Event] = [Discarded(d.data, d.reason) for d in self._frames.flush()]
        for key in list(self._splits):
            events.append(self._give_up(key))
        return events

    def decode(self, frame: bytes) -> Packet:
        """Decode a frame with the CRC modes allowed for the MN it names."""
        if self._crc_modes_for is None:
            return decode(frame, keys=self._keys)
        return decode(frame, tuple(self._crc_modes_for(_peek_mn(frame))), self._keys)

    @property
    def pending(self) -> int:
        """Bytes buffered but not yet framed."""
        return self._frames.pending

    @property
    def max_pending(self) -> int:
        """Upper bound of `pending` after any `receive` (`FrameBuffer.max_pending`)."""
        return self._frames.max_pending

    @property
    def outstanding(self) -> tuple[str, ...]:
        """QNs of requests sent and not yet finished (no 9012, no refusing 9011)."""
        return tuple(self._requests)

    # ---------------------------------------------------------------- output

    def reply(self, packet: Packet, now: datetime) -> bytes | None:
        """Every answer owed to an accepted packet, to send once it is stored, or None.

        A time-calibration request (1013) gets 9013 then 1012 with ``now`` (whose QN is
        remembered: the unit's 9011/9012 come back as events); an upload gets its 9014
        (:func:`ack`).  The caller judges acceptance first (a rejected packet gets nothing).
        """
        if packet.cn == "1013" and packet.ok:
            notice, set_time, qn = time_calibration(packet, now)
            self._remember_request(qn, packet.mn or "")
            return notice + set_time
        return ack(packet)

    def request_history(
        self, cn: str, begin: datetime, end: datetime, pw: str, mn: str, st: str, qn: str,
        version: int | None = 2017, key: bytes | None = None,
    ) -> bytes:
        """Build a history re-fetch request (补遗, C.20–C.22) and remember its QN; in the
        unit's ``version`` (2025: Flag=9, encrypted with ``key`` when given)."""
        frame = history_request(cn, begin, end, pw, mn, st, qn, version, key)
        self._remember_request(qn, mn)
        return frame

    def request_key_change(
        self, new_key: bytes, created: datetime, pw: str, mn: str, st: str, qn: str,
        key: bytes,
    ) -> bytes:
        """Build the CN 1014 that gives an HJ 212-2025 unit a new SM4 key (§6.4.3) and
        remember its QN: encrypted with the unit's current ``key`` (§6.4.4), answer wanted
        (Flag=9); the unit's 9011/9012 come back as events. The CP fields ``SecretKey`` (32
        hex digits) and ``SKCreateTime`` follow the peers' reading (the standard's table of
        the 1014 fields was not reachable)."""
        cp = f"SecretKey={new_key.hex().upper()};SKCreateTime={format_time(created)}"
        frame = build_packet(qn=qn, st=st, cn="1014", pw=pw, mn=mn,
                             flag=answer_flag(2025) | 1, cp=cp, key=key)
        self._remember_request(qn, mn)
        return frame

    def request_command(
        self, cn: str, cp: str, pw: str, mn: str, st: str, qn: str,
        version: int | None = 2017, key: bytes | None = None,
    ) -> bytes:
        """Build a platform command (反控, HJ 212-2017 Table 9: 1011, 1062, 2012, 3020 …) and
        remember its QN: Flag=5 (9 to an HJ 212-2025 unit, encrypted with ``key`` when
        given); the unit's 9011/9012 (or 9013 to a notice) come back as events."""
        frame = build_packet(qn=qn, st=st, cn=cn, pw=pw, mn=mn, flag=answer_flag(version) | 1,
                             cp=cp, key=key)
        self._remember_request(qn, mn)
        return frame

    # ---------------------------------------------------------------- internals

    def _remember_request(self, qn: str, mn: str) -> None:
        self._requests.pop(qn, None)
        self._requests[qn] = mn
        while len(self._requests) > self.max_requests:
            del self._requests[next(iter(self._requests))]

    def _on_frame(self, frame: bytes, events: list[Event]) -> None:
        packet = self.decode(frame)
        events.append(PacketReceived(packet))
        if not packet.ok:
            return
        cn = packet.cn
        if cn == "9011" or cn == "9012" or cn == "9013":
            self._on_answer(packet, events)
        elif packet.pnum is not None and packet.pno is not None:
            self._on_part(packet, events)

    def _on_answer(self, packet: Packet, events: list[Event]) -> None:
        qn = packet.qn
        if qn is None or self._requests.get(qn) != packet.mn:
            return
        if packet.cn == "9013":  # a notice's answer (2012/2022): nothing follows
            events.append(NoticeAnswered(qn))
            del self._requests[qn]
        elif packet.cn == "9011":
            qn_rtn = packet.items.get("QnRtn", "")
            events.append(RequestAnswered(qn, qn_rtn))
            if qn_rtn != "1":  # refused: no 9012 will follow (§6.5)
                del self._requests[qn]
        else:
            events.append(RequestCompleted(qn, packet.items.get("ExeRtn", "")))
            del self._requests[qn]

    def _on_part(self, packet: Packet, events: list[Event]) -> None:
        """Split upload (C.49/C.50): each part has its own QN and complete DataTime."""
        assert packet.pnum is not None and packet.pno is not None
        key = (packet.mn, packet.cn, packet.data_time)
        group = self._splits.get(key)
        if group is None:
            while len(self._splits) >= self.max_split_groups:
                events.append(self._give_up(next(iter(self._splits))))
            group = self._splits[key] = _SplitGroup(packet.pnum)
        if packet.pnum != group.pnum or packet.pno in group.parts:
            return  # inconsistent PNUM or a repeated part: already reported, not merged
        group.parts[packet.pno] = packet
        if len(group.parts) < group.pnum:
            return
        del self._splits[key]
        parts = tuple(group.parts[n] for n in sorted(group.parts))
        merged: dict[str, dict[str, float | str]] = {}
        for part in parts:
            for code, values in part.factors.items():
                merged.setdefault(code, {}).update(values)
        events.append(SplitCompleted(packet.mn, packet.cn, packet.data_time, parts, merged))

    def _give_up(self, key: SplitKey) -> SplitIncomplete:
        group = self._splits.pop(key)
        parts = tuple(group.parts[n] for n in sorted(group.parts))
        return SplitIncomplete(key[0], key[1], key[2], parts, group.pnum)


def _peek_mn(frame: bytes) -> str | None:
    """MN from the header, before the CRC check (the CRC policy is chosen per MN)."""
    cp = frame.find(b"CP=&&")
    head = frame[6:cp] if cp >= 0 else frame[6:]
    for piece in head.split(b";"):
        if piece[:3] == b"MN=":
            return piece[3:].decode("utf-8", "replace")
    return None
