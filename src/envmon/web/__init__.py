"""The web platform: a REST API (`/api/v1`, OpenAPI at `/openapi.json`), server-rendered zh-CN
pages (Jinja2, an English switch) and live updates (server-sent events), served by uvicorn on
the event loop of the process that owns the store (`envmon.app.Platform`).

Layout (one job per module):

* `context.WebContext` — what every route may use: the store, the running platform (None when
  the app serves a store without a receiver, as in tests of pages), the event hub, settings.
* `events.EventHub` — fan-out of what happens (packets, point states, alarms) to the
  subscribers of `GET /api/v1/events`, each behind a bounded queue.
* `app.create_app(context, settings)` — the FastAPI app: the API routers, the pages, the
  static files, bounded by `settings.WebSettings` (the [web] table; its defaults live there).
* `compute.compute(request, fn, …, shared_key=)` — how an endpoint or a page runs blocking
  work: a worker thread within the query slots, shared results by key.
* `service.WebApp` — the platform service that serves the app (`--web-port`, default 8000).
* `api/` — one router module per domain, one endpoint per use case of `envmon.<domain>.api`:
  the endpoint parses the query into the use case's options dataclass (its `OptionError`
  becomes a 400 naming the field), calls the use case on the store, and renders the result
  through `envmon.render` (`?format=json` by default; csv, xlsx, html, pdf where the result
  offers them), so the API, the pages and the CLI print the same things.
* `pages/` — the page routes; `templates/` — Jinja2 templates; `static/` — our CSS and JS;
  `static/vendor/` — the JS/CSS libraries installed from npm at install time (never committed,
  never loaded from the internet).

Pages call the same use cases as the API, never their own SQL (DESIGN.md, "Web").
"""
