"""The air and roads endpoints on a real store filled by the real importers and the real map
matching: each answer equals the CLI's for the same options, bad input is a 400 naming the
field, the map layer is valid GeoJSON whose top list is the ranking's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from envmon.cli import app as cli_app
from envmon.period import Period
from envmon.roads import api as roads_api
from envmon.store import open_store
from envmon.web.app import create_app
from envmon.web.context import WebContext
from tests.air.conftest import STATIONS, air_db  # noqa: F401
from tests.web.clients import local_client
from tests.web.conftest import simulate_fleet

NOV = {"from": "2025-11-01", "to": "2025-11-30"}


def _cli(*args: str) -> bytes:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def _client(store, **settings) -> TestClient:
    return local_client(create_app(WebContext(store, settings=settings)))


def _assert_bad(client: TestClient, cases: list[tuple[str, str]]) -> None:
    for path, field in cases:
        response = client.get(path)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["field"] == field, (path, response.text)


# ------------------------------------------------------------------------------ air
AIR_CALLS = {
    "aqi": ("/api/v1/air/aqi", {"station": "1001A", "from": "2025-11-01",
                                "to": "2025-11-02"},
            ["air", "aqi", "--station", "1001A", "--from", "2025-11-01", "--to",
             "2025-11-02"]),
    "aqi_o3_csv": ("/api/v1/air/aqi", {"station": "1001A", "from": "2025-11-01",
                                       "to": "2025-11-02", "o3_8h": "true",
                                       "standard": "2012", "format": "csv"},
                   ["air", "aqi", "--station", "1001A", "--from", "2025-11-01", "--to",
                    "2025-11-02", "--o3-8h", "--standard", "2012", "--format", "csv"]),
    "summary": ("/api/v1/air/summary", {"city": "太原市", **NOV},
                ["air", "summary", "--city", "太原市", "--from", NOV["from"], "--to",
                 NOV["to"]]),
    "summary_options": ("/api/v1/air/summary", {"city": "大同市", **NOV, "method": "hj663",
                                                "yoy_rounded": "true",
                                                "no_validity": "true"},
                        ["air", "summary", "--city", "大同市", "--from", NOV["from"], "--to",
                         NOV["to"], "--method", "hj663", "--yoy-rounded", "--no-validity"]),
    "rank": ("/api/v1/air/rank", NOV,
             ["air", "rank", "--from", NOV["from"], "--to", NOV["to"]]),
    "rank_table": ("/api/v1/air/rank", {**NOV, "no_validity": "true", "format": "table"},
                   ["air", "rank", "--from", NOV["from"], "--to", NOV["to"], "--no-validity",
                    "--format", "table"]),
}

AIR_BAD = [
    ("/api/v1/air/aqi?from=2025-11-01&to=2025-11-02", "station"),
    ("/api/v1/air/aqi?station=1001A&from=yesterday&to=2025-11-02", "from"),
    ("/api/v1/air/aqi?station=1001A&from=2025-11-01&to=2025-11-02&standard=1999", "standard"),
    ("/api/v1/air/summary?city=北京市&from=2025-11-01&to=2025-11-30", "city"),
    ("/api/v1/air/summary?city=太原市&from=2025-11-01&to=2025-11-30&method=x", "method"),
    ("/api/v1/air/summary?city=太原市&from=2025-13-01&to=2025-11-30", "from"),
    ("/api/v1/air/rank?to=2025-11-30", "from"),
    ("/api/v1/air/rank?from=2025-11-01&to=2025-11-30&method=bogus", "method"),
    ("/api/v1/air/rank?from=2025-11-01&to=2025-11-30&format=pdf", "format"),
    ("/api/v1/air/daily?from=2025-11-01&to=2025-11-30", "city"),
    ("/api/v1/air/daily?city=太原市&from=2025-11-01&to=30.11.2025", "to"),
    ("/api/v1/air/daily?city=太原市&from=2025-11-01&to=2025-11-30&standard=x", "standard"),
    ("/api/v1/air/stations?format=pdf", "format"),
    ("/api/v1/air/stations?limit=-1", "limit"),
]


def test_air_endpoints_answer_what_the_cli_prints(air_db):  # noqa: F811
    with open_store(air_db) as store:
        client = _client(store)
        got = {name: client.get(path, params=params) for name, (path, params, _) in
               AIR_CALLS.items()}
        stations = client.get("/api/v1/air/stations").json()
        taiyuan = client.get("/api/v1/air/stations", params={"city": "太原市"}).json()
        daily = client.get("/api/v1/air/daily", params={"city": "太原市", **NOV})
        daily_page = client.get("/api/v1/air/daily",
                                params={"city": "太原市", **NOV, "limit": 7, "offset": 7})
        _assert_bad(client, AIR_BAD)
    for name, (_, _, args) in AIR_CALLS.items():
        assert got[name].status_code == 200, (name, got[name].text)
        assert got[name].content == _cli(*args, "--db", str(air_db)), name
    assert [s["code"] for s in stations] == sorted(
        (s[0] for s in STATIONS), key=lambda code: (dict((s[0], s[2]) for s in STATIONS)[code],
                                                    code))
    assert {s["code"] for s in taiyuan} == {"1001A", "1002A", "1003A", "1009A"}
    assert next(s for s in stations if s["code"] == "1009A")["type"] == "control"
    # the calendar is the summary's daily rows (the same pipeline, published values winning)
    summary = json.loads(got["summary"].content)
    assert daily.status_code == 200 and daily.json() == summary["daily"]
    assert len(daily.json()) == 30 and daily.headers["x-total-count"] == "30"
    assert daily_page.json() == summary["daily"][7:14]


# ------------------------------------------------------------------------------ roads
ANY = {"min_days": "1", "min_passes": "1", "min_taxis": "1", "top": "5"}
ANY_CLI = ["--min-days", "1", "--min-passes", "1", "--min-taxis", "1", "--top", "5"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    """Three simulated taxis over two days of the synthetic grid, imported (not matched)."""
    return simulate_fleet(tmp_path_factory.mktemp("web-roads"))


ROADS_BAD = [
    ("/api/v1/roads/rank?month=2026-10&pollutant=so2", "pollutant"),
    ("/api/v1/roads/rank?month=2026-10&top=0", "top"),
    ("/api/v1/roads/rank?month=2026-1", "month"),
    ("/api/v1/roads/rank?month=2026-10&normalise=x", "normalise"),
    ("/api/v1/roads/segments.geojson?month=2026-10&format=json", "format"),
    ("/api/v1/roads/segments.geojson?month=2026-10&min_days=-1", "min_days"),
    ("/api/v1/roads/segments.geojson?month=2026-10&match=perhaps", "match"),
    ("/api/v1/roads/coverage?month=2026-13", "month"),
    ("/api/v1/roads/coverage?from=soon&to=2026-11-01", "from"),
    ("/api/v1/roads/segments/S1/passes?month=10-2026", "month"),
    ("/api/v1/roads/segments/S1/passes?month=2026-10&limit=-5", "limit"),
]


def test_roads_rank_matches_on_request_within_its_bound(fleet):
    with open_store(fleet) as store:
        bounded = _client(store, roads_match_days=1)
        too_many = bounded.get("/api/v1/roads/rank", params={"month": "2026-10", **ANY})
        refused = bounded.get("/api/v1/roads/rank",
                              params={"month": "2026-10", "match": "false", **ANY})
        whole = bounded.get("/api/v1/roads/rank",
                            params={"month": "2026-10", "match": "true", **ANY})
        matched = _client(store).get("/api/v1/roads/rank", params={"month": "2026-10", **ANY})
    for response in (too_many, refused, whole):
        assert response.status_code == 409, response.text
        assert "envmon roads match" in response.json()["error"]["reason"]
    assert matched.status_code == 200, matched.text
    assert matched.json()["matched_days"] == ["2026-10-01", "2026-10-02"]
    assert matched.json()["dirty"]


def test_roads_endpoints_answer_what_the_cli_prints(fleet, tmp_path):
    with open_store(fleet) as store:
        roads_api.match(store, Period.month("2026-10"))
        client = _client(store)
        rank = client.get("/api/v1/roads/rank", params={"month": "2026-10", **ANY})
        rank_csv = client.get("/api/v1/roads/rank",
                              params={"month": "2026-10", "pollutant": "pm25",
                                      "format": "csv", **ANY})
        layer = client.get("/api/v1/roads/segments.geojson", params={"month": "2026-10", **ANY})
        coverage = client.get("/api/v1/roads/coverage", params={"month": "2026-10"})
        first = rank.json()["dirty"][0]
        passes = client.get(f"/api/v1/roads/segments/{first['segment_id']}/passes",
                            params={"month": "2026-10"})
        missing = client.get("/api/v1/roads/segments/no-such-segment/passes",
                             params={"month": "2026-10"})
        _assert_bad(client, ROADS_BAD)
    db = str(fleet)
    geojson = tmp_path / "layer.geojson"
    assert rank.status_code == 200, rank.text
    assert rank.content == _cli("roads", "rank", "--db", db, "--month", "2026-10", *ANY_CLI,
                                "--geojson", str(geojson))
    assert rank_csv.content == _cli("roads", "rank", "--db", db, "--month", "2026-10",
                                    "--pollutant", "pm25", "--format", "csv", *ANY_CLI)
    assert coverage.content == _cli("roads", "coverage", "--db", db, "--month", "2026-10")
    # the map layer: the CLI's --geojson bytes, valid, WGS 84, its top list the ranking's
    assert layer.status_code == 200 and layer.headers["content-type"].startswith(
        "application/geo+json")
    assert layer.content == geojson.read_bytes()
    collection = layer.json()
    assert collection["type"] == "FeatureCollection" and collection["features"]
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        assert geometry["type"] == "LineString" and len(geometry["coordinates"]) >= 2
        for lon, lat in geometry["coordinates"]:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert {"segment_id", "name", "district", "value", "n_passes", "dirty_rank",
                "clean_rank", "status"} <= set(feature["properties"])
    ranked = sorted((f["properties"]["dirty_rank"], f["properties"]["segment_id"])
                    for f in collection["features"] if f["properties"]["dirty_rank"])
    assert [sid for _, sid in ranked] == [i["segment_id"] for i in rank.json()["dirty"]]
    by_id = {f["properties"]["segment_id"]: f["properties"] for f in collection["features"]}
    assert by_id[first["segment_id"]]["value"] == first["value"]
    feature = by_id[first["segment_id"]]  # named 路名 + A路口至B路口 (the 2024 form)
    assert feature["name"] == first["name"] and feature["name"].startswith(feature["road"])
    assert "口至" in feature["name"] and feature["name"].endswith("口")
    # a segment's passes: the counted ones with a PM10 mean are the n_passes of the ranking
    assert passes.status_code == 200, passes.text
    rows = passes.json()
    assert sum(1 for p in rows if p["counted"] and p["pm10"] is not None) == first["n_passes"]
    assert all(p["start"].startswith("2026-10-") for p in rows)
    assert missing.status_code == 404 and "no-such-segment" in missing.text
