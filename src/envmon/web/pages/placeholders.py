"""The pages not built yet (排放量与环保税, 道路颗粒物, 空气质量): a line saying so, so the nav
never leads to a 404. A page that gets built replaces its entry here with its own module."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envmon.web.pages.render import Pages

PENDING: dict[str, str] = {}  # every page of the nav is built


def add_routes(router: APIRouter, pages: Pages) -> None:
    for path, key in PENDING.items():
        def page(request: Request, path: str = path, key: str = key):
            return pages.render(request, "pending.html", path, heading=key)

        router.add_api_route(path, page, methods=["GET"])
