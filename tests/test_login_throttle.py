"""Login throttling through real HTTP from several loopback addresses (127.0.0.2.. stand in for other hosts):
growing waits per address and per name, the right password still accepted from a client that is not
guessing, an admin lifting a wait, and the waits surviving a restart of the web app (real SQLite)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.web_helpers import PASSWORD, T0, FakeClock, add_user, csrf_of, make_store
from voicebot.config.settings import Settings
from voicebot.records import throttle
from voicebot.records.store import RecordStore
from voicebot.web.admin_ops import lift_token
from voicebot.web.server import make_app

WRONG = "falsch-geraten-1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    add_user(records, "sabine", "staff")
    add_user(records, "admin", "admin")
    yield records
    records.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@contextlib.asynccontextmanager
async def web_app(settings: Settings, store: RecordStore, clock: FakeClock) -> AsyncIterator[str]:
    """The app on a free port of 127.0.0.1; yields its base URL."""
    server = TestServer(make_app(settings, store, clock=clock), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def browser(address: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A client whose connections come from ``address`` (keeps cookies of IP hosts)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def attempt(base: str, address: str, name: str, password: str) -> tuple[int, str]:
    """One login through the form from ``address``: (status, Retry-After or '')."""
    async with browser(address) as session:
        form = await session.get(f"{base}/login")
        response = await session.post(
            f"{base}/login",
            data={"csrf": csrf_of(await form.text()), "name": name, "password": password},
            allow_redirects=False,
        )
        return response.status, response.headers.get("Retry-After", "")


def test_waits_grow_from_30_seconds_to_15_minutes() -> None:
    waits = [throttle.delay(n, throttle.FREE_ADDRESS).total_seconds() for n in range(1, 12)]
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]


async def test_the_guesser_waits_longer_each_time_and_the_owner_still_gets_in(
    settings: Settings, store: RecordStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="voicebot.web.auth")
    async with web_app(settings, store, clock) as base:
        # one address guessing: five free failures, then it waits 30 s, then 60 s
        for _ in range(throttle.FREE_ADDRESS):
            assert (await attempt(base, "127.0.0.2", "sabine", WRONG))[0] == 401
        status, retry = await attempt(base, "127.0.0.2", "sabine", PASSWORD)
        assert (status, retry) == (429, "30"), "the guessing address gets no password checked"
        clock.advance(seconds=31)
        assert (await attempt(base, "127.0.0.2", "sabine", WRONG))[0] == 401
        assert await attempt(base, "127.0.0.2", "sabine", PASSWORD) == (429, "60")

        # another address guessing the same name: past its free failures (6 + 4) the name waits too
        for _ in range(throttle.FREE_NAME - 6):
            assert (await attempt(base, "127.0.0.3", "sabine", WRONG))[0] == 401
        assert (await attempt(base, "127.0.0.3", "sabine", PASSWORD)) == (429, "30")
        # a fresh address gets one try checked; after a wrong one it is refused while the name waits
        assert (await attempt(base, "127.0.0.4", "sabine", WRONG))[0] == 401
        status, _ = await attempt(base, "127.0.0.4", "sabine", PASSWORD)
        assert status == 429, "an address that guessed is refused while the name waits"

        # the owner, from a client that did not guess, logs in with the right password
        assert (await attempt(base, "127.0.0.1", "sabine", PASSWORD))[0] == 303
        # and a success clears the name's wait, not the guessing addresses'
        assert (await attempt(base, "127.0.0.2", "sabine", PASSWORD))[0] == 429
        assert (await attempt(base, "127.0.0.4", "sabine", PASSWORD))[0] == 303
    locks = [record.getMessage() for record in caplog.records if "login lock" in record.getMessage()]
    assert locks[:3] == [
        "login lock: address 127.0.0.2 waits 30 s after 5 failures",
        "login lock: address 127.0.0.2 waits 60 s after 6 failures",
        "login lock: name sa…(6) waits 30 s after 10 failures",
    ], locks
    assert not any("sabine" in record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING)


async def test_an_admin_sees_and_lifts_a_wait(settings: Settings, store: RecordStore, clock: FakeClock) -> None:
    async with web_app(settings, store, clock) as base:
        for _ in range(throttle.FREE_ADDRESS):
            await attempt(base, "127.0.0.2", "nobody-" + WRONG, WRONG)
        assert (await attempt(base, "127.0.0.2", "sabine", PASSWORD))[0] == 429
        async with browser("127.0.0.1") as admin:
            form = await admin.get(f"{base}/login")
            await admin.post(
                f"{base}/login", data={"csrf": csrf_of(await form.text()), "name": "admin", "password": PASSWORD}
            )
            page = await admin.get(f"{base}/admin/locks")
            assert page.status == 200
            text = await page.text()
            assert "127.0.0.2" in text and "noch 30 s" in text
            assert WRONG not in text, "a name that is no account (maybe a password) is shown masked"
            assert "no…(" in text
            csrf = csrf_of(text)
            lifted = await admin.post(
                f"{base}/admin/locks/lift",
                data={"csrf": csrf, "token": lift_token("addr:127.0.0.2")},
                allow_redirects=False,
            )
            assert lifted.status == 303
            after = await (await admin.get(f"{base}/admin/locks?aufgehoben=1")).text()
            assert "Sperre aufgehoben" in after and "127.0.0.2" not in after
        assert (await attempt(base, "127.0.0.2", "sabine", PASSWORD))[0] == 303
        async with browser("127.0.0.1") as staff:  # staff may not lift waits
            form = await staff.get(f"{base}/login")
            await staff.post(
                f"{base}/login", data={"csrf": csrf_of(await form.text()), "name": "sabine", "password": PASSWORD}
            )
            assert (await staff.get(f"{base}/admin/locks")).status == 403


async def test_waits_survive_a_restart_of_the_web_app(
    settings: Settings, store: RecordStore, clock: FakeClock, tmp_path: Path
) -> None:
    async with web_app(settings, store, clock) as base:
        for _ in range(throttle.FREE_ADDRESS):
            await attempt(base, "127.0.0.2", "sabine", WRONG)
    store.close()
    reopened = RecordStore(tmp_path / "records.sqlite3")
    try:
        clock.advance(seconds=10)
        async with web_app(settings, reopened, clock) as base:
            assert await attempt(base, "127.0.0.2", "sabine", PASSWORD) == (429, "20")
            clock.advance(seconds=21)
            assert (await attempt(base, "127.0.0.2", "sabine", PASSWORD))[0] == 303
    finally:
        reopened.close()
