"""The enterprise portal's pages (环保码):

* ``/card/{code}`` — a unit's public card, no login (`access.policy` lists ``/card/`` as
  public): reachable by its code only, rate-limited per client address (`CardLimiter`, 429),
  cached `[portal] card_cache_s` per code, a page of its own (no navigation of the platform,
  nothing but `portal.api.public_card`); a bad code is a 404 page.
* ``/portal`` — 企业首页: the signed-in enterprise's own unit; a bureau user opens
  ``/portal?unit=…`` for a unit of its scope, and sees what the enterprise sees. Its actions
  post to `/api/v1/portal/…` (`static/portal.js`).
* ``/portal/placard?unit=…`` — the printable placard (`portal.placard`).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from envmon.web.compute import compute
from envmon.web.pages.render import FRAME_HEADERS, Pages

MAX_TRACKED = 10_000  # client addresses / cached cards kept (oldest dropped)


class CardLimiter:
    """At most `per_minute` requests per client address in any 60 s (sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.seen: OrderedDict[str, deque] = OrderedDict()

    def allow(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        times = self.seen.pop(address, None) or deque()
        while times and now - times[0] >= 60:
            times.popleft()
        allowed = len(times) < self.per_minute
        if allowed:
            times.append(now)
        self.seen[address] = times
        while len(self.seen) > MAX_TRACKED:
            self.seen.popitem(last=False)
        return allowed


class CardCache:
    """code → (expiry, card), for `ttl_s` seconds, bounded."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self.items: OrderedDict[str, tuple[float, dict]] = OrderedDict()

    def get(self, code: str) -> dict | None:
        item = self.items.get(code)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, code: str, card: dict) -> None:
        self.items[code] = (time.monotonic() + self.ttl_s, card)
        while len(self.items) > MAX_TRACKED:
            self.items.popitem(last=False)


def _standalone(pages: Pages, request: Request, template: str, status: int = 200,
                **values) -> HTMLResponse:
    t = pages.translator(request)
    response = pages.templates.TemplateResponse(request, template, {"t": t, **values},
                                                status_code=status)
    for name, value in FRAME_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def add_routes(router: APIRouter, pages: Pages) -> None:
    from envmon.portal.settings import portal_settings_of

    settings = portal_settings_of(pages.context.config)
    limiter = CardLimiter(settings.card_requests_per_minute)
    cache = CardCache(settings.card_cache_s)

    @router.get("/card/{code}")
    async def card(request: Request, code: str):
        from envmon.portal.api import public_card
        from envmon.portal.codes import unit_of_code

        address = request.client.host if request.client else "?"
        if not limiter.allow(address):
            response = _standalone(pages, request, "card.html", 429, card=None, limited=True)
            response.headers["Retry-After"] = "60"
            return response
        found = cache.get(code)
        if found is None:
            unit_id = await compute(request, unit_of_code, pages.store, code)
            if unit_id is None:
                return _standalone(pages, request, "card.html", 404, card=None)
            config = pages.context.config
            grade = getattr(config, "grade", None)
            found = await compute(request, lambda: public_card(
                pages.store, unit_id, now=pages.context.now(), assess_config=config.assess,
                grade_labels=tuple(grade.labels) if grade else ("A", "B", "C", "D")))
            cache.put(code, found)
        response = _standalone(pages, request, "card.html", card=found)
        response.headers["Cache-Control"] = f"public, max-age={int(settings.card_cache_s)}"
        return response

    @router.get("/portal")
    async def portal(request: Request, unit: str = "", mark_mn: str = "", mark_from: str = "",
                     mark_to: str = ""):
        from envmon.portal.api import summary
        from envmon.portal.rates import DAY, lowering
        from envmon.portal.view import PORTAL_WRITERS, unit_in_view

        principal = getattr(request.state, "principal", None)
        if not unit and principal is not None and principal.role != "enterprise":
            from envmon.portal.view import units_in_view

            units = await compute(request, units_in_view, pages.store, principal)
            return pages.render(request, "portal_pick.html", "/portal", units=units)
        unit_id = await compute(request, unit_in_view, pages.store, principal, unit or None)
        if unit_id is None:
            return pages.render(request, "not_found.html", "", status_code=404,
                                what=request.url.path, heading="error.not_found")
        config = pages.context.config
        grade = getattr(config, "grade", None)
        now = pages.context.now()
        home = await compute(request, lambda: summary(
            pages.store, unit_id, now=now, assess_config=config.assess,
            grade_labels=tuple(grade.labels) if grade else ("A", "B", "C", "D")))
        d1 = home["rates"]["d1"]
        from datetime import datetime

        start = datetime.fromisoformat(d1["from"])
        hours = await compute(request, lambda: lowering(pages.store, unit_id, start,
                                                        start + DAY, now, config.assess))
        from envmon.marks.settings import marks_settings_of

        types = []
        for key, kind in marks_settings_of(config).all_types().items():
            if not kind.fileable:
                continue
            types.append((key, kind.name))
            types.extend((f"{key}/{sub.key}", f"{kind.name} · {sub.name}")
                         for sub in kind.subtypes)
        return pages.render(request, "portal.html", "/portal", home=home, hours=hours,
                            unit=unit_id, writer=principal is not None
                            and principal.role in PORTAL_WRITERS, mark_types=types,
                            prefill={"mn": mark_mn, "from": mark_from[:16],
                                     "to": mark_to[:16]})

    @router.get("/portal/placard")
    async def placard(request: Request, unit: str = "", size: str = "A4"):
        from envmon.portal.codes import code_for
        from envmon.portal.placard import placard_html
        from envmon.portal.view import unit_in_view
        from envmon.web.api.portal import public_base

        principal = getattr(request.state, "principal", None)
        unit_id = await compute(request, unit_in_view, pages.store, principal, unit or None)
        if unit_id is None:
            return pages.render(request, "not_found.html", "", status_code=404,
                                what=request.url.path, heading="error.not_found")
        code = await pages.context.run_in_writer(code_for, pages.store, unit_id)
        html = placard_html(code.unit_name, code.code, public_base(request),
                            settings.bureau_name, now_date(pages), size)
        return HTMLResponse(html, headers=dict(FRAME_HEADERS))


def now_date(pages: Pages):
    return pages.context.now().date()
