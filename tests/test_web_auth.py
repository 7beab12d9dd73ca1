"""The web app's security core through a real HTTP server: anonymous access, login, logout, session expiry
(moved clock), CSRF on every POST, the admin gate, security headers, login throttling."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.web_helpers import PASSWORD, T0, FakeClock, add_user, csrf_of, login, make_store, running_app, seed_calls
from voicebot.config.settings import Settings
from voicebot.records import queries
from voicebot.records.store import RecordStore
from voicebot.web.auth import COOKIE
from voicebot.web.server import serve

Client = TestClient[web.Request, web.Application]

GET_ROUTES = ["/", "/calls", "/calls/call-transferred", "/callbacks", "/callbacks/1", "/api/calls"]
POST_ROUTES = ["/calls/call-transferred/feedback", "/callbacks/1/done", "/logout"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    seed_calls(records)
    add_user(records, "sabine", "staff")
    add_user(records, "admin", "admin")
    yield records
    records.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + dt.timedelta(hours=3))


@pytest.fixture
async def client(settings: Settings, store: RecordStore, clock: FakeClock) -> AsyncIterator[Client]:
    async with running_app(settings, store, clock=clock) as test_client:
        yield test_client


async def text_of(client: Client, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return await response.text()


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_anonymous_browser_is_sent_to_login(client: Client, path: str) -> None:
    response = await client.get(path, allow_redirects=False, headers={"Accept": "text/html"})
    if path.startswith("/api/"):
        assert response.status == 401
        assert (await response.json())["error"]
    else:
        assert response.status == 302
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", GET_ROUTES[1:])
async def test_anonymous_json_client_gets_401(client: Client, path: str) -> None:
    response = await client.get(path, allow_redirects=False, headers={"Accept": "application/json"})
    assert response.status == 401


@pytest.mark.parametrize("path", POST_ROUTES)
async def test_anonymous_post_changes_nothing(client: Client, store: RecordStore, path: str) -> None:
    response = await client.post(path, data={"verdict": "right"}, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login?next=/"
    assert store.query(queries.list_feedback) == []
    assert all(item.done_at is None for item in store.query(queries.list_callbacks))


async def test_login_page_and_static_are_public(client: Client) -> None:
    page = await client.get("/login")
    assert page.status == 200
    html = await page.text()
    assert 'for="name"' in html and 'for="password"' in html and 'lang="de"' in html
    css = await client.get("/static/style.css")
    assert css.status == 200 and ":focus-visible" in await css.text()


async def test_security_headers_on_every_response(client: Client) -> None:
    for path in ("/login", "/calls", "/static/style.css"):
        response = await client.get(path, allow_redirects=False)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "aiohttp" not in response.headers.get("Server", "")
    page = await client.get("/login")
    assert page.headers["Cache-Control"] == "no-store"


async def test_wrong_password_and_unknown_user_are_refused(client: Client) -> None:
    for name, password in (("sabine", "falsches-passwort"), ("niemand", PASSWORD), ("sabine", "")):
        form = await client.get("/login")
        response = await client.post(
            "/login",
            data={"csrf": csrf_of(await form.text()), "name": name, "password": password},
            allow_redirects=False,
        )
        assert response.status == 401
        assert "falsch" in await response.text()
        assert COOKIE not in response.cookies
    assert (await client.get("/calls", allow_redirects=False)).status == 302


async def test_login_without_its_token_is_refused(client: Client) -> None:
    response = await client.post("/login", data={"name": "sabine", "password": PASSWORD}, allow_redirects=False)
    assert response.status == 403
    assert COOKIE not in response.cookies


async def test_login_goes_to_the_requested_page_but_never_off_site(client: Client) -> None:
    for target, expected in (
        ("/calls/call-answered", "/calls/call-answered"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ):
        form = await client.get("/login", params={"next": target})
        response = await client.post(
            "/login",
            data={"csrf": csrf_of(await form.text()), "name": "sabine", "password": PASSWORD, "next": target},
            allow_redirects=False,
        )
        assert response.status == 303
        assert response.headers["Location"] == expected


@pytest.mark.parametrize("token", [None, "", "falsch"])
async def test_post_without_the_right_csrf_token_is_forbidden(
    client: Client, store: RecordStore, token: str | None
) -> None:
    await login(client, "sabine")
    form = {"verdict": "right"} if token is None else {"verdict": "right", "csrf": token}
    for path in POST_ROUTES:
        response = await client.post(path, data=form, allow_redirects=False)
        assert response.status == 403, path
    assert store.query(queries.list_feedback) == []
    assert all(item.done_at is None for item in store.query(queries.list_callbacks))
    assert (await client.get("/calls")).status == 200, "still logged in: logout needs the token too"


async def test_csrf_token_in_header_is_accepted(client: Client, store: RecordStore) -> None:
    csrf = await login(client, "sabine")
    (item,) = store.query(queries.list_callbacks)
    response = await client.post(f"/callbacks/{item.id}/done", headers={"X-CSRF-Token": csrf}, allow_redirects=False)
    assert response.status == 303


async def test_staff_cannot_reach_admin_routes(client: Client) -> None:
    await login(client, "sabine")
    html = await text_of(client, "/calls")
    assert 'href="/admin/' not in html
    for path in ("/admin", "/admin/content", "/admin/try", "/admin/proposals", "/admin/stats", "/admin/anything"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 403, path
        assert "Administratoren" in await response.text()
        response = await client.post(path, data={}, allow_redirects=False)
        assert response.status == 403, path


async def test_admin_sees_staff_pages_and_passes_the_admin_gate(client: Client) -> None:
    await login(client, "admin")
    assert "Anrufe" in await text_of(client, "/calls")
    response = await client.get("/admin/gibt-es-nicht", allow_redirects=False)
    assert response.status == 404


async def test_session_expires_after_idle_time(settings: Settings, store: RecordStore, clock: FakeClock) -> None:
    short = dataclasses.replace(settings, web=dataclasses.replace(settings.web, session_minutes=30))
    async with running_app(short, store, clock=clock) as client:
        await login(client, "sabine")
        for _ in range(3):
            clock.advance(minutes=29)
            assert (await client.get("/calls", allow_redirects=False)).status == 200, "use keeps the session"
        clock.advance(minutes=31)
        response = await client.get("/calls", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"].startswith("/login")
        assert "abgelaufen" in await text_of(client, response.headers["Location"])
        assert (await client.get("/api/calls")).status == 401
        assert "abgelaufen" not in await text_of(client, "/login"), "the stale cookie was removed"


async def test_logout_ends_the_session(client: Client) -> None:
    csrf = await login(client, "sabine")
    response = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await client.get("/calls", allow_redirects=False)).status == 302


async def test_stolen_cookie_stops_working_after_logout(
    settings: Settings, store: RecordStore, clock: FakeClock
) -> None:
    async with running_app(settings, store, clock=clock) as client:
        csrf = await login(client, "sabine")
        token = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
        await client.post("/logout", data={"csrf": csrf})
    async with running_app(settings, store, clock=clock) as other:
        response = await other.get("/calls", cookies={COOKIE: token}, allow_redirects=False)
        assert response.status == 302


async def test_repeated_failed_logins_are_slowed_down(client: Client, clock: FakeClock) -> None:
    async def attempt(password: str) -> int:
        form = await client.get("/login")
        response = await client.post(
            "/login",
            data={"csrf": csrf_of(await form.text()), "name": "sabine", "password": password},
            allow_redirects=False,
        )
        return response.status

    assert [await attempt("falsch-falsch") for _ in range(5)] == [401] * 5
    assert await attempt(PASSWORD) == 429, "even the right password waits"
    clock.advance(minutes=16)
    assert await attempt(PASSWORD) == 303


async def test_a_second_login_page_does_not_invalidate_the_first(client: Client) -> None:
    first = await client.get("/login")
    token = csrf_of(await first.text())
    assert (await client.get("/favicon.ico", allow_redirects=True)).status == 200
    await client.get("/login")
    response = await client.post(
        "/login", data={"csrf": token, "name": "sabine", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 303


async def test_logging_in_again_ends_the_old_session(client: Client, store: RecordStore) -> None:
    await login(client, "sabine")
    old = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    await login(client, "sabine")
    with store.connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
    new = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    assert new != old


async def test_a_failure_inside_gives_a_german_error_page(client: Client, store: RecordStore) -> None:
    await login(client, "sabine")
    store.close()
    response = await client.get("/calls")
    assert response.status == 500
    assert "interner Fehler" in await response.text()
    assert (await client.get("/api/calls")).status == 500


async def test_serve_runs_the_app_on_its_port_and_purges_old_records(settings: Settings, tmp_path: Path) -> None:
    database = tmp_path / "served.sqlite3"
    served = dataclasses.replace(settings, records=dataclasses.replace(settings.records, database=str(database)))
    with RecordStore(database) as records:
        records.call_started("ancient", "+49838192045", dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(served, stop, port=port))
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{port}/login") as response:
                    assert response.status == 200
                    assert "Anmelden" in await response.text()
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the web app did not come up")
    stop.set()
    await task
    with RecordStore(database) as records:
        assert records.query(queries.get_call, "ancient") is None
