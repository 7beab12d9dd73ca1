"""The call's language in the records, the web pages, the learning loop and the statistics (issue 11).

Real SQLite store, real app on a free port, copies of the content files; the call is a simulated session
through the real dialogue, recorded by the real store.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.admin_helpers import copy_content
from tests.sample_content import OPEN_NOW
from tests.web_helpers import T0, FakeClock, add_user, login, make_store, running_app
from voicebot.call.bot import Bot
from voicebot.call.simulate import Turn, simulate_call
from voicebot.config.settings import Settings
from voicebot.content.edit_language import add_phrasing_in
from voicebot.content.load import load_content
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.records import schema
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.queries import CallFilter, add_feedback, get_call, get_turns, list_calls
from voicebot.records.stats import compute
from voicebot.records.store import RecordStore
from voicebot.speak.cache import SpeechCache
from voicebot.web.admin_queries import call_facts, list_proposals, sync_proposals

RATE = 8000


@pytest.fixture
def local(tmp_path: Path) -> Iterator[tuple[Settings, RecordStore, Bot]]:
    settings = copy_content(tmp_path)
    store = make_store(tmp_path)
    add_user(store, "anna", "staff")
    add_user(store, "chef", "admin")
    speech = SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE)
    bot = Bot(settings, load_content(settings), FakeTranscriber([], RATE), speech, EnergySpeechDetector)
    yield settings, store, bot
    store.close()


def test_an_old_database_gets_language_columns_empty_for_its_calls(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    schema.migrate(conn, 4)
    conn.execute("INSERT INTO calls (id, started_at) VALUES ('old', '2026-11-23T09:00:00+00:00')")
    assert schema.migrate(conn) == schema.LATEST >= 5
    assert conn.execute("SELECT language FROM calls WHERE id = 'old'").fetchone() == ("",)
    for table in ("calls", "turns", "proposals"):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        assert "language" in columns, table
    conn.close()


async def test_an_english_call_is_recorded_in_english_and_a_german_one_in_german(
    local: tuple[Settings, RecordStore, Bot],
) -> None:
    _settings, store, bot = local
    await simulate_call(
        bot,
        [Turn.say("Hello, what are your opening hours?"), Turn.say("no thanks, bye")],
        start=OPEN_NOW,
        recorder=store,
        call_id="en-1",
    )
    await simulate_call(bot, [Turn.say("Wann haben Sie geöffnet?")], start=OPEN_NOW, recorder=store, call_id="de-1")
    store.flush()
    english = store.query(get_call, "en-1")
    german = store.query(get_call, "de-1")
    assert english is not None and german is not None
    assert (english.language, german.language) == ("en", "de")
    assert english.summary()["language"] == "en"
    turns = store.query(get_turns, "en-1")
    assert [turn.language for turn in turns] == ["de", "en", "en"]  # the greeting is German
    assert [row.id for row in store.query(list_calls, CallFilter(language="en"))] == ["en-1"]


async def test_a_call_that_switches_records_each_turn_in_its_language(local: tuple[Settings, RecordStore, Bot]) -> None:
    _settings, store, bot = local
    turns = [Turn.say("Do you speak English?"), Turn.say("Sprechen Sie Deutsch?"), Turn.say("Wann haben Sie offen?")]
    await simulate_call(bot, turns, start=OPEN_NOW, recorder=store, call_id="mixed")
    store.flush()
    languages = [turn.language for turn in store.query(get_turns, "mixed")]
    assert languages[:2] == ["de", "en"] and languages[-1] == "de", languages
    call = store.query(get_call, "mixed")
    assert call is not None and call.language == "de"


def _english_call(store: RecordStore, call_id: str = "en-wrong") -> str:
    at = T0 + dt.timedelta(hours=2)
    store.call_started(call_id, "+49838192077", at)
    store.turn(call_id, TurnRecord(0, at, "", action="greeting", language="de"))
    text = "I would like my own number plate letters"
    store.turn(call_id, TurnRecord(1, at, text, action="reprompt", reason="nicht verstanden", language="en"))
    store.call_ended(call_id, CallOutcome("transferred", department="zentrale", language="en"))
    store.flush()
    return call_id


def test_statistics_count_calls_per_language(local: tuple[Settings, RecordStore, Bot]) -> None:
    _settings, store, _bot = local
    _english_call(store)
    store.call_started("de-2", "", T0)
    store.call_ended("de-2", CallOutcome("answered", topic="oeffnungszeiten", language="de"))
    store.call_started("old", "", T0)
    store.call_ended("old", CallOutcome("answered"))
    store.flush()
    stats = compute(store.query(call_facts, None, None), 4.0, ZoneInfo("Europe/Berlin"))
    rows = {bucket.key: (bucket.calls, bucket.answered, bucket.transferred) for bucket in stats.per_language}
    assert rows == {"en": (1, 0, 1), "de": (1, 1, 0), "": (1, 1, 0)}


def test_an_english_proposal_becomes_an_english_phrasing(local: tuple[Settings, RecordStore, Bot]) -> None:
    settings, store, _bot = local
    call_id = _english_call(store)
    store.query(add_feedback, call_id, "wrong", "anna", T0, correct_topic="wunschkennzeichen", turn_idx=1)
    assert store.query(sync_proposals, [], T0) == 1
    (proposal,) = store.query(list_proposals, "open")
    assert (proposal.language, proposal.utterance) == ("en", "I would like my own number plate letters")
    faq = settings.resolve(settings.content.faq)
    english = faq.with_name("faq.en.yaml")
    german_before = faq.read_text(encoding="utf-8")
    topic_ids = frozenset(topic.id for topic in load_content(settings).topics)
    result = add_phrasing_in(
        settings, "en", "wunschkennzeichen", proposal.utterance, user="chef", now=T0, topic_ids=topic_ids
    )
    assert result.ok and result.changes[0].file == "grammars/faq.en.yaml"
    assert "I would like my own number plate letters" in english.read_text(encoding="utf-8")
    assert faq.read_text(encoding="utf-8") == german_before
    twice = add_phrasing_in(
        settings, "en", "wunschkennzeichen", proposal.utterance, user="chef", now=T0, topic_ids=topic_ids
    )
    assert twice.ok and not twice.changes
    taken = add_phrasing_in(
        settings, "en", "oeffnungszeiten", proposal.utterance, user="chef", now=T0, topic_ids=topic_ids
    )
    assert not taken.ok and "wunschkennzeichen" in taken.problems[0].message
    unknown = add_phrasing_in(settings, "en", "no-such-topic", "hello", user="chef", now=T0, topic_ids=topic_ids)
    assert not unknown.ok


async def test_the_pages_show_the_language_and_accept_an_english_proposal(
    local: tuple[Settings, RecordStore, Bot],
) -> None:
    settings, store, bot = local
    call_id = _english_call(store)
    clock = FakeClock(T0 + dt.timedelta(hours=5))
    async with running_app(settings, store, clock=clock, bot=bot) as client:
        csrf = await login(client, "anna")
        listing = html.unescape(await (await client.get("/calls")).text())
        assert re.search(r'class="badge badge-language" lang="en"[^>]*>Englisch<', listing), listing
        only_english = html.unescape(await (await client.get("/calls", params={"sprache": "en"})).text())
        assert "1 Anruf" in only_english
        none_turkish = html.unescape(await (await client.get("/calls", params={"sprache": "tr"})).text())
        assert "0 Anrufe" in none_turkish
        page = html.unescape(await (await client.get(f"/calls/{call_id}")).text())
        assert re.search(r'<dd class="call-language">Englisch</dd>', page)
        feedback = await client.post(
            f"/calls/{call_id}/feedback",
            data={
                "csrf": csrf,
                "verdict": "wrong",
                "topic": "wunschkennzeichen",
                "department": "",
                "turn": "1",
                "note": "",
            },
            allow_redirects=False,
        )
        assert feedback.status == 303, await feedback.text()
    async with running_app(settings, store, clock=clock, bot=bot) as client:
        csrf = await login(client, "chef")
        proposals = html.unescape(await (await client.get("/admin/proposals")).text())
        assert "als englische Formulierung" in proposals
        (number,) = re.findall(r'id="proposal-(\d+)"', proposals)
        accept = await client.post(
            f"/admin/proposals/{number}",
            data={"csrf": csrf, "decision": "accept", "utterance": "I would like my own number plate letters"},
            allow_redirects=False,
        )
        assert accept.status == 303, await accept.text()
        stats = html.unescape(await (await client.get("/admin/stats")).text())
        table = stats[stats.index('id="languages"') :]
        assert "Englisch" in table[: table.index("</table>")]
    english = settings.resolve(settings.content.faq).with_name("faq.en.yaml").read_text(encoding="utf-8")
    assert "I would like my own number plate letters" in english
    assert bot.matcher_for("en").understand("I would like my own number plate letters").candidates[0].topic == (
        "wunschkennzeichen"
    )


async def test_satz_testen_takes_a_language_or_detects_it(local: tuple[Settings, RecordStore, Bot]) -> None:
    settings, store, bot = local
    async with running_app(settings, store, clock=FakeClock(OPEN_NOW), bot=bot) as client:
        await login(client, "chef")
        detected = html.unescape(await (await client.get("/admin/try", params={"text": "When are you open?"})).text())
        assert re.search(r'id="try-language">Englisch <span class="muted">\(am Satz erkannt\)', detected)
        assert "oeffnungszeiten" in detected and "is open Monday to Friday" in detected
        german = html.unescape(await (await client.get("/admin/try", params={"text": "Wann haben Sie offen?"})).text())
        assert 'id="try-language">Deutsch' in german and "geöffnet" in german
        asked = await client.get("/admin/try", params={"text": "opening hours", "sprache": "en"})
        page = html.unescape(await asked.text())
        assert 'id="try-language">Englisch</dd>' in page and "oeffnungszeiten" in page
        audio = await client.get("/admin/try/audio", params={"text": "When are you open?"})
        assert audio.status == 200 and (await audio.read())[:4] == b"RIFF"
