"""Operations: what a supervisor, a load balancer and Prometheus ask a running process.

* `metrics`: the receiver's counters in Prometheus text format (``/metrics``), one
  `CollectorRegistry` per process (never the library's global one), labels bounded;
* `health`: liveness (``/healthz``: the event loop answers) and readiness (``/readyz``: the
  store answers a trivial query in time and the HJ 212 listener is bound);
* `endpoints`: those three routes, on the web app (`install`) and, for ``envmon serve
  --no-web``, on a small listener of their own (`OpsListener`, ``--metrics-port``);
* `backup`: ``envmon store backup|restore`` on either engine.

docs/operations.md explains them for the people who run envmon. A new operational
endpoint goes into `endpoints`, its logic into a module of its own here.
"""
