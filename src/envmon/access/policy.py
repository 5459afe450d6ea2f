"""Which requests need what: the web gate (`envmon.web.gate`) asks `refusal(principal,
method, path)` after it has found who asks.

* public paths (the login page and its script, the login and token endpoints, static files)
  need nobody;
* a write (any method but GET/HEAD) needs a role that writes (`roles.WRITE_ROLES`), except the
  caller's own credentials (`/api/v1/auth/…`: logout, revoke);
* some areas need given roles (`AREAS`: the audit log for admin and bureau).

Isolation by scope (what part of the registry each endpoint shows) comes with issue 13's
isolation matrix; a new area with its own roles is a line in `AREAS`.
"""

from __future__ import annotations

from envmon.access.principal import Principal
from envmon.access.roles import AUDIT_ROLES

__all__ = ["AREAS", "is_public", "refusal"]

SAFE_METHODS = frozenset({"GET", "HEAD"})
PUBLIC_EXACT = frozenset({("GET", "/login"), ("HEAD", "/login"),
                          ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/login")})
PUBLIC_PREFIXES = ("/static/", "/card/")  # /card/{code}: a unit's public card (环保码)
OWN_CREDENTIALS = "/api/v1/auth/"  # logout and revoke: anyone signed in, for themselves
# The enterprise portal's writes (answers, marks): each endpoint checks the caller's unit and
# role itself (`envmon.portal.view`), an enterprise acting for its own unit only.
SELF_SERVICE = "/api/v1/portal/"

AREAS: tuple[tuple[str, frozenset[str]], ...] = (
    ("/api/v1/audit", AUDIT_ROLES),
    ("/audit", AUDIT_ROLES),
)


def is_public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES)


def _in(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def refusal(principal: Principal, method: str, path: str) -> str | None:
    """Why `principal` may not make this request (a 403's reason), None when it may."""
    for prefix, roles in AREAS:
        if _in(path, prefix) and principal.role not in roles:
            return f"the role {principal.role} may not open {prefix}"
    if method in SAFE_METHODS or path.startswith((OWN_CREDENTIALS, SELF_SERVICE)):
        return None
    if not principal.can_write:
        return f"the role {principal.role} may not change anything here"
    return None
