"""Checks of the network addresses a command or API call is given: ports and webhook URLs.

Each raises `OptionError(option, reason)`, so the CLI shows one line naming the option (exit
code 2) and the web app a 422. The options dataclasses of serve, simulate, replay and demo call
them from their `__post_init__`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from envmon.errors import OptionError

__all__ = ["check_http_url", "check_port"]

MAX_PORT = 65535


def check_port(port: int, option: str, *, any_free: bool = False) -> int:
    """A TCP port: 1–65535, or also 0 (= any free port, chosen by the system) for a port to
    listen on (`any_free`). The kernel would silently take 70000 as 70000 mod 65536."""
    low = 0 if any_free else 1
    if isinstance(port, bool) or not isinstance(port, int) or not low <= port <= MAX_PORT:
        meaning = " (0 = any free port)" if any_free else ""
        raise OptionError(option, f"must be a port from {low} to {MAX_PORT}{meaning}, not {port!r}")
    return port


def check_http_url(url: str, option: str) -> str:
    """An http:// or https:// URL with a host (where a webhook is POSTed)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port out of range or not a number)
    except ValueError as error:
        raise OptionError(option, f"{url!r} is not a usable URL: {error}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionError(option, f"must be an http:// or https:// URL with a host, not {url!r}")
    return url
