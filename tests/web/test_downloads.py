"""Downloads whose name is not ASCII (a Chinese city) or carries request strings: the header
is an ASCII fallback plus the RFC 5987 UTF-8 name, never a 500; the CLI's `--url` client
saves the file under the UTF-8 name."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from envmon.cli.remote import _file_name
from envmon.store import open_store
from envmon.web.api.download import content_disposition, disposition_name
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.air.conftest import air_db  # noqa: F401
from tests.ingest.conftest import store  # noqa: F401
from tests.web.clients import local_client

SUMMARY = {"city": "太原市", "from": "2025-11-01", "to": "2025-11-30"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_a_chinese_city_downloads_in_every_file_format(air_db, fmt):  # noqa: F811
    with open_store(air_db) as air_store:
        client = local_client(create_app(WebContext(air_store)))
        response = client.get("/api/v1/air/summary", params={**SUMMARY, "format": fmt})
    assert response.status_code == 200, response.text
    header = response.headers["content-disposition"]
    header.encode("ascii")  # a header a client can read
    name = disposition_name(header)
    assert name is not None and "太原市" in name and name.endswith("." + fmt)
    assert "filename*=UTF-8''" in header
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name


def test_request_strings_never_break_the_header(store):  # noqa: F811
    client = local_client(create_app(WebContext(store)))
    response = client.get("/api/v1/data", params={"mn": 'a"\r\nX-Evil: 1/..\\b',
                                                  "format": "csv"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert "x-evil" not in response.headers
        name = disposition_name(response.headers["content-disposition"])
        assert "\r" not in name and "\n" not in name and "/" not in name


def test_the_header_keeps_ascii_names_and_cleans_others():
    assert content_disposition("attachment", "a-2026.csv") == 'attachment; filename="a-2026.csv"'
    header = content_disposition("inline", 'x"太原\r\n/y.html')
    assert header.startswith('inline; filename="x__') and "\r" not in header
    assert disposition_name(header) == 'x"太原___y.html'


def test_the_cli_client_prefers_the_utf8_name():
    class Answer:
        headers = {"content-disposition": content_disposition(
            "attachment", "air-summary-太原市-2025-11.csv")}

    assert _file_name(Answer(), "csv") == "air-summary-太原市-2025-11.csv"
    Answer.headers = {"content-disposition": "attachment; filename*=UTF-8''..%2F..%2Fx.csv"}
    assert _file_name(Answer(), "csv") == "x.csv"  # a name, never a path
