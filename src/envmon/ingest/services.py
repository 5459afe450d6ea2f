"""What runs beside the receiver in one process: back-fill (补遗) and live alarms.

Both attach to the receiver's hooks; `Services.stop()` stops them before the receiver
drains, so nothing new is asked for or raised while the last packets are committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger("envmon.ingest")


@dataclass
class Services:
    backfill: object | None = None
    alarms: object | None = None
    notes: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        if self.backfill is not None:
            await self.backfill.stop()
        if self.alarms is not None:
            await self.alarms.stop()


async def start_services(receiver, *, backfill: bool = True, alarms: bool = True,
                         webhooks: tuple[str, ...] = (), backfill_settings=None,
                         alarm_settings: dict | None = None) -> Services:
    """Attach the back-fill scheduler and the alarm engine to a started, in-process
    receiver (they need its hooks and its store)."""
    services = Services()
    if backfill and not hasattr(receiver, "on_point_online"):
        services.notes.append("back-fill runs with --workers 1 only")
        backfill = False
    if backfill:
        from envmon.ingest.backfill import attach_backfill

        services.backfill = attach_backfill(receiver, backfill_settings)
        services.notes.append("back-fill (补遗) on reconnect and hourly")
    if alarms:
        from envmon.alarms.engine import engine_from_settings

        settings = dict(alarm_settings or {})
        settings["webhook_urls"] = [*settings.get("webhook_urls", []), *webhooks]
        engine = engine_from_settings(receiver.store, settings)
        if hasattr(receiver, "on_point_online"):
            engine.attach(receiver)
        else:  # receiver worker processes: judge the groups where they are committed
            engine.attach_writer(receiver)
        await engine.start()
        services.alarms = engine
        hooks = len(engine.notifiers)
        services.notes.append("live alarms" + (f" → {hooks} webhook(s)" if hooks else ""))
    return services
