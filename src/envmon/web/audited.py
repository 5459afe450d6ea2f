"""`audit_write(request, action, target, detail, result)`: a change made through the web, into
the audit log (`access.audit.record`) with the request's principal and the client's address.
Called by every write endpoint (alarms, marks) after its use case answered, refused or not.

An audit row that cannot be written (a store gone read-only) is logged, never a failure of a
change that is already made.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import Request

from envmon.access import audit

log = logging.getLogger("envmon.web")

__all__ = ["audit_write", "client_address"]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


async def audit_write(request: Request, action: str, target: str | None,
                      detail: dict[str, Any] | None = None, result: str = "ok") -> None:
    principal = getattr(request.state, "principal", None)
    store = request.app.state.context.store
    try:
        await asyncio.to_thread(audit.record, store, principal or "?", action, target, detail,
                                client_address(request), result)
    except Exception:
        log.exception("audit row of %s %s not written", action, target)
