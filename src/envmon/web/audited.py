"""Web writes into the audit log (`access.audit.record`), with the request's principal (who,
role) and the client's address (from where):

* `audit_write(request, action, target, detail, result)`: one row, called by an endpoint that
  words its own rows (alarms, the exemption/correction endpoints, auth);
* `@audited(action, target=…, detail=…, answer=…)`: the decorator of a write endpoint whose one
  row follows its response — ``ok`` for a 2xx/3xx, ``refused: <status> <field>: <reason>``
  for a 4xx, ``error`` when the endpoint raised. ``target``/``detail`` read the endpoint's
  arguments (the body, the path), ``answer`` names the fields of the JSON answer kept in the
  detail (a new mark's ``id``). A new write endpoint under ``/api/v1`` gets one of the two:
  `tests/web/test_audit_every_write.py` walks the app's routes and fails otherwise.

A request refused before its endpoint (a body that does not validate) is one row too
(`audit_invalid`, action ``request.invalid``), and so is a write the signed-in role may not
make (``request.refused``, written by `web.gate`). Secrets never enter a row: a detail is built
from named fields, never the whole body (a key, a password). An audit row that cannot be
written (a store gone read-only) is logged, never a failure of a change that is already made.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request

from envmon.access import audit

log = logging.getLogger("envmon.web")

__all__ = ["INVALID_ACTION", "REFUSED_ACTION", "audit_invalid", "audit_write", "audited",
           "client_address", "response_result"]

INVALID_ACTION = "request.invalid"
REFUSED_ACTION = "request.refused"  # a write the role may not make (`web.gate`)
_REASON_CHARS = 300


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


def _answer_json(response: Any) -> Any:
    body = getattr(response, "body", None)
    if not isinstance(body, bytes | bytearray) or len(body) > 1_000_000:
        return response if isinstance(response, dict) else None
    try:
        return json.loads(body)
    except ValueError:
        return None


def response_result(response: Any) -> str:
    """``ok``, or ``refused: 409 mark_id: …`` from the API's error shape."""
    status = getattr(response, "status_code", 200)
    if status < 400:
        return "ok"
    answer = _answer_json(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        field = f"{error.get('field')}: " if error.get("field") else ""
        return f"refused: {status} {field}{str(error.get('reason', ''))[:_REASON_CHARS]}"
    return f"refused: {status}"


def _safe(fn: Callable | None, *args) -> Any:
    if fn is None:
        return None
    try:
        return fn(*args)
    except Exception:  # the row is written with what could be read
        return None


def audited(action: str, *, target: Callable[[dict], Any] | None = None,
            detail: Callable[[dict], dict | None] | None = None,
            answer: tuple[str, ...] = ()) -> Callable:
    """Decorate a write endpoint (it takes ``request: Request``) so that each call leaves
    one audit row after its response."""

    def wrap(endpoint: Callable) -> Callable:
        @functools.wraps(endpoint)
        async def run(*args, **kwargs):
            request: Request = kwargs["request"]
            what = _safe(target, kwargs)
            facts = dict(_safe(detail, kwargs) or {})
            try:
                response = await endpoint(*args, **kwargs)
            except Exception as error:
                await audit_write(request, action, None if what is None else str(what),
                                  facts or None, f"error: {error.__class__.__name__}")
                raise
            if answer and getattr(response, "status_code", 200) < 400:
                got = _answer_json(response)
                if isinstance(got, dict):
                    facts.update({k: got[k] for k in answer if k in got})
            await audit_write(request, action, None if what is None else str(what),
                              facts or None, response_result(response))
            return response

        # FastAPI reads the parameters from the signature and resolves string annotations in
        # the function's globals: give it the endpoint's, resolved where it was written
        run.__signature__ = inspect.signature(endpoint, eval_str=True)
        run.audit_action = action  # what the route walk of the tests reads
        return run

    return wrap


async def audit_invalid(request: Request, field: str | None, reason: str) -> None:
    """A write refused before its endpoint ran (its body did not validate): the path, the
    field and the reason, never the body."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.url.path.startswith(
            "/api/v1/"):
        return
    if getattr(request.state, "principal", None) is None:
        return  # nobody signed in (a public login endpoint): no one's write, and no way for
        # an anonymous client to fill the log with malformed bodies
    await audit_write(request, INVALID_ACTION, request.url.path, {"field": field},
                      f"refused: 400 {field}: {reason[:_REASON_CHARS]}")
