"""Signing in and out, under `/api/v1/auth`:

* ``POST /api/v1/auth/token`` ``{"username", "password"[, "days"]}`` → ``{"token", "expires",
  "username", "role", "role_zh"}``: an API token to send as ``Authorization: Bearer``;
* ``POST /api/v1/auth/login`` (the login page): the same check, answered with the page
  session cookie (HttpOnly, SameSite=Strict, Secure over https) and its ``csrf`` token;
* ``POST /api/v1/auth/logout``: ends the page session, or revokes the bearer token used;
* ``POST /api/v1/auth/revoke`` ``{"token"}``: revokes a token (one's own; any for an admin);
* ``GET /api/v1/auth/me``: who the request acts as.

A wrong name or password is 401, a locked name or address 429 (`access.login`); each attempt
and each change is in the audit log. The password check (argon2id) runs in a worker thread
within the query slots.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import cookie_parser

from envmon.access import audit
from envmon.access.credentials import (
    end_session,
    issue_token,
    open_session,
    principal_for_token,
    revoke_token,
)
from envmon.access.login import LoginRefused, authenticate
from envmon.access.roles import role_label
from envmon.web.api.usecase import error_response, run_blocking
from envmon.web.audited import audit_write, client_address
from envmon.web.gate import SESSION_COOKIE

router = APIRouter(prefix="/api/v1", tags=["auth"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, description="The user name.")
    password: str = Field(min_length=1, max_length=1024, description="The password.")
    days: int | None = Field(None, ge=1, le=366, description="A shorter token lifetime than "
                             "[access] token_days, in days (tokens only).")


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="The token to revoke.")


def _json(payload: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers={"Cache-Control": "no-store"})


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


async def _check(request: Request, body: Credentials, action: str):
    """The principal of the name and password, or the refusal's response (both audited)."""
    store = request.app.state.context.store
    settings = request.app.state.access_settings
    address = client_address(request)
    try:
        principal = await run_blocking(request, authenticate, store, body.username,
                                       body.password, address, settings)
    except LoginRefused as error:  # a name that is no user's may be a mistyped password
        await _audit(request, error.user or "(no such user)", action,
                     f"refused: {'locked' if error.locked else 'wrong credentials'}")
        return None, error_response(429 if error.locked else 401, None, str(error))
    return principal, None


async def _audit(request: Request, who, action: str, result: str = "ok",
                 detail: dict | None = None) -> None:
    import asyncio

    store = request.app.state.context.store
    await asyncio.to_thread(audit.record, store, who, action, None, detail,
                            client_address(request), result)


@router.post("/auth/token", summary="An API token for a user name and password")
async def auth_token(request: Request, body: Credentials = Body()) -> Response:
    """``{"token", "expires", "username", "role", "role_zh"}``; 401 for a wrong name or
    password, 429 while the name or the address is locked out."""
    import asyncio

    principal, refused = await _check(request, body, "auth.token")
    if refused is not None:
        return refused
    settings = request.app.state.access_settings
    days = min(body.days or settings.token_days, settings.token_days)
    token, expires = await asyncio.to_thread(
        issue_token, request.app.state.context.store, principal.username,
        client_address(request), days)
    await _audit(request, principal, "auth.token", detail={"expires": _iso(expires)})
    return _json({"token": token, "expires": _iso(expires), "username": principal.username,
                  "role": principal.role, "role_zh": role_label(principal.role)})


@router.post("/auth/login", summary="Log in a page session (the login page)")
async def auth_login(request: Request, body: Credentials = Body()) -> Response:
    """Sets the session cookie; answers ``{"username", "role", "role_zh", "csrf",
    "expires"}``."""
    import asyncio

    principal, refused = await _check(request, body, "auth.login")
    if refused is not None:
        return refused
    settings = request.app.state.access_settings
    value, csrf, expires = await asyncio.to_thread(
        open_session, request.app.state.context.store, principal.username,
        client_address(request), settings)
    await _audit(request, principal, "auth.login")
    response = _json({"username": principal.username, "role": principal.role,
                      "role_zh": role_label(principal.role), "csrf": csrf,
                      "expires": _iso(expires)})
    response.set_cookie(SESSION_COOKIE, value, max_age=settings.session_max_s, path="/",
                        httponly=True, samesite="strict",
                        secure=settings.secure_cookies or request.url.scheme == "https")
    return response


@router.post("/auth/logout", summary="End this page session, or revoke this token")
async def auth_logout(request: Request) -> Response:
    import asyncio

    store = request.app.state.context.store
    principal = getattr(request.state, "principal", None)
    ended = None
    if principal is not None and principal.via == "session":
        cookie = cookie_parser(request.headers.get("cookie", "")).get(SESSION_COOKIE, "")
        ended = await asyncio.to_thread(end_session, store, cookie)
    elif principal is not None and principal.via == "token":
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        ended = await asyncio.to_thread(revoke_token, store, token, principal.username)
    if ended is not None:
        await audit_write(request, "auth.logout", ended)
    response = _json({"ended": ended is not None})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/auth/revoke", summary="Revoke an API token")
async def auth_revoke(request: Request, body: TokenBody = Body()) -> Response:
    """One's own token; an administrator any. 404 for a token that is not live."""
    import asyncio

    store = request.app.state.context.store
    principal = request.state.principal
    owner = await asyncio.to_thread(principal_for_token, store, body.token)
    if owner is None or (owner.username != principal.username and principal.role != "admin"):
        await audit_write(request, "auth.revoke", None, None, "refused: not a live token "
                          "of the caller")
        return error_response(404, "token", "not a live token of yours")
    await asyncio.to_thread(revoke_token, store, body.token, principal.username)
    await audit_write(request, "auth.revoke", owner.username)
    return _json({"revoked": True, "username": owner.username})


@router.get("/auth/me", summary="Who this request acts as")
async def auth_me(request: Request) -> Response:
    principal = request.state.principal
    return _json({"username": principal.username, "role": principal.role,
                  "role_zh": role_label(principal.role), "region": principal.region,
                  "unit_id": principal.unit_id, "via": principal.via,
                  "can_write": principal.can_write, "scope": principal.scope.describe()})
