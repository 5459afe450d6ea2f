"""Users on the web (`envmon.web.gate`, `api.auth`, `api.audit`): open to this machine before
the first user, 401 without a credential after, tokens from issue to revoke, page sessions
with CSRF, roles that may not write, and every write in the audit log under the user's name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from envmon.access import audit
from envmon.access.credentials import issue_token
from envmon.alarms.store import get_alarm, open_alarm
from envmon.timeutil import now_beijing
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD, make_user
from tests.ingest.conftest import GAS_MN, store  # noqa: F401
from tests.web.clients import local_client

SAMPLE_GETS = ("/api/v1/alarms", "/api/v1/overview", "/api/v1/registry/points",
               "/api/v1/assess/exemption/list", "/api/v1/receiver/status", "/openapi.json")
ACTION = {"by": "值班员", "note": "已核实"}


def _alarm(store) -> int:  # noqa: F811
    return open_alarm(store, mn=GAS_MN, unit_id=None, factor="a21026", rule="exceedance",
                      data_time=None, value=500.0, limit=35.0, detail="test").id


def _app(store, **settings):  # noqa: F811
    return create_app(WebContext(store=store, settings=settings))


def _token(client, name="alice", password=PASSWORD) -> str:
    answer = client.post("/api/v1/auth/token", json={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_open_to_loopback_before_users_and_401_after(store):  # noqa: F811
    client = local_client(_app(store))
    existing = [path for path in SAMPLE_GETS if client.get(path).status_code == 200]
    assert len(existing) >= 4, existing  # the sample is of endpoints that answer
    page = client.get("/alarms")
    assert 'id="no-users"' in page.text and "尚未创建用户" in page.text
    make_user(store, "alice")
    for path in existing:
        refused = client.get(path)
        assert refused.status_code == 401, path
        assert refused.json()["error"]["field"] == "Authorization"
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    redirect = client.get("/alarms?status=open", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/login?next=%2Falarms%3Fstatus%3Dopen"
    assert client.get("/login").status_code == 200  # public
    token = _token(client)
    for path in existing:
        assert client.get(path, headers=_bearer(token)).status_code == 200, path
    assert client.get("/api/v1/alarms", headers=_bearer("forged")).status_code == 401


def test_another_machine_is_refused_while_no_user_exists(store):  # noqa: F811
    app = _app(store, local_only_without_users=True)
    remote = local_client(app, client=("10.0.0.7", 50000))
    refused = remote.get("/api/v1/alarms")
    assert refused.status_code == 401 and "envmon users add" in refused.json()["error"][
        "reason"]
    assert remote.get("/").status_code == 401
    assert local_client(app).get("/api/v1/alarms").status_code == 200  # loopback: open
    make_user(store, "alice")  # with users, another machine logs in like anyone
    token = _token(remote)
    assert remote.get("/api/v1/alarms", headers=_bearer(token)).status_code == 200


def test_token_lifecycle(store):  # noqa: F811
    make_user(store, "alice")
    client = local_client(_app(store))
    answer = client.post("/api/v1/auth/token", json={"username": "alice",
                                                     "password": PASSWORD, "days": 2})
    body = answer.json()
    assert set(body) >= {"token", "expires", "role", "username"} and body["role"] == "admin"
    assert answer.headers["Cache-Control"] == "no-store"
    token = body["token"]
    assert token not in repr(store.query("SELECT * FROM api_tokens"))  # only its hash
    me = client.get("/api/v1/auth/me", headers=_bearer(token)).json()
    assert (me["username"], me["via"], me["can_write"]) == ("alice", "token", True)
    logout = client.post("/api/v1/auth/logout", json={}, headers=_bearer(token))
    assert logout.json() == {"ended": True}
    assert client.get("/api/v1/alarms", headers=_bearer(token)).status_code == 401
    second = _token(client)
    revoked = client.post("/api/v1/auth/revoke", json={"token": second},
                          headers=_bearer(second))
    assert revoked.status_code == 200
    assert client.get("/api/v1/alarms", headers=_bearer(second)).status_code == 401
    expired, _ = issue_token(store, "alice", "t", 1, now=now_beijing() - timedelta(days=2))
    assert client.get("/api/v1/alarms", headers=_bearer(expired)).status_code == 401
    wrong = client.post("/api/v1/auth/token", json={"username": "alice", "password": "no"})
    assert wrong.status_code == 401 and "token" not in wrong.json()
    missing = client.post("/api/v1/auth/token", json={"username": "alice"})
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "password"


def test_logins_lock_out_with_429(store):  # noqa: F811
    make_user(store, "alice")
    client = local_client(_app(store))
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={
            "username": "alice", "password": "wrong"}).status_code == 401
    locked = client.post("/api/v1/auth/token", json={"username": "alice",
                                                     "password": PASSWORD})
    assert locked.status_code == 429 and "locked" in locked.json()["error"]["reason"]


def test_page_session_writes_need_the_csrf_token(store):  # noqa: F811
    alarm_id = _alarm(store)
    make_user(store, "alice")
    client = local_client(_app(store))
    login = client.post("/api/v1/auth/login", json={"username": "alice",
                                                    "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    csrf = login.json()["csrf"]
    page = client.get("/alarms")
    assert page.status_code == 200 and f'content="{csrf}"' in page.text
    assert 'id="user-name"' in page.text and "alice · 管理员" in page.text
    assert 'id="write-mode"' not in page.text  # who may write is the role's now
    assert 'id="no-users"' not in page.text
    path = f"/api/v1/alarms/{alarm_id}/acknowledge"
    refused = client.post(path, json=ACTION)
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "X-CSRF-Token"
    assert client.post(path, json=ACTION, headers={"X-CSRF-Token": "guess"}).status_code == 403
    assert get_alarm(store, alarm_id).status == "open"
    done = client.post(path, json=ACTION, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    assert get_alarm(store, alarm_id).acknowledged_by == "alice (web 127.0.0.1)"
    client.post("/api/v1/auth/logout", json={}, headers={"X-CSRF-Token": csrf})
    assert client.get("/alarms", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("role, extra", [("readonly", {}), ("officer", {}),
                                         ("enterprise", {"unit": "91140100MA0GTEST01"})])
def test_roles_that_may_not_write_get_403(store, role, extra):  # noqa: F811
    alarm_id = _alarm(store)
    make_user(store, "alice")
    make_user(store, "reader", role, **extra)
    client = local_client(_app(store))
    token = _token(client, "reader")
    assert client.get("/api/v1/alarms", headers=_bearer(token)).status_code == 200
    for path, body in ((f"/api/v1/alarms/{alarm_id}/close", ACTION),
                       ("/api/v1/assess/exemption/revoke", {"mark_id": 1, "by": "x",
                                                            "reason": "y"})):
        refused = client.post(path, json=body, headers=_bearer(token))
        assert refused.status_code == 403, (path, refused.text)
    assert get_alarm(store, alarm_id).status == "open"
    assert client.get("/api/v1/audit/list", headers=_bearer(token)).status_code == 403


def test_writes_are_audited_under_the_users_name(store):  # noqa: F811
    alarm_id = _alarm(store)
    make_user(store, "alice")
    make_user(store, "dist", "district", region="140105")
    client = local_client(_app(store), client=("10.1.2.3", 40000))  # another machine
    token = _token(client, "dist")
    closed = client.post(f"/api/v1/alarms/{alarm_id}/close", json=ACTION,
                         headers=_bearer(token))
    assert closed.status_code == 200, closed.text
    again = client.post(f"/api/v1/alarms/{alarm_id}/close", json=ACTION,
                        headers=_bearer(token))
    assert again.status_code == 409
    rows = [r for r in audit.list_audit(store).as_json() if r["action"] == "alarm.close"]
    assert [(r["who"], r["role"], r["address"], r["result"][:7]) for r in rows] == [
        ("dist", "district", "10.1.2.3", "ok"), ("dist", "district", "10.1.2.3", "refused")]
    assert rows[0]["detail"]["note"] == "已核实"
    admin = _token(client)
    listed = client.get("/api/v1/audit/list?action=alarm.&format=json",
                        headers=_bearer(admin))
    assert listed.status_code == 200 and len(listed.json()) == 2
    xlsx = client.get("/api/v1/audit/list?format=xlsx", headers=_bearer(admin))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    page = client.get("/audit?action=alarm.close", headers=_bearer(admin))
    assert page.status_code == 200 and "审计日志" in page.text and "10.1.2.3" in page.text
    assert audit.verify(store) is None


def test_the_operator_token_is_an_administrator(store):  # noqa: F811
    make_user(store, "alice")
    context = WebContext(store=store)
    context.operator_token = "local-operator-token"
    client = local_client(create_app(context))
    me = client.get("/api/v1/auth/me", headers=_bearer("local-operator-token"))
    assert me.status_code == 200 and me.json()["role"] == "admin"
    assert me.json()["via"] == "operator"
    assert client.get("/api/v1/auth/me", headers=_bearer("local-operator-toke")
                      ).status_code == 401


def test_serve_and_demo_are_local_only_without_users_by_default(store):  # noqa: F811
    from types import SimpleNamespace

    served = create_app(WebContext(store=store, platform=SimpleNamespace()))  # a platform runs
    assert local_client(served, client=("10.0.0.7", 1)).get("/api/v1/alarms").status_code == 401
    assert local_client(served).get("/api/v1/alarms").status_code == 200
    opened = create_app(WebContext(store=store, platform=SimpleNamespace(),
                                   settings={"allow_remote_writes": True}))
    assert local_client(opened, client=("10.0.0.7", 1)).get("/api/v1/alarms").status_code == 200


def test_a_password_typed_as_the_name_is_kept_nowhere(store):  # noqa: F811
    make_user(store, "alice")
    client = local_client(_app(store))
    typed = "my-secret-password-42"
    assert client.post("/api/v1/auth/token", json={"username": typed, "password": "x"}
                       ).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "alice", "password": typed}
                       ).status_code == 401
    kept = repr(store.query("SELECT * FROM audit_log")) + repr(
        store.query("SELECT * FROM login_failures"))
    assert typed not in kept
    whos = [r["who"] for r in audit.list_audit(store).as_json() if r["action"] == "auth.token"]
    assert whos == ["(no such user)", "alice"]
