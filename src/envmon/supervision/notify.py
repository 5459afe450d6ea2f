"""Delivery of notices and escalations to the unit's webhook(s), reusing the alarms' webhook
delivery (`envmon.alarms.notify.WebhookNotifier`: its own thread pool, bounded attempts with
back-off, never blocking ingestion). Every attempt is logged (`store.log_delivery`)."""

from __future__ import annotations

import asyncio
from typing import Any

from envmon.supervision.settings import SupervisionSettings


def payload(case, event: str) -> dict[str, Any]:
    return {"type": "supervision", "event": event, "case": case.as_json()}


def notifiers(settings: SupervisionSettings) -> list:
    from envmon.alarms.notify import WebhookNotifier

    return [WebhookNotifier(url, timeout_s=settings.webhook_timeout_s,
                            retries=settings.webhook_retries,
                            backoff_s=settings.webhook_backoff_s)
            for url in settings.webhook_urls]


async def deliver(case, event: str, settings: SupervisionSettings, log_attempt) -> list[bool]:
    """POST the case to every webhook; `log_attempt(url, attempt)` for each attempt."""
    hooks = notifiers(settings)
    try:
        return list(await asyncio.gather(*(
            hook.send(payload(case, event), lambda a, url=hook.url: log_attempt(url, a))
            for hook in hooks)))
    finally:
        for hook in hooks:
            hook.close()


def deliver_now(store, case, event: str, settings: SupervisionSettings, now) -> list[bool]:
    """From a command (no event loop): deliver and log the attempts, then return."""
    from envmon.supervision import store as case_store

    if not settings.webhook_urls:
        return []
    attempts: list = []
    results = asyncio.run(deliver(case, event, settings,
                                  lambda url, a: attempts.append((url, a))))
    for url, a in attempts:
        case_store.log_delivery(store, case.id, event, url, a.attempt, now, a.ok,
                                a.http_status, a.error)
    return results
