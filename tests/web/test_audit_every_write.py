"""Every write endpoint of the API leaves its own audit row (issue 13: "every write … goes to
an append-only audit log with who, when, what and from where"), refusals too.

The walk reads the app's routes (its OpenAPI paths): each non-GET route under ``/api/v1`` is
called once, as a signed-in administrator, with the sample of `SAMPLES` (a body that passes
validation, so the endpoint itself runs), and must leave a new row written by the endpoint (not
the ``request.invalid`` row of a body that did not validate) naming the administrator. A new
write route fails here until it has a sample and audits its calls (`web.audited.audited`).
"""

from __future__ import annotations

from envmon.access import audit
from envmon.web.app import create_app
from envmon.web.audited import INVALID_ACTION, REFUSED_ACTION
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD, make_user
from tests.ingest.conftest import GAS_MN, store  # noqa: F401
from tests.web.clients import local_client

# route path -> (path filled in, JSON body | "multipart"); a missing route fails the walk
SAMPLES: dict[str, tuple[str, object]] = {
    "/api/v1/auth/token": ("/api/v1/auth/token", {"username": "alice", "password": "wrong"}),
    "/api/v1/auth/login": ("/api/v1/auth/login", {"username": "alice", "password": "wrong"}),
    "/api/v1/auth/logout": ("/api/v1/auth/logout", None),
    "/api/v1/auth/revoke": ("/api/v1/auth/revoke", {"token": "not-a-token"}),
    "/api/v1/alarms/{alarm_id}/acknowledge": ("/api/v1/alarms/999/acknowledge",
                                              {"by": "x", "note": "n"}),
    "/api/v1/alarms/{alarm_id}/close": ("/api/v1/alarms/999/close", {"by": "x", "note": "n"}),
    "/api/v1/marks/file": ("/api/v1/marks/file", {
        "mn": GAS_MN, "type": "通讯中断", "from": "2024-05-01T00:00:00+08:00",
        "to": "2024-05-01T02:00:00+08:00", "by": "x"}),
    "/api/v1/marks/approve": ("/api/v1/marks/approve", {"mark_id": 999, "by": "x"}),
    "/api/v1/marks/reject": ("/api/v1/marks/reject", {"mark_id": 999, "by": "x",
                                                      "reason": "r"}),
    "/api/v1/marks/withdraw": ("/api/v1/marks/withdraw", {"mark_id": 999, "by": "x"}),
    "/api/v1/marks/{mark_id}/proofs": ("/api/v1/marks/999/proofs", "multipart"),
    "/api/v1/receiver/lockouts": ("/api/v1/receiver/lockouts", {"unlock": "10.0.0.9"}),
    "/api/v1/command": ("/api/v1/command", {"mn": GAS_MN, "action": "get-time"}),
    "/api/v1/assess/exemption/add": ("/api/v1/assess/exemption/add", {
        "mn": GAS_MN, "kind": "stop", "from": "2024-05-01T00:00:00+08:00",
        "to": "2024-05-02T00:00:00+08:00", "by": "x", "reason": "r"}),
    "/api/v1/assess/correction/add": ("/api/v1/assess/correction/add", {
        "mn": GAS_MN, "factor": "a21026", "action": "invalid",
        "from": "2024-05-01T00:00:00+08:00", "to": "2024-05-01T02:00:00+08:00",
        "by": "x", "reason": "r"}),
    "/api/v1/assess/exemption/revoke": ("/api/v1/assess/exemption/revoke",
                                        {"mark_id": 999, "by": "x", "reason": "r"}),
    "/api/v1/assess/correction/revoke": ("/api/v1/assess/correction/revoke",
                                         {"mark_id": 999, "by": "x", "reason": "r"}),
    "/api/v1/supervision/open": ("/api/v1/supervision/open", {"alarm": 999}),
    "/api/v1/supervision/{case_id}/notify": ("/api/v1/supervision/999/notify",
                                             {"action": "a", "deadline": "2030-01-01"}),
    "/api/v1/supervision/{case_id}/answer": ("/api/v1/supervision/999/answer", {"note": "n"}),
    "/api/v1/supervision/{case_id}/verify": ("/api/v1/supervision/999/verify",
                                             {"result": "pass", "note": "n"}),
    "/api/v1/supervision/{case_id}/close": ("/api/v1/supervision/999/close", {"note": "n"}),
    "/api/v1/supervision/{case_id}/escalate": ("/api/v1/supervision/999/escalate",
                                               {"penalty_note": "p"}),
    "/api/v1/supervision/warnings": ("/api/v1/supervision/warnings", {"month": "2024-05"}),
    "/api/v1/supervision/sweep": ("/api/v1/supervision/sweep", {}),
    "/api/v1/grade/run": ("/api/v1/grade/run", {"month": "2024-05"}),
    "/api/v1/keys/set": ("/api/v1/keys/set", {"mn": "NOT-AN-MN", "key": "00" * 16}),
    "/api/v1/keys/rotate": ("/api/v1/keys/rotate", {"mn": "NOT-AN-MN"}),
    "/api/v1/store/backup": ("/api/v1/store/backup", {"out": "relative/not-absolute.duckdb"}),
    "/api/v1/users/add": ("/api/v1/users/add", {"username": "bob", "role": "readonly",
                                                "password": PASSWORD}),
    "/api/v1/users/disable": ("/api/v1/users/disable", {"username": "nobody"}),
    "/api/v1/users/reset-password": ("/api/v1/users/reset-password",
                                     {"username": "nobody", "password": PASSWORD}),
    "/api/v1/emergency/alert/add": ("/api/v1/emergency/alert/add", {
        "level": "orange", "from": "2024-05-01T00:00", "to": "2024-05-02T00:00",
        "region": "999999"}),
    "/api/v1/emergency/alert/cancel": ("/api/v1/emergency/alert/cancel", {"alert_id": 999}),
    "/api/v1/emergency/alert/import": ("/api/v1/emergency/alert/import",
                                       {"rows": [], "source": "a.csv"}),
    "/api/v1/emergency/list/import": ("/api/v1/emergency/list/import",
                                      {"rows": [], "source": "l.csv"}),
    "/api/v1/portal/alarm-answer": ("/api/v1/portal/alarm-answer", "multipart-answer"),
    "/api/v1/portal/notice-answer": ("/api/v1/portal/notice-answer",
                                     {"case_id": 999, "note": "n"}),
    "/api/v1/portal/mark": ("/api/v1/portal/mark", {
        "mn": GAS_MN, "type": "通讯中断", "from": "2024-05-01T00:00:00+08:00",
        "to": "2024-05-01T02:00:00+08:00"}),
}


