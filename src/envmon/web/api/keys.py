"""The SM4 keys of HJ 212-2025 units while `envmon serve` holds the store (issue 16):
`POST /api/v1/keys/set` (`envmon keys set`), `POST /api/v1/keys/rotate` (`envmon keys
rotate`), `GET /api/v1/keys/list` (`envmon keys list`; never a key).

DuckDB lets one process hold the store, so these are how the CLI reaches the key store then
(it finds the serve by its discovery file). They answer loopback clients only, whatever
``--web-allow-remote-writes`` says: a key travels in the request body, which must never cross
a network (and is never logged: the body is not, and errors never quote it). After a change
the running receiver takes the keys at once (`Receiver.refresh_keys`, or the worker
processes' push, `ReceiverPool.refresh_keys`); a rotation's CN 1014 goes over the unit's live
connection, so it needs ``--workers 1`` (refused with the reason otherwise).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError
from envmon.web.api.usecase import error_response, user_error_response
from envmon.web.audited import audited
from envmon.web.guard import is_loopback_client

router = APIRouter(prefix="/api/v1", tags=["keys"])


class KeySetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mn: str = Field(max_length=64, description="The MN of a registered point.")
    key: str = Field(max_length=64, description="The SM4 key: 32 hex digits.")


class KeyRotateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mn: str = Field(max_length=64, description="The MN whose key is replaced.")


def _refused(request: Request) -> Any:
    host = request.client.host if request.client else None
    if not is_loopback_client(host):
        return error_response(403, None, "the key store answers this machine only (loopback): "
                              "a key must never cross a network")
    return None


async def _refresh(platform: Any) -> None:
    receiver = getattr(platform, "receiver", None)
    if receiver is not None and hasattr(receiver, "refresh_keys"):
        await receiver.refresh_keys()


@router.post("/keys/set", summary="Store an MN's SM4 key (envmon keys set; loopback only)")
@audited("key.set", target=lambda a: a["body"].mn, answer=("action",))  # never the key
async def keys_set_endpoint(request: Request, body: KeySetBody = Body(...)) -> Any:
    """Seal the key under the master key; the running receiver takes it at once."""
    from envmon.ingest.keys_api import key_from_text, keys_set

    refused = _refused(request)
    if refused is not None:
        return refused
    context = request.app.state.context
    try:
        key = key_from_text(body.key, "key")
        result = await context.run_in_writer(keys_set, context.store, body.mn, key)
    except EnvmonError as error:
        return user_error_response(error)
    await _refresh(context.platform)
    return JSONResponse(result.as_json(), headers={"Cache-Control": "no-store"})


@router.post("/keys/rotate", summary="Rotate an MN's SM4 key by CN 1014 (envmon keys rotate; "
             "loopback only)")
@audited("key.rotate", target=lambda a: a["body"].mn, answer=("qn",))
async def keys_rotate_endpoint(request: Request, body: KeyRotateBody = Body(...)) -> Any:
    """A new key pending until the unit confirms the CN 1014 that carries it (sent now when
    the unit is online, else when it connects)."""
    from envmon.ingest.keys_api import keys_rotate

    refused = _refused(request)
    if refused is not None:
        return refused
    context = request.app.state.context
    platform = context.platform
    receiver = getattr(platform, "receiver", None)
    if receiver is not None and getattr(receiver, "rotation", None) is None:
        workers = getattr(platform.options, "workers", 1)
        return error_response(503, None, f"key rotation needs envmon serve --workers 1: with "
                              f"--workers {workers} each unit's connection lives in a worker "
                              "process, and CN 1014 must go over it")
    try:
        result = await context.run_in_writer(keys_rotate, context.store, body.mn)
    except EnvmonError as error:
        return user_error_response(error)
    await _refresh(platform)
    return JSONResponse(result.as_json(), headers={"Cache-Control": "no-store"})


@router.get("/keys/list", summary="MNs with a key: set, rotated, pending (envmon keys list)")
async def keys_list_endpoint(request: Request) -> Any:
    """When each MN's key was set and last rotated (never the key); loopback only."""
    import asyncio

    from envmon.ingest.keys_api import keys_list

    refused = _refused(request)
    if refused is not None:
        return refused
    result = await asyncio.to_thread(keys_list, request.app.state.context.store)
    return JSONResponse(result.as_json(), headers={"Cache-Control": "no-store"})
