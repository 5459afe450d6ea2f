"""Proof documents of a mark: what is accepted (PDF, JPEG, PNG, recognised by their first
bytes, never by the file name or the declared type) and how large, and a download name that
is safe in a Content-Disposition header."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from envmon.errors import OptionError

# The magic numbers: PDF (ISO 32000-1 §7.5.2 header "%PDF-"), JPEG (SOI marker FF D8 FF),
# PNG (the 8-byte signature of RFC 2083 §3.1).
MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
ALLOWED = "PDF, JPEG, PNG"


def media_type_of(content: bytes, field: str = "proof") -> tuple[str, str]:
    """(media type, extension) of `content` by its magic; OptionError naming `field`."""
    if not content:
        raise OptionError(field, "the file is empty")
    for magic, media, ext in MAGIC:
        if content.startswith(magic):
            return media, ext
    raise OptionError(field, f"not a PDF, JPEG or PNG file by its content (allowed: {ALLOWED})")


def check_size(size: int, used: int, count: int, settings, field: str = "proof") -> None:
    """Refuse a file over `max_proof_bytes`, or one that takes the mark over
    `max_mark_bytes` / `max_proofs`."""
    if size > settings.max_proof_bytes:
        raise OptionError(field, f"the file is {size} bytes, more than the "
                          f"{settings.max_proof_bytes} allowed per file ([marks] max_proof_bytes)")
    if used + size > settings.max_mark_bytes:
        raise OptionError(field, f"the mark's proofs would take {used + size} bytes, more than "
                          f"the {settings.max_mark_bytes} allowed per mark "
                          "([marks] max_mark_bytes)")
    if count + 1 > settings.max_proofs:
        raise OptionError(field, f"a mark has at most {settings.max_proofs} proof files "
                          "([marks] max_proofs)")


def clean_filename(name: str | None, ext: str) -> str:
    """The uploaded name without a path, control characters or quotes, at most 120
    characters, ending in the extension its content has."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C" and c not in '"\';')
    base = base.strip().strip(".") or "proof"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem[:120]}{ext}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 one (RFC 6266, RFC 5987)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "proof"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
