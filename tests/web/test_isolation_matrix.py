"""The isolation matrix (issue 13, item 2): every route of the app × every role.

Generated from `app.routes` (every API route and page, every method): a route without a rule
in `access.policy.SCOPE` fails here. For each (route, role) cell the status is what the rule
says (401 or the login redirect without a credential, 403 for a role or scope the rule does
not admit, 404 — with the text of a nonexistent id — for an id outside the scope), and no
answer (JSON, CSV, XLSX, HTML) holds an MN, unit id or unit name outside the principal's
scope. The ids asked for are those of 丁钢铁 (大同), outside every scoped principal.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.routing import _IncludedRouter

from envmon.access import policy
from envmon.access.isolation import not_found_text
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.access.conftest import PASSWORD
from tests.assess.conftest import GAS, OTHER
from tests.web.clients import local_client
from tests.web.isolation_store import (
    NAMES,
    PRINCIPALS,
    UNIT_A,
    UNIT_D,
    build,
    foreign_strings,
)

ROLES = (*PRINCIPALS, "anonymous")
FORMATS = ("json", "csv", "xlsx", "html")
NOT_STREAMED = {"/api/v1/events"}  # a stream: tested by test_isolation_events
ENDS_TOKEN = {"/api/v1/auth/logout", "/api/v1/auth/revoke"}  # asked with a token of their own


def _walk(routes):
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _walk(route.effective_candidates())
        else:
            yield route


def app_routes(app) -> list[tuple[str, str]]:
    """(method, template) of every route the app answers (HEAD is GET's)."""
    found = set()
    for route in _walk(app.routes):
        methods = getattr(route, "methods", None) or getattr(
            getattr(route, "original_route", None), "methods", None)
        if not methods:  # a mount (/static): files, public
            continue
        for method in methods - {"HEAD"}:
            found.add((method, route.path))
    return sorted(found)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store, ids = build(tmp_path_factory.mktemp("isolation") / "envmon.duckdb")
    app = create_app(WebContext(store=store, settings={}))
    client = local_client(app)
    tokens = {}
    for role, (name, _, _) in PRINCIPALS.items():
        answer = client.post("/api/v1/auth/token", json={"username": name,
                                                         "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        tokens[role] = answer.json()["token"]
    yield app, client, tokens, ids, store
    store.close()


def _concrete(template: str, ids: dict) -> str:
    """The template with ids of 丁钢铁 (outside every scoped principal)."""
    values = {"alarm_id": ids["alarm"][OTHER], "case_id": ids["case"][UNIT_D],
              "command_id": ids["command"][OTHER], "mark_id": ids["mark"][OTHER],
              "proof_id": 1, "unit_id": UNIT_D, "mn": OTHER, "segment_id": "S1",
              # the portal: an answer that is not there; a card code nobody was given (the
              # public card of a real code is public by design: tests/portal)
              "answer_id": 987654, "file_id": 1, "code": "NOSUCHCODE000000"}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def _foreign_body(ids: dict) -> dict:
    """A write's body naming 丁钢铁's targets (every field a write may take)."""
    return {"mn": OTHER, "unit": UNIT_D, "mark_id": ids["mark"][OTHER],
            "alarm": ids["alarm"][OTHER], "type": "comm_interrupt",
            "from": "2026-11-01T00:00:00+08:00", "to": "2026-11-01T02:00:00+08:00",
            "by": "x", "reason": "x", "note": "x", "action": "x", "kind": "停产"}


def _text(response) -> str:
    """Every text an answer holds (an XLSX's XML parts too)."""
    if response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                           if n.endswith(".xml"))
    return response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())


def test_every_route_has_a_scope_rule(world):
    app = world[0]
    routes = app_routes(app)
    assert len(routes) > 80
    missing = [f"{m} {p}" for m, p in routes if policy.rule_for(m, p) is None]
    assert not missing, f"routes without a rule in access.policy.SCOPE: {missing}"
    stale = sorted(set(policy.SCOPE) - set(routes))
    assert not stale, f"rules of routes that do not exist: {stale}"


def _expected(role: str, method: str, template: str) -> str:
    """What the policy says of a cell: public | login | refused | foreign | allowed."""
    rule = policy.rule_for(method, template)
    if role == "anonymous":
        return "public" if rule.public else "login"
    _, options, units = PRINCIPALS[role]
    if rule.public or rule.reach == "none":
        return "allowed" if role in rule.roles else "refused"
    if method != "GET" and role not in policy.WRITING_ROLES:
        return "refused"
    if role not in rule.roles:
        return "refused"
    scoped = units != set(NAMES)
    if rule.reach == "whole" and scoped:
        return "refused"
    if rule.reach == "scope" and scoped:
        return "foreign"
    return "allowed"


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix(world, role):
    app, client, tokens, ids, _ = world
    units = PRINCIPALS[role][2] if role in PRINCIPALS else set()
    forbidden = foreign_strings(units)
    checked = 0
    for method, template in app_routes(app):
        if template in NOT_STREAMED or template.startswith("/docs"):
            continue
        rule = policy.rule_for(method, template)
        expected = _expected(role, method, template)
        path = _concrete(template, ids)
        if template in ENDS_TOKEN and role in tokens:
            headers = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
                "username": PRINCIPALS[role][0], "password": PASSWORD}).json()["token"]}
        else:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
        body = _foreign_body(ids) if expected == "foreign" else {}
        asked = path + repr(body)  # what the request names itself may come back in its answer
        if method == "GET":
            answers = [client.get(path, headers=headers, follow_redirects=False)]
            if expected == "allowed" and rule.reach == "scope":  # downloads too
                answers += [client.get(path, params={"format": f}, headers=headers)
                            for f in FORMATS]
        else:
            answers = [client.request(method, path, json=body, headers=headers)]
        first = answers[0]
        cell = f"{role} {method} {template}: {first.status_code} {first.text[:200]}"
        if expected == "login":
            assert first.status_code in (401, 303), cell
        elif expected == "refused":
            assert first.status_code == 403, cell
        elif expected == "foreign":
            named = re.search(r"\{(\w+)\}", template)
            if named or method != "GET":
                assert first.status_code == 404, cell
                if template.startswith("/api/"):
                    reason = first.json()["error"]["reason"]
                    assert reason.startswith("no ") and " with id " in reason, cell
            else:
                assert first.status_code not in (401, 403, 500), cell
        else:
            assert first.status_code not in (401, 403, 500), cell
        for answer in answers:
            if answer.status_code == 500:
                raise AssertionError(f"{cell} (format answer {answer.status_code})")
            text = _text(answer)
            leaked = sorted(s for s in forbidden if s in text and s not in asked)
            assert not leaked, f"{cell}: leaks {leaked}"
        checked += 1
    assert checked > 80


