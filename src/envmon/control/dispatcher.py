"""`CommandDispatcher`: sends remote commands (反控) over a unit's live connection and follows
them to their end (HJ 212-2017 §7 "Request"/"Notice" flows, Table 1 timeouts).

Attached to a single-process `ingest.server.Receiver` (the one that holds the units'
connections, `envmon serve --workers 1`) by `envmon.app.Platform`. A command is

1. **queued** — stored (who, when, from where), one queue per MN; at most one command per MN
   is in flight (a unit answers one request at a time and the QN ties the answers to it);
   the queues are bounded per MN and overall (`CommandSettings`), beyond that a new command
   is refused at once (`QueueFull`);
2. **sent** — over the unit's live connection, in its version (Flag=9 to an HJ 212-2025 unit,
   the data region SM4-encrypted with its key); resent with the same QN while no answer
   comes, `retries` times `answer_timeout_s` apart (Table 1: 10 s, 3 tries); an MN without a
   live connection is **refused** ("offline");
3. **answered** — the unit's 9011 QnRtn=1; QnRtn≠1 ends it **failed** with the meaning;
4. **done** / **failed** on its 9012 (ExeRtn=1 / the meaning of any other ExeRtn), a 9013 for
   a notice (2012/2022), QnRtn=1 for a stream start (2011/2021: uploads follow, no 9012);
   **timed_out** when no 9011 came after the tries, or no 9012 within
   `execution_timeout_s`. The data the unit uploads between 9011 and 9012 with the asked CN
   (1011's ``SystemTime``, 3020's site information, the number of records re-sent for a
   retrieval) is the row's ``answer``.

Every state change is written (on the writer thread, `platform.run_in_writer`) and handed to
`on_change` hooks (the web's live event stream).

With ``--workers`` > 1 the connections live in the worker processes and this dispatcher is
not attached: `envmon.control.api.send_command` refuses with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from envmon.control.actions import action_kind, build_cp, data_cns, exe_meaning, qn_meaning
from envmon.control.storage import CommandRow, audit_result, insert_command, update_command
from envmon.errors import EnvmonError, OptionError
from envmon.hj212.codec import make_qn
from envmon.hj212.events import NoticeAnswered, RequestAnswered, RequestCompleted
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.control")

__all__ = ["CommandDispatcher", "CommandSettings", "QueueFull", "abandon_unfinished",
           "attach_commands"]

ST_BY_KIND = {"gas": "31", "water": "32"}
MAX_ANSWER_FIELDS = 200  # a unit's answer is a handful of fields; a hostile one is cut here
MAX_ANSWER_CHARS = 200


@dataclass
class CommandSettings:
    """Bounds of remote commands (the ``[commands]`` settings)."""

    answer_timeout_s: float = 10.0
    """Wait for the unit's 9011 before sending again: HJ 212-2017 Table 1, 超时时间 10 s
    (GPRS/4G; 5 s on ADSL)."""
    retries: int = 3
    """Times a command is sent before it is timed out: Table 1, 重发次数 3."""
    execution_timeout_s: float = 120.0
    """Wait for the 9012 after QnRtn=1. The standard gives no figure (a calibration or a
    sampling runs minutes on some analysers); two minutes keeps a unit's queue moving."""
    max_queued_per_mn: int = 8
    """Commands waiting for one MN; a person clicking the same button more is refused."""
    max_queued: int = 256
    """Commands waiting over all MNs (a bound on memory whatever the callers do)."""

    def __post_init__(self) -> None:
        for name in ("answer_timeout_s", "execution_timeout_s"):
            if not getattr(self, name) > 0:
                raise OptionError(name, f"must be more than 0 seconds, not "
                                  f"{getattr(self, name)!r}")
        for name in ("retries", "max_queued_per_mn", "max_queued"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(name, f"must be a whole number of at least 1, not {value!r}")


class QueueFull(EnvmonError):
    """No room for another command (`CommandSettings.max_queued_per_mn` / `max_queued`)."""


@dataclass(eq=False)
class _InFlight:
    row: CommandRow
    kind: str
    data_cns: tuple[str, ...]
    first: asyncio.Future  # 9011 QnRtn (or 9013, or an early 9012)
    completed: asyncio.Future  # 9012 ExeRtn
    answer: dict[str, Any] = field(default_factory=dict)
    records: int = 0


class CommandDispatcher:
    def __init__(self, receiver: Any, store: Any,
                 run_in_writer: Callable[..., Awaitable[Any]],
                 settings: CommandSettings | None = None) -> None:
        self.receiver = receiver
        self.store = store
        self.run_in_writer = run_in_writer
        self.settings = settings or CommandSettings()
        self.queues: dict[str, deque[CommandRow]] = {}
        self.flights: dict[str, _InFlight] = {}  # MN -> its command in flight
        self.on_change: list[Callable[[CommandRow], None]] = []
        self._runners: dict[str, asyncio.Task] = {}
        self._last_qn = ""
        self._stopping = False
        receiver.on_session_event.append(self._on_event)
        receiver.on_accepted.append(self._on_accepted)
        receiver.on_point_offline.append(self._on_offline)

    # ------------------------------------------------------------------ submitting
    @property
    def queued(self) -> int:
        return sum(len(q) for q in self.queues.values())

    async def submit(self, mn: str, action: str, params: dict, by: str,
                     source: str) -> CommandRow:
        """Queue a command (or refuse it at once: offline MN); the stored row.
        `OptionError` for a bad MN/action/parameter, `QueueFull` beyond the bounds."""
        spec, cn, cp = build_cp(action, params)
        if mn not in self.receiver.points:
            raise OptionError("mn", f"{mn!r} is not a registered monitoring point")
        queue = self.queues.get(mn, ())
        if self._stopping:
            raise QueueFull("the platform is stopping: no new commands")
        if len(queue) >= self.settings.max_queued_per_mn:
            raise QueueFull(f"{len(queue)} commands already wait for {mn} "
                            f"(at most {self.settings.max_queued_per_mn})")
        if self.queued >= self.settings.max_queued:
            raise QueueFull(f"{self.queued} commands already wait (at most "
                            f"{self.settings.max_queued})")
        now = now_beijing()
        row = CommandRow(0, mn, cn, spec.name, cp, self._qn(now), by, now, source, "queued")
        if self._connection(mn) is None:
            row = row.with_(state="refused", finished_at=now,
                            reason="offline: the unit has no live connection to the receiver")
            row = await self.run_in_writer(insert_command, self.store, row)
            await self._audit_end(row)
            self._notify(row)
            return row
        row = await self.run_in_writer(insert_command, self.store, row)
        self.queues.setdefault(mn, deque()).append(row)
        self._notify(row)
        if mn not in self._runners:
            self._runners[mn] = asyncio.get_running_loop().create_task(
                self._run(mn), name=f"commands-{mn}")
        return row

    def _qn(self, now) -> str:
        qn = make_qn(now)
        if qn <= self._last_qn:  # one QN per exchange, even for two commands in one ms
            qn = str(int(self._last_qn) + 1)
        self._last_qn = qn
        return qn

    def _connection(self, mn: str):
        protocol = self.receiver.online.get(mn)
        if protocol is None or protocol.transport is None or protocol.transport.is_closing():
            return None
        return protocol

    # ------------------------------------------------------------------ running
    async def _run(self, mn: str) -> None:
        try:
            queue = self.queues[mn]
            while queue:
                row = queue[0]
                try:
                    await self._execute(row)
                except Exception:
                    log.exception("command %s to %s failed", row.id, mn)
                finally:
                    queue.popleft()
        finally:
            self.queues.pop(mn, None)
            self._runners.pop(mn, None)

    async def _execute(self, row: CommandRow) -> None:
        settings = self.settings
        mn = row.mn
        protocol = self._connection(mn)
        if protocol is None or self._stopping:
            await self._save(row.with_(
                state="refused", finished_at=now_beijing(),
                reason="offline: the unit's connection closed before the command was sent"
                if protocol is None else "the platform stopped before the command was sent"))
            return
        point = self.receiver.points[mn]
        version = protocol.versions.get(mn, 2017)
        key = self.receiver.keys(mn) if version == 2025 else None
        frame = protocol.session.request_command(
            row.cn, row.parameters, point.pw, mn, ST_BY_KIND.get(point.kind, "32"), row.qn,
            version, key)
        loop = asyncio.get_running_loop()
        spec = _spec(row.action)
        flight = _InFlight(row, action_kind(spec, row.cn), data_cns(spec, row.cn),
                           loop.create_future(), loop.create_future())
        self.flights[mn] = flight
        try:
            row = await self._exchange(row, flight, protocol, frame, settings)
        finally:
            self.flights.pop(mn, None)
        await self._save(row)

    async def _exchange(self, row: CommandRow, flight: _InFlight, protocol, frame: bytes,
                        settings: CommandSettings) -> CommandRow:
        """Send (and resend) until answered; the row in its final state."""
        for attempt in range(settings.retries):
            if not protocol.send(frame):
                return row.with_(state="refused", finished_at=now_beijing(),
                                 reason="offline: the unit's connection closed")
            if attempt == 0:
                row = row.with_(state="sent", sent_at=now_beijing())
                flight.row = row
                await self._save(row)
            try:
                await asyncio.wait_for(asyncio.shield(flight.first), settings.answer_timeout_s)
                break
            except TimeoutError:
                continue
            except ConnectionError:
                break
        else:
            return row.with_(state="timed_out", finished_at=now_beijing(), reason=(
                f"no answer (9011) after {settings.retries} tries "
                f"{settings.answer_timeout_s:g} s apart"))
        try:
            first = flight.first.result()
        except ConnectionError as error:
            return row.with_(state="failed", finished_at=now_beijing(), reason=str(error))
        if first == "notice":
            return row.with_(state="done", finished_at=now_beijing(), reason="9013 received")
        if first is not None:  # QnRtn (None: the 9012 came without a 9011)
            row = row.with_(qn_rtn=first, reason=qn_meaning(first))
            if first != "1":
                return row.with_(state="failed", finished_at=now_beijing(),
                                 reason=f"QnRtn={first}: {qn_meaning(first)}")
            if flight.kind == "stream":
                return row.with_(state="done", finished_at=now_beijing())
            row = row.with_(state="answered")
            flight.row = row
            await self._save(row)
        try:
            exe_rtn = await asyncio.wait_for(asyncio.shield(flight.completed),
                                             settings.execution_timeout_s)
        except TimeoutError:
            return row.with_(state="timed_out", finished_at=now_beijing(), answer=_answer(
                flight), reason=f"no result (9012) within {settings.execution_timeout_s:g} s")
        except ConnectionError as error:
            return row.with_(state="failed", finished_at=now_beijing(), reason=str(error),
                             answer=_answer(flight))
        return row.with_(state="done" if exe_rtn == "1" else "failed", exe_rtn=exe_rtn,
                         reason=f"ExeRtn={exe_rtn}: {exe_meaning(exe_rtn)}",
                         answer=_answer(flight), finished_at=now_beijing())

    async def _save(self, row: CommandRow) -> None:
        try:
            await self.run_in_writer(update_command, self.store, row)
        except Exception:
            log.exception("saving command %s failed", row.id)
        await self._audit_end(row)
        self._notify(row)

    async def _audit_end(self, row: CommandRow) -> None:
        """A command's end is its own audit row (`storage.audit_result`)."""
        if not row.final:
            return
        try:
            await self.run_in_writer(audit_result, self.store, row)
        except Exception:
            log.exception("audit row of command %s's end not written", row.id)

    def _notify(self, row: CommandRow) -> None:
        for hook in self.on_change:
            try:
                hook(row)
            except Exception:
                log.exception("command hook %r failed", hook)

    # ------------------------------------------------------------------ receiver hooks
    def _flight(self, protocol, qn: str) -> _InFlight | None:
        for mn in protocol.mns:
            flight = self.flights.get(mn)
            if flight is not None and flight.row.qn == qn:
                return flight
        return None

    def _on_event(self, protocol, event) -> None:
        kind = type(event)
        if kind not in (RequestAnswered, RequestCompleted, NoticeAnswered):
            return
        flight = self._flight(protocol, event.qn)
        if flight is None:
            return
        if kind is RequestAnswered:
            _settle(flight.first, event.qn_rtn)
        elif kind is NoticeAnswered:
            _settle(flight.first, "notice")
        else:
            _settle(flight.first, None)
            _settle(flight.completed, event.exe_rtn)

    def _on_accepted(self, protocol, packet) -> None:
        flight = self.flights.get(packet.mn) if packet.mn else None
        if flight is None or packet.cn not in flight.data_cns or not flight.first.done():
            return
        if len(flight.data_cns) > 1:  # a retrieval: count what came back
            flight.records += 1
            flight.answer["records"] = flight.records
            if packet.data_time is not None:
                flight.answer.setdefault("first", packet.data_time.isoformat())
                flight.answer["last"] = packet.data_time.isoformat()
            return
        fields = {k: v for k, v in packet.items.items() if k != "DataTime"}
        for code, values in packet.factors.items():
            for suffix, value in values.items():
                fields[f"{code}-{suffix}"] = value
        if packet.data_time is not None:
            fields["DataTime"] = packet.data_time.isoformat()
        for name, value in fields.items():
            if len(flight.answer) >= MAX_ANSWER_FIELDS:
                break
            flight.answer[str(name)[:MAX_ANSWER_CHARS]] = (
                value if isinstance(value, float) else str(value)[:MAX_ANSWER_CHARS])

    def _on_offline(self, mn: str) -> None:
        flight = self.flights.get(mn)
        if flight is not None:
            gone = ConnectionError("the unit's connection closed before it answered")
            for future in (flight.first, flight.completed):
                if not future.done():
                    future.set_exception(gone)
            for future in (flight.first, flight.completed):  # seen, never "never retrieved"
                future.add_done_callback(lambda f: f.exception())

    # ------------------------------------------------------------------ lifecycle
    async def stop(self) -> None:
        """No new commands; those queued are refused, those in flight end (cancelled)."""
        self._stopping = True
        left = [row for queue in self.queues.values() for row in queue]
        in_flight = {f.row.id: f.row for f in self.flights.values()}
        for task in list(self._runners.values()):
            task.cancel()
        for task in list(self._runners.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for row in left:  # in flight: its latest state
            current = in_flight.get(row.id, row)
            await self._save(current.with_(state="refused" if current.state == "queued"
                                           else "failed", finished_at=now_beijing(),
                                           reason="the platform stopped"))


def abandon_unfinished(store) -> int:
    """Commands a previous run left unfinished (a crash): failed, with the reason. Run once
    at start, before the dispatcher takes new ones."""
    with store.transaction():
        n = store.query("SELECT count(*) FROM commands WHERE state IN "
                        "('queued', 'sent', 'answered')")[0][0]
        store.execute("UPDATE commands SET state = 'failed', finished_at = ?, reason = "
                      "'the platform restarted before the command finished' WHERE state IN "
                      "('queued', 'sent', 'answered')", [now_beijing()])
    return int(n)


def _spec(action: str):
    from envmon.control.actions import ACTIONS

    return ACTIONS[action]


def _settle(future: asyncio.Future, value) -> None:
    if not future.done():
        future.set_result(value)


def _answer(flight: _InFlight) -> dict | None:
    return dict(flight.answer) if flight.answer else None


def attach_commands(receiver: Any, store: Any, run_in_writer: Callable[..., Awaitable[Any]],
                    settings: CommandSettings | None = None) -> CommandDispatcher:
    """The dispatcher on a single-process receiver (see the module docstring)."""
    return CommandDispatcher(receiver, store, run_in_writer, settings)
