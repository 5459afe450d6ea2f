"""Roads HTTP intake against a careless or hostile client (issue 10, finding 8), real HTTP on
loopback: tokens, slow and big bodies, malformed requests, re-posts, wrong field types."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest

from envmon.roads.intake_http import Intake
from envmon.roads.intake_limits import IntakeLimits
from envmon.roads.tokens import TokenBook, add_token
from envmon.store import open_store
from tests.roads.test_http import ServedIntake, post

READING = {"device_id": "晋A-T001", "time": "2026-10-02T08:00:01", "lat": 37.85,
           "lon": 112.55, "pm25": 41, "pm10": 88}


def readings(n: int, device: str = "晋A-T001") -> list[dict]:
    return [{**READING, "device_id": device, "time": f"2026-10-02T08:{i // 60:02d}:{i % 60:02d}",
             "lon": 112.55 + i * 1e-5} for i in range(n)]


@pytest.fixture()
def store(tmp_path):
    with open_store(tmp_path / "intake.duckdb") as store:
        yield store


def served(store, **limits) -> ServedIntake:
    return ServedIntake(Intake(store, TokenBook.load(store), IntakeLimits(**limits)))


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` as is and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body or b"{}")


def test_a_token_is_required_once_one_exists(store):
    token = add_token(store, "fleet A", "晋A-").token
    with served(store) as intake:
        url = intake.url + "/roads/readings"
        body = json.dumps([READING]).encode()
        code, answer = post(url, body)
        assert code == 401 and answer["field"] == "Authorization"
        assert post(url, body, {"Authorization": "Bearer " + token[:-1] + "x"})[0] == 401
        assert post(url, body, {"Authorization": "Basic " + token})[0] == 401
        other = json.dumps([{**READING, "device_id": "晋B-T001"}]).encode()
        code, answer = post(url, other, {"Authorization": f"Bearer {token}"})
        assert code == 200 and answer["rejected"] == {"device_not_allowed": 1}
        code, answer = post(url, body, {"Authorization": f"Bearer {token}"})
        assert code == 200 and answer["accepted"] == 1
        assert intake.intake.refused["unauthorised"] == 3
    assert store.query("SELECT count(*) FROM road_readings")[0][0] == 1


def test_no_token_serves_loopback_only(store):
    from envmon.roads.intake_server import IntakeRefused, check_access

    with pytest.raises(IntakeRefused, match="envmon roads tokens add"):
        check_access("0.0.0.0", Intake(store))
    check_access("127.0.0.1", intake := Intake(store))
    assert intake.open_without_tokens


def test_slow_requests_are_cut_while_an_honest_post_succeeds(store):
    with served(store, header_timeout_s=0.5, body_timeout_s=0.5) as intake:
        port = intake.server.port
        no_headers = socket.create_connection(("127.0.0.1", port), timeout=10)
        no_headers.sendall(b"POST /roads/readings HTTP/1.1\r\nHost: x\r\n")
        no_body = socket.create_connection(("127.0.0.1", port), timeout=10)
        no_body.sendall(b"POST /roads/readings HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 1000\r\n\r\n[{")
        code, answer = post(intake.url + "/roads/readings", json.dumps([READING]).encode())
        assert code == 200 and answer["accepted"] == 1
        with no_headers, no_body:
            assert no_headers.recv(1024) == b""  # closed, nothing answered
            reply = b""
            while chunk := no_body.recv(4096):
                reply += chunk
            assert status_and_body(reply)[0] == 408
        wait_for(lambda: intake.intake.refused["header_timeout"] >= 1)
        assert threading.active_count() < 20  # no thread per connection


def test_oversized_bodies_are_413_without_being_held(store):
    cap = 64 * 1024
    with served(store, max_body_bytes=cap, body_budget_bytes=2 * cap) as intake:
        port = intake.server.port
        declared = raw_request(port, b"POST /roads/readings HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: 67108864\r\n\r\n")
        code, answer = status_and_body(declared)
        assert code == 413 and answer["field"] == "Content-Length"
        # no Content-Length (chunked): counted while it streams, cut at the cap. The client
        # sends just past the cap, all of which the server reads before it answers (more
        # unread data would make the close a reset, losing the answer)
        chunk = b"[" + b" " * 8190 + b"\n"
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk)
                        for _ in range(cap // len(chunk) + 1))
        streamed = raw_request(port, b"POST /roads/readings HTTP/1.1\r\nHost: x\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n" + body)
        assert status_and_body(streamed)[0] == 413
        assert intake.intake.budget.peak <= cap + len(chunk)
        assert intake.intake.budget.held == 0


def test_concurrent_large_posts_share_a_bounded_budget(store):
    cap = 256 * 1024
    part = 150 * 1024
    with served(store, max_body_bytes=cap, body_budget_bytes=2 * cap) as intake:
        port = intake.server.port
        body = json.dumps(readings(1)).encode()
        body += b" " * (200 * 1024 - len(body))
        head = (b"POST /roads/readings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        sockets, codes = [], []
        for _ in range(4):  # each sends 150 KB and waits: 4 x 150 KB > the 512 KB budget
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(head + body[:part])
            sockets.append(sock)
            wait_for(lambda: intake.intake.budget.held >= part * len(sockets)
                     or intake.intake.refused["busy"])
        for sock in sockets:
            with sock:
                with contextlib.suppress(OSError):  # the refused one is closed already
                    sock.sendall(body[part:])
                reply = b""
                # the refused one may be reset rather than closed (its unread bytes)
                with contextlib.suppress(ConnectionResetError):
                    while chunk := sock.recv(4096):
                        reply += chunk
                codes.append(status_and_body(reply)[0] if reply else 503)
        assert sorted(codes) == [200, 200, 200, 503]
        assert intake.intake.refused["busy"] == 1
        assert intake.intake.budget.peak <= 2 * cap
        assert intake.intake.budget.held == 0


def test_malformed_content_length_and_deep_json_are_400(store):
    with served(store) as intake:
        port = intake.server.port
        code, answer = status_and_body(raw_request(
            port, b"POST /roads/readings HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"))
        assert code == 400 and answer["field"] == "Content-Length"
        code, answer = post(intake.url + "/roads/readings", b"[" * 100_000 + b"]" * 100_000)
        assert code == 400 and "nested deeper" in answer["error"]
        code, answer = post(intake.url + "/roads/readings", b'{"readings": [1]}')
        assert code == 400 and answer["field"] == "readings[0]"
        assert post(intake.url + "/roads/readings", json.dumps([READING]).encode())[0] == 200


def test_a_reposted_batch_is_not_stored_twice(store):
    with served(store) as intake:
        url = intake.url + "/roads/readings"
        batch = json.dumps(readings(30)).encode()
        first, again = post(url, batch)[1], post(url, batch)[1]
        changed = readings(30)
        changed[0]["pm25"] = 99
        conflict = post(url, json.dumps(changed).encode())[1]
    assert (first["accepted"], first["duplicates"]) == (30, 0)
    assert (again["accepted"], again["duplicates"], again["rejected_total"]) == (0, 30, 0)
    assert conflict["duplicates"] == 29 and conflict["rejected"] == {"conflict": 1}
    assert store.query("SELECT count(*), max(pm25_raw) FROM road_readings")[0] == (30, 41)
    assert store.query("SELECT reason FROM road_rejections") == [("conflict",)]


def test_a_field_of_the_wrong_type_is_rejected_by_name(store):
    with served(store) as intake:
        bad = [{**READING, "lat": True}, {**READING, "time": "2026-10-02T08:00:02",
                                           "pm25": [41]}]
        code, answer = post(intake.url + "/roads/readings", json.dumps(bad).encode())
    assert code == 200 and answer["accepted"] == 0
    assert answer["rejected"] == {"bad_number": 1, "bad_position": 1}
    assert [(p["field"], p["detail"]) for p in answer["problems"]] == [
        ("lat", "must be a number, not true"), ("pm25", "must be a number, not a list")]
    assert store.query("SELECT count(*) FROM road_readings")[0][0] == 0


def test_a_time_outside_the_era_of_road_sensors_is_rejected_by_name(store):
    # Year 1 in Beijing time is year 0 in UTC: it answered 500 (OverflowError) and 9999 or
    # 1900 were stored as readings.
    with served(store) as intake:
        bad = [{**READING, "time": "0001-01-01T00:00:00"},
               {**READING, "time": "9999-12-31T23:59:59"},
               {**READING, "time": "1900-01-01T00:00:00+00:00"}]
        code, answer = post(intake.url + "/roads/readings", json.dumps(bad).encode())
    assert code == 200 and answer["accepted"] == 0
    assert answer["rejected"] == {"bad_time": 3}
    assert {p["field"] for p in answer["problems"]} == {"time"}
    assert store.query("SELECT count(*) FROM road_readings")[0][0] == 0


def test_one_address_cannot_hold_every_upload_slot(store):
    """Half-sent posts from one address beyond `uploads_per_address` are answered 429 at
    once; a post from another address is served meanwhile."""
    with served(store, uploads_per_address=2, body_timeout_s=30) as intake:
        port = intake.server.port
        half_sent = []
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"POST /roads/readings HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 1000\r\n\r\n[{")
            half_sent.append(sock)
        wait_for(lambda: sum(intake.intake.uploading.values()) == 2)
        body = json.dumps([READING]).encode()
        request = (b"POST /roads/readings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\nContent-Length: "
                   + str(len(body)).encode() + b"\r\n\r\n" + body)
        code, answer = status_and_body(raw_request(port, request))
        assert code == 429 and answer["field"] == "client"
        with socket.create_connection(("127.0.0.1", port), timeout=10,
                                      source_address=("127.0.0.2", 0)) as other:
            other.sendall(request)
            reply = b""
            while chunk := other.recv(65536):
                reply += chunk
        code, answer = status_and_body(reply)
        assert code == 200 and answer["accepted"] == 1
        for sock in half_sent:
            sock.close()
        assert intake.intake.refused["busy_address"] == 1


def test_an_overlong_device_id_is_rejected_by_name(store):
    """100 000 characters of device_id were stored as a device."""
    with served(store) as intake:
        bad = [{**READING, "device_id": "晋" * 100_000}]
        code, answer = post(intake.url + "/roads/readings", json.dumps(bad).encode())
    assert code == 200 and answer["accepted"] == 0
    assert [(p["field"], p["detail"]) for p in answer["problems"]] == [
        ("device_id", "100000 characters, at most 64")]
    assert store.query("SELECT count(*) FROM road_readings")[0][0] == 0


def test_a_token_is_listed_with_the_time_it_was_added_in_beijing_time(store):
    from envmon.roads.tokens import list_tokens

    made = add_token(store, "fleet A", None).info
    assert made.created_at.utcoffset().total_seconds() == 8 * 3600
    assert [t.created_at.isoformat() for t in list_tokens(store)] == [
        made.created_at.isoformat()]