def write_routes(app) -> list[tuple[str, str]]:
    """(METHOD, path) of every write under /api/v1, as the app's OpenAPI lists its routes."""
    return sorted((method.upper(), path) for path, item in app.openapi()["paths"].items()
                  if path.startswith("/api/v1/")
                  for method in item if method not in ("get", "head", "options"))


def _rows(store) -> list[dict]:  # noqa: F811
    return audit.list_audit(store).as_json()


def test_every_write_route_leaves_its_own_audit_row(store, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ENVMON_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    make_user(store, "alice")
    app = create_app(WebContext(store=store))
    client = local_client(app)
    token = client.post("/api/v1/auth/token", json={"username": "alice",
                                                    "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    routes = write_routes(app)
    assert len(routes) >= 25, routes  # the walk sees the app's writes
    missing = [path for _, path in routes if path not in SAMPLES]
    assert not missing, f"write routes without a sample (and maybe without audit): {missing}"
    stale = set(SAMPLES) - {path for _, path in routes}
    assert not stale, f"samples of routes the app no longer has: {stale}"
    for method, path in routes:
        if path == "/api/v1/auth/logout":
            continue  # ends the token: walked last
        before = len(_rows(store))
        url, body = SAMPLES[path]
        if body == "multipart":
            answer = client.request(method, url, headers=headers, data={"by": "x"},
                                    files={"proof": ("p.pdf", b"%PDF-1.4 x", "application/pdf")})
        elif body == "multipart-answer":  # the portal's answer to an alarm, with a file
            answer = client.request(method, url, headers=headers,
                                    data={"alarm_id": "999", "note": "n"},
                                    files={"attachment": ("p.pdf", b"%PDF-1.4 x",
                                                          "application/pdf")})
        else:
            answer = client.request(method, url, headers=headers, json=body)
        assert answer.status_code != 500, (path, answer.text)  # 503: no receiver here
        rows = _rows(store)[before:]
        own = [row for row in rows if row["action"] != INVALID_ACTION]
        assert own, f"{method} {path} ({answer.status_code}) left no audit row of its own"
        row = own[-1]
        assert row["address"] == "127.0.0.1", (path, row)
        assert row["who"] == "alice" or path.startswith("/api/v1/auth/"), (path, row)
        assert row["result"] == "ok" if answer.status_code < 400 else row["result"].startswith(
            "refused"), (path, answer.status_code, row)
    before = len(_rows(store))
    ended = client.post("/api/v1/auth/logout", headers=headers, json={})
    assert ended.status_code == 200 and ended.json() == {"ended": True}, ended.text
    assert [r["action"] for r in _rows(store)[before:]] == ["auth.logout"]


def test_a_body_that_does_not_validate_is_a_refusal_in_the_log(store):  # noqa: F811
    make_user(store, "alice")
    client = local_client(create_app(WebContext(store=store)))
    token = client.post("/api/v1/auth/token", json={"username": "alice",
                                                    "password": PASSWORD}).json()["token"]
    answer = client.post("/api/v1/marks/approve", json={"mark_id": "x", "by": "b"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400
    row = _rows(store)[-1]
    assert (row["action"], row["who"], row["target"]) == (INVALID_ACTION, "alice",
                                                          "/api/v1/marks/approve")
    assert row["result"].startswith("refused: 400 mark_id")


def test_a_write_the_role_may_not_make_is_a_refusal_in_the_log(store):  # noqa: F811
    make_user(store, "alice")
    make_user(store, "viewer", "readonly")
    client = local_client(create_app(WebContext(store=store)))
    token = client.post("/api/v1/auth/token", json={"username": "viewer",
                                                    "password": PASSWORD}).json()["token"]
    answer = client.post("/api/v1/marks/approve", json={"mark_id": 1, "by": "b"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    row = _rows(store)[-1]
    assert (row["action"], row["who"], row["role"], row["target"], row["address"]) == (
        REFUSED_ACTION, "viewer", "readonly", "/api/v1/marks/approve", "127.0.0.1")
    assert row["result"].startswith("refused: 403")
    assert client.get("/api/v1/alarms", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200
    assert _rows(store)[-1]["id"] == row["id"]  # a read is no row


def test_an_anonymous_malformed_body_is_no_row(store):  # noqa: F811
    make_user(store, "alice")
    client = local_client(create_app(WebContext(store=store)))
    before = len(_rows(store))
    assert client.post("/api/v1/auth/token", json={"username": 1}).status_code == 400
    assert len(_rows(store)) == before
