"""Users through a running server (`envmon users add|list|disable|reset-password` while serve
holds the store, and the 用户管理 page `/users`), for administrators only:

- ``GET users/list``: users by name (never a password or its hash);
- ``POST users/add`` (``username``, ``role``, ``region``, ``unit``, ``password``),
  ``POST users/disable`` (``username``), ``POST users/reset-password`` (``username``,
  ``password``).

The use cases are `envmon.access.users`' (run on the store's writer thread), which write the
audit row of a change with the principal as who and the client's address; a refused change is
audited here. A password travels in the body only from this machine (the CLI with the local
operator token) or over HTTPS, and is never logged nor kept in a row: `PasswordBody` hides it
from a validation error's echo too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from envmon.access.roles import ADMIN_ROLES
from envmon.errors import EnvmonError, OptionError
from envmon.web.api.usecase import error_response, user_error_response
from envmon.web.audited import audit_write, client_address, response_result
from envmon.web.guard import is_loopback_client

router = APIRouter(prefix="/api/v1", tags=["users"])

_FIELD = {"NAME": "username", "--role": "role", "--region": "region", "--unit": "unit",
          "password (stdin)": "password", "password": "password"}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class AddBody(_Body):
    username: str = Field(max_length=64, description="The user name (letters, digits, ._@-).")
    role: str = Field(max_length=20, description="admin, bureau, district, officer, "
                      "enterprise or readonly.")
    region: str | None = Field(None, max_length=12, description="GB/T 2260 code of the "
                               "user's area (a district user: required).")
    unit: str | None = Field(None, max_length=64, description="An enterprise user's unit "
                             "(required for enterprise).")
    password: str = Field(max_length=1024, description="The password (never logged).")


class NameBody(_Body):
    username: str = Field(max_length=64)


class PasswordBody(_Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024, description="The new password (never logged).")


def refusal(request: Request, carries_password: bool = False) -> JSONResponse | None:
    """403 unless an administrator asks (and, with a password, from this machine or over
    HTTPS)."""
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.role not in ADMIN_ROLES:
        role = principal.role if principal is not None else "nobody"
        return error_response(403, None, f"only an administrator manages users (not {role})")
    if carries_password and not (is_loopback_client(request.client.host if request.client
                                                    else None)
                                 or request.url.scheme == "https"):
        return error_response(403, "password", "a password travels from this machine or over "
                              "HTTPS only")
    return None


def _settings(request: Request):
    config = getattr(request.app.state.context, "config", None)
    access = getattr(config, "access", None)
    if access is None:
        from envmon.access.settings import AccessSettings

        access = AccessSettings()
    return access


def _error(error: EnvmonError) -> JSONResponse:
    if isinstance(error, OptionError):
        status = 404 if error.reason.startswith("no user") else 400
        return error_response(status, _FIELD.get(error.option, error.option), error.reason)
    return user_error_response(error)


async def _change(request: Request, action: str, username: str, fn, *args,
                  carries_password: bool = False, **kwargs) -> Any:
    refused = refusal(request, carries_password)
    if refused is None:
        context = request.app.state.context
        try:
            result = await context.run_in_writer(
                lambda: fn(context.store, *args, by=request.state.principal,
                           address=client_address(request), **kwargs))
        except EnvmonError as error:
            refused = _error(error)
        else:  # the use case wrote the audit row with the change
            return JSONResponse(result, headers={"Cache-Control": "no-store"})
    await audit_write(request, action, username.strip() or None, None,
                      response_result(refused))
    return refused


@router.get("/users/list", summary="Users by name (envmon users list; administrators)")
async def users_list(request: Request) -> Any:
    """Role, region, unit, disabled, who made and changed each user (never a password)."""
    import asyncio

    from envmon.access.users import list_users

    refused = refusal(request)
    if refused is not None:
        return refused
    result = await asyncio.to_thread(list_users, request.app.state.context.store)
    return JSONResponse(result.as_json(), headers={"Cache-Control": "no-store"})


@router.post("/users/add", summary="Add a user (envmon users add; administrators)")
async def users_add(request: Request, body: AddBody = Body()) -> Any:
    from envmon.access.users import NewUser, add_user

    return await _change(request, "user.add", body.username, add_user,
                         NewUser(body.username, body.role, body.region, body.unit),
                         body.password, carries_password=True,
                         min_password_length=_settings(request).min_password_length)


@router.post("/users/disable", summary="Disable a user: its sessions and tokens end "
             "(envmon users disable; administrators)")
async def users_disable(request: Request, body: NameBody = Body()) -> Any:
    from envmon.access.users import disable_user

    return await _change(request, "user.disable", body.username, disable_user, body.username)


@router.post("/users/reset-password", summary="A new password; the user's sessions and tokens "
             "end (envmon users reset-password; administrators)")
async def users_reset_password(request: Request, body: PasswordBody = Body()) -> Any:
    from envmon.access.users import reset_password

    return await _change(request, "user.reset_password", body.username, reset_password,
                         body.username, body.password, carries_password=True,
                         min_password_length=_settings(request).min_password_length)
