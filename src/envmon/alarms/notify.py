"""Notifications of new alarms: a log line always, and a webhook (JSON POST) if configured.

Delivery never blocks ingestion: the POST runs on a small thread pool of its own (urllib from
the standard library, no extra dependency), retries with exponential back-off on the event
loop (`asyncio.sleep`), and every attempt is reported to a callback so that the engine can log
it in the `notifications` table through the store's writer thread.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from envmon.render import jsonout

log = logging.getLogger("envmon.alarms")


@dataclass(frozen=True)
class Attempt:
    attempt: int
    ok: bool
    http_status: int | None
    error: str | None


def post_json(url: str, payload: dict, timeout_s: float) -> tuple[int | None, str | None]:
    """One POST; (HTTP status, error text or None). A 2xx status is success."""
    body = jsonout.dumps(payload, "compact").encode("utf-8")  # the one JSON printer
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "envmon-alarms"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        return None, str(getattr(error, "reason", error))


class WebhookNotifier:
    """POST each new alarm as JSON to `url`; retries with back-off (base × factor^k)."""

    channel = "webhook"

    def __init__(self, url: str, *, timeout_s: float = 5.0, retries: int = 4,
                 backoff_s: float = 1.0, backoff_factor: float = 2.0, max_parallel: int = 4):
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_factor = backoff_factor
        self._pool = ThreadPoolExecutor(max_workers=max_parallel,
                                        thread_name_prefix="envmon-webhook")

    async def send(self, payload: dict,
                   on_attempt: Callable[[Attempt], None] | None = None) -> bool:
        loop = asyncio.get_running_loop()
        delay = self.backoff_s
        for attempt in range(1, self.retries + 2):
            status, error = await loop.run_in_executor(
                self._pool, post_json, self.url, payload, self.timeout_s)
            ok = status is not None and 200 <= status < 300
            if on_attempt is not None:
                on_attempt(Attempt(attempt, ok, status, error))
            if ok:
                return True
            if attempt <= self.retries:
                log.warning("webhook %s failed (attempt %d: %s); retrying in %.1f s",
                            self.url, attempt, error, delay)
                await asyncio.sleep(delay)
                delay *= self.backoff_factor
        log.error("webhook %s: giving up on alarm %s after %d attempts", self.url,
                  payload.get("id"), self.retries + 1)
        return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def log_line(payload: dict) -> str:
    """The log line of a new alarm."""
    return (f"ALARM #{payload['id']} {payload['rule']} MN={payload['mn']} "
            f"factor={payload['factor'] or '-'} value={payload['value']} "
            f"limit={payload['limit']} {payload['detail']}")
