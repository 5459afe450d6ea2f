"""`enforce_scope`: the one place the web platform applies isolation (issue 13, item 2).

An app-wide dependency (`create_app`), so it runs for every API route and every page after
the route is found and before the endpoint: it looks up the route's rule in
`access.policy.SCOPE` and

* refuses (403) a route nobody declared, a role the rule does not name, and a route that
  shows every unit at once (reach "whole") to a principal with a region or a unit;
* for a principal with a region or a unit on a route of units' rows (reach "scope"): reads
  the scope's MNs and units (`access.isolation.allowed_for`), answers 404 with the text of a
  nonexistent id (`not_found_text`) for any id the request names — in its path, its query
  or its JSON body — that lies outside (a region filter outside answers the same), and
  leaves the `Allowed` at ``request.state.allowed``: the use cases' results
  (`api.usecase`), the pages' values (`pages.render`) and the live events (`api.events`)
  are narrowed by it.

A principal whose scope is everything gets ``request.state.allowed = None``: nothing to
narrow, and a nonexistent id is answered by the endpoint itself as before.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import HTTPException, Request

from envmon.access import policy
from envmon.access.isolation import DEFAULT_KINDS, allowed_for, in_scope, not_found_text

__all__ = ["REGION_PARAMETERS", "enforce_scope", "route_template"]



class NotInScope(HTTPException):
    """404 for an id outside the caller's scope, naming the parameter as a missing id's 404
    does (the same answer for both: nobody can probe which ids exist)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(404, reason)
        self.field = field


# Query parameters that name a region (GB/T 2260): inside the scope, or 404.
REGION_PARAMETERS = ("region", "city", "county", "parent")


def route_template(request: Request) -> str | None:
    route = request.scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None)


async def _body_ids(request: Request) -> dict[str, Any]:
    """The JSON body's fields (a write names its target there: mn, unit, mark_id …)."""
    if request.method in ("GET", "HEAD"):
        return {}
    if "json" not in request.headers.get("content-type", ""):
        return {}
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


async def enforce_scope(request: Request) -> None:
    principal = getattr(request.state, "principal", None)
    request.state.allowed = None
    template = route_template(request)
    rule = policy.rule_for(request.method, template or "")
    if rule is None:
        raise HTTPException(403, f"{request.method} {template} declares no scope "
                            "(access.policy.SCOPE): refused")
    if principal is None:  # the gate let a public path through
        if rule.public:
            return
        raise HTTPException(401, "log in first")
    if principal.role not in rule.roles:
        raise HTTPException(403, f"the role {principal.role} may not use {template}")
    scope = principal.scope
    if rule.reach == "whole" and not scope.is_all:
        raise HTTPException(403, f"{template} shows every unit at once: only a user without "
                            "a region or unit may open it")
    if rule.reach != "scope" or scope.is_all:
        return
    store = request.app.state.context.store
    allowed = await asyncio.to_thread(allowed_for, store, scope)
    request.state.allowed = allowed
    named: list[tuple[str, Any]] = list(request.path_params.items())
    named += list(request.query_params.items())
    named += list((await _body_ids(request)).items())
    checks = []
    for name, value in named:
        if value is None or value == "":
            continue
        if name in REGION_PARAMETERS and isinstance(value, str):
            if not allowed.allows_region(value):
                raise NotInScope(name, f"no region with id {value}")
            continue
        kind = rule.targets.get(name) or DEFAULT_KINDS.get(name)
        if kind is not None:
            checks.append((name, kind, value))
    if checks:
        found = await asyncio.to_thread(
            lambda: next(((n, k, v) for n, k, v in checks
                          if not in_scope(store, allowed, k, v)), None))
        if found is not None:
            raise NotInScope(found[0], not_found_text(*found[1:]))
