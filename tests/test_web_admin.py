"""Admin pages against the real app on a free port, a real SQLite store and copies of the content files."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.admin_helpers import copy_content
from tests.web_helpers import T0, FakeClock, add_user, login, make_store, running_app, seed_calls
from voicebot.call.bot import Bot
from voicebot.config.settings import Settings
from voicebot.content.load import load_content
from voicebot.dialogue.replies import department_open
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.queries import add_feedback
from voicebot.records.store import RecordStore
from voicebot.speak.cache import SpeechCache
from voicebot.web.admin_queries import list_proposals, sync_proposals

Client = TestClient[web.Request, web.Application]

GET_ROUTES = (
    "/admin",
    "/admin/content",
    "/admin/content/topic/oeffnungszeiten",
    "/admin/content/prompts",
    "/admin/content/hours/jugendamt",
    "/admin/history",
    "/admin/try?text=wann+habt+ihr+offen",
    "/admin/try/audio?text=wann+habt+ihr+offen",
    "/admin/proposals",
    "/admin/stats",
)
POST_ROUTES = (
    "/admin/content/topic/oeffnungszeiten",
    "/admin/content/prompts",
    "/admin/content/hours/jugendamt",
    "/admin/proposals/1",
    "/admin/stats/handling",
)


@dataclass
@dataclass
class Env:
    settings: Settings
    store: RecordStore
    clock: FakeClock
    bot: Bot


@pytest.fixture
def env(tmp_path: Path) -> AsyncIterator[Env]:
    settings = copy_content(tmp_path)
    store = make_store(tmp_path)
    add_user(store, "anna", "staff")
    add_user(store, "chef", "admin")
    rate = settings.audio.line_rate
    speech = SpeechCache(FakeSynthesizer(), tmp_path / "tts", rate)
    bot = Bot(settings, load_content(settings), FakeTranscriber([], rate), speech, EnergySpeechDetector)
    yield Env(settings, store, FakeClock(T0 + dt.timedelta(hours=5)), bot)  # type: ignore[misc]
    store.close()


def _faq(env: Env) -> str:
    return env.settings.resolve(env.settings.content.faq).read_text(encoding="utf-8")


def _topic_form(env: Env, topic_id: str, **changes: str) -> dict[str, str]:
    topic = load_content(env.settings).topic(topic_id)
    form = {
        "title": topic.title,
        "department": topic.department,
        "keywords": ", ".join(topic.keywords),
        "phrasings": "\n".join(topic.phrasings),
        "answer": topic.answer,
    }
    form.update(changes)
    return form


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_anonymous_users_are_sent_to_the_login(env: Env) -> None:
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        for path in GET_ROUTES:
            response = await client.get(path, allow_redirects=False)
            assert response.status == 302, path
            assert response.headers["Location"].startswith("/login?next="), path
        for path in POST_ROUTES:
            response = await client.post(path, data={"x": "1"}, allow_redirects=False)
            assert response.status == 302, path


async def test_staff_gets_403_everywhere_and_cannot_change_files(env: Env) -> None:
    before = _faq(env)
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        csrf = await login(client, "anna")
        for path in GET_ROUTES:
            response = await client.get(path, allow_redirects=False)
            assert response.status == 403, path
        for path in POST_ROUTES:
            data = {"csrf": csrf, **_topic_form(env, "oeffnungszeiten", answer="Gehackt.")}
            response = await client.post(path, data=data, allow_redirects=False)
            assert response.status == 403, path
    assert _faq(env) == before


async def test_admin_sees_every_page(env: Env) -> None:
    async with running_app(env.settings, env.store, clock=env.clock, bot=env.bot) as client:
        await login(client, "chef")
        for path in GET_ROUTES:
            response = await client.get(path)
            assert response.status == 200, (path, await response.text())
        overview = _text(await (await client.get("/admin/content")).text())
        assert "die Öffnungszeiten wissen" in overview
        assert "Jugendamt" in overview


async def test_valid_topic_edit_changes_the_file_keeps_comments_and_is_in_the_history(env: Env) -> None:
    before = _faq(env)
    answer = "Wir haben montags bis freitags von 8 bis 12 Uhr geöffnet."
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        csrf = await login(client, "chef")
        data = {"csrf": csrf, **_topic_form(env, "oeffnungszeiten", answer=answer)}
        response = await client.post("/admin/content/topic/oeffnungszeiten", data=data, allow_redirects=False)
        assert response.status == 303, await response.text()
        page = await client.get(response.headers["Location"])
        assert "Gespeichert" in await page.text()
        after = _faq(env)
        assert load_content(env.settings).topic("oeffnungszeiten").answer == answer
        assert [line for line in after.splitlines() if line.startswith("#")] == [
            line for line in before.splitlines() if line.startswith("#")
        ]
        assert len(after.splitlines()) == len(before.splitlines())
        history = _text(await (await client.get("/admin/history")).text())
        assert "topics.oeffnungszeiten.answer" in history
        assert "chef" in history
        assert answer in history
        assert "grammars/faq.yaml" in history
        # the try page uses the edited content at once
        tried = _text(await (await client.get("/admin/try", params={"text": "wann habt ihr offen"})).text())
        assert answer in tried


async def test_invalid_edit_shows_the_problem_next_to_the_field_and_keeps_the_file(env: Env) -> None:
    before = _faq(env)
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        csrf = await login(client, "chef")
        data = {"csrf": csrf, **_topic_form(env, "oeffnungszeiten", answer="Rufen Sie {telefon} an.", title="")}
        response = await client.post("/admin/content/topic/oeffnungszeiten", data=data)
        assert response.status == 422
        page = await response.text()
        answer_errors = re.search(
            r'<textarea id="answer".*?</textarea>\s*<p.*?</p>\s*(<ul class="field-error".*?</ul>)', page, re.S
        )
        assert answer_errors is not None, page
        assert "{telefon}" in html.unescape(answer_errors.group(1))
        assert 'id="err-title"' in page
        assert 'aria-describedby="err-answer"' in page
        assert "Rufen Sie {telefon} an." in html.unescape(page)  # what the admin typed stays in the form
    assert _faq(env) == before


async def test_prompts_and_hours_edits(env: Env) -> None:
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        csrf = await login(client, "chef")
        prompts = load_content(env.settings).prompts
        form = {f"prompts.{key}": value for key, value in prompts.items()}
        form["prompts.transfer"] = "Ich verbinde Sie jetzt."
        bad = await client.post("/admin/content/prompts", data={"csrf": csrf, **form})
        assert bad.status == 422
        assert 'id="err-prompts-transfer"' in await bad.text()
        form["prompts.transfer"] = "Einen Moment bitte, ich verbinde Sie mit {department}."
        good = await client.post("/admin/content/prompts", data={"csrf": csrf, **form}, allow_redirects=False)
        assert good.status == 303
        assert load_content(env.settings).prompts["transfer"].startswith("Einen Moment bitte")

        hours = {f"hours.{day}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        bad = await client.post(
            "/admin/content/hours/jugendamt", data={"csrf": csrf, **hours, "hours.mon": "12:00-08:00", "closed": ""}
        )
        assert bad.status == 422
        assert 'id="err-hours-mon"' in await bad.text()
        good = await client.post(
            "/admin/content/hours/jugendamt",
            data={"csrf": csrf, **hours, "hours.mon": "08:00-12:00", "closed": "2026-12-23"},
            allow_redirects=False,
        )
        assert good.status == 303
    config = env.settings.path.read_text(encoding="utf-8")
    assert 'hours = {mon = "08:00-12:00"}' in config
    assert "[departments.jugendamt]" in config


async def test_try_phrase_shows_decision_candidates_and_plays_the_reply(env: Env) -> None:
    async with running_app(env.settings, env.store, clock=env.clock, bot=env.bot) as client:
        await login(client, "chef")
        page = _text(await (await client.get("/admin/try", params={"text": "Ich will mein Auto anmelden"})).text())
        assert "kfz-anmeldung" in page
        assert "Kandidaten" in page
        unknown = _text(await (await client.get("/admin/try", params={"text": "Blumenkohl Trompete"})).text())
        assert "um andere Worte bitten" in unknown
        audio = await client.get("/admin/try/audio", params={"text": "wann habt ihr offen"})
        assert audio.status == 200
        assert audio.content_type == "audio/wav"
        body = await audio.read()
        assert body[:4] == b"RIFF" and len(body) > 1000
    assert env.bot.speech.stats.misses == 1


async def _wrong_feedback_call(env: Env) -> str:
    call_id = "call-wunsch"
    at = T0 + dt.timedelta(hours=3)
    env.store.call_started(call_id, "+49838192077", at)
    env.store.turn(
        call_id,
        TurnRecord(0, at, "ich hätte gern so ein eigenes Nummernschild", action="reprompt", reason="nicht verstanden"),
    )
    env.store.call_ended(call_id, CallOutcome("transferred", department="zentrale", reason="zwei Fehlversuche"))
    env.store.flush()
    return call_id


async def _give_feedback(client: Client, csrf: str, call_id: str, topic: str) -> None:
    response = await client.post(
        f"/calls/{call_id}/feedback",
        data={"csrf": csrf, "verdict": "wrong", "topic": topic, "department": "", "turn": "", "note": ""},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()


async def test_proposals_from_staff_feedback_can_be_accepted_and_rejected(env: Env) -> None:
    ids = seed_calls(env.store)
    wunsch = await _wrong_feedback_call(env)
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        staff_csrf = await login(client, "anna")
        await _give_feedback(client, staff_csrf, wunsch, "wunschkennzeichen")
        await _give_feedback(client, staff_csrf, ids["answered"], "wertstoffhof")
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        csrf = await login(client, "chef")
        page = await (await client.get("/admin/proposals")).text()
        assert "ich hätte gern so ein eigenes Nummernschild" in html.unescape(page)
        assert "wann habt ihr offen" in page
        numbers = [int(n) for n in re.findall(r'id="proposal-(\d+)"', page)]
        assert len(numbers) == 2
        by_text = {
            "wunsch" if "Nummernschild" in html.unescape(block) else "offen": int(number)
            for number, block in re.findall(r'id="proposal-(\d+)"(.*?)</tr>', page, re.S)
        }
        accept = await client.post(
            f"/admin/proposals/{by_text['wunsch']}",
            data={"csrf": csrf, "decision": "accept", "utterance": "ich hätte gern so ein eigenes Nummernschild"},
            allow_redirects=False,
        )
        assert accept.status == 303, await accept.text()
        reject = await client.post(
            f"/admin/proposals/{by_text['offen']}", data={"csrf": csrf, "decision": "reject"}, allow_redirects=False
        )
        assert reject.status == 303
        again = await client.post(
            f"/admin/proposals/{by_text['offen']}", data={"csrf": csrf, "decision": "reject"}, allow_redirects=False
        )
        assert again.status == 404
        after = _text(await (await client.get("/admin/proposals")).text())
        assert "Keine offenen Vorschläge" in after
        assert "übernommen" in after and "abgelehnt" in after
        history = _text(await (await client.get("/admin/history")).text())
        assert "topics.wunschkennzeichen.phrasings" in history
        tried = _text(
            await (
                await client.get("/admin/try", params={"text": "ich hätte gern so ein eigenes Nummernschild"})
            ).text()
        )
        assert "direkt antworten" in tried
    phrasings = load_content(env.settings).topic("wunschkennzeichen").phrasings
    assert phrasings[-1] == "ich hätte gern so ein eigenes Nummernschild"
    assert "wann habt ihr offen" not in load_content(env.settings).topic("wertstoffhof").phrasings


async def test_statistics_numbers_from_a_seeded_store(env: Env) -> None:
    seed_calls(env.store)
    await _wrong_feedback_call(env)
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        csrf = await login(client, "chef")
        response = await client.get("/admin/stats")
        assert response.status == 200
        page = await response.text()
        text = _text(page)
        kpis: dict[str, Any] = dict(
            re.findall(r'<span class="kpi-value"(?: id="[^"]+")?>([^<]+)</span><span class="kpi-label">([^<(]+)', page)
        )
        assert kpis["4"].strip() == "Anrufe insgesamt"
        assert re.search(r'id="automation-rate">1 von 4<', page)  # no percentage for 4 calls
        counts = re.findall(r'<tr data-outcome="\w+"><td>[^<]+</td><td>(\d+)</td>', page)
        assert sum(map(int, counts)) == 4
        assert re.search(r'id="breakdown-sum">4<', page)
        assert re.search(r'id="time-saved">3 Minuten<', page)
        assert "KW 48/2026" in text
        assert "November 2026" in text
        assert "ich hätte gern so ein eigenes nummernschild" in text
        assert page.count("<svg") >= 4
        assert "Kfz-Zulassungsstelle" in text or "zulassung" in text
        saved = await client.post(
            "/admin/stats/handling", data={"csrf": csrf, "handling_minutes": "6,5"}, allow_redirects=False
        )
        assert saved.status == 303
        page = await (await client.get("/admin/stats")).text()
        assert re.search(r'id="time-saved">6 Minuten<|id="time-saved">7 Minuten<', page)
        bad = await client.post("/admin/stats/handling", data={"csrf": csrf, "handling_minutes": "viel"})
        assert bad.status == 422
        assert 'id="err-handling_minutes"' in await bad.text()
        only_monday = _text(await (await client.get("/admin/stats", params={"from": "2026-11-24"})).text())
        assert "keine Anrufe" in only_monday
    assert "handling_minutes = 6.5" in env.settings.path.read_text(encoding="utf-8")


async def test_posts_without_csrf_are_refused(env: Env) -> None:
    before = _faq(env)
    async with running_app(env.settings, env.store, clock=env.clock) as client:
        await login(client, "chef")
        response = await client.post(
            "/admin/content/topic/oeffnungszeiten", data=_topic_form(env, "oeffnungszeiten", answer="Ohne Token.")
        )
        assert response.status == 403
    assert _faq(env) == before


async def test_edits_reach_a_bot_running_in_the_same_process(env: Env) -> None:
    bot = Bot.from_settings(env.settings, transcriber=FakeTranscriber(), synthesizer=FakeSynthesizer())
    monday_evening = dt.datetime(2026, 11, 23, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert not department_open(bot.context(monday_evening), "jugendamt")
    async with running_app(env.settings, env.store, clock=env.clock, bot=bot) as client:
        csrf = await login(client, "chef")
        hours = {f"hours.{day}": "08:00-20:00" for day in ("mon", "tue", "wed", "thu", "fri")}
        saved = await client.post(
            "/admin/content/hours/jugendamt", data={"csrf": csrf, **hours, "closed": ""}, allow_redirects=False
        )
        assert saved.status == 303
        assert department_open(bot.context(monday_evening), "jugendamt")
        data = {"csrf": csrf, **_topic_form(env, "anfahrt", answer="Wir sind in der {street}.")}
        saved = await client.post("/admin/content/topic/anfahrt", data=data, allow_redirects=False)
        assert saved.status == 303
    assert bot.content.topic("anfahrt").answer == "Wir sind in der {street}."
    assert bot.reloads == 2


async def test_sync_proposals_is_idempotent_and_skips_known_phrasings(env: Env) -> None:
    ids = seed_calls(env.store)
    wunsch = await _wrong_feedback_call(env)
    at = env.clock()
    env.store.query(add_feedback, wunsch, "wrong", "anna", at, correct_topic="wunschkennzeichen")
    env.store.query(add_feedback, wunsch, "wrong", "anna", at, correct_topic="wunschkennzeichen")
    env.store.query(add_feedback, ids["answered"], "wrong", "anna", at, correct_topic="oeffnungszeiten", turn_idx=0)
    env.store.query(add_feedback, ids["answered"], "right", "anna", at)
    created = env.store.query(sync_proposals, ["Wann habt ihr offen?"], at)
    assert created == 1
    assert env.store.query(sync_proposals, [], at) == 0
    open_rows = env.store.query(list_proposals, "open")
    assert [(row.utterance, row.topic, row.turn_idx) for row in open_rows] == [
        ("ich hätte gern so ein eigenes Nummernschild", "wunschkennzeichen", 0)
    ]
    rejected = env.store.query(list_proposals, "rejected")
    assert sorted(row.decided_by or "" for row in rejected) == ["system", "system"]


async def test_content_page_reports_a_broken_hand_edit_and_the_bot_keeps_its_content(env: Env) -> None:
    bot = Bot.from_settings(env.settings, transcriber=FakeTranscriber(), synthesizer=FakeSynthesizer())
    faq = env.settings.resolve(env.settings.content.faq)
    broken = faq.read_text(encoding="utf-8").replace("kind: answer", "kind: vielleicht", 1)
    faq.write_text(broken, encoding="utf-8")
    assert not bot.maybe_reload()
    assert bot.content.topic("oeffnungszeiten").kind == "answer"
    async with running_app(env.settings, env.store, clock=env.clock, bot=bot) as client:
        await login(client, "chef")
        page = await (await client.get("/admin/content")).text()
        problems = re.search(r'<div class="errors" role="alert" id="content-problems">(.*?)</div>', page, re.S)
        assert problems is not None
        assert "vielleicht" in html.unescape(problems.group(1))
        assert "grammars/faq.yaml" in problems.group(1)
        assert 'id="bot-problems"' in page
