"""`/api/v1/marks/…` on the real app over a real store: filing, the one multipart route
(proof upload, content and size checks naming the field, the body bound), the download's
headers, and the review steps with their refusals."""

from __future__ import annotations

import pytest

from envmon.config import parse_config
from tests.web.clients import local_client

from .conftest import GAS

PDF = b"%PDF-1.4\n%%EOF\n"
LIMIT = 2000  # [marks] max_proof_bytes of these tests


@pytest.fixture
def client(store):
    from envmon.web.app import create_app
    from envmon.web.context import WebContext

    config = parse_config({"marks": {"max_proof_bytes": LIMIT}})
    with local_client(create_app(WebContext(store=store, config=config))) as client:
        yield client


def _file(client, **extra):
    body = {"mn": GAS, "type": "production/shutdown", "from": "2026-11-03T00:00",
            "to": "2026-11-05T00:00", "by": "王五", **extra}
    return client.post("/api/v1/marks/file", json=body)


def _upload(client, mark_id, content, name="证明.pdf", by="王五"):
    return client.post(f"/api/v1/marks/{mark_id}/proofs", data={"by": by},
                       files={"proof": (name, content, "application/pdf")})


def _error(response, status, field):
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field, response.json()
    return response.json()["error"]["reason"]


def test_file_upload_download_and_list(client):
    filed = _file(client, note="检修")
    assert filed.status_code == 201, filed.text
    mark = filed.json()
    assert (mark["status"], mark["filed_by"], mark["filed_from"]) == (
        "submitted", "王五 (web 127.0.0.1)", "web 127.0.0.1")
    uploaded = _upload(client, mark["id"], PDF, name="../../etc/停产 1.txt")
    assert uploaded.status_code == 201, uploaded.text
    proof = uploaded.json()
    assert (proof["media_type"], proof["filename"]) == ("application/pdf", "停产 1.pdf")
    download = client.get(f"/api/v1/marks/{mark['id']}/proofs/{proof['proof_id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"___1.pdf\"; filename*=UTF-8''%E5%81%9C%E4%BA%A7%201.pdf")
    assert download.headers["x-content-type-options"] == "nosniff"
    _error(client.get(f"/api/v1/marks/{mark['id']}/proofs/99"), 404, "mark_id")
    listed = client.get("/api/v1/marks/list", params={"status": "submitted"})
    assert [m["id"] for m in map(__import__("json").loads, listed.text.splitlines())] == [
        mark["id"]]
    _error(client.get("/api/v1/marks/list", params={"month": "2026-13"}), 400, "month")
    types = client.get("/api/v1/marks/types").text
    assert "非企业原因缺失" in types and "CEMS 主备切换" in types


def test_uploads_are_refused_by_content_size_and_route_naming_the_field(client):
    mark_id = _file(client).json()["id"]
    assert "not a PDF, JPEG or PNG" in _error(
        _upload(client, mark_id, b"GIF89a not allowed", name="x.pdf"), 400, "proof")
    assert "allowed per file" in _error(
        _upload(client, mark_id, PDF + b"x" * LIMIT), 400, "proof")
    too_big = _upload(client, mark_id, PDF + b"x" * (LIMIT + 70 * 1024))
    assert too_big.status_code == 413  # the body bound, before the form is read
    _error(client.post(f"/api/v1/marks/{mark_id}/proofs", json={"by": "x"}), 415,
           "Content-Type")
    _error(client.post(f"/api/v1/marks/{mark_id}/proofs", data={"by": "x"}), 415,
           "Content-Type")  # a url-encoded form: not an upload
    no_file = client.post(f"/api/v1/marks/{mark_id}/proofs", data={"by": "x"},
                          files={"other": ("a.pdf", PDF)})
    _error(no_file, 400, "proof")
    # multipart anywhere else is still refused by the guard
    _error(client.post("/api/v1/marks/file", files={"proof": ("a.pdf", PDF)}), 415,
           "Content-Type")
    _error(_upload(client, 99, PDF), 404, "mark_id")


def test_review_steps_and_their_refusals(client):
    mark_id = _file(client).json()["id"]
    other = _file(client).json()["id"]
    _error(client.post("/api/v1/marks/reject", json={"mark_id": mark_id, "by": "局",
                                                     "reason": " "}), 400, "reason")
    _error(client.post("/api/v1/marks/withdraw", json={"mark_id": mark_id, "by": "赵六"}),
           409, "by")
    approved = client.post("/api/v1/marks/approve", json={"mark_id": mark_id, "by": "局 李四"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"] == "局 李四 (web 127.0.0.1)"
    _error(client.post("/api/v1/marks/approve", json={"mark_id": mark_id, "by": "局"}), 409,
           "mark_id")
    _error(client.post("/api/v1/marks/withdraw", json={"mark_id": mark_id, "by": "王五"}), 409,
           "mark_id")
    _error(_upload(client, mark_id, PDF), 409, "mark_id")  # reviewed: closed
    _error(client.post("/api/v1/marks/approve", json={"mark_id": 99, "by": "局"}), 404,
           "mark_id")
    rejected = client.post("/api/v1/marks/reject", json={"mark_id": other, "by": "局",
                                                          "reason": "无证明"})
    assert (rejected.json()["status"], rejected.json()["review_reason"]) == ("rejected",
                                                                             "无证明")
    _error(client.post("/api/v1/marks/approve", json={"mark_id": 1, "by": "局",
                                                      "extra": 1}), 400, "extra")


def test_with_users_the_signed_in_user_files_and_only_that_user_withdraws(store, client):
    """Issue 13: once users exist a mark's filer is the principal, whatever the body's
    ``by`` says, and withdrawing compares the signed-in user with the filer."""
    from tests.access.conftest import PASSWORD, make_user

    make_user(store, "wangwu", "bureau")
    make_user(store, "zhaoliu", "bureau")

    def bearer(name):
        token = client.post("/api/v1/auth/token", json={"username": name,
                                                         "password": PASSWORD})
        return {"Authorization": "Bearer " + token.json()["token"]}

    filed = client.post("/api/v1/marks/file", headers=bearer("wangwu"), json={
        "mn": GAS, "type": "production/shutdown", "from": "2026-11-03T00:00",
        "to": "2026-11-05T00:00", "by": "zhaoliu"})
    assert filed.status_code == 201, filed.text
    mark_id = filed.json()["id"]
    assert filed.json()["filed_by"] == "wangwu (web 127.0.0.1)"
    other = client.post("/api/v1/marks/withdraw", headers=bearer("zhaoliu"),
                        json={"mark_id": mark_id, "by": "wangwu"})
    assert "only its filer (wangwu)" in _error(other, 409, "by")
    own = client.post("/api/v1/marks/withdraw", headers=bearer("wangwu"),
                      json={"mark_id": mark_id, "by": "someone"})
    assert own.status_code == 200 and own.json()["status"] == "withdrawn"
