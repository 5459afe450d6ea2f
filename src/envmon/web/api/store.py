"""`POST /api/v1/store/backup` (`envmon store backup` while `envmon serve` holds a DuckDB
store, which admits one process): this process copies its open store into a new file
(`ops.backup.backup_open_store`: one consistent snapshot, on a thread of its own so the
receiver's commits and answers do not wait for it).

Loopback clients and the administrator only, whatever ``--web-allow-remote-writes`` says:
the server writes a file at the path asked for, which only someone on this machine may
name. It never overwrites a file. A PostgreSQL store needs no serve for this (`pg_dump`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from envmon.errors import EnvmonError
from envmon.web.api.usecase import error_response, user_error_response
from envmon.web.audited import audited
from envmon.web.guard import is_loopback_client

router = APIRouter(prefix="/api/v1", tags=["store"])


class BackupBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out: str = Field(min_length=1, max_length=4096,
                     description="Absolute path of the new backup file on the server.")


@router.post("/store/backup", summary="Back the served DuckDB store up into a new file "
             "(envmon store backup; loopback only)")
@audited("store.backup", target=lambda a: a["body"].out, answer=("bytes", "schema_version"))
async def store_backup_endpoint(request: Request, body: BackupBody = Body(...)) -> Any:
    """A consistent copy of the store (tables, sequences, indexes) in a new DuckDB file."""
    from dataclasses import asdict

    from envmon.ops.backup import backup_open_store
    from envmon.store import is_server_url

    host = request.client.host if request.client else None
    if not is_loopback_client(host):
        return error_response(403, None, "backups are made for this machine only (loopback)")
    store = request.app.state.context.store
    if is_server_url(str(store.target)):
        return error_response(400, None, "a PostgreSQL store is backed up with `envmon store "
                              "backup --db URL` (pg_dump), not through serve")
    out = Path(body.out)
    if not out.is_absolute():
        return error_response(400, "out", "give an absolute path")
    try:
        result = await asyncio.to_thread(backup_open_store, store, out)
    except EnvmonError as error:
        return user_error_response(error)
    return JSONResponse(asdict(result), headers={"Cache-Control": "no-store"})
