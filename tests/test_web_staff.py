"""The staff pages through a real HTTP server: call list (order, filters, paging, masking), call timeline,
feedback and callback worklist stored, labels on every form control. Security core: test_web_auth.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.web_helpers import T0, FakeClock, add_user, csrf_of, login, make_store, running_app, seed_calls
from voicebot.config.settings import Settings
from voicebot.records import queries
from voicebot.records.calls import CallOutcome
from voicebot.records.store import RecordStore

Client = TestClient[web.Request, web.Application]
CLEAR_NUMBERS = ("0171 2345678", "2345678", "838192045", "8381 920 4", "15112345678", "0151 12345678")

GET_ROUTES = [
    "/",
    "/calls",
    "/calls/call-transferred",
    "/callbacks",
    "/callbacks/1",
    "/api/calls",
    "/live",
    "/api/live",
]


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


async def test_staff_sees_calls_newest_first_with_transfers_marked(client: Client) -> None:
    await login(client, "sabine")
    html = await text_of(client, "/calls")
    order = [html.index(f"/calls/{call_id}") for call_id in ("call-callback", "call-answered", "call-transferred")]
    assert order == sorted(order)
    assert re.search(r'<tr class="transferred">.*?badge-transferred">Weitergeleitet', html, re.S)
    assert "+49 8381 ••• 45" in html
    assert "3 Anrufe" in html


async def test_no_unmasked_number_on_any_staff_list_or_call_page(client: Client) -> None:
    await login(client, "sabine")
    for path in ("/calls", "/calls/call-transferred", "/calls/call-callback", "/callbacks", "/api/calls"):
        body = await text_of(client, path)
        for number in CLEAR_NUMBERS:
            assert number not in body, (path, number)


async def test_call_list_filters(client: Client) -> None:
    await login(client, "sabine")
    html = await text_of(client, "/calls?ergebnis=transferred")
    assert "call-transferred" in html and "call-answered" not in html and "1 Anruf<" in html
    html = await text_of(client, "/calls?abteilung=jugendamt")
    assert "call-callback" in html and "call-transferred" not in html
    html = await text_of(client, "/calls?von=2026-11-24")
    assert "Keine Anrufe gefunden" in html
    html = await text_of(client, "/calls?von=2026-11-23&bis=2026-11-23")
    assert all(f"/calls/{c}" in html for c in ("call-callback", "call-answered", "call-transferred"))
    invalid = await client.get("/calls?von=gestern&ergebnis=quatsch")
    assert invalid.status == 400  # an invalid filter lists nothing but its errors
    html = await invalid.text()
    assert "kein gültiges Datum" in html and "Unbekanntes Ergebnis" in html and "/calls/call-" not in html
    await client.post(
        "/calls/call-answered/feedback", data={"csrf": csrf_of(html), "verdict": "right"}, allow_redirects=False
    )
    html = await text_of(client, "/calls?rueckmeldung=ohne")
    assert "call-answered" not in html and "call-transferred" in html
    html = await text_of(client, "/calls?rueckmeldung=mit")
    assert "call-answered" in html and "call-transferred" not in html
    assert "Unbekannter Wert" in await (await client.get("/calls?rueckmeldung=vielleicht")).text()
    data = await (await client.get("/api/calls?ergebnis=answered")).json()
    assert [call["id"] for call in data["calls"]] == ["call-answered"]
    assert (await client.get("/api/calls?von=gestern")).status == 400


async def test_call_list_is_paginated(client: Client, store: RecordStore) -> None:
    for i in range(queries.PAGE_SIZE + 5):
        store.call_started(f"bulk-{i:03d}", "+49838192045", T0 - dt.timedelta(days=1, minutes=i))
        store.call_ended(f"bulk-{i:03d}", CallOutcome("answered"))
    store.flush()
    await login(client, "sabine")
    first = await text_of(client, "/calls")
    assert "Seite 1 von 2" in first and "seite=2" in first and "bulk-050" not in first
    second = await text_of(client, "/calls?seite=2")
    assert "bulk-054" in second and "call-transferred" not in second and "seite=1" in second


async def test_call_page_shows_the_timeline(client: Client) -> None:
    await login(client, "sabine")
    html = await text_of(client, "/calls/call-transferred")
    assert "[Telefonnummer]" in html and "[Datum]" in html
    assert "91 %" in html and "55 %" in html
    assert "Ich verbinde Sie mit der Kfz-Zulassungsstelle." in html
    assert "Grund der Weiterleitung" in html and "Thema wird von der Abteilung bearbeitet" in html
    assert "420 ms" in html and "82 %" in html
    assert (await client.get("/calls/gibt-es-nicht")).status == 404


async def test_feedback_is_stored(client: Client, store: RecordStore) -> None:
    csrf = await login(client, "sabine")
    response = await client.post(
        "/calls/call-transferred/feedback",
        data={
            "csrf": csrf,
            "verdict": "wrong",
            "topic": "kfz-abmeldung",
            "department": "zulassung",
            "turn": "0",
            "note": "wollte abmelden, Rückruf unter 0171 2345678",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    (feedback,) = store.query(queries.list_feedback, "call-transferred")
    assert (feedback.verdict, feedback.correct_topic, feedback.correct_department) == (
        "wrong",
        "kfz-abmeldung",
        "zulassung",
    )
    assert feedback.turn_idx == 0 and feedback.user == "sabine" and feedback.at == T0 + dt.timedelta(hours=3)
    assert "2345678" not in feedback.note and "[Telefonnummer]" in feedback.note
    page = await text_of(client, response.headers["Location"])
    assert "gespeichert" in page and "sabine" in page
    response = await client.post(
        "/calls/call-answered/feedback", data={"csrf": csrf, "verdict": "right"}, allow_redirects=False
    )
    assert response.status == 303
    assert store.query(queries.list_feedback, "call-answered")[0].verdict == "right"


async def test_incomplete_feedback_is_refused_with_a_message(client: Client, store: RecordStore) -> None:
    csrf = await login(client, "sabine")
    for data, message in (
        ({"verdict": "wrong"}, "richtige Thema"),
        ({}, "„richtig“ oder „falsch“"),
        ({"verdict": "wrong", "department": "mond"}, "Abteilung gibt es nicht"),
        ({"verdict": "right", "turn": "x"}, "Gesprächsschritt"),
    ):
        response = await client.post("/calls/call-transferred/feedback", data={"csrf": csrf, **data})
        assert response.status == 400
        assert message in await response.text()
    assert store.query(queries.list_feedback) == []
    response = await client.post("/calls/nope/feedback", data={"csrf": csrf, "verdict": "right"})
    assert response.status == 404


async def test_callback_worklist_and_done(client: Client, store: RecordStore, clock: FakeClock) -> None:
    csrf = await login(client, "sabine")
    (item,) = store.query(queries.list_callbacks)
    worklist = await text_of(client, "/callbacks")
    assert 'Rückrufe <span class="count">1<span class="visually-hidden"> offen</span>' in worklist
    assert "Erika Muster" in worklist and "0151 ••• 78" in worklist and "1 offen" in worklist
    detail = await text_of(client, f"/callbacks/{item.id}")
    assert "0151 12345678" in detail and 'href="tel:015112345678"' in detail
    response = await client.post(f"/callbacks/{item.id}/done", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/callbacks"
    done = store.query(queries.get_callback, item.id)
    assert done is not None and done.done_by == "sabine" and done.done_at == clock.now
    worklist = await text_of(client, "/callbacks")
    assert "erledigt" in worklist and "0 offen" in worklist
    assert 'class="count"' not in worklist
    assert (await client.post("/callbacks/999/done", data={"csrf": csrf})).status == 404
    assert (await client.get("/callbacks/abc")).status == 404


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_staff_can_open_every_staff_route(client: Client, path: str) -> None:
    await login(client, "sabine")
    response = await client.get(path)
    assert response.status == 200, path
    assert str(response.url.path) != "/login"


class _FormAudit(HTMLParser):
    """Collects form controls and the ids their labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[tuple[str, str]] = []
        self.label_targets: set[str] = set()
        self.label_depth = 0
        self.wrapped = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "label":
            self.label_depth += 1
            if values.get("for"):
                self.label_targets.add(values["for"])
        elif tag in ("input", "select", "textarea") and values.get("type") not in ("hidden", "submit"):
            if self.label_depth:
                self.wrapped += 1
            else:
                self.controls.append((tag, values.get("id", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1


@pytest.mark.parametrize("path", ["/login", "/calls", "/calls/call-transferred", "/callbacks", "/callbacks/1"])
async def test_every_form_control_has_a_label(client: Client, path: str) -> None:
    if path != "/login":
        await login(client, "sabine")
    audit = _FormAudit()
    audit.feed(await text_of(client, path))
    unlabelled = [control for control in audit.controls if control[1] not in audit.label_targets]
    assert unlabelled == []
    body = await text_of(client, path)
    assert 'lang="de"' in body and 'name="viewport"' in body and "Zum Inhalt springen" in body
