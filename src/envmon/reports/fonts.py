"""The CJK font of the charts: an installed font matplotlib knows (Debian `fonts-noto-cjk`),
found through `matplotlib.font_manager`; `MissingFontError` says what to install."""

from __future__ import annotations

import contextlib

from envmon.reports.model import ReportError

CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
)


class MissingFontError(ReportError):
    """No CJK font for the charts (the message says what to install)."""


_font_cache: str | None = None


def cjk_font() -> str:
    """The family name of an installed CJK font known to matplotlib, or MissingFontError."""
    global _font_cache
    if _font_cache:
        return _font_cache
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any(family in names for family in CJK_FONT_FAMILIES):
        # the font may have been installed after matplotlib cached its font list: rescan once
        with contextlib.suppress(Exception):  # a private helper: fall through to the error
            font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONT_FAMILIES:
        if family in names:
            _font_cache = family
            return family
    others = sorted(n for n in names if "CJK" in n or "Hei" in n)
    if others:
        _font_cache = others[0]
        return others[0]
    raise MissingFontError(
        "no CJK font found for the charts (looked for "
        + ", ".join(CJK_FONT_FAMILIES)
        + "). On Debian/Ubuntu: apt-get install fonts-noto-cjk, then delete matplotlib's font "
        "cache (~/.cache/matplotlib) so it is found."
    )
