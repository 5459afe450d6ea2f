"""用户管理 `/users`: the platform's users for an administrator — list, add, disable, reset a
password. The page's script (`static/users.js`) calls `POST /api/v1/users/…` (`web.api.users`,
which checks the role again and audits every change); other roles get a 403 page."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.access.roles import ADMIN_ROLES, ROLES
from envmon.access.users import list_users
from envmon.web.compute import compute
from envmon.web.pages.render import Pages


def add_routes(router: APIRouter, pages: Pages) -> None:
    async def users(request: Request):
        principal = getattr(request.state, "principal", None)
        if principal is None or principal.role not in ADMIN_ROLES:
            return pages.render(request, "not_found.html", "", status_code=403,
                                what=pages.translator(request)("users.admin_only"),
                                heading="error.bad_request")
        result = await compute(request, list_users, pages.store)
        return pages.render(request, "users.html", "", users=result.as_json(), roles=ROLES)

    router.add_api_route("/users", users, methods=["GET"])
