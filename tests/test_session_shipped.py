"""The call session with the shipped content and the real matcher (engines still the honest fakes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.sample_content import CLOSED_NOW, OPEN_NOW
from tests.session_helpers import RATE, actions, call
from voicebot.call.bot import Bot
from voicebot.call.simulate import Turn, simulate_call
from voicebot.config.settings import Settings
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.events import TransferResult
from voicebot.records.calls import MemoryRecorder
from voicebot.speak.cache import SpeechCache


def real_content_bot(settings: Settings, tmp_path: Path) -> Bot:
    from voicebot.content.load import load_content

    return Bot(
        settings,
        load_content(settings),
        FakeTranscriber(),
        SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE),
        EnergySpeechDetector,
    )


async def test_shipped_content_answer_repeat_goodbye(settings: Settings, tmp_path: Path) -> None:
    bot = real_content_bot(settings, tmp_path)
    result = await call(bot, Turn.say("Ich möchte mein Auto anmelden"), Turn.say("wie bitte"), Turn.say("nein danke"))
    assert actions(result) == ["greeting", "answer", "repeat", "goodbye"]
    assert result.turns[1].topic == "kfz-anmeldung" and result.turns[2].reply == result.turns[1].reply
    assert result.outcome.outcome == "answered" and result.channel.bot_hung_up


async def test_shipped_content_department_transfer_retry(settings: Settings, tmp_path: Path) -> None:
    bot = real_content_bot(settings, tmp_path)
    busy = (TransferResult(False, 486, "Busy Here"),)
    turns = (Turn.say("Verbinden Sie mich bitte mit dem Jugendamt"), Turn.say("noch einmal versuchen"))
    result = await call(bot, *turns, results=busy)
    target = settings.departments["jugendamt"].target
    assert result.channel.transfers == [target, target]
    assert actions(result) == ["greeting", "transfer", "transfer_failed", "transfer", "transferred"]
    assert result.outcome.outcome == "transferred" and result.outcome.department == "jugendamt"


async def test_shipped_content_closed_department_spoken_callback(settings: Settings, tmp_path: Path) -> None:
    bot = real_content_bot(settings, tmp_path)
    turns = (
        Turn.say("Wie ist der Stand von meinem Bauantrag"),
        Turn.say("ja gerne"),
        Turn.say("Erika Mustermann"),
        Turn.say("null acht drei acht eins neun zwei null"),
    )
    result = await call(bot, *turns, now=CLOSED_NOW)
    assert actions(result) == ["greeting", "callback", "callback", "callback", "callback"]
    assert result.recorder is not None
    [request] = result.recorder.callbacks
    assert (request.name, request.number, request.department) == ("Erika Mustermann", "08381920", "bauamt")


async def test_concurrent_calls_keep_their_own_state(settings: Settings, tmp_path: Path) -> None:
    bot = real_content_bot(settings, tmp_path)
    questions = {
        "sim-a": ("Ich möchte mein Auto anmelden", "kfz-anmeldung"),
        "sim-b": ("Wo kann ich Wohngeld beantragen", "wohngeld"),
        "sim-c": ("Wann haben Sie geöffnet", "oeffnungszeiten"),
        "sim-d": ("Ich habe meinen Führerschein verloren", "fuehrerschein-verloren"),
    }
    recorder = MemoryRecorder()
    runs = [
        simulate_call(bot, [Turn.say(text)], start=OPEN_NOW, recorder=recorder, call_id=call_id)
        for call_id, (text, _topic) in questions.items()
    ]
    results = await asyncio.gather(*runs)
    for result, (call_id, (_text, topic)) in zip(results, questions.items(), strict=True):
        assert result.outcome.outcome == "answered" and result.outcome.topic == topic
        assert [t.topic for t in recorder.calls[call_id].turns] == [None, topic]
