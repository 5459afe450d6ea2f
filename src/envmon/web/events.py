"""`EventHub`: what happens in the platform, fanned out to the live pages.

Publishers (the receiver's hooks, the alarm engine, the point-state tracker) call
``publish(kind, data)`` on the event loop; every subscriber (one per open
`GET /api/v1/events` stream) has its own bounded queue. A subscriber that does not keep up
loses its oldest events (counted in ``dropped``; the stream tells the page to reload its
figures) and never slows a publisher or the other subscribers: a slow browser must not hold
back the receiver. The number of subscribers is bounded too (`max_subscribers`, and
`max_per_owner` for one client address).

Event kinds and their data (JSON objects; times ISO 8601 with +08:00):

* ``packet`` — a data upload stored: ``{"mn", "cn", "data_time", "received_at"}``;
* ``point_state`` — a point changed state: ``{"mn", "state", "since"}`` with state one of
  ``online``, ``offline``, ``alarm``, ``stopped``;
* ``alarm`` — an alarm opened, changed or closed: the object of `envmon alarms list
  --format json`;
* ``command`` — a remote command (反控) changed state: the object of ``GET
  /api/v1/command/{id}`` (`envmon.control.storage.CommandRow`);
* ``reset`` — sent to one subscriber that lost events: reload what you show.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "EventHub", "HubClosed", "HubFull", "Subscription"]

EVENT_KINDS = ("packet", "point_state", "alarm", "command", "reset", "supervision")


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    data: dict[str, Any]


class HubFull(Exception):
    """No room for another subscriber (`max_subscribers`)."""


class HubClosed(Exception):
    """The hub was closed (the server stops): streams end."""


@dataclass(eq=False)
class Subscription:
    """One subscriber's bounded queue; `get()` waits for the next event."""

    hub: EventHub
    limit: int
    kinds: frozenset[str] | None = None  # None = every kind
    owner: str | None = None  # the client address (`EventHub.max_per_owner`)
    # Which events this subscriber may see (isolation: its scope's units and points); None:
    # every event. Decided as the event is offered, so nothing else is ever queued for it.
    allows: Callable[[Event], bool] | None = None
    dropped: int = 0
    _lost: bool = False  # events were dropped since the last `get()`
    _queue: deque[Event] = field(default_factory=deque)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, event: Event) -> None:
        if self.kinds is not None and event.kind not in self.kinds:
            return
        if self.allows is not None and not self.allows(event):
            return
        if len(self._queue) >= self.limit:
            self._queue.popleft()
            self.dropped += 1
            self._lost = True
        self._queue.append(event)
        self._ready.set()

    async def get(self) -> Event:
        """The next event; a ``reset`` first if events were lost since the last call.
        `HubClosed` once the hub is closed (what was queued is not delivered: we stop)."""
        while not self._queue:
            if self.hub.closed:
                raise HubClosed("the server is stopping")
            self._ready.clear()
            await self._ready.wait()
        if self.hub.closed:
            raise HubClosed("the server is stopping")
        if self._lost:
            self._lost = False
            return Event(self._queue[0].id, "reset", {"dropped": self.dropped})
        return self._queue.popleft()

    def close(self) -> None:
        self.hub._subscribers.discard(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventHub:
    """Publish once, deliver to every subscriber's bounded queue."""

    def __init__(self, max_subscribers: int = 200, queue_limit: int = 1000,
                 max_per_owner: int | None = None) -> None:
        self.max_subscribers = max_subscribers
        self.queue_limit = queue_limit
        self.max_per_owner = max_per_owner  # streams of one client address; None = any
        self._subscribers: set[Subscription] = set()
        self._ids = itertools.count(1)
        self.published = 0
        self.closed = False

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self, kinds: frozenset[str] | None = None,
                  owner: str | None = None,
                  allows: Callable[[Event], bool] | None = None) -> Subscription:
        """A new subscriber (`owner`: the client's address, so that one client cannot take
        every stream; `allows`: which events it may see); `HubFull` when there is no room for it."""
        if self.closed:
            raise HubClosed("the server is stopping")
        if len(self._subscribers) >= self.max_subscribers:
            raise HubFull(f"{self.max_subscribers} live streams are open already")
        if owner is not None and self.max_per_owner is not None and sum(
                1 for s in self._subscribers if s.owner == owner) >= self.max_per_owner:
            raise HubFull(f"{self.max_per_owner} live streams are open from {owner} already")
        subscription = Subscription(self, self.queue_limit, kinds, owner, allows)
        self._subscribers.add(subscription)
        return subscription

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        """Deliver to every subscriber now (call on the event loop); never blocks."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        event = Event(next(self._ids), kind, data)
        self.published += 1
        for subscription in list(self._subscribers):
            subscription.offer(event)
        return event

    def close(self) -> None:
        """Wake every subscriber with `HubClosed` (the streams end, so the server can stop)."""
        self.closed = True
        for subscription in list(self._subscribers):
            subscription._ready.set()
