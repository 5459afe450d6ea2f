"""`AccessGate`: who asks (ASGI middleware, inside `guard.RequestGuard`). It sets
``request.state.principal`` (`envmon.access.principal.Principal`) for every request and
refuses what that principal may not do:

* **No user at all** (a fresh store, the demo): a loopback client is the open local principal
  (an administrator; every page says so in its banner). A client of another machine gets 401
  when the app is local-only without users (`[web] local_only_without_users`; by default on
  for `envmon serve` / `envmon demo` unless `--web-allow-remote-writes` opened the app to the
  network, off for an app over a bare store).
* **Users exist**: a credential is required — ``Authorization: Bearer <token>`` (an API token
  of `POST /api/v1/auth/token`, or the local operator token of `access.operator`) or the page
  session cookie. Without one, an API path answers 401 JSON and a page redirects to
  ``/login``; the login page, its endpoints and static files are public (`access.policy`).
  A write made with the page session needs the session's CSRF token in ``X-CSRF-Token``
  (403 otherwise: a cookie alone is what another site's page could make a browser send).
* Then `access.policy.refusal` (the role may not write, or not open this area): 403; a write
  refused so is an audit row (``request.refused``: who, the path, from where, the reason).

Credentials are looked up in a worker thread (the store is DuckDB, the loop serves the
receiver too); whether users exist is remembered (`access.users.known_users_exist`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from urllib.parse import quote

from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse

from envmon.access import policy
from envmon.access.credentials import csrf_matches, principal_for_session, principal_for_token
from envmon.access.principal import open_local, operator
from envmon.access.settings import AccessSettings
from envmon.access.users import known_users_exist, users_exist
from envmon.web.api.usecase import error_response
from envmon.web.guard import SAFE_METHODS, is_loopback_client

__all__ = ["CSRF_HEADER", "SESSION_COOKIE", "AccessGate"]

log = logging.getLogger("envmon.web")

SESSION_COOKIE = "envmon_session"
CSRF_HEADER = "x-csrf-token"
_MACHINE_PREFIXES = ("/api/", "/openapi.json")
NO_USERS_REMOTE = ("尚未创建用户：仅本机可访问。no users exist yet: only this machine may use "
                   "the platform; create the first administrator with `envmon users add NAME "
                   "--role admin`")


class AccessGate:
    def __init__(self, app: Any, context: Any, settings: AccessSettings,
                 local_only_without_users: bool, operator_user: str = "operator") -> None:
        self.app, self.context, self.settings = app, context, settings
        self.local_only = local_only_without_users
        self.operator_user = operator_user

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        method, path = scope.get("method", "GET"), scope.get("path", "/")
        client = (scope.get("client") or (None,))[0]
        store = self.context.store
        present = known_users_exist(store)
        if present is None:  # a query: off the loop the receiver shares
            present = await asyncio.to_thread(users_exist, store)
        if not present:
            if self.local_only and not is_loopback_client(client):
                return await self._refuse(scope, receive, send, 401, None, NO_USERS_REMOTE)
            state["principal"] = open_local()
            return await self.app(scope, receive, send)
        headers = {name.decode("latin-1").lower(): value.decode("latin-1")
                   for name, value in scope.get("headers", ())}
        principal = await self._principal(headers)
        state["principal"] = principal
        if principal is None:
            if policy.is_public(method, path):
                return await self.app(scope, receive, send)
            if method in SAFE_METHODS and not path.startswith(_MACHINE_PREFIXES):
                target = path + ("?" + scope["query_string"].decode("latin-1")
                                 if scope.get("query_string") else "")
                response = RedirectResponse("/login?next=" + quote(target, safe=""), 303)
                return await response(scope, receive, send)
            return await self._refuse(scope, receive, send, 401, "Authorization",
                                      "log in first: send Authorization: Bearer <token> (POST "
                                      "/api/v1/auth/token) or log in on /login")
        if (principal.via == "session" and method not in SAFE_METHODS
                and not csrf_matches(principal.csrf, headers.get(CSRF_HEADER))):
            return await self._refuse(scope, receive, send, 403, "X-CSRF-Token",
                                      "a change from a page needs the page's CSRF token "
                                      "(reload the page)")
        reason = policy.refusal(principal, method, path)
        if reason is not None:
            if method not in SAFE_METHODS:  # a write refused by role is in the audit log too
                await self._audit_refusal(principal, path, client, reason)
            return await self._refuse(scope, receive, send, 403, None, reason)
        await self.app(scope, receive, send)

    async def _principal(self, headers: dict[str, str]):
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            expected = getattr(self.context, "operator_token", None)
            if expected and secrets.compare_digest(expected.encode(), token.encode()):
                return operator(self.operator_user)
            return await asyncio.to_thread(principal_for_token, self.context.store, token)
        cookie = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
        if cookie:
            return await asyncio.to_thread(principal_for_session, self.context.store, cookie,
                                           self.settings)
        return None

    async def _audit_refusal(self, principal, path: str, client: str | None,
                             reason: str) -> None:
        from envmon.access import audit
        from envmon.web.audited import REFUSED_ACTION

        try:
            await asyncio.to_thread(audit.record, self.context.store, principal,
                                    REFUSED_ACTION, path, None, client or "?",
                                    f"refused: 403 {reason}")
        except Exception:  # the refusal stands; the row is logged as missing
            log.exception("audit row of a refused %s not written", path)

    @staticmethod
    async def _refuse(scope, receive, send, status: int, field: str | None,
                      reason: str) -> None:
        response = error_response(status, field, reason)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)
