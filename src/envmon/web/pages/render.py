"""`Pages`: renders a template with what every page needs (language, nav, the vendor check).
A page's values are narrowed to the principal's scope here (`access.isolation.narrow` of
``request.state.allowed``), whatever use case gave them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from envmon.access.isolation import narrow
from envmon.web.context import WebContext
from envmon.web.i18n import COOKIE, Translator, resolve_lang

NAV = (("/", "nav.overview"), ("/points", "nav.points"), ("/assess", "nav.assess"),
       ("/alarms", "nav.alarms"), ("/emissions", "nav.emissions"), ("/roads", "nav.roads"),
       ("/air", "nav.air"), ("/marks", "nav.marks"), ("/emergency", "nav.emergency"),
       ("/screen", "nav.screen"), ("/supervision", "nav.supervision"), ("/grades", "nav.grades"),
       ("/portal", "nav.portal"))
VENDOR_MARKER = ("vendor", "leaflet.js")  # present once `make install` copied the libraries
COOKIE_MAX_AGE_S = 365 * 24 * 3600  # a language chosen once stays chosen
# No page may be framed by another site: its buttons (acknowledge, close) would be clickable
# under a decoy (clickjacking). The old header for old browsers, the CSP one for new ones.
FRAME_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


class Pages:
    def __init__(self, context: WebContext, templates: Path, static: Path) -> None:
        self.context = context
        self.static = static
        self.templates = Jinja2Templates(directory=str(templates))

    @property
    def store(self):
        return self.context.store

    def translator(self, request: Request) -> Translator:
        return Translator(resolve_lang(request.query_params.get("lang"),
                                       request.cookies.get(COOKIE), self.context.default_lang))

    def vendor_installed(self) -> bool:
        return self.static.joinpath(*VENDOR_MARKER).is_file()

    def render(self, request: Request, template: str, active: str, status_code: int = 200,
               **values: Any) -> HTMLResponse:
        t = self.translator(request)
        values = narrow(values, getattr(request.state, "allowed", None))  # web.isolation
        response = self.templates.TemplateResponse(request, template, {
            "t": t, "nav": NAV, "active": active, "vendor": self.vendor_installed(),
            "settings": self.context.settings,
            "principal": getattr(request.state, "principal", None), **values},
            status_code=status_code)
        for name, value in FRAME_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.query_params.get("lang") == t.lang:
            response.set_cookie(COOKIE, t.lang, max_age=COOKIE_MAX_AGE_S, samesite="lax")
        return response
