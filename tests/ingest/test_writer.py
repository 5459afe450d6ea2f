"""GroupCommitWriter: what is submitted while it closes is still committed, and it closes."""

from __future__ import annotations

import asyncio
from datetime import datetime

from envmon.ingest.writer import GroupCommitWriter
from envmon.store import RawPacketRow
from envmon.timeutil import BEIJING_FIXED


def test_a_packet_submitted_as_the_writer_closes_is_committed_and_close_returns(store):
    """At shutdown the connections close after the writer drained, and a connection closing
    with an unfinished frame logs it (a late submit). Before: the writer committed it, then
    waited for a wake-up that never came, and the receiver's stop() hung."""
    row = RawPacketRow(datetime(2026, 11, 1, 8, tzinfo=BEIJING_FIXED), "127.0.0.1:1",
                       "discarded", "connection closed mid-frame", None, None, None, b"##00")

    async def scenario():
        writer = GroupCommitWriter(store)
        writer.start()
        closing = asyncio.create_task(writer.close())
        await asyncio.sleep(0)  # close() has drained (nothing pending) and woken the writer
        writer.submit(row)      # ... and a late packet arrives before the writer runs
        await asyncio.wait_for(closing, 10.0)

    asyncio.run(scenario())
    assert store.raw_counts()["discarded"] == 1
