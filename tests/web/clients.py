"""`local_client(app)`: a TestClient that is what a browser on this machine is to the app:
Host 127.0.0.1 and a loopback client address (the app refuses other Host names and, until
users exist, writes from other machines: `envmon.web.guard`)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

LOOPBACK_CLIENT = ("127.0.0.1", 50000)


def local_client(app: Any, **options: Any) -> TestClient:
    options.setdefault("base_url", "http://127.0.0.1")
    options.setdefault("client", LOOPBACK_CLIENT)
    return TestClient(app, **options)
