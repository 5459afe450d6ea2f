"""`content_disposition(kind, name)`: the ``Content-Disposition`` header of a download.

Header values travel as Latin-1 (Starlette encodes them so), and a download's name often has
Chinese in it (`air-summary-太原市-….csv`) or a request string (`data-{mn}`). RFC 6266 §4.3
and RFC 5987: ``filename="…"`` is an ASCII fallback (anything else, quotes, backslashes,
control characters and path separators replaced by ``_``), ``filename*=UTF-8''…`` is the
real name, percent-encoded; clients that know ``filename*`` (every browser, the CLI's `--url`
client) prefer it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

__all__ = ["content_disposition", "disposition_name"]

_UNSAFE_ASCII = re.compile(r'[^\x20-\x7e]|["\\/]')  # not printable ASCII, or " \ /
_CONTROL = re.compile(r"[\x00-\x1f\x7f/\\]")  # never in a name, even the UTF-8 one


def content_disposition(kind: str, name: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''utf8`` (kind: attachment, inline)."""
    name = _CONTROL.sub("_", name).strip() or "download"
    fallback = _UNSAFE_ASCII.sub("_", name)
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def disposition_name(header: str) -> str | None:
    """The file name of a ``Content-Disposition`` value: ``filename*`` (UTF-8) first, else
    ``filename``; None when neither is there."""
    extended = re.search(r"filename\*\s*=\s*([^;]+)", header, re.IGNORECASE)
    if extended:
        value = extended.group(1).strip()
        charset, _, rest = value.partition("'")
        _, _, encoded = rest.partition("'")
        if charset.lower() in ("utf-8", "utf8") and encoded:
            return unquote(encoded, encoding="utf-8", errors="replace")
    plain = re.search(r'filename\s*=\s*"([^"]*)"', header, re.IGNORECASE) or re.search(
        r"filename\s*=\s*([^;\s]+)", header, re.IGNORECASE)
    return plain.group(1) if plain else None
