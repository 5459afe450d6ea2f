"""登录 `/login` (the login form; its script posts to `POST /api/v1/auth/login`) and 审计日志
`/audit` (the audit log's latest rows with filters, downloads through `GET /api/v1/audit/
list`; for the administrator and the bureau, `access.policy.AREAS`)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request

from envmon.access.audit import AUDIT_COLUMNS, COLUMN_LABELS_ZH, list_audit
from envmon.errors import EnvmonError
from envmon.web.compute import compute
from envmon.web.pages.render import Pages

LATEST = 200  # rows the page shows, newest first; the whole log is a download away
FILTERS = ("from", "to", "user", "action")


def add_routes(router: APIRouter, pages: Pages) -> None:
    def login(request: Request):
        return pages.render(request, "login.html", "")

    async def audit(request: Request):
        from envmon.web.api.audit import audit_options

        filters = {k: request.query_params.get(k, "").strip() for k in FILTERS}
        try:
            options = audit_options(filters["from"] or None, filters["to"] or None,
                                    filters["user"] or None, filters["action"] or None)
            result = await compute(request, list_audit, pages.store, options)
        except EnvmonError as error:
            return pages.render(request, "not_found.html", "", status_code=400,
                                what=str(error), heading="error.bad_request")
        rows = [tuple(v.strftime("%Y-%m-%d %H:%M:%S") if hasattr(v, "strftime") else v
                      for v in row) for row in reversed(result.entries[-LATEST:])]
        columns = [(c, COLUMN_LABELS_ZH[c] if pages.translator(request).lang == "zh" else c)
                   for c in AUDIT_COLUMNS]
        kept = {k: v for k, v in filters.items() if v}
        downloads = [(fmt, "/api/v1/audit/list?" + urlencode({**kept, "format": fmt}))
                     for fmt in ("xlsx", "csv")]
        return pages.render(request, "audit.html", "", rows=rows, columns=columns,
                            filters=filters, downloads=downloads)

    router.add_api_route("/login", login, methods=["GET"])
    router.add_api_route("/audit", audit, methods=["GET"])