def test_an_id_outside_the_scope_reads_like_one_that_does_not_exist(world):
    _, client, tokens, ids, _ = world
    headers = {"Authorization": f"Bearer {tokens['enterprise']}"}
    for template, foreign, missing in (
            ("/api/v1/alarms/{}", ids["alarm"][OTHER], 987654),
            ("/api/v1/supervision/{}", ids["case"][UNIT_D], 987654),
            ("/api/v1/command/{}", ids["command"][OTHER], 987654),
            ("/api/v1/grade/unit/{}", UNIT_D, "91140100MA0NOSUCH01")):
        outside = client.get(template.format(foreign), headers=headers)
        absent = client.get(template.format(missing), headers=headers)
        assert outside.status_code == absent.status_code == 404
        assert outside.json()["error"]["reason"].replace(str(foreign), "ID") == \
            absent.json()["error"]["reason"].replace(str(missing), "ID")
    data = client.get(f"/api/v1/data?mn={OTHER}", headers=headers)
    assert data.status_code == 404
    assert data.json()["error"]["reason"] == not_found_text("point", OTHER)
    own = client.get(f"/api/v1/alarms/{ids['alarm'][GAS]}", headers=headers)
    assert own.status_code == 200 and own.json()["mn"] == GAS


def test_lists_hold_the_scope_and_nothing_else(world):
    _, client, tokens, _, _ = world
    for role in ("enterprise", "district", "bureau"):
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        units = PRINCIPALS[role][2]
        alarms = client.get("/api/v1/alarms", headers=headers).json()
        assert alarms and {a["unit_id"] for a in alarms} == {u for u in units
                                                               if u != "91140100MA0NOPT001"}
        points = client.get("/api/v1/registry/points", headers=headers).json()
        assert {p["unit_id"] for p in points} <= units and points
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    assert len(client.get("/api/v1/alarms", headers=admin).json()) == 4
    assert UNIT_A in PRINCIPALS["enterprise"][2]


def test_rankings_hold_only_the_principals_areas(world):
    _, client, tokens, _, _ = world

    def get(role, path):
        return client.get(path, headers={"Authorization": f"Bearer {tokens[role]}"})

    county = "/api/v1/assess?level=county&month=2026-11"
    assert [r["code"] for r in get("district", county).json()["rows"]] == ["140105"]
    assert {r["code"] for r in get("bureau", county).json()["rows"]} == {"140105", "140106"}
    assert {r["code"] for r in get("admin", county).json()["rows"]} >= {"140105", "140213"}
    assert get("enterprise", county).status_code == 400  # its own unit's rows only
    assert get("district", "/api/v1/overview").json()["cities"] == []
    assert [c["code"] for c in get("bureau", "/api/v1/overview").json()["cities"]] == [
        "140100"]
    assert get("enterprise", "/api/v1/overview").json()["cities"] == []


def test_unit_and_point_lines_of_a_ranking_are_narrowed_too(world):
    _, client, tokens, _, _ = world
    headers = {"Authorization": f"Bearer {tokens['bureau']}"}  # 太原: not 大同's 丁钢铁
    for level in ("unit", "point"):
        answer = client.get(f"/api/v1/assess?level={level}&month=2026-11&region=140100",
                            headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["rows"] and "丁钢铁" not in answer.text
