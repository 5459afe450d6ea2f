"""The card's address and its QR code (segno: ISO/IEC 18004), as inline SVG for pages and
placards."""

from __future__ import annotations

import io

__all__ = ["card_url", "qr_svg"]


def card_url(base_url: str, code: str) -> str:
    """``{base}/card/{code}`` (the base without a trailing slash)."""
    return f"{base_url.rstrip('/')}/card/{code}"


def qr_svg(url: str, *, scale: int = 6) -> str:
    """The QR code of `url` as an SVG element (no XML declaration: it is embedded). Error
    correction M (15 %): a printed placard gets scuffed."""
    import segno

    qr = segno.make_qr(url, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True,
            title="环保码", nl=False)
    return out.getvalue().decode("utf-8")
