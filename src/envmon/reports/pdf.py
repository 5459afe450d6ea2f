"""A bulletin as PDF: its HTML through WeasyPrint (PyPI; needs the Debian pango libraries,
installed by `.ci/run`). Without it `write_pdf` raises `PdfUnavailable`; the HTML then prints
to PDF from any browser (the A4 page rules are in its CSS)."""

from __future__ import annotations

import os
from pathlib import Path

from envmon.reports.html import render_html
from envmon.reports.model import Bulletin, ReportError


class PdfUnavailable(ReportError):
    """WeasyPrint or its pango libraries cannot be loaded."""


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def write_pdf(bulletin: Bulletin, path: str | os.PathLike[str]) -> Path:
    """The HTML rendered to PDF with WeasyPrint; `PdfUnavailable` if it cannot load."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"PDF output needs WeasyPrint and the pango libraries ({error}); "
            "pip install weasyprint and apt-get install libpango-1.0-0 libpangoft2-1.0-0, "
            "or open the HTML in a browser and print it to PDF (A4 is set in its CSS)"
        ) from None
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=render_html(bulletin)).write_pdf(target)
    return target
