"""HTTP JSON intake of taxi PM readings (issue 4 §2): the same fields as the CSV.

    POST /roads/readings
    [{"device_id": "晋A-T001", "time": "2026-10-02T08:00:01", "lat": 37.85, "lon": 112.55,
      "pm25": 41, "pm10": 88, "rh": 0.55, "speed": 23}, …]
    or {"crs": "gcj02", "readings": [...]}

Answers 200 with the counts per rejection reason (`ReadingsImported.as_json`), 400 for a
body that is not such JSON. Standard library only (`http.server`); requests are handled one at
a time (a lock) on the request's thread, which has its own cursor on the store. Inside
`envmon serve` this thread writes next to the receiver's writer: safe because only the intake
writes the road reading tables (`envmon.app`, "Who writes where"). The web application calls
the same use case (`envmon.roads.api.intake_readings`).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from envmon.render import jsonout
from envmon.roads.api import IntakeOptions, PayloadError, intake_readings

MAX_BODY = 64 * 1024 * 1024

__all__ = ["MAX_BODY", "PayloadError", "handle_payload", "make_server"]


def handle_payload(store, payload: Any, default_crs: str = "wgs84") -> dict[str, Any]:
    """Import a decoded JSON payload (the intake use case, `roads.api.intake_readings`);
    returns the counts."""
    return intake_readings(store, payload, IntakeOptions(default_crs)).as_json()


def make_server(store, host: str = "127.0.0.1", port: int = 8712,
                default_crs: str = "wgs84") -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = jsonout.dumps(body, "compact").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            if self.path.rstrip("/") == "/roads/health":
                self._send(200, {"ok": True})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.rstrip("/") != "/roads/readings":
                self._send(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                self._send(400, {"error": "missing or oversized body"})
                return
            try:
                payload = json.loads(self.rfile.read(length).decode("utf-8"))
                with lock:
                    counts = handle_payload(store, payload, default_crs)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                self._send(400, {"error": f"invalid JSON: {error}"})
                return
            except PayloadError as error:
                self._send(400, {"error": str(error)})
                return
            self._send(200, counts)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return ThreadingHTTPServer((host, port), Handler)
