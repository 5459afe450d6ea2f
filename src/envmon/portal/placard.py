"""The printable placard (环保码标识牌): the unit's name, its code, the QR code of its public
card (inline SVG), the issuing bureau and the date, on A4 (A5 with ``size="A5"``) with print
CSS. The page `/portal/placard` and `envmon portal placard --output F.html|.svg|.pdf` render
the same template (`templates/placard.html`); PDF goes through WeasyPrint
(`reports.pdf.PdfUnavailable` when it cannot load here)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from envmon.portal.qr import card_url, qr_svg

__all__ = ["PLACARD_FORMATS", "placard_html", "write_placard"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLACARD_FORMATS = (".html", ".svg", ".pdf")
SIZES = ("A4", "A5")


def placard_html(unit_name: str, code: str, base_url: str, bureau: str,
                 issued: date, size: str = "A4") -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    url = card_url(base_url, code)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("placard.html").render(
        unit_name=unit_name, code=code, url=url, bureau=bureau, issued=issued.isoformat(),
        size=size if size in SIZES else "A4", qr=Markup(qr_svg(url, scale=8)))


def write_placard(path: Path, unit_name: str, code: str, base_url: str, bureau: str,
                  issued: date, size: str = "A4") -> Path:
    """The placard into `path` by its extension: .html, .svg (the QR code alone), .pdf."""
    from envmon.errors import OptionError

    suffix = path.suffix.lower()
    if suffix not in PLACARD_FORMATS:
        raise OptionError("--output", f"{path.name}: end it in .html, .svg or .pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".svg":
        path.write_text('<?xml version="1.0" encoding="utf-8"?>\n'
                        + qr_svg(card_url(base_url, code), scale=8), encoding="utf-8")
        return path
    html = placard_html(unit_name, code, base_url, bureau, issued, size)
    if suffix == ".html":
        path.write_text(html, encoding="utf-8")
        return path
    from envmon.reports.pdf import PdfUnavailable

    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PdfUnavailable(f"PDF output needs WeasyPrint and pango ({error}); write .html "
                             "and print it from a browser") from None
    weasyprint.HTML(string=html).write_pdf(path)
    return path
