"""Bulletin downloads: `GET /api/v1/report/transmission|air?month=&format=` answer the file
`envmon report … --format F` writes, with its download name; a PDF is 503 naming why when
WeasyPrint cannot load."""

from __future__ import annotations

import io
import sys

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.store import open_store
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.air.conftest import air_db  # noqa: F401
from tests.ingest.conftest import store  # noqa: F401
from tests.web.clients import local_client

REPORT_BAD = [
    ("/api/v1/report/transmission?month=2026-1", "month"),
    ("/api/v1/report/transmission", "month"),
    ("/api/v1/report/transmission?month=2026-10&format=csv", "format"),
    ("/api/v1/report/transmission?month=2026-10&as_of=2099-01-01", "as_of"),
    ("/api/v1/report/transmission?month=2026-10&networked_by=x", "networked_by"),
    ("/api/v1/report/air?month=2025-13", "month"),
    ("/api/v1/report/air?month=2025-11&format=csv", "format"),
    ("/api/v1/report/air?month=2025-11&city=北京市", "city"),
    ("/api/v1/report/air?month=2025-11&standard=1999", "standard"),
]


def _download(client: TestClient, path: str, **params: str):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response


def _cli_file(tmp_path, name: str, *args: str) -> bytes:
    target = tmp_path / name
    result = CliRunner().invoke(cli_app, [*args, "--out", str(target)])
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def _cells(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def test_transmission_bulletin_downloads_as_the_cli_writes_it(store, tmp_path):  # noqa: F811
    client = local_client(create_app(WebContext(store)))
    # as known at a fixed past time: the 通报 says 数据截至 to the minute
    month = {"month": "2026-10", "as_of": "2026-11-20T08:00"}
    xlsx = _download(client, "/api/v1/report/transmission", **month)
    html = _download(client, "/api/v1/report/transmission", **month, format="html")
    pdf = _download(client, "/api/v1/report/transmission", **month, format="pdf")
    again = client.get("/api/v1/report/transmission", params={**month, "format": "html"},
                       headers={"If-None-Match": html.headers["etag"]})
    for path, field in REPORT_BAD:
        response = client.get(path)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["field"] == field, path
    db = str(store.path) if hasattr(store, "path") else str(tmp_path / "envmon.duckdb")
    store.close()

    # transmission: the sheets, the month, a PDF, the download names
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert xlsx.headers["content-disposition"] == 'attachment; filename="transmission-2026-10.xlsx"'
    sheets = _cells(xlsx.content)
    assert "通报" in sheets and "2026年10月" in str(sheets["通报"][0][0])
    assert "数据截至 2026-11-20 08:00" in html.text
    assert again.status_code == 304  # the same bulletin is the same bytes (charts included)
    assert "2026年10月" in html.text and html.headers["content-type"].startswith("text/html")
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="transmission-2026-10.pdf"'
    # the same file as the CLI's (the workbook's cells; the HTML byte for byte)
    cli = ["report", "transmission", "--db", db, "--month", "2026-10", "--as-of",
           "2026-11-20T08:00"]
    assert _cells(_cli_file(tmp_path, "t.xlsx", *cli, "--format", "xlsx")) == sheets
    assert _cli_file(tmp_path, "t.html", *cli, "--format", "html") == html.content


def test_air_bulletin_downloads_as_the_cli_writes_it(air_db, tmp_path):  # noqa: F811
    with open_store(air_db) as air_store:
        air = local_client(create_app(WebContext(air_store)))
        air_xlsx = _download(air, "/api/v1/report/air", month="2025-11", city="太原市")
        air_html = _download(air, "/api/v1/report/air", month="2025-11", format="html")
        air_pdf = _download(air, "/api/v1/report/air", month="2025-11", format="pdf")
    # the bulletin's sheets, the month in the HTML, a PDF
    air_sheets = _cells(air_xlsx.content)
    assert {"通报", "污染物", "AQI日历", "每日", "排名"} <= set(air_sheets)
    assert air_xlsx.headers["content-disposition"] == 'attachment; filename="air-2025-11.xlsx"'
    assert "2025年11月" in air_html.text
    assert air_pdf.content.startswith(b"%PDF")
    cli = ["report", "air", "--db", str(air_db), "--month", "2025-11"]
    assert _cli_file(tmp_path, "a.html", *cli, "--format", "html") == air_html.content


def test_a_pdf_without_weasyprint_is_503_naming_why(store, monkeypatch):  # noqa: F811
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails here
    client = local_client(create_app(WebContext(store)))
    month = {"month": "2026-10", "as_of": "2026-11-20T08:00"}
    pdf = client.get("/api/v1/report/transmission", params={**month, "format": "pdf"})
    html = client.get("/api/v1/report/transmission", params={**month, "format": "html"})
    assert pdf.status_code == 503
    error = pdf.json()["error"]
    assert error["field"] == "format" and "WeasyPrint" in error["reason"]
    assert html.status_code == 200
