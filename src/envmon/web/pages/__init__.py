"""The pages: server-rendered (Jinja2, `templates/`) from the use cases of `envmon.<domain>.api`,
with small islands of script (`static/`). Never SQL here: a page that needs a figure no use
case gives gets a new use case in its domain's api.py.

`install(app, context)` is the one entry point: it mounts `/static` and adds every page's
routes. A new page: a module here with `add_routes(router, pages)`, listed in `PAGE_MODULES`,
a template, its strings in `envmon.web.i18n`, a nav entry in `templates/base.html`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from envmon.web.context import WebContext
from envmon.web.pages.render import Pages

WEB_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "install"]


def install(app: FastAPI, context: WebContext) -> None:
    """Mount the static files at /static and add the page routes to `app`."""
    from envmon.web.pages import (
        access,
        air,
        alarms,
        assess,
        emergency,
        emissions,
        marks,
        overview,
        placeholders,
        points,
        portal,
        roads,
        screen,
        supervision,
        users,
    )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    pages = Pages(context, TEMPLATES_DIR, STATIC_DIR)
    app.state.pages = pages  # the app's error handlers answer a page's errors as pages
    router = APIRouter(include_in_schema=False)
    for module in (overview, points, alarms, assess, emissions, air, roads, marks, emergency,
                   supervision, screen, portal, placeholders, access, users):
        module.add_routes(router, pages)
    app.include_router(router)
