"""`actor(request, by)`: who made a change through the web, as the audit trail keeps it.

Once users exist (issue 13) the person is the signed-in user (`request.state.principal`).
Until then the person is what the request says (``by``) and the only thing
the server knows is the client's address; every write keeps both, the same way: ``值班员
(web 10.0.0.7)`` in the alarms' acknowledged_by/closed_by and their events, and in the marks'
created_by/revoked_by. Without a ``by`` (an alarm acknowledged from a page that left the name
empty): ``web 10.0.0.7``.
"""

from __future__ import annotations

from fastapi import Request

from envmon.errors import OptionError

__all__ = ["actor"]


def actor(request: Request, by: str | None, *, required: bool = True) -> str:
    """``"{by} (web {address})"``; `OptionError("--by")` for an empty ``by`` (or a missing
    one when `required`). Once users exist the signed-in user is who acts, whatever ``by``
    says: ``"{username} (web {address})"``."""
    address = request.client.host if request.client else "?"
    principal = getattr(request.state, "principal", None)
    if principal is not None and not principal.is_open:
        return f"{principal.username} (web {address})"
    if by is None and not required:
        return f"web {address}"
    if by is None or not by.strip():
        raise OptionError("--by", "say who makes the change")
    return f"{by.strip()} (web {address})"
