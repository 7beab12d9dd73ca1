"""Shared helpers for web app tests: a store with users, the app on a free port, logging in.

    store = make_store(tmp_path)
    add_user(store, "anna", "staff")
    async with running_app(settings, store, clock=clock) as client:
        csrf = await login(client, "anna")
        response = await client.post("/calls/c1/feedback", data={"csrf": csrf, ...})

``running_app`` uses aiohttp's TestServer (binds a free port on 127.0.0.1; ``client.make_url("/")`` is the
absolute URL for a browser). ``serve_in_thread`` runs the app in a background thread with its own event
loop, for tests that drive a real browser synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import re
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from voicebot.config.settings import Settings
from voicebot.records.calls import CallbackRequest, CallOutcome, TurnRecord
from voicebot.records.queries import to_db
from voicebot.records.store import RecordStore
from voicebot.records.users import add_user as _add_user
from voicebot.records.users import hash_password
from voicebot.web.server import make_app

PASSWORD = "richtig-geheim-42"
"""Password of every test account unless a test sets its own."""
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
"""A fixed Monday morning for seeded records."""


class FakeClock:
    """A clock tests move by hand (no sleeping)."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move on by ``timedelta(**delta)``."""
        self.now += dt.timedelta(**delta)


def make_store(tmp_path: Path) -> RecordStore:
    """A fresh store in ``tmp_path`` (close it at the end; running_app does not)."""
    return RecordStore(tmp_path / "records.sqlite3")


@functools.cache
def _test_password_hash() -> str:
    return hash_password(PASSWORD)


def add_user(store: RecordStore, name: str, role: str = "staff", password: str = PASSWORD) -> None:
    """Create an account directly in the store (the shared test password is hashed once per test run)."""
    if password != PASSWORD:
        store.query(_add_user, name, role, password, T0)
        return
    with store.connection(immediate=True) as conn:
        conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, _test_password_hash(), to_db(T0)),
        )


def seed_calls(store: RecordStore, start: dt.datetime = T0) -> dict[str, str]:
    """Three calls through the CallRecorder interface, as a session makes them; returns name -> call id.

    ``transferred``: caller wanted the Kfz-Zulassung, said a phone number and a birth date (masked);
    ``answered``: opening hours answered; ``callback``: Jugendamt closed, callback request left.
    """
    ids = {"transferred": "call-transferred", "answered": "call-answered", "callback": "call-callback"}
    store.call_started(ids["transferred"], "+49838192045", start, instance="bot-a")
    store.turn(
        ids["transferred"],
        TurnRecord(
            index=0,
            at=start + dt.timedelta(seconds=6),
            transcript="ich will mein auto anmelden meine nummer ist 0171 2345678 geboren am 3.4.1980",
            engine="whisper",
            asr_confidence=0.82,
            candidates=(("kfz-anmeldung", 0.91), ("kfz-abmeldung", 0.55)),
            action="transfer",
            topic="kfz-anmeldung",
            department="zulassung",
            reply="Ich verbinde Sie mit der Kfz-Zulassungsstelle.",
            reason="Thema wird von der Abteilung bearbeitet",
            timings_ms={"asr": 420.0, "match": 3.2, "gap": 780.0},
        ),
    )
    store.call_ended(
        ids["transferred"],
        CallOutcome(
            "transferred",
            department="zulassung",
            topic="kfz-anmeldung",
            reason="Thema wird von der Abteilung bearbeitet",
            ended_at=start + dt.timedelta(seconds=15),
        ),
    )
    later = start + dt.timedelta(hours=1)
    store.call_started(ids["answered"], "08381 920 46", later, instance="bot-b")
    store.turn(
        ids["answered"],
        TurnRecord(
            index=0,
            at=later + dt.timedelta(seconds=5),
            transcript="wann habt ihr offen",
            candidates=(("oeffnungszeiten", 0.95),),
            action="answer",
            topic="oeffnungszeiten",
            department="zentrale",
            reply="Das Landratsamt ist Montag bis Freitag von 7:30 Uhr bis 12 Uhr geöffnet.",
        ),
    )
    store.call_ended(
        ids["answered"], CallOutcome("answered", topic="oeffnungszeiten", ended_at=later + dt.timedelta(seconds=40))
    )
    latest = start + dt.timedelta(hours=2)
    store.call_started(ids["callback"], "+4915112345678", latest)
    store.callback(
        CallbackRequest(
            ids["callback"], "Erika Muster", "0151 12345678", "jugendamt", note="bitte nachmittags", at=latest
        )
    )
    store.call_ended(
        ids["callback"],
        CallOutcome("callback", department="jugendamt", reason="Abteilung geschlossen", ended_at=latest),
    )
    store.flush()
    return ids


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, store: RecordStore, *, clock: FakeClock | None = None, bot: object | None = None
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The app on a free port with a client that keeps cookies and does not follow redirects by default."""
    app = make_app(settings, store, bot, clock=clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def login(client: TestClient[web.Request, web.Application], name: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token (for POSTs)."""
    page = await client.get("/login")
    assert page.status == 200
    response = await client.post(
        "/login",
        data={"csrf": csrf_of(await page.text()), "name": name, "password": password, "next": "/calls"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    calls = await client.get("/calls")
    assert calls.status == 200
    return csrf_of(await calls.text())


@contextlib.contextmanager
def serve_in_thread(
    settings: Settings, store: RecordStore, *, clock: FakeClock | None = None, bot: object | None = None
) -> Iterator[str]:
    """Run the app on a free port in a background thread; yields its base URL (``http://127.0.0.1:PORT``)."""
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    loops: list[asyncio.AbstractEventLoop] = []
    urls: list[str] = []
    errors: list[BaseException] = []

    async def main() -> None:
        runner = web.AppRunner(make_app(settings, store, bot, clock=clock))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        urls.append(f"http://127.0.0.1:{port}")
        stop.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        ready.set()
        try:
            await stop[0].wait()
        finally:
            await runner.cleanup()

    def thread_main() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(main())
        except BaseException as error:
            errors.append(error)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=thread_main, name="web-test-server", daemon=True)
    thread.start()
    ready.wait(30)
    if errors or not urls:
        raise RuntimeError(f"web app did not start: {errors}")
    try:
        yield urls[0]
    finally:
        loops[0].call_soon_threadsafe(stop[0].set)
        thread.join(30)
