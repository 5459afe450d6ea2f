"""Replay the raw packet log: re-decode a period into another store, or re-send it over TCP.

The raw log keeps every frame exactly as received, so a day can be rebuilt after a parser
fix or moved to another platform, with its original received times.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from envmon.hj212 import codec
from envmon.hj212.events import PacketReceived
from envmon.hj212.framing import Discard, FrameBuffer
from envmon.hj212.session import Session
from envmon.ingest.accept import (
    DEFAULT_DATA_TIME_WINDOW,
    DataTimeWindow,
    Rejected,
    accept,
    crc_modes_for,
)
from envmon.ingest.keystore import KeyCache, load_keys, open_master_key
from envmon.ingest.records import STORED_UPLOAD_CNS, records_from_packet
from envmon.store import RawPacketRow, Store


def replay_into(source: Store, target: Store, start: datetime | None = None,
                end: datetime | None = None, batch: int = 5000, *,
                window: DataTimeWindow | None = DEFAULT_DATA_TIME_WINDOW) -> Counter:
    """Re-decode raw packets of [start, end) and write them to `target` as the receiver would:
    the same session (CRC modes per MN) and the same accept path against the target's
    registry, keeping the original received time (by which the DataTime `window` and the
    target's instrument ranges judge each packet). A record the target already holds with the
    same values is not stored twice (`Store.write_batch`), so a period replayed again adds
    only its raw packets; `duplicates` and `conflicts` count the records it did not add and
    the conflicting copies it kept."""
    points = target.load_point_auth()
    trusted = _trust_as_received(source)
    # Encrypted HJ 212-2025 packets open with the target's keys (its master key file).
    master, _, _ = open_master_key(target.target)
    session = Session(crc_modes_for=lambda mn: crc_modes_for(points, mn),
                      keys=KeyCache(load_keys(target, master)))
    counts: Counter = Counter()
    raws: list[RawPacketRow] = []
    records = []
    for row in source.iter_raw_packets(start, end):
        if row.verdict == "discarded":
            counts["discarded"] += 1
            continue
        for event in session.receive_frame(row.raw):
            if type(event) is not PacketReceived:
                continue  # split completion, answers to requests: nothing to store
            packet = event.packet
            # judged by its original receipt: the DataTime window and the instrument ranges
            verdict = accept(packet, points, received_at=row.received_at, window=window)
            reason = verdict.message if type(verdict) is Rejected else None
            if reason is None and packet.cn in STORED_UPLOAD_CNS:
                # The original sender stays the record's provenance, and its trust is
                # judged again from the source's usual addresses at the time of receipt.
                records.extend(records_from_packet(
                    packet, row.received_at, row.peer,
                    trusted(packet.mn, row.peer, row.received_at), verdict.point.ranges))
            counts["accepted" if reason is None else "rejected"] += 1
            raws.append(RawPacketRow(
                received_at=row.received_at, peer=f"replay:{row.peer}",
                verdict="accepted" if reason is None else "rejected", reason=reason,
                mn=packet.mn, cn=packet.cn, qn=packet.qn, raw=row.raw,
            ))
        if len(raws) >= batch:
            _write(target, raws, records, counts)
            raws, records = [], []
    if raws:
        _write(target, raws, records, counts)
    return counts


def _write(target: Store, raws: list[RawPacketRow], records: list, counts: Counter) -> None:
    result = target.write_batch(raws, records)
    if result.duplicates:
        counts["duplicates"] += result.duplicates
    if result.conflicts:
        counts["conflicts"] += len(result.conflicts)


async def replay_tcp(rows: Iterable[RawPacketRow], host: str, port: int,
                     ack_timeout_s: float = 10.0) -> Counter:
    """Send the accepted raw packets to a receiver, one at a time, waiting for each 9014."""
    counts: Counter = Counter()
    reader, writer = await asyncio.open_connection(host, port)
    frames = FrameBuffer()
    try:
        for row in rows:
            if row.verdict != "accepted":
                continue
            writer.write(row.raw)
            await writer.drain()
            counts["sent"] += 1
            packet = codec.decode(row.raw, ("hj212", "modbus", "modbus_swapped"))
            if not packet.need_ack:
                continue
            if await _await_ack(reader, frames, packet.qn, ack_timeout_s):
                counts["answered"] += 1
            else:
                counts["unanswered"] += 1
    finally:
        writer.close()
    return counts


async def _await_ack(reader, frames: FrameBuffer, qn: str | None, timeout_s: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while (remaining := deadline - loop.time()) > 0:
        try:
            data = await asyncio.wait_for(reader.read(65536), remaining)
        except TimeoutError:
            return False
        if not data:
            return False
        for frame in frames.feed(data):
            if isinstance(frame, Discard):
                continue
            answer = codec.decode(frame)
            if answer.cn == "9014" and answer.qn == qn:
                return True
    return False


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did: packets per outcome (accepted/rejected/discarded, or sent/answered/
    unanswered over TCP)."""

    counts: dict[str, int]
    json_layout: ClassVar[str] = "compact"  # one line, as replay always printed

    def as_json(self) -> dict[str, int]:
        return dict(self.counts)

    def as_table(self):
        from envmon.render import Column, Table

        return Table("重放结果", [Column("outcome", "结果"), Column("packets", "报文数")],
                     sorted(self.counts.items()))


def _trust_as_received(source: Store):
    """Whether a copy received from `peer` at `at` came from one of the MN's usual addresses
    then (the source's `guard_usual_addresses`, learned by its receiver; an MN with none yet
    at that time: its first address, trusted), as the live receiver judged it
    (`Receiver.claim`). Without this a forged packet in the log would win in the replica."""
    from envmon.ingest.guard_store import usual_addresses

    usual: dict[str, list[tuple[str, datetime]]] = {}
    for mn, address, first_seen, _ in usual_addresses(source):
        usual.setdefault(mn, []).append((address, first_seen))

    def trusted(mn: str | None, peer: str | None, at: datetime) -> bool:
        known = [address for address, first in usual.get(mn or "", ()) if first <= at]
        if not known:
            return True
        return (peer or "").rsplit(":", 1)[0] in known

    return trusted
