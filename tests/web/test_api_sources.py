"""The pollution-source side of the REST API on a real store filled by the real code: the demo
registry imported by the CLI, packets received by a real Platform on loopback (records, a
conflicting copy, a rejected password, an alarm), marks written through the API. Each read
endpoint answers the bytes the CLI prints for the same options; bad input is a 400 naming
the field; the writes keep who wrote them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from typer.testing import CliRunner

from envmon.app import Platform, PlatformOptions, web_app
from envmon.cli import app as cli_app
from envmon.registry.importer import import_rows
from envmon.store import open_store
from envmon.timeutil import now_beijing
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.ingest.conftest import GAS_MN, hourly_packet, read_answers, registry_rows
from tests.web.clients import local_client

UNIT = "91140100MA0GTEST01"


def cli(*args) -> str:
    result = CliRunner().invoke(cli_app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@contextmanager
def api(db):
    """The web app over the store file (no platform: a store alone)."""
    store = open_store(db)
    try:
        # "testclient": another machine's address (the audit keeps it), allowed to write
        app = create_app(WebContext(store, settings={"allow_remote_writes": True}))
        with local_client(app, client=("testclient", 50000),
                          raise_server_exceptions=False) as client:
            yield client
    finally:
        store.close()


async def _until(condition, deadline_s: float = 10.0, what=None) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not await condition():
        assert loop.time() < end, f"deadline passed: {what}"
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    db, demo = folder / "envmon.duckdb", folder / "demo.csv"
    cli("registry", "demo", demo, "--points", "12")
    cli("registry", "import", demo, "--db", db)
    store = open_store(db)
    import_rows(store, registry_rows())
    hour0 = (now_beijing() - timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    platform = Platform(store, PlatformOptions(host="127.0.0.1", hj212_port=0, web_port=0,
                                               backfill=False))

    async def feed():
        await platform.start()
        web = web_app(platform)
        async with httpx.AsyncClient(base_url=web.url.rstrip("/"), timeout=10) as client:
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                          platform.receiver.port)
            for k in range(4):
                writer.write(hourly_packet(hour0 + timedelta(hours=k)))
            writer.write(hourly_packet(hour0 + timedelta(hours=4), so2=500.0))  # an alarm
            assert len(await read_answers(reader, 5)) == 5
            # the same hour again with another value: a second copy, a conflict
            writer.write(hourly_packet(hour0, so2=99.0, qn="20990101000000001"))
            assert len(await read_answers(reader, 1)) == 1
            connections = (await client.get("/api/v1/receiver/connections")).json()
            # a wrong password: rejected and logged (its PW masked when shown)
            other_reader, other = await asyncio.open_connection("127.0.0.1",
                                                                platform.receiver.port)
            other.write(hourly_packet(hour0 + timedelta(hours=5), pw="654321"))
            span = {"mn": GAS_MN, "from": hour0.isoformat(),
                    "to": (hour0 + timedelta(hours=6)).isoformat()}

            last = {}

            async def seen(path, **params):
                query = {k: v for k, v in {**span, **params}.items() if v is not None}
                response = await client.get(path, params=query)
                last[path] = response.text
                return response.status_code == 200 and response.json() != []

            for path, params in (("/api/v1/data/raw", {"verdict": "rejected", "to": None}),
                                 ("/api/v1/data/conflicts", {}),
                                 ("/api/v1/alarms", {"from": None, "to": None})):
                await _until(lambda p=path, q=params: seen(p, **q), what=last)
            writer.close()
            other.close()
        await platform.stop()
        return connections

    connections = asyncio.run(feed())
    store.close()
    return {"db": db, "hour0": hour0, "connections": connections, "folder": folder}


def _span(filled, hours: int = 6) -> dict:
    return {"from": filled["hour0"].isoformat(),
            "to": (filled["hour0"] + timedelta(hours=hours)).isoformat()}


def test_live_connections_name_the_mn_address_and_packets(filled):
    [row] = [c for c in filled["connections"] if c["mn"] == GAS_MN]
    assert row["address"].startswith("127.0.0.1:") and row["packets"] == 6
    assert row["since"] and row["trusted"] is True
    with api(filled["db"]) as client:  # no platform here: 503 with the reason
        response = client.get("/api/v1/receiver/connections")
    assert response.status_code == 503 and "no receiver" in response.json()["error"]["reason"]


def _reads(filled) -> list[tuple[str, dict, list]]:
    """(path, query, CLI arguments) of every read endpoint with a CLI command."""
    db, span = filled["db"], _span(filled)
    month = f"{filled['hour0']:%Y-%m}"
    return [
        ("/api/v1/registry/history", {"mn": GAS_MN},
         ["registry", "history", "--mn", GAS_MN, "--format", "json", "--db", db]),
        ("/api/v1/registry/points", {},
         ["registry", "points", "--format", "json", "--db", db]),
        ("/api/v1/registry/points", {"region": "140105", "format": "csv"},
         ["registry", "points", "--region", "140105", "--format", "csv", "--db", db]),
        ("/api/v1/registry/points", {"unit": UNIT},
         ["registry", "points", "--unit", UNIT, "--format", "json", "--db", db]),
        ("/api/v1/data/conflicts", {"mn": GAS_MN, **span},
         ["data", "--conflicts", "--mn", GAS_MN, "--from", span["from"], "--to", span["to"],
          "--db", db]),
        ("/api/v1/assess", {"level": "point", **span},
         ["assess", "--level", "point", "--from", span["from"], "--to", span["to"],
          "--db", db]),
        ("/api/v1/assess", {"level": "county", "region": "1401", **span},
         ["assess", "--level", "county", "--region", "1401", "--from", span["from"],
          "--to", span["to"], "--db", db]),
        ("/api/v1/assess", {"level": "point", "unit": UNIT, "marks_without_proof": "true",
                            **span},
         ["assess", "--level", "point", "--unit", UNIT, "--marks-without-proof",
          "--from", span["from"], "--to", span["to"], "--db", db]),
        ("/api/v1/assess/backfill-log", {},
         ["assess", "backfill-log", "--db", db]),
        ("/api/v1/assess/exemption/list", {}, ["assess", "exemption", "list", "--db", db]),
        ("/api/v1/assess/correction/list", {}, ["assess", "correction", "list", "--db", db]),
        ("/api/v1/emissions", {"unit": UNIT, "month": month},
         ["emissions", "--unit", UNIT, "--month", month, "--db", db]),
        ("/api/v1/emissions-totals", {"month": month, "level": "county"},
         ["emissions-totals", "--month", month, "--level", "county", "--db", db]),
        ("/api/v1/tax", {"month": month, "unit": UNIT},
         ["tax", "--month", month, "--unit", UNIT, "--db", db]),
        ("/api/v1/receiver/lockouts", {"format": "json"},
         ["receiver", "lockouts", "--format", "json", "--db", db]),
    ]


def test_every_read_answers_what_the_cli_prints(filled):
    reads = _reads(filled)
    printed = [cli(*args) for _, _, args in reads]
    with api(filled["db"]) as client:
        answers = [client.get(path, params=query) for path, query, _ in reads]
    for (path, query, _), out, response in zip(reads, printed, answers, strict=True):
        assert response.status_code == 200, (path, query, response.text)
        assert response.content == out.encode(), (path, query)
    by_level = {json.dumps(q, sort_keys=True): r for (_, q, _), r in zip(reads, answers,
                                                                            strict=True)}
    counties = by_level[json.dumps({"level": "county", "region": "1401", **_span(filled)},
                                   sort_keys=True)].json()["rows"]
    assert counties and all(row["code"].startswith("1401") for row in counties)
    points = by_level[json.dumps({"level": "point", "unit": UNIT, "marks_without_proof":
                                  "true", **_span(filled)}, sort_keys=True)].json()["rows"]
    assert {row["code"] for row in points} == {GAS_MN, "010000A8900016F000169DC1"}


def test_registry_export_is_the_cli_file_without_passwords(filled):
    out = filled["folder"] / "export.csv"
    cli("registry", "export", out, "--db", filled["db"])
    with api(filled["db"]) as client:
        got = client.get("/api/v1/registry/export", params={"format": "csv"})
        as_json = client.get("/api/v1/registry/export").json()
        xlsx = client.get("/api/v1/registry/export", params={"format": "xlsx"})
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attach")
    cli_rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    api_rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert any(r["pw"] for r in cli_rows) and not any(r["pw"] for r in api_rows)
    assert api_rows == [{**r, "pw": ""} for r in cli_rows]
    assert as_json == api_rows
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header, *rows = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert [dict(zip(header, r, strict=True)) for r in rows] == api_rows


def test_raw_packets_with_verdicts_and_masked_passwords(filled):
    from envmon.ingest.api import RawPacketsOptions, raw_packets
    from envmon.records.api import records_period
    from envmon.render.registry import render_bytes

    span = {"from": _span(filled)["from"]}  # received from then until now
    with api(filled["db"]) as client:
        everything = client.get("/api/v1/data/raw", params={"mn": GAS_MN, **span})
        rejected = client.get("/api/v1/data/raw",
                              params={"mn": GAS_MN, "verdict": "rejected", **span})
        store = client.app.state.context.store
        expected, _ = render_bytes(raw_packets(store, records_period(span["from"], None),
                                               RawPacketsOptions(GAS_MN)), "json", None)
    assert everything.content == expected
    packets = everything.json()
    assert [p["verdict"] for p in packets].count("accepted") == 6
    assert all("PW=******" in p["raw"] and "123456" not in p["raw"] and "654321" not in
               p["raw"] for p in packets)
    [bad] = rejected.json()
    assert bad["verdict"] == "rejected" and "password" in bad["reason"].lower()


def test_one_alarm_with_its_events_and_evidence(filled):
    with api(filled["db"]) as client:
        [alarm] = client.get("/api/v1/alarms", params={"rule": "exceedance"}).json()
        one = client.get(f"/api/v1/alarms/{alarm['id']}")
        missing = client.get("/api/v1/alarms/99999")
    assert one.status_code == 200, one.text
    detail = one.json()
    assert {k: detail[k] for k in alarm} == alarm
    assert [e["action"] for e in detail["events"]][:1] == ["open"]
    assert any(r["factor"] == "a21026" and r["avg"] == 500.0 for r in detail["evidence"])
    assert missing.status_code == 404 and "99999" in missing.json()["error"]["reason"]


BAD = [
    ("/api/v1/registry/export?format=pdf", "format"),
    ("/api/v1/registry/export?limit=-1", "limit"),
    ("/api/v1/registry/history?mn=NOPE", "mn"),
    ("/api/v1/registry/history?format=xlsx", "format"),
    ("/api/v1/registry/points?region=abc", "region"),
    ("/api/v1/registry/points?unit=NOPE", "unit"),
    ("/api/v1/data/raw?mn=", "mn"),
    ("/api/v1/data/raw?mn=" + GAS_MN + "&from=yesterday", "from"),
    ("/api/v1/data/raw?mn=" + GAS_MN + "&verdict=maybe", "verdict"),
    ("/api/v1/data/conflicts?mn=" + GAS_MN + "&cn=99", "cn"),
    ("/api/v1/data/conflicts?mn=NOPE", "mn"),
    ("/api/v1/assess?month=2026-10&region=1x", "region"),
    ("/api/v1/assess?month=2026-10&level=city&region=140105", "region"),
    ("/api/v1/assess?month=2026-10&level=county&unit=" + UNIT, "unit"),
    ("/api/v1/assess?month=2026-10&level=unit&unit=NOPE", "unit"),
    ("/api/v1/assess?month=2026-10&mark_deadline_day=40", "mark_deadline_day"),
    ("/api/v1/assess/backfill-log?mn=NOPE", "mn"),
    ("/api/v1/assess/backfill-log?offset=-1", "offset"),
    ("/api/v1/assess/exemption/list?format=pdf", "format"),
    ("/api/v1/assess/exemption/list?limit=abc", "limit"),
    ("/api/v1/assess/correction/list?format=pdf", "format"),
    ("/api/v1/assess/correction/list?limit=99999999", "limit"),
    ("/api/v1/emissions?unit=&month=2026-10", "unit"),
    ("/api/v1/emissions?unit=" + UNIT + "&month=2026-13", "month"),
    ("/api/v1/emissions-totals?month=2026-10&level=bogus", "level"),
    ("/api/v1/emissions-totals?month=2026-10&period=bogus", "period"),
    ("/api/v1/emissions-totals?year=abc", "year"),
    ("/api/v1/tax?month=bad", "month"),
    ("/api/v1/tax?month=2026-10&no_reduction_scope=x", "no_reduction_scope"),
    ("/api/v1/alarms/abc", "alarm_id"),
    ("/api/v1/alarms/0", "alarm_id"),
    ("/api/v1/receiver/lockouts?format=xlsx", "format"),
    ("/api/v1/receiver/lockouts?format=pdf", "format"),
]


def test_bad_queries_are_400_naming_the_field(filled):
    with api(filled["db"]) as client:
        answers = {path: client.get(path) for path, _ in BAD}
    for path, field in BAD:
        response = answers[path]
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["field"] == field, (path, response.json())


def _exemption(filled, **extra) -> dict:
    return {"kind": "停产", "from": filled["hour0"].isoformat(),
            "to": (filled["hour0"] + timedelta(hours=2)).isoformat(), "by": "值班员",
            "reason": "检修", "unit": UNIT, "proof": "晋环函〔2026〕1号", **extra}


def _correction(filled, **extra) -> dict:
    base = {k: v for k, v in _exemption(filled).items() if k in ("from", "to", "by", "reason",
                                                               "proof")}
    return {**base, "mn": GAS_MN, "action": "repair", "factor": "a21026", "value": 12.0,
            **extra}


def _bad_body(filled, path: str, change: dict) -> dict:
    """A valid body of `path` with `change` applied (a value of ... removes the field)."""
    if "revoke" in path:
        base = {"mark_id": 1, "by": "a", "reason": "b"}
    else:
        base = _exemption(filled) if path.startswith("exemption") else _correction(filled)
    body = {**base, **change}
    return {k: v for k, v in body.items() if v is not ...}


BAD_BODIES = [
    ("exemption/add", {"from": ...}, "from"),
    ("exemption/add", {"by": ""}, "by"),
    ("exemption/add", {"kind": "放假"}, "kind"),
    ("exemption/add", {"from": "soon"}, "from"),
    ("exemption/add", {"colour": "red"}, "colour"),
    ("exemption/add", {"unit": None}, "unit"),
    ("correction/add", {"value": ...}, "value"),
    ("correction/add", {"action": "erase"}, "action"),
    ("correction/add", {"value": "NaN"}, "value"),
    ("exemption/revoke", {"mark_id": "x"}, "mark_id"),
    ("correction/revoke", {"reason": ...}, "reason"),
]


def test_marks_written_through_the_api_keep_who_and_why(filled):
    with api(filled["db"]) as client:
        added = client.post("/api/v1/assess/exemption/add", json=_exemption(filled))
        listed = client.get("/api/v1/assess/exemption/list")
        revoked = client.post("/api/v1/assess/exemption/revoke",
                              json={"mark_id": added.json()["id"], "by": "科长",
                                    "reason": "材料不全"})
        twice = client.post("/api/v1/assess/exemption/revoke",
                            json={"mark_id": added.json()["id"], "by": "科长", "reason": "x"})
        unknown = client.post("/api/v1/assess/exemption/revoke",
                              json={"mark_id": 99999, "by": "科长", "reason": "x"})
        fixed = client.post("/api/v1/assess/correction/add", json=_correction(filled))
        unfixed = client.post("/api/v1/assess/correction/revoke",
                              json={"mark_id": fixed.json()["id"], "by": "科长",
                                    "reason": "重复"})
        bad = [client.post(f"/api/v1/assess/{path}", json=_bad_body(filled, path, change))
               for path, change, _ in BAD_BODIES]
        after = client.get("/api/v1/assess/exemption/list")
        corrections = client.get("/api/v1/assess/correction/list")
    assert added.status_code == 200, added.text
    assert added.json() == {"kind": "exemption", "id": added.json()["id"], "note": None}
    for (path, body, field), response in zip(BAD_BODIES, bad, strict=True):
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["error"]["field"] == field, (path, body, response.json())
    [row] = [json.loads(line) for line in listed.text.splitlines()]
    assert row["created_by"] == "值班员 (web testclient)" and row["reason"] == "检修"
    assert row["unit_id"] == UNIT and row["revoked_at"] is None
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert twice.status_code == 409 and unknown.status_code == 404
    assert unknown.json()["error"]["field"] == "mark_id"
    [row] = [json.loads(line) for line in after.text.splitlines()]
    assert row["revoked_by"] == "科长 (web testclient)" and row["revoke_reason"] == "材料不全"
    assert fixed.status_code == 200 and unfixed.status_code == 200, (fixed.text, unfixed.text)
    [row] = [json.loads(line) for line in corrections.text.splitlines()]
    assert row["value"] == 12.0 and row["revoked_by"] == "科长 (web testclient)"
    # the lists are what the CLI prints, and the CLI answers an add with the same JSON
    assert cli("assess", "exemption", "list", "--db", filled["db"]).encode() == after.content
    printed = cli("assess", "exemption", "add", *[
        a for k, v in _exemption(filled).items() for a in (f"--{k}", v)],
        "--format", "json", "--db", filled["db"])
    assert json.loads(printed) == {**added.json(), "id": added.json()["id"] + 1}


GARBAGE = "\x00☃' OR 1=1 -- 99999999999999999999999999 /../"


def test_no_get_endpoint_answers_garbage_with_a_500(filled):
    with api(filled["db"]) as client:
        schema = client.get("/openapi.json").json()
        checked = 0
        for path, methods in schema["paths"].items():
            if "get" not in methods or not path.startswith("/api/v1") or path.endswith(
                    "/events"):
                continue
            params = methods["get"].get("parameters", [])
            url = path
            for p in params:
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", "%E2%98%83garbage")
            names = [p["name"] for p in params if p["in"] == "query"]
            for query in [{n: GARBAGE} for n in names] + [dict.fromkeys(names, GARBAGE)]:
                response = client.get(url, params=query)
                assert response.status_code < 500 or response.status_code == 503, (
                    path, query, response.text)
                assert "Traceback" not in response.text
                checked += 1
    assert checked > 60


def test_a_nul_character_in_a_parameter_is_a_400_naming_it(filled):
    """No field holds a NUL, and PostgreSQL's text cannot: refused before any query runs."""
    with api(filled["db"]) as client:
        answer = client.get("/api/v1/alarms", params={"status": "open", "mn": "MN\x00X"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "mn"
        assert "NUL" in answer.json()["error"]["reason"]
        assert client.get("/api/v1/alarms", params={"status": "open"}).status_code == 200
