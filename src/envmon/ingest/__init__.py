"""HJ 212 ingest: the I/O around `envmon.hj212` (DESIGN: protocol code never does I/O).

* ``server`` — the asyncio TCP receiver: one ``hj212.Session`` per connection, thin;
* ``accept`` — the one accept path (``accept(packet, points) -> Accepted | Rejected``) used by
  the receiver, its worker processes and replay;
* ``writer`` — group commit: answers leave only after the commit that holds the packet;
* ``workers`` — ``--workers N``: decoding processes in front of the one store writer;
* ``records`` — decoded uploads to store rows; ``backfill`` — 补遗 requests for missing hours;
* ``replay`` — the raw packet log, re-judged into a store or re-sent over TCP;
* ``api`` — the use cases the doors call (``replay(source, period, options)``); a new ingest
  query or action goes there.

What runs beside the receiver in one process (alarms, intakes, jobs, the web app) is wired in
``envmon.app``, not here.
"""
