"""Operations endpoints over real HTTP: /health (200/503), /metrics access, forwarded headers from trusted
proxies only (client address, Secure cookies, HSTS, throttling per real client), CSV downloads."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.web_helpers import PASSWORD, T0, FakeClock, add_user, csrf_of, login, make_store, seed_calls
from voicebot.call.status import LineStatus, StatusBoard, now
from voicebot.config.settings import Settings
from voicebot.records import throttle
from voicebot.records.store import RecordStore
from voicebot.web.proxy import HSTS, bare_address, networks, real_client
from voicebot.web.server import make_app

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    seed_calls(records)
    add_user(records, "sabine", "staff")
    add_user(records, "admin", "admin")
    yield records
    records.close()


def with_web(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, web=dataclasses.replace(settings.web, **changes))


async def client_of(app: web.Application) -> Client:
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(settings: Settings, store: RecordStore) -> AsyncIterator[Client]:
    test_client = await client_of(make_app(settings, store, clock=FakeClock(T0)))
    yield test_client
    await test_client.close()


def line(worker: int, *, age: float = 0.0, listening: bool = True, asr: str = "vosk") -> LineStatus:
    return LineStatus(worker, 4242, 5070 + worker, listening, None, 0, asr, "vosk", "espeak", "espeak", now() - age)


async def health_of(settings: Settings, store: RecordStore, board: StatusBoard | None) -> tuple[int, dict[str, Any]]:
    test_client = await client_of(make_app(settings, store, board=board))
    try:
        response = await test_client.get("/health")
        return response.status, json.loads(await response.text())
    finally:
        await test_client.close()


async def test_health_is_200_when_every_line_listens_and_the_store_writes(
    settings: Settings, store: RecordStore, tmp_path: Path
) -> None:
    board = StatusBoard(tmp_path / "status", expected=2)
    board.write(line(1))
    board.write(line(2))
    status, body = await health_of(settings, store, board)
    assert status == 200 and body["status"] == "ok", body
    assert body["workers"] == {"expected": 2, "alive": 2}
    assert body["records"] == {"writes": True, "spooled": 0, "lost": 0}
    with store.connection() as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'health_check'").fetchone() is not None
    board.write(line(2, asr="whisper"))  # vosk did not load: Whisper runs instead
    status, body = await health_of(settings, store, board)
    assert status == 200 and body["status"] == "degraded"
    assert [entry["asr_fallback"] for entry in body["lines"]] == [False, True]


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (lambda: [line(1)], "1 von 2 Leitungen laufen"),
        (lambda: [line(1), line(2, age=3600)], "Leitung 2 meldet sich seit 36"),
        (lambda: [line(1), line(2, listening=False)], "Leitung 2: SIP hört nicht zu"),
    ],
)
async def test_health_is_503_when_a_line_is_missing_stale_or_deaf(
    settings: Settings, store: RecordStore, tmp_path: Path, lines: Callable[[], list[LineStatus]], problem: str
) -> None:
    board = StatusBoard(tmp_path / "status", expected=2)
    for status_line in lines():  # stamped now, not when the tests were collected
        board.write(status_line)
    status, body = await health_of(settings, store, board)
    assert status == 503 and body["status"] == "fail"
    assert any(text.startswith(problem) for text in body["problems"]), body


async def test_health_is_503_when_the_store_takes_no_writes(settings: Settings, tmp_path: Path) -> None:
    records = make_store(tmp_path)
    test_client = await client_of(make_app(settings, records))
    try:
        assert (await test_client.get("/health")).status == 200
        records.close()  # as if the database went away under the running app
        response = await test_client.get("/health")
        body = json.loads(await response.text())
    finally:
        await test_client.close()
    assert response.status == 503 and body["records"] == {"writes": False, "spooled": 0, "lost": 0}, body


async def test_health_and_metrics_need_no_login_but_metrics_only_from_allowed_addresses(
    settings: Settings, store: RecordStore
) -> None:
    allowed = await client_of(make_app(settings, store))
    try:
        assert (await allowed.get("/health")).status == 200
        response = await allowed.get("/metrics")
        assert response.status == 200
        assert "# TYPE voicebot_live_calls gauge" in await response.text()
    finally:
        await allowed.close()
    refused = await client_of(make_app(with_web(settings, metrics_allow=("10.0.0.0/8",)), store))
    try:
        assert (await refused.get("/metrics")).status == 403
    finally:
        await refused.close()


def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy() -> None:
    trusted = networks(["127.0.0.1", "10.0.0.0/24"])
    assert real_client("127.0.0.1", ["203.0.113.7"], trusted) == "203.0.113.7"
    assert real_client("127.0.0.1", ["6.6.6.6", "203.0.113.7", "10.0.0.5"], trusted) == "203.0.113.7"
    assert real_client("192.0.2.1", ["203.0.113.7"], trusted) == "192.0.2.1", "an untrusted peer is the client"
    assert [bare_address(text) for text in ('"[2001:db8::1]:443"', "198.51.100.1:5678", "2001:db8::2", "unknown")] == [
        "2001:db8::1",
        "198.51.100.1",
        "2001:db8::2",
        "unknown",
    ]


async def login_response(client: Client, headers: dict[str, str], password: str = PASSWORD) -> tuple[int, str, str]:
    """(status, Set-Cookie of the session, HSTS header) of one login through the form."""
    form = await client.get("/login", headers=headers)
    token = form.cookies["voicebot_login"].value  # a Secure cookie: the jar would not send it over plain http
    response = await client.post(
        "/login",
        data={"csrf": csrf_of(await form.text()), "name": "sabine", "password": password},
        headers=headers,
        cookies={"voicebot_login": token},
        allow_redirects=False,
    )
    cookies = ";".join(response.headers.getall("Set-Cookie", []))
    return response.status, cookies, response.headers.get("Strict-Transport-Security", "")


HTTPS_FROM = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


async def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(
    settings: Settings, store: RecordStore
) -> None:
    untrusted = await client_of(make_app(settings, store, clock=FakeClock(T0)))
    try:
        status, cookie, hsts = await login_response(untrusted, HTTPS_FROM)
        assert status == 303 and "voicebot_session=" in cookie
        assert "Secure" not in cookie and hsts == ""
        for _ in range(throttle.FREE_ADDRESS):
            await login_response(untrusted, {"X-Forwarded-For": "198.51.100.1"}, "falsch")
        with store.connection() as conn:
            waiting = {entry.value for entry in throttle.blocked(conn, T0) if entry.kind == "addr"}
        assert waiting == {"127.0.0.1"}, "without a trusted proxy the peer's address counts"
    finally:
        await untrusted.close()


async def test_a_trusted_proxy_gives_the_real_client_https_secure_cookies_and_hsts(
    settings: Settings, store: RecordStore
) -> None:
    app = make_app(with_web(settings, trusted_proxies=("127.0.0.1",)), store, clock=FakeClock(T0))
    proxied = await client_of(app)
    try:
        status, cookie, hsts = await login_response(proxied, HTTPS_FROM)
        assert status == 303 and "voicebot_session=" in cookie and "Secure" in cookie
        assert hsts == HSTS
        for port in range(throttle.FREE_ADDRESS):  # a new source port each time: still the same client
            forwarded = {"Forwarded": f'for="198.51.100.1:{4711 + port}";proto=https'}
            assert (await login_response(proxied, forwarded, "falsch"))[0] == 401
        assert (await login_response(proxied, forwarded))[0] == 429, "the guessing client waits"
        assert (await login_response(proxied, HTTPS_FROM))[0] == 303, "another client behind the proxy does not"
        plain = await proxied.get("/login", headers={"X-Forwarded-Proto": "http"})
        assert "Strict-Transport-Security" not in plain.headers
        metrics = await proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
        assert metrics.status == 403, "metrics go by the real client's address"
    finally:
        await proxied.close()


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


async def test_staff_download_the_calls_masked_and_admins_the_statistics(client: Client) -> None:
    await login(client, "sabine")
    page = await (await client.get("/calls?von=2026-11-23&bis=2026-11-23")).text()
    assert 'href="/export/calls.csv?from=2026-11-23&amp;to=2026-11-23"' in page
    response = await client.get("/export/calls.csv?from=2026-11-23&to=2026-11-23")
    assert response.status == 200 and response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(await response.text())
    assert [row["ergebnis"] for row in rows] == ["transferred", "answered", "callback"]
    assert [row["anrufer"] for row in rows] == ["'+49 8381 ••• 45", "08381 ••• 46", "'+49 151 ••• 78"]
    text = await (await client.get("/export/calls.csv")).text()
    for number in ("4983819204", "0838192046", "15112345678", "0171 2345678", "2345678"):
        assert number not in text.replace(" ", ""), number
    assert (await client.get("/admin/export/stats.csv")).status == 403
    await client.post("/logout", data={"csrf": csrf_of(await (await client.get("/calls")).text())})
    await login(client, "admin")
    response = await client.get("/admin/export/stats.csv?period=week")
    assert response.status == 200
    [week] = rows_of(await response.text())
    assert (week["zeitraum"], week["anrufe"], week["answered"], week["transferred"]) == ("2026-W48", "3", "1", "1")
    assert week["weiterleitungen:zulassung"] == "1" and week["weiterleitung_ok"] == "1"
    assert (await client.get("/admin/export/stats.csv?period=year")).status == 400
