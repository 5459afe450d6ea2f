"""A simulated data acquisition unit (数采仪) speaking HJ 212-2017 (or HJ 212-2025) over TCP.

An HJ 212-2025 unit (`SimPoint.protocol`) sends Flag=9, marks re-sent uploads RF=1, encrypts
its data regions with its SM4 key when it has one, and sends 9015 heartbeats.

It uploads real-time (2011), minute (2051) and hourly (2061) data with Flag=5, waits for
the platform's 9014 (10 s, 3 tries: HJ 212-2017 Table 1), answers the platform's requests
(history re-fetch 补遗 with 9011 → uploads → 9012) from its own history, and injects the
faults of its `Faults` plan, so a test knows exactly what the platform must have seen.

When its connection is lost (the receiver died or closed it) it connects again, as a real
unit does: at once, then after 1 s doubling to 30 s, jittered (`RECONNECT_*`), until the
run's end; an upload whose tries met no connection is kept and re-sent (RF=1 in 2025) once
connected again. With SO_REUSEPORT receivers (`envmon serve --reuse-port`) the new
connection goes to one still listening.

It answers the platform's remote commands (反控, HJ 212-2017 Table 9) as a unit does: 9011,
the asked data (1011 its clock, 1061/1063 its intervals, 3019 its serial, 3020 its site
information), then 9012; it keeps what a command sets (its clock offset, its intervals,
real-time upload on or off: 2011 starts it, the 2012 notice, answered by 9013, stops it).
A unit whose `answers_commands` is False never answers one (a timed-out command in tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from envmon.hj212 import codec
from envmon.hj212.framing import Discard, FrameBuffer
from envmon.hj212.session import new_key_of_1014
from envmon.hj212.sm4 import single_key
from envmon.sim.clock import SimClock
from envmon.sim.values import SimPoint, period_values, realtime_values

log = logging.getLogger("envmon.sim")

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
PERIOD_SECONDS = {"2051": 60, "2061": 3600, "2031": 86400}
PERIOD_STEP = {"2051": MINUTE, "2061": HOUR, "2031": timedelta(days=1)}
ST_BY_KIND = {"gas": "31", "water": "32"}
HEARTBEAT_S = 60.0  # simulated seconds between HJ 212-2025 heartbeats (9015); ASSUMPTION
REFUSED_WARNING_EVERY_S = 60.0  # real seconds between a unit's "receiver refuses" warnings
RECONNECT_FIRST_S = 1.0  # real seconds before the second try of a reconnect (the first: at once)
RECONNECT_MAX_S = 30.0  # … doubling up to this: thousands of units must not hammer a receiver
RECONNECT_JITTER = 0.25  # ± this share of each wait, so units lost together spread out


@dataclass
class Faults:
    """What goes wrong for one unit; hours are period starts (HJ 212 DataTime)."""

    offline_hours: set[datetime] = field(default_factory=set)  # never sent live
    late_hours: dict[datetime, float] = field(default_factory=dict)  # sent N sim-seconds late
    invalid_hours: dict[datetime, str] = field(default_factory=dict)  # flag other than N
    exceed_hours: set[datetime] = field(default_factory=set)
    corrupt_crc_hours: set[datetime] = field(default_factory=set)  # first try has a bad CRC
    scale_hours: dict[datetime, float] = field(default_factory=dict)  # production × this
    wrong_pw: bool = False


@dataclass
class SentRecord:
    cn: str
    data_time: datetime
    acked: bool
    attempts: int


class DataAcquisitionUnit:
    def __init__(
        self, point: SimPoint, host: str, port: int, *, clock: SimClock, seed: int = 1,
        faults: Faults | None = None, ack_timeout_s: float = 10.0, retries: int = 3,
        rtd_interval_s: int = 30, minute_data: bool = True, realtime: bool = True,
    ):
        self.point = point
        self.host, self.port = host, port
        self.clock = clock
        self.seed = seed
        self.faults = faults or Faults()
        self.ack_timeout_s = ack_timeout_s
        self.retries = retries
        self.rtd_interval = timedelta(seconds=rtd_interval_s)
        self.minute_data = minute_data
        self.realtime = realtime
        self.st = ST_BY_KIND.get(point.kind, "31")
        self.pw = point.pw if not self.faults.wrong_pw else _wrong(point.pw)
        self.history: dict[tuple[str, datetime], dict] = {}
        self.sent: list[SentRecord] = []
        self.requests_answered = 0
        self._writer: asyncio.StreamWriter | None = None
        self._acks: dict[str, asyncio.Future] = {}
        self._last_qn = ""
        self.connected = False  # has reached the receiver at least once
        self.connect_failures = 0
        self.reconnects = 0  # connections made again after one was lost
        self.until: datetime | None = None  # the run's end (simulated): reconnects stop then
        self.unanswered: list[tuple[str, datetime, dict]] = []  # to re-send once connected
        self._connecting = asyncio.Lock()
        self._random = random.Random(f"{seed}:{point.mn}")
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._keys = single_key(point.key) if point.key is not None else None
        self.clock_offset = timedelta(0)  # what a 1012 set: the unit's clock minus sim time
        self.min_interval_min = 1  # MinInterval (1063/1064)
        self.status_upload = False  # running-state upload (2021 on, 2022 off)
        self.answers_commands = True
        self.commands_seen: list[tuple[str, str]] = []  # (CN, CP) of each command, for tests

    # -- connection --------------------------------------------------------------------
    async def connect(self, until: datetime | None = None) -> bool:
        """Connect to the receiver, retrying with back-off until `until` (simulated time;
        None = for ever). False if the time was up first. While the receiver refuses, a
        warning is logged at once and then at most every `REFUSED_WARNING_EVERY_S`."""
        loop = asyncio.get_running_loop()
        delay = 0.2
        next_warning = loop.time()
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                break
            except OSError as error:
                self.connect_failures += 1
                if loop.time() >= next_warning:
                    next_warning = loop.time() + REFUSED_WARNING_EVERY_S
                    log.warning("%s: the receiver at %s:%s refuses connections (%s); retrying",
                                self.point.mn, self.host, self.port,
                                error.strerror or error)
            if until is not None:
                left = (until - self.clock.now()).total_seconds() / self.clock.speed
                if left <= 0:
                    return False
                await asyncio.sleep(min(delay, left))
            else:
                await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        self._writer = writer
        self.connected = True
        self._spawn(self._read_loop(reader))
        return True

    @property
    def is_connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def reconnect(self) -> bool:
        """Connect again after the connection was lost: at once, then with jittered back-off
        (1 s doubling to 30 s) until the run's end; False if the time was up first. Then
        re-send what was not answered."""
        async with self._connecting:
            if self.is_connected:
                return True
            delay = RECONNECT_FIRST_S
            while True:
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                    break
                except OSError:
                    self.connect_failures += 1
                wait = delay * (1 + self._random.uniform(-RECONNECT_JITTER, RECONNECT_JITTER))
                if self.until is not None:
                    left = (self.until - self.clock.now()).total_seconds() / self.clock.speed
                    if left <= 0:
                        return False
                    wait = min(wait, left)
                await asyncio.sleep(wait)
                delay = min(delay * 2, RECONNECT_MAX_S)
            self._writer = writer
            self.reconnects += 1
            self._spawn(self._read_loop(reader))
        log.info("%s: connected again to %s:%s", self.point.mn, self.host, self.port)
        pending, self.unanswered = self.unanswered, []
        for cn, data_time, factors in pending:
            self._spawn(self.send_upload(cn, data_time, factors, resent=True))
        return True

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- sending -----------------------------------------------------------------------
    def _qn(self) -> str:
        qn = codec.make_qn(self.clock.now())
        if qn <= self._last_qn:  # QN identifies one exchange: keep it unique per unit
            qn = str(int(self._last_qn) + 1)
        self._last_qn = qn
        return qn

    def _packets(self, cn: str, qn: str, data_time: datetime, factors: dict,
                 resent: bool) -> list[bytes]:
        """An upload in the unit's version: HJ 212-2017 Flag=5, one packet; HJ 212-2025
        Flag=9, RF=1 on a re-sent one, encrypted with its key, and split into PNUM/PNO parts
        (each its own QN) when the encrypted segment would exceed 1 024 characters."""
        if self.point.protocol == 2025:
            return codec.encode_packets(
                st=self.st, cn=cn, pw=self.pw, mn=self.point.mn, flag=9, qn=qn,
                data_time=data_time, factors=factors, rf=resent, key=self.point.key)
        cp = codec.format_cp(data_time=data_time, factors=factors)
        return [codec.build_packet(
            qn=qn, st=self.st, cn=cn, pw=self.pw, mn=self.point.mn, flag=5, cp=cp)]

    async def send_upload(self, cn: str, data_time: datetime, factors: dict, *,
                          corrupt_first: bool = False, resent: bool = False) -> bool:
        """Send one upload (Flag=5; 9 for an HJ 212-2025 unit, in parts when split) and wait
        for the 9014 of every part; True once answered. `resent`: a re-sent upload
        (补传/补遗), marked RF=1 in 2025."""
        qn = self._qn()
        packets = self._packets(cn, qn, data_time, factors, resent)
        qns = [qn] if len(packets) == 1 else [codec.decode(p, keys=self._keys).qn or qn
                                              for p in packets]
        self._last_qn = max(self._last_qn, *qns)  # the parts' QNs stay unique too
        lost = False
        for attempt in range(1, self.retries + 1):
            if self.connected and not self.is_connected and not await self.reconnect():
                lost = True
                break
            loop = asyncio.get_running_loop()
            futures = {part_qn: loop.create_future() for part_qn in qns}
            self._acks.update(futures)
            try:
                for number, packet in enumerate(packets):
                    corrupt = corrupt_first and attempt == 1 and number == 0
                    await self._write(_corrupt(packet) if corrupt else packet)
                await asyncio.wait_for(asyncio.gather(*futures.values()), self.ack_timeout_s)
            except TimeoutError:
                continue
            except ConnectionError:
                lost = True
                if self._writer is not None:
                    self._writer.close()  # the next try connects again
                continue
            finally:
                for part_qn in qns:
                    self._acks.pop(part_qn, None)
            self.sent.append(SentRecord(cn, data_time, True, attempt))
            return True
        self.sent.append(SentRecord(cn, data_time, False, self.retries))
        if lost or (self.connected and not self.is_connected):  # never reached a receiver
            self.unanswered.append((cn, data_time, factors))
        return False

    async def _write(self, data: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise ConnectionError("not connected")
        async with self._send_lock:
            self._writer.write(data)
            await self._writer.drain()

    # -- data --------------------------------------------------------------------------
    def period_data(self, cn: str, start: datetime) -> dict:
        key = (cn, start)
        if key not in self.history:
            hour = start.replace(minute=0, second=0, microsecond=0)
            flag = self.faults.invalid_hours.get(hour, "N")
            exceed = hour in self.faults.exceed_hours
            self.history[key] = period_values(
                self.point, start, PERIOD_SECONDS[cn], self.seed, exceed=exceed, flag=flag,
                scale=self.faults.scale_hours.get(hour, 1.0),
            )
        return self.history[key]

    async def upload_hour(self, hour: datetime, *, live: bool = True) -> None:
        """The hourly upload for the hour starting at `hour`, with this unit's faults."""
        factors = self.period_data("2061", hour)
        if live and hour in self.faults.offline_hours:
            return
        delay = self.faults.late_hours.get(hour) if live else None
        if delay:
            self._spawn(self._late(hour, delay))
            return
        await self.send_upload(
            "2061", hour, factors, corrupt_first=hour in self.faults.corrupt_crc_hours
        )

    def past_upload(self, hour: datetime) -> tuple[list[bytes], float] | None:
        """The hourly upload (its packets: an HJ 212-2025 one may be split) a unit running
        all along sent for the hour starting at `hour`, and how many seconds after the hour's
        end it arrived (its late fault's delay, else a few seconds); None when the unit was
        offline then or its password is wrong (the platform never took it). For seeding a
        store with the history a platform has."""
        if hour in self.faults.offline_hours or self.faults.wrong_pw:
            return None
        delay = self.faults.late_hours.get(
            hour, 5.0 + zlib.crc32(f"{self.point.mn}{hour:%Y%m%d%H}".encode()) % 20)
        qn = codec.make_qn(hour + HOUR + timedelta(seconds=delay))
        return self._packets("2061", qn, hour, self.period_data("2061", hour), False), delay

    async def _late(self, hour: datetime, delay_s: float) -> None:
        await self.clock.sleep_until(self.clock.now() + timedelta(seconds=delay_s))
        await self.send_upload("2061", hour, self.period_data("2061", hour), resent=True)

    async def heartbeat(self, every_s: float = HEARTBEAT_S) -> None:
        """HJ 212-2025 9015 heartbeats (simulated seconds apart) while connected."""
        while True:
            await self.clock.sleep_until(self.clock.now() + timedelta(seconds=every_s))
            beat = codec.build_packet(qn=self._qn(), st=self.st, cn="9015", pw=self.pw,
                                      mn=self.point.mn, flag=9)
            with contextlib.suppress(ConnectionError):
                await self._write(beat)

    async def run(self, *, history_hours: int = 0, until: datetime | None = None) -> None:
        """Connect, upload the last `history_hours` hours, then run live until `until`
        (returns at `until` without sending anything if the receiver never answered)."""
        self.until = until
        if not await self.connect(until):
            return
        if self.point.protocol == 2025:
            self._spawn(self.heartbeat())
        now = self.clock.now()
        this_hour = now.replace(minute=0, second=0, microsecond=0)
        for k in range(history_hours, 0, -1):
            await self.upload_hour(this_hour - k * HOUR)
        next_rtd = now + self.rtd_interval
        next_minute = now.replace(second=0, microsecond=0) + MINUTE
        next_hour = this_hour + HOUR
        while until is None or self.clock.now() < until:
            due = min(next_rtd if self.realtime else next_hour,
                      next_minute if self.minute_data else next_hour, next_hour)
            if until is not None and due > until:
                await self.clock.sleep_until(until)
                break
            await self.clock.sleep_until(due)
            if due == next_hour:
                await self.upload_hour(next_hour - HOUR)
                next_hour += HOUR
            if self.minute_data and due == next_minute:
                start = next_minute - MINUTE
                await self.send_upload("2051", start, self.period_data("2051", start))
                next_minute += MINUTE
            if self.realtime and due == next_rtd:
                await self.send_upload("2011", due, realtime_values(self.point, due, self.seed))
                next_rtd += self.rtd_interval

    # -- answering the platform --------------------------------------------------------
    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        frames = FrameBuffer()
        writer = self._writer  # this reader's connection
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            if not data:  # lost: the next upload connects again
                if writer is not None and writer is self._writer:
                    writer.close()
                    for future in self._acks.values():  # never answered there: tried again
                        if not future.done():
                            future.set_exception(ConnectionError("connection lost"))
                            future.exception()  # the waiting upload sees it, or nobody
                return
            for frame in frames.feed(data):
                if isinstance(frame, Discard):
                    continue
                packet = codec.decode(frame, keys=self._keys)
                if not packet.ok:
                    log.warning("%s: bad packet from platform: %s", self.point.mn, packet.error)
                    continue
                if packet.cn == "9014":
                    future = self._acks.get(packet.qn or "")
                    if future is not None and not future.done():
                        future.set_result(True)
                elif packet.need_ack:
                    self._spawn(self._answer_request(packet))

    def unit_time(self) -> datetime:
        """The unit's own clock: simulated time plus what the platform's 1012 set."""
        return self.clock.now() + self.clock_offset

    async def _answer_request(self, request: codec.Packet) -> None:
        qn, mn, cn = request.qn or "", self.point.mn, request.cn or ""
        version = self.point.protocol
        cp = ";".join(f"{k}={v}" for k, v in request.items.items())
        self.commands_seen.append((cn, cp))
        if not self.answers_commands and cn not in PERIOD_STEP:
            return
        if cn in ("2012", "2022"):  # notices: 9013 and nothing more (§7)
            if cn == "2012":
                self.realtime = False
            else:
                self.status_upload = False
            await self._write(codec.notice_9013(qn, self.pw, mn, version))
            return
        await self._write(codec.answer_9011(qn, self.pw, mn, 1, version))
        if cn in ("2011", "2021"):  # stream start: uploads follow, no 9012
            if cn == "2011":
                self.realtime = True
            else:
                self.status_upload = True
            return
        exe_rtn = 1
        if cn in PERIOD_STEP and "BeginTime" in request.items:
            exe_rtn = await self._upload_history(request)
        else:
            exe_rtn = await self._command(request)
        await self._write(codec.result_9012(qn, self.pw, mn, exe_rtn, version))
        self.requests_answered += 1

    async def _command(self, request: codec.Packet) -> int:
        """Carry out a parameter or control command; its ExeRtn (1 success, 3 condition
        error for a value it cannot take)."""
        cn, items = request.cn, request.items
        answer: str | None = None
        if cn == "1011":
            answer = f"SystemTime={codec.format_time(self.unit_time())}"
        elif cn == "1012":
            moment = _parse_time(items.get("SystemTime", ""))
            if moment is None:
                return 3
            self.clock_offset = moment - self.clock.now()
        elif cn == "1061":
            answer = f"RtdInterval={int(self.rtd_interval.total_seconds())}"
        elif cn == "1062":
            if not items.get("RtdInterval", "").isdigit():
                return 3
            self.rtd_interval = timedelta(seconds=int(items["RtdInterval"]))
        elif cn == "1063":
            answer = f"MinInterval={self.min_interval_min}"
        elif cn == "1064":
            if not items.get("MinInterval", "").isdigit():
                return 3
            self.min_interval_min = int(items["MinInterval"])
        elif cn == "1014":  # a new SM4 key (HJ 212-2025 §6.4.3): used from the 9012 on
            new_key = new_key_of_1014(items)
            if new_key is None:
                return 3
            self.point = dataclasses.replace(self.point, key=new_key)
            self._keys = single_key(new_key)
        elif cn == "3019":
            answer = f"{items.get('PolId', 'a00000')}-SN=SIM{self.point.mn[-8:]}"
        elif cn == "3020":
            pol = items.get("PolId", "a00000")
            answer = (f"DataTime={codec.format_time(self.unit_time())};PolId={pol};"
                      "i12001-Info=0;i12003-Info=1")  # an upload: DataTime (Table 4)
        if answer is not None:
            await self._write(self._answer_upload(cn, request.qn or "", answer))
        return 1

    def _answer_upload(self, cn: str, qn: str, cp: str) -> bytes:
        """A command's data upload (no answer wanted: Flag=4, 8 for 2025, encrypted with the
        unit's key) with the command's QN."""
        version = self.point.protocol
        return codec.build_packet(qn=qn, st=self.st, cn=cn, pw=self.pw, mn=self.point.mn,
                                  flag=codec.answer_flag(version), cp=cp,
                                  key=self.point.key if version == 2025 else None)

    async def _upload_history(self, request: codec.Packet) -> int:
        """Re-send stored periods in [BeginTime, EndTime] (HJ 212-2017 C.20–C.22)."""
        cn = request.cn
        begin = _parse_time(request.items["BeginTime"])
        end = _parse_time(request.items.get("EndTime", request.items["BeginTime"]))
        if begin is None or end is None:
            return 3  # condition error
        sent = 0
        start = begin
        while start <= end and start < self.clock.now():
            if cn != "2061" or start + HOUR <= self.clock.now():
                await self.send_upload(cn, start, self.period_data(cn, start), resent=True)
                sent += 1
            start += PERIOD_STEP[cn]
        return 1 if sent else 100  # 100 = no data


def _parse_time(text: str) -> datetime | None:
    from envmon.timeutil import BEIJING_FIXED

    try:
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=BEIJING_FIXED)
    except ValueError:
        return None


def _wrong(pw: str) -> str:
    return pw[::-1] if pw[::-1] != pw else pw + "x"


def _corrupt(packet: bytes) -> bytes:
    """Change the CRC so that it is certainly wrong (the HJ 212 CRC's low byte is one of
    eight values, so flipping a hex digit of the low byte always fails)."""
    crc = packet[-6:-2]
    bad = crc[:3] + (b"7" if crc[3:4] != b"7" else b"3")
    return packet[:-6] + bad + packet[-2:]
