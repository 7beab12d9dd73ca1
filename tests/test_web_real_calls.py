"""The admin web app on records of real SIP calls, and an admin edit reaching the running bot process.

``voicebot run`` (Whisper base, espeak-ng, pjsua2) answers calls from the pure-Python SIP caller that
speaks an audio fixture. The web app opens the same SQLite file. An answer edited in the browser
forms is what the *separate* bot process says on the next call (it reloads on the files' mtimes), staff
feedback on the real call becomes a proposal, the admin accepts it, and the statistics count the calls.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sqlite3
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from voicebot_bench.sipcaller import CallPlan, Step, place_call

from tests.admin_helpers import copy_content
from tests.sip_helpers import SIPP, BotProcess, free_rtp_base, free_udp_port, write_config
from tests.web_helpers import FakeClock, add_user, login, running_app
from voicebot.audio import read_wav, resample
from voicebot.config.load import load_settings
from voicebot.content.load import load_content
from voicebot.records.store import RecordStore

pytestmark = [pytest.mark.sip, pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
NEW_ANSWER = "Neu geregelt: Sie finden uns in der {street}. Der Bus hält direkt vor dem Haus."


def _speech(case: str) -> bytes:
    pcm, rate = read_wav(ROOT / "audio_fixtures" / "16k" / f"{case}.wav")
    return resample(pcm, rate, 8000)


def _answer_turn(database: Path, call_id: str, timeout: float = 30.0) -> tuple[str, str, str] | None:
    """(transcript, topic, reply) of the call's first answer turn once the call has ended (None: no answer)."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(database) as conn:
            ended = conn.execute("SELECT ended_at FROM calls WHERE id = ?", (call_id,)).fetchone()
            turn = conn.execute(
                "SELECT transcript, topic, reply FROM turns WHERE call_id = ? AND action = 'answer' ORDER BY idx",
                (call_id,),
            ).fetchone()
        if (ended is not None and ended[0] is not None) or time.monotonic() > deadline:
            return None if turn is None else (str(turn[0]), str(turn[1]), str(turn[2]))
        time.sleep(0.3)


