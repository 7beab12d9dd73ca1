"""Issue 13's rough edges through a real HTTP server: numbers out of range, invalid filters, German error pages,
refused inputs not echoed, callbacks reopened, the live JSON, the German timeline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.web_helpers import T0, FakeClock, add_user, login, make_store, running_app, seed_calls
from voicebot.config.settings import Settings
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.store import RecordStore

Client = TestClient[web.Request, web.Application]
HUGE = "99999999999999999999999"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    seed_calls(records)
    add_user(records, "sabine", "staff")
    yield records
    records.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + dt.timedelta(hours=3))


@pytest.fixture
async def client(settings: Settings, store: RecordStore, clock: FakeClock) -> AsyncIterator[Client]:
    async with running_app(settings, store, clock=clock) as test_client:
        await login(test_client, "sabine")
        yield test_client


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/calls?seite=99999999999999999999", 400),
        ("/calls?seite=-3", 400),
        ("/calls?seite=abc", 400),
        (f"/callbacks/{HUGE}", 404),
        ("/callbacks/-1", 404),
        ("/callbacks/0", 404),
        (f"/calls/call-transferred/audio/{HUGE}", 404),
        (f"/api/calls?seite={HUGE}", 400),
    ],
)
async def test_numbers_out_of_range_are_404_or_400_never_500(client: Client, path: str, status: int) -> None:
    response = await client.get(path)
    assert response.status == status, path
    if not path.startswith("/api/"):
        text = await response.text()
        assert "Fehler" in text or "gültig" in text
        assert "Traceback" not in text


async def test_posting_to_a_huge_callback_id_is_404(client: Client) -> None:
    page = await (await client.get("/callbacks")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    response = await client.post(f"/callbacks/{HUGE}/done", data={"csrf": csrf.group(1)}, allow_redirects=False)
    assert response.status == 404


async def test_an_invalid_filter_lists_nothing_but_the_error(client: Client) -> None:
    response = await client.get("/calls?von=gestern")
    assert response.status == 400
    text = await response.text()
    assert "kein gültiges Datum" in text
    assert "/calls/call-" not in text
    good = await (await client.get("/calls")).text()
    assert "/calls/call-answered" in good


async def test_error_pages_are_german_for_every_status(client: Client) -> None:
    missing = await client.get("/gibt-es-nicht")
    assert missing.status == 404
    assert "Nicht gefunden" in await missing.text()
    page = await (await client.get("/calls")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    wrong_method = await client.post("/calls", data={"csrf": csrf.group(1)})
    assert wrong_method.status == 405
    text = await wrong_method.text()
    assert "Nicht erlaubt" in text
    assert "Method Not Allowed" not in text


async def test_a_too_large_body_gets_a_german_413_without_echo(client: Client) -> None:
    page = await (await client.get("/calls/call-answered")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    big = "x" * (3 * 1024 * 1024)
    response = await client.post("/calls/call-answered/feedback", data={"csrf": csrf.group(1), "note": big})
    assert response.status == 413
    text = await response.text()
    assert "zu groß" in text
    assert "Maximum request body size" not in text
    assert "xxxxxxxxxx" not in text
    assert len(text) < 20_000


async def test_a_done_callback_can_be_reopened(client: Client, store: RecordStore) -> None:
    page = await (await client.get("/callbacks")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    done = await client.post("/callbacks/1/done", data={"csrf": csrf.group(1)}, allow_redirects=False)
    assert done.status == 303
    assert "erledigt von" in await (await client.get("/callbacks/1")).text()
    reopened = await client.post("/callbacks/1/reopen", data={"csrf": csrf.group(1)}, allow_redirects=False)
    assert reopened.status == 303
    text = await (await client.get("/callbacks/1")).text()
    assert "offen" in text
    assert "erledigt von" not in text


async def test_the_call_page_reads_in_german(client: Client, store: RecordStore) -> None:
    store.call_started("c-de", "+4983811111", T0)
    turns = [
        TurnRecord(0, T0, "", action="greeting", reason="Anruf angenommen", timings_ms={"tts_ms": 12.0}),
        TurnRecord(
            1,
            T0 + dt.timedelta(seconds=5),
            "verbinden sie mich mit dem jugendamt",
            engine="typed",
            candidates=(("mitarbeiter", 0.29),),
            action="transfer",
            department="jugendamt",
            reason="Anrufer verlangte Jugendamt",
            timings_ms={"match_ms": 3.0, "gap_ms": 700.0},
        ),
        TurnRecord(2, T0 + dt.timedelta(seconds=9), "", action="transferred", department="jugendamt", reason="x"),
    ]
    for turn in turns:
        store.turn("c-de", turn)
    store.call_ended("c-de", CallOutcome("hung_up", reason="Anrufer legte auf (callback_offer)", ended_at=T0))
    store.flush()
    text = re.sub(r"<[^>]+>", " ", await (await client.get("/calls/c-de")).text())  # what staff read
    for code in ("greeting", "tts_ms", "match_ms", "gap_ms", "(typed)", "(callback_offer)", "Zeiten:"):
        assert code not in text, code
    assert "Begrüßung" in text
    assert "Weiterverbunden an" in text
    assert "beim Rückrufangebot" in text
    assert "Grundlage: Der Anrufer nannte die Abteilung" in text
    assert "Messwerte (für die Technik)" in text


async def test_live_json_lists_calls_in_progress_and_just_transferred(
    client: Client, store: RecordStore, clock: FakeClock
) -> None:
    now = clock()
    store.call_started("running", "+4983812222", now - dt.timedelta(seconds=20))
    store.turn(
        "running",
        TurnRecord(0, now, "ich brauche einen termin meine nummer ist 0171 2345678", action="confirm",
                   topic="kfz-anmeldung", reason="unsicher (0.45)"),
    )  # fmt: skip
    store.call_started("old", "+4983813333", now - dt.timedelta(hours=5))  # a leftover, not live
    store.call_started("put-through", "+4983814444", now - dt.timedelta(minutes=2))
    store.turn(
        "put-through",
        TurnRecord(0, now, "verbinden sie mich mit der zulassung", action="transfer", department="zulassung",
                   reason="Anrufer verlangte Zulassung"),
    )  # fmt: skip
    store.turn("put-through", TurnRecord(1, now, "", action="transferred", reason="weitervermittelt an Zulassung"))
    store.call_ended(
        "put-through",
        CallOutcome("transferred", "zulassung", "kfz-anmeldung", "weitervermittelt an Zulassung", now),
    )
    store.flush()
    response = await client.get("/api/live")
    assert response.status == 200
    calls = {call["id"]: call for call in (await response.json())["calls"]}
    assert set(calls) == {"running", "put-through"}
    assert calls["running"]["status"] == "läuft"
    assert "[Telefonnummer]" in calls["running"]["words"]
    assert "2345678" not in calls["running"]["words"]
    assert calls["running"]["reason"] == "unsicher (45 %)"
    assert calls["put-through"]["status"] == "Weitergeleitet"
    assert calls["put-through"]["reason"] == "Anrufer verlangte Zulassung"
    page = await (await client.get("/live")).text()
    assert 'href="/live"' in page
    assert "/static/live.js" in page


async def test_a_refused_long_note_is_not_echoed(client: Client) -> None:
    page = await (await client.get("/calls/call-answered")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    note = "Notiz " * 50_000
    response = await client.post(
        "/calls/call-answered/feedback", data={"csrf": csrf.group(1), "verdict": "wrong", "note": note}
    )
    assert response.status == 400
    text = await response.text()
    assert "zu lang" in text
    assert "Notiz Notiz Notiz" not in text
