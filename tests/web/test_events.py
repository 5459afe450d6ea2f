"""The event hub: every subscriber gets every event; a slow one loses its oldest events and
is told so (a reset), without slowing the publisher or the others; subscribers are bounded."""

import asyncio

import pytest

from envmon.web.events import EventHub, HubFull


def test_every_subscriber_gets_every_event_in_order():
    async def main():
        hub = EventHub()
        with hub.subscribe() as a, hub.subscribe() as b:
            for n in range(3):
                hub.publish("packet", {"n": n})
            got_a = [(await a.get()).data["n"] for _ in range(3)]
            got_b = [(await b.get()).data["n"] for _ in range(3)]
        assert got_a == got_b == [0, 1, 2]
        assert hub.subscribers == 0

    asyncio.run(main())


def test_a_slow_subscriber_loses_its_oldest_events_and_is_told():
    async def main():
        hub = EventHub(queue_limit=2)
        with hub.subscribe() as slow, hub.subscribe() as fast:
            hub.publish("packet", {"n": 0})
            assert (await fast.get()).data == {"n": 0}
            for n in range(1, 5):  # the fast one keeps up, the slow one does not read
                hub.publish("packet", {"n": n})
                assert (await fast.get()).data == {"n": n}
            first = await slow.get()
            assert first.kind == "reset" and first.data["dropped"] == 3
            assert [(await slow.get()).data["n"] for _ in range(2)] == [3, 4]
            assert fast.dropped == 0

    asyncio.run(main())


def test_kinds_filter_and_bounds():
    async def main():
        hub = EventHub(max_subscribers=1)
        with hub.subscribe(frozenset({"alarm"})) as alarms:
            with pytest.raises(HubFull):
                hub.subscribe()
            hub.publish("packet", {"n": 1})
            hub.publish("alarm", {"id": 7})
            assert (await alarms.get()).data == {"id": 7}
        with pytest.raises(ValueError):
            hub.publish("nosuch", {})

    asyncio.run(main())
