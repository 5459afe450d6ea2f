"""The one mechanism that turns a use case of `envmon.<domain>.api` into a GET endpoint.

    @use_case_endpoint(router, "/data", formats=("json", "csv", "xlsx", "html"),
                       items="records")
    def data(mn: str | None = None, cn: str = "2061", start: str | None = Query(None, alias="from"),
             ...) -> Callable[[Store], Result]:
        period = records_period(start, end)          # OptionError names "--from"
        options = RecordsOptions(mn, cn)
        return lambda context: point_records(context.store, period, options)

The decorated function declares the endpoint's query parameters (FastAPI documents them in
`/openapi.json`) and builds the use case's options from them; the mechanism adds ``format``
(and ``limit``/``offset`` where the result is a list), runs the builder and the use case and
the rendering in a worker thread (never on the loop that also runs the receiver), renders
through `envmon.render` (`render_bytes`: the very bytes `envmon … --format F` prints, so a
CLI `--url` client can print the answer as it is), and answers with the right content type,
a download name for files, an ETag (hash of the bytes; `If-None-Match` → 304) and
``Cache-Control: no-cache`` (always revalidate: live data changes).

Errors: an `OptionError("--from", …)` of the use case is a 400
``{"error": {"field": "from", "reason": …}}`` (`query_name` maps the CLI's option names to
the query's); a query parameter the endpoint does not declare is a 400 naming it (a typo
must not silently answer another question); other errors meant for users (`EnvmonError`)
are 400 without a field (404 for "no … with id"); anything else is a 500 without a traceback
(logged). FastAPI's own validation errors become the same 400 shape (`app.py`).

Isolation: the result is narrowed to the principal's scope (``request.state.allowed`` of
`web.isolation`, `access.isolation.narrow`) before it is paged and rendered, so every
format shows the same rows; a shared result is shared only within one scope.

A new endpoint: a module in `envmon/web/api/` with a router and one decorated builder per use
case; include its router in `app.create_app`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from envmon.access.isolation import narrow
from envmon.errors import EnvmonError, OptionError
from envmon.web.api.download import content_disposition
from envmon.web.compute import compute as compute_blocking
from envmon.web.compute import run_blocking

log = logging.getLogger("envmon.web")

__all__ = ["CONTENT_TYPES", "MAX_LIMIT", "NOTE_HEADER", "Conflict", "error_response",
           "query_name", "run_blocking", "use_case_endpoint"]

# The largest page a list endpoint returns at once: 10 000 rows is a day of minute data of
# seven points, a few MB of JSON; more is asked for page by page (`offset`).
MAX_LIMIT = 10_000

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "table": "text/plain; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "geojson": "application/geo+json",
}
NOTE_HEADER = "X-Envmon-Note"  # the result's note, percent-encoded (headers are Latin-1)
DOWNLOADS = frozenset({"csv", "xlsx", "pdf"})  # answered as attachments with a file name
FILE_NAMED = frozenset({"html"})  # files the CLI writes, answered inline with their name

# CLI option → query parameter, where the simple rule (drop "--", "-" → "_") does not fit.
_QUERY_NAMES = {"--format": "format", "--output": "format"}


def query_name(option: str | None) -> str | None:
    """The query parameter of a CLI option named by an `OptionError` ("--from" → "from")."""
    if option is None:
        return None
    if option in _QUERY_NAMES:
        return _QUERY_NAMES[option]
    return option.removeprefix("--").replace("-", "_") if option.startswith("--") else option


def error_response(status: int, field: str | None, reason: str) -> JSONResponse:
    """The one error shape of the API: ``{"error": {"field", "reason"}}``."""
    return JSONResponse({"error": {"field": field, "reason": reason}}, status_code=status,
                        headers={"Cache-Control": "no-store"})


class Conflict(EnvmonError):
    """The store is not in a state to answer yet (409); the message says what to run first
    (e.g. the readings of a ranking are not map-matched)."""


def user_error_response(error: EnvmonError) -> JSONResponse:
    """An application error as the API's 4xx (503 when a PDF is asked for and WeasyPrint
    cannot load here: the request was right, the server cannot answer it)."""
    from envmon.reports.pdf import PdfUnavailable

    if isinstance(error, PdfUnavailable):
        return error_response(503, "format", str(error))
    if isinstance(error, Conflict):
        return error_response(409, None, str(error))
    if isinstance(error, OptionError):
        return error_response(400, query_name(error.option), error.reason)
    reason = str(error)
    status = 404 if reason.startswith("no ") and " with id " in reason else 400
    return error_response(status, None, reason)


def scoped_query(query: dict[str, Any], allowed: Any) -> dict[str, Any]:
    """The query narrowed to a scope where the use case has the filter (`web.isolation`'s
    ``request.state.allowed``): an empty ``unit`` becomes an enterprise's own unit, an empty
    ``region`` a region user's region (or an enterprise's county), so the use case computes
    the scope's own figures rather than the city's cut down afterwards."""
    if allowed is None:
        return query
    scope = allowed.scope
    changes: dict[str, Any] = {}
    if scope.kind == "unit" and "unit" in query and not query["unit"]:
        changes["unit"] = scope.unit_id
    elif "region" in query and not query["region"]:
        if scope.kind == "region":
            changes["region"] = scope.region
        elif len(allowed.region_codes) == 1:
            changes["region"] = next(iter(allowed.region_codes))
    return {**query, **changes} if changes else query


def _page(result: Any, items: str, offset: int, limit: int | None) -> tuple[Any, int]:
    rows = getattr(result, items)
    total = len(rows)
    if offset or limit is not None:
        end = None if limit is None else offset + limit
        result = dataclasses.replace(result, **{items: rows[offset:end]})
    return result, total


def check_span(query: dict[str, Any], max_days: int, now: Any) -> None:
    """An OptionError naming ``from`` when the query's ``from``/``to`` (parameters ``start``
    and ``end``) span more than `max_days` days. Unparsable times are left to the use case,
    which names them."""
    from datetime import timedelta

    from envmon.period import parse_time

    start, end = query.get("start"), query.get("end")
    if not isinstance(start, str) or not start:
        return
    try:
        first = parse_time(start, "--from")
        last = parse_time(end, "--to") if isinstance(end, str) and end else now
    except (OptionError, TypeError, ValueError):
        return
    if last - first > timedelta(days=max_days):
        raise OptionError("--from", f"the period spans more than {max_days} days ([web] "
                          "max_period_days); ask for a shorter one, page by page")


def _render(result: Any, fmt: str) -> tuple[bytes, str]:
    from envmon.render.registry import render_bytes

    with tempfile.TemporaryDirectory(prefix="envmon-web-") as folder:
        return render_bytes(result, fmt, Path(folder))


def use_case_endpoint(router: APIRouter, path: str, *, formats: Sequence[str] = ("json",),
                      items: str | None = None, summary: str | None = None,
                      default_format: str | None = None, shared: bool = False,
                      paged: bool = False, live: bool = False) -> Callable:
    """Register `builder(**query) -> (context -> result)` as ``GET path`` (see the module
    docstring). `items`: the result's tuple field of rows, for ``limit``/``offset`` and the
    ``X-Total-Count`` header; None when the result is not a list. `default_format`: the
    format without ``?format=`` (default json; a bulletin without json names its own).
    `shared`: a heavy result that every screen asks for (the overview, the month's
    assessment): computed once for all who ask within `[web] result_cache_s` (`api.cache`).
    `paged`: the use case takes ``offset``/``limit`` into its SQL and says its ``total`` (the
    run is called ``run(context, offset=, limit=)``); else a list is sliced after the use
    case. `live`: the run takes ``live=`` the point-state inputs of the running platform,
    read on the loop (`WebContext.state_inputs`).

    A list answers at most `MAX_LIMIT` rows when no ``limit`` is given (``X-Total-Count``
    says how many there are); a period given by ``from``/``to`` spans at most
    `[web] max_period_days` (400 naming ``from``). The builder gets ``answer(request, query,
    fmt, offset, limit)`` as an attribute: what a page of the same figures awaits."""
    allowed = tuple(formats)
    default_format = default_format or "json"

    def register(builder: Callable[..., Callable[[Any], Any]]) -> Callable:
        builder_params = list(inspect.signature(builder).parameters.values())
        declared = _declared_names(builder_params, items is not None)

        async def answer(request: Request, query: dict[str, Any], fmt: str = default_format,
                         offset: int = 0, limit: int | None = None
                         ) -> tuple[bytes, str, int | None, str | None]:
            """The endpoint's (bytes, file name, total rows, note) for these query values
            (the pages ask it too, sharing its results: `builder.answer`)."""
            context = request.app.state.context
            if items is not None and limit is None:
                limit = MAX_LIMIT  # a list is answered page by page, never all at once
            check_span(query, context.web_settings().max_period_days, context.now())
            extra: dict[str, Any] = {}
            if live:  # read on the loop: the receiver and the engine change them here
                extra["live"] = context.state_inputs()
            if paged:
                extra.update(offset=offset, limit=limit)

            in_scope = getattr(request.state, "allowed", None)  # web.isolation
            query = scoped_query(query, in_scope)

            def work() -> tuple[bytes, str, int | None, str | None]:
                result = narrow(builder(**query)(context, **extra), in_scope)
                total = None
                if paged:
                    total = result.total
                elif items is not None:
                    result, total = _page(result, items, offset, limit)
                body, name = _render(result, fmt)
                return body, name, total, getattr(result, "note", None)

            key = None
            if shared:  # one computation for every screen asking the same (api.cache)
                key = (path, fmt, offset, limit, in_scope and in_scope.scope, tuple(sorted(
                    (name, repr(value)) for name, value in query.items())))
            return await compute_blocking(request, work, shared_key=key)

        async def endpoint(request: Request, **query: Any) -> Response:
            unknown = sorted(set(request.query_params) - declared)
            if unknown:  # a typo must not silently answer another question (the full list)
                return error_response(400, unknown[0], f"unknown parameter {unknown[0]!r} "
                                      f"(known: {', '.join(sorted(declared))})")
            fmt = query.pop("format")
            offset = query.pop("offset", 0) or 0
            limit = query.pop("limit", None)
            if fmt not in allowed:
                return error_response(400, "format", f"{fmt!r} is not available here; "
                                      f"choose one of {', '.join(allowed)}")
            try:
                body, name, total, note = await answer(request, query, fmt, offset, limit)
            except EnvmonError as error:
                return user_error_response(error)
            etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
            headers = {"ETag": etag, "Cache-Control": "no-cache"}
            if total is not None:
                headers["X-Total-Count"] = str(total)
                end = offset + (limit if limit is not None else MAX_LIMIT)
                if end < total:  # said, never a silent cut (a CLI `--url` prints it)
                    more = (f"{total} rows in all, this answer holds rows {offset + 1} to "
                            f"{end}; ask for the next with offset={end} (limit at most "
                            f"{MAX_LIMIT}) or a shorter period")
                    note = f"{note}; {more}" if isinstance(note, str) and note else more
            if isinstance(note, str) and note:  # what the CLI says on stderr ("note: …")
                headers[NOTE_HEADER] = quote(note, safe=" ;:,.()/'=-")
            if etag in _etags(request.headers.get("if-none-match")):
                return Response(status_code=304, headers=headers)
            if fmt in DOWNLOADS:
                headers["Content-Disposition"] = content_disposition("attachment", name)
            elif fmt in FILE_NAMED:  # shown in the browser, named for a CLI `--url` client
                headers["Content-Disposition"] = content_disposition("inline", name)
            return Response(body, media_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
                            headers=headers)

        extra = [inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                                   default=Query(default_format, description="Output format: "
                                                 + ", ".join(allowed)))]
        if items is not None:
            extra += [
                inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY,
                                  annotation=int | None,
                                  default=Query(None, ge=0, le=MAX_LIMIT,
                                                description=f"At most this many rows "
                                                f"(≤ {MAX_LIMIT}); the total is in "
                                                "X-Total-Count.")),
                inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY, annotation=int,
                                  default=Query(0, ge=0, description="Rows to skip.")),
            ]
        params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=Request)]
        params += [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in builder_params]
        endpoint.__signature__ = inspect.Signature(params + extra)  # type: ignore[attr-defined]
        endpoint.__name__ = builder.__name__
        endpoint.__doc__ = builder.__doc__
        builder.answer = answer  # type: ignore[attr-defined]
        router.add_api_route(path, endpoint, methods=["GET"], summary=summary,
                             response_class=Response,
                             responses={400: {"description": "A bad query parameter: "
                                              '{"error": {"field", "reason"}}'}})
        return functools.wraps(builder)(builder)

    return register


def _declared_names(builder_params: list[inspect.Parameter], paged: bool) -> frozenset[str]:
    """The query parameters an endpoint knows: its builder's (by alias: ``from``), ``format``,
    and ``limit``/``offset`` for a list."""
    names = {"format", *(("limit", "offset") if paged else ())}
    for param in builder_params:
        alias = getattr(param.default, "alias", None)
        names.add(alias if isinstance(alias, str) and alias else param.name)
    return frozenset(names)


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