def _actions(database: Path, call_id: str, timeout: float = 30.0) -> list[tuple[str, str]]:
    """(action, department) of the call's turns, once the call has ended."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(database) as conn:
            ended = conn.execute("SELECT ended_at FROM calls WHERE id = ?", (call_id,)).fetchone()
            turns = conn.execute("SELECT action, department FROM turns WHERE call_id = ? ORDER BY idx", (call_id,))
            rows = [(str(action), str(department)) for action, department in turns.fetchall()]
        if (ended is not None and ended[0] is not None) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


async def _ask_the_way(uri: str, database: Path) -> tuple[str, tuple[str, str, str]]:
    """Call and ask how to get to the office until the bot answers the ``anfahrt`` topic (the recogniser hears
    the same fixture a little differently from call to call); returns the call id and its answer turn."""
    heard = []
    for case in ("q-anfahrt-2", "q-anfahrt-1", "q-anfahrt-2", "q-anfahrt-1"):
        plan = CallPlan(
            uri, steps=(Step("question", pcm8k=_speech(case)),), quiet_ms=2500, reply_timeout_s=60, leave_on_reply=True
        )
        report = await place_call(plan)
        assert report.answered, report
        turn = _answer_turn(database, report.call_id)
        if turn is not None and turn[1] == "anfahrt":
            return report.call_id, turn
        heard.append(turn)
    raise AssertionError(f"the bot never answered the way: {heard}")


@pytest.mark.skipif(shutil.which("espeak-ng") is None or SIPP is None, reason="needs espeak-ng and the SIP tools")
async def test_admin_edit_reaches_the_running_bot_and_real_calls_feed_the_admin_pages(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    content = copy_content(tmp_path / "content")
    files = {key: str(content.resolve(getattr(content.content, key))) for key in ("faq", "departments", "prompts")}
    config = write_config(
        tmp_path,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 4},
        vad={"no_input_ms": 3000},
        content=files,
    )
    settings = load_settings(config)
    database = settings.resolve(settings.records.database)
    with BotProcess(config, "--grace", "3", instance="bot-web") as bot:
        first, (transcript, _, reply) = await _ask_the_way(bot.uri, database)
        assert "Neu geregelt" not in reply

        store = RecordStore(database)
        add_user(store, "anna", "staff")
        add_user(store, "chef", "admin")
        clock = FakeClock(dt.datetime.now(dt.UTC))
        try:
            async with running_app(settings, store, clock=clock) as client:
                csrf = await login(client, "chef")
                calls = html.unescape(await (await client.get("/calls")).text())
                assert f"/calls/{first}" in calls
                form = {
                    "csrf": csrf,
                    "title": load_content(settings).topic("anfahrt").title,
                    "department": "zentrale",
                    "keywords": ", ".join(load_content(settings).topic("anfahrt").keywords),
                    "phrasings": "\n".join(load_content(settings).topic("anfahrt").phrasings),
                    "answer": NEW_ANSWER,
                }
                saved = await client.post("/admin/content/topic/anfahrt", data=form, allow_redirects=False)
                assert saved.status == 303, await saved.text()

            # the separate bot process uses the edited answer on the next call, without a restart
            _, (_, _, reply) = await _ask_the_way(bot.uri, database)
            assert reply.startswith(NEW_ANSWER.replace("{street}", settings.district["street"])), reply

            # opening hours live in voicebot.toml: closing the Jugendamt today reaches the bot too
            today = dt.datetime.now(ZoneInfo(settings.timezone)).date().isoformat()
            async with running_app(settings, store, clock=clock) as client:
                csrf = await login(client, "chef")
                hours = {f"hours.{day}": "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
                closed = await client.post(
                    "/admin/content/hours/jugendamt",
                    data={"csrf": csrf, **hours, "closed": today},
                    allow_redirects=False,
                )
                assert closed.status == 303, await closed.text()
            menu = CallPlan(
                bot.uri,
                steps=(Step("menu", digits="4"),),
                wait_greeting=False,
                quiet_ms=2500,
                reply_timeout_s=60,
                leave_on_reply=True,
            )
            report = await place_call(menu)
            assert report.answered and not report.refer_to, report
            actions = _actions(database, report.call_id)
            assert ("callback", "jugendamt") in actions, (actions, bot.log[-3000:])
            assert bot.alive()

            async with running_app(settings, store, clock=clock) as client:
                staff_csrf = await login(client, "anna")
                feedback = await client.post(
                    f"/calls/{first}/feedback",
                    data={
                        "csrf": staff_csrf,
                        "verdict": "wrong",
                        "topic": "termin",
                        "department": "",
                        "turn": "",
                        "note": "",
                    },
                    allow_redirects=False,
                )
                assert feedback.status == 303, await feedback.text()
            async with running_app(settings, store, clock=clock) as client:
                csrf = await login(client, "chef")
                page = html.unescape(await (await client.get("/admin/proposals")).text())
                assert transcript.strip() in page
                number = re.search(r'id="proposal-(\d+)"', page)
                assert number is not None
                accepted = await client.post(
                    f"/admin/proposals/{number.group(1)}",
                    data={
                        "csrf": csrf,
                        "decision": "accept",
                        "utterance": "wann habt ihr denn heute für Termine offen",
                    },
                    allow_redirects=False,
                )
                assert accepted.status == 303, await accepted.text()
                stats = await (await client.get("/admin/stats")).text()
                calls_made = re.search(r'<span class="kpi-value">(\d+)</span><span class="kpi-label">Anrufe', stats)
                assert calls_made is not None and int(calls_made.group(1)) >= 3, stats
        finally:
            store.close()
    assert load_content(settings).topic("termin").phrasings[-1] == "wann habt ihr denn heute für Termine offen"
