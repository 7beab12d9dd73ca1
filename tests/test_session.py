"""The call session end to end over a FileChannel, with the honest fakes (no models): audio, DTMF, transfers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.sample_content import CLOSED_NOW, OPEN_NOW, sample_content
from voicebot.audio import AudioFrame
from voicebot.bot import Bot
from voicebot.calllog import MemoryRecorder
from voicebot.config import ContentPaths, Settings
from voicebot.content import Content
from voicebot.dialogue_types import DialogueState
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber, noise_burst
from voicebot.errors import ContentError, Problem
from voicebot.events import LineEvent, TransferResult
from voicebot.session_records import call_outcome
from voicebot.simulate import FileChannel, SimulatedCall, Turn, simulate_call
from voicebot.tts_cache import SpeechCache
from voicebot.understanding import Candidate, Signal, Understanding

RATE = 16000


class ScriptedMatcher:
    """A test double for the matcher: a fixed reading per exact text (nothing matched otherwise)."""

    def __init__(self, readings: Mapping[str, Understanding]) -> None:
        self.readings = readings

    def understand(self, text: str) -> Understanding:
        return self.readings.get(text, Understanding(text, text.lower()))


def reading(text: str, *candidates: tuple[str, float], signals: tuple[Signal, ...] = ()) -> Understanding:
    ranked = tuple(Candidate(topic, score, "fuzzy") for topic, score in candidates)
    return Understanding(text, text.lower(), ranked, None, frozenset(signals))


READINGS = {
    "auto anmelden": reading("auto anmelden", ("kfz-anmeldung", 0.95)),
    "auto": reading("auto", ("kfz-anmeldung", 0.65)),
    "ja": reading("ja", signals=(Signal.YES,)),
    "bauantrag": reading("bauantrag", ("bauantrag", 0.9)),
    "rückruf bitte": reading("rückruf bitte"),
    "Erika Muster": reading("Erika Muster"),
    "null acht drei acht eins": reading("null acht drei acht eins"),
}


def make_bot(
    settings: Settings, tmp_path: Path, answers: list[str] | None = None, fail_on: list[int] | None = None
) -> Bot:
    content = sample_content()
    return Bot(
        settings,
        content,
        FakeTranscriber(answers or [], RATE, fail_on=fail_on),
        SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE),
        EnergySpeechDetector,
        matcher_factory=lambda _content: ScriptedMatcher(READINGS),
        content_loader=lambda _settings: content,
    )


def speech(ms: int = 800) -> Turn:
    return Turn("audio", pcm=noise_burst(RATE, ms), label="noise")


async def call(
    bot: Bot, *turns: Turn, now: dt.datetime = OPEN_NOW, results: tuple[TransferResult, ...] = ()
) -> SimulatedCall:
    return await simulate_call(bot, turns, start=now, transfer_results=results)


def actions(result: SimulatedCall) -> list[str]:
    return [turn.action for turn in result.turns]


async def test_greeting_first_then_caller_hangs_up(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot)
    assert actions(result) == ["greeting"]
    assert result.turns[0].reply.startswith("Willkommen beim Landratsamt Lindenberg")
    assert result.channel.played and result.channel.played[0].at_ms == 0
    assert result.outcome.outcome == "hung_up"
    assert result.recorder is not None and result.recorder.calls["sim-1"].outcome == result.outcome


async def test_spoken_question_is_answered(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, ["auto anmelden"])
    result = await call(bot, speech())
    assert actions(result) == ["greeting", "answer"]
    answer = result.turns[1]
    assert answer.transcript == "auto anmelden" and answer.topic == "kfz-anmeldung"
    assert answer.candidates == (("kfz-anmeldung", 0.95),)
    assert "Ausweis" in answer.reply and "sonst noch" in answer.reply
    assert {"asr_ms", "match_ms", "tts_ms", "gap_ms"} <= set(answer.timings_ms)
    assert answer.timings_ms["gap_ms"] >= settings.vad.end_silence_ms
    assert result.outcome.outcome == "answered" and result.outcome.topic == "kfz-anmeldung"
    assert len(result.reply_audio()) > 0
    # the utterance reached the recogniser with its pre-roll: at least the 800 ms burst
    assert len(bot.transcriber.heard[0]) >= 2 * RATE * 800 // 1000  # type: ignore[attr-defined]


async def test_8khz_line(settings: Settings, tmp_path: Path) -> None:
    narrow = dataclasses.replace(settings, audio=dataclasses.replace(settings.audio, line_rate=8000))
    bot = make_bot(narrow, tmp_path, ["auto anmelden"])
    turn = Turn("audio", pcm=noise_burst(8000, 800))
    result = await call(bot, turn)
    assert actions(result) == ["greeting", "answer"]
    assert bot.transcriber.sample_rate == RATE


async def test_confirm_then_yes(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, ["auto", "ja"])
    result = await call(bot, speech(), speech(400))
    assert actions(result) == ["greeting", "confirm", "answer"]
    assert "Fahrzeug anmelden" in result.turns[1].reply


async def test_typed_turns_skip_asr(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot, Turn.say("auto"), Turn.say("ja"))
    assert actions(result) == ["greeting", "confirm", "answer"]
    assert bot.transcriber.sessions == 0  # type: ignore[attr-defined]
    assert result.turns[1].engine == "typed"


async def test_barge_in_stops_playback(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, ["auto anmelden", "ja"])
    interrupt = Turn("audio", pcm=noise_burst(RATE, 1000, seed=1), barge_in_ms=500)
    result = await call(bot, speech(), interrupt)
    assert result.channel.stopped >= 1
    assert bot.transcriber.sessions == 2  # type: ignore[attr-defined]
    assert actions(result)[:2] == ["greeting", "answer"]


async def test_short_noise_during_prompt_does_not_interrupt(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, ["auto anmelden"])
    cough = Turn("audio", pcm=noise_burst(RATE, 200, seed=2), barge_in_ms=500)
    result = await call(bot, cough)
    assert result.channel.stopped == 0
    assert bot.transcriber.sessions == 0  # type: ignore[attr-defined]


async def test_dtmf_zero_transfers_to_switchboard(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot, Turn.keys("0"))
    assert result.channel.transfers == [settings.departments["zentrale"].target]
    assert actions(result) == ["greeting", "transfer", "transferred"]
    assert result.outcome.outcome == "transferred" and result.outcome.department == "zentrale"


async def test_hang_up_mid_prompt_leaves_no_tasks(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    before = asyncio.all_tasks()
    task = asyncio.create_task(call(bot, Turn.hang_up()))
    result = await task
    assert result.outcome.outcome == "hung_up"
    assert result.channel.playback_pending_ms() == 0
    assert asyncio.all_tasks() == before


async def test_failed_transfer_then_callback(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    busy = (TransferResult(False, 486, "Busy Here"),)
    turns = (
        Turn.say("bauantrag"),
        Turn.say("rückruf bitte"),
        Turn.say("Erika Muster"),
        Turn.say("null acht drei acht eins"),
    )
    result = await call(bot, *turns, results=busy)
    assert result.channel.transfers == [settings.departments["bauamt"].target]
    assert actions(result) == ["greeting", "transfer", "transfer_failed", "callback", "callback", "callback"]
    assert result.recorder is not None
    [request] = result.recorder.callbacks
    assert (request.name, request.number, request.department) == ("Erika Muster", "08381", "bauamt")
    assert result.outcome.outcome == "callback"


async def test_closed_department_callback_by_keypad(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    turns = (Turn.say("bauantrag"), Turn.say("ja"), Turn.say("Erika Muster"), Turn.keys("0838192#"))
    result = await call(bot, *turns, now=CLOSED_NOW)
    assert result.channel.transfers == []
    assert "geschlossen" in result.turns[1].reason and "nicht besetzt" in result.turns[1].reply
    assert result.recorder is not None
    [request] = result.recorder.callbacks
    assert (request.number, request.department, request.topic) == ("0838192", "bauamt", "bauantrag")
    assert result.outcome.outcome == "callback"


async def test_recogniser_error_apologises_and_hands_over(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, ["", "auto anmelden"], fail_on=[0])
    result = await call(bot, speech(), speech())
    assert actions(result) == ["greeting", "apology", "transferred"]
    assert result.turns[1].reply.startswith("Entschuldigung")
    assert result.channel.transfers == [settings.departments["zentrale"].target]
    assert result.outcome.outcome == "transferred"


async def test_recogniser_error_when_switchboard_closed_offers_callback(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, [""], fail_on=[0])
    result = await call(bot, speech(), Turn.say("nein"), now=CLOSED_NOW)
    assert actions(result)[:2] == ["greeting", "apology"]
    assert "nicht besetzt" in result.turns[1].reply
    assert result.channel.transfers == []


class BrokenSynthesizer(FakeSynthesizer):
    """Fails on every text that mentions the Zulassung (to test synthesis errors)."""

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        if "Ausweis" in text:
            raise RuntimeError("synthesis broke")
        return super().synthesize(text)


async def test_synthesis_error_skips_the_text_and_the_call_goes_on(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    bot.speech = SpeechCache(BrokenSynthesizer(RATE), tmp_path / "broken", RATE)
    result = await call(bot, Turn.say("auto anmelden"), Turn.say("ja"))
    answer = result.turns[1]
    assert answer.action == "answer" and "Ausweis" not in answer.reply and "sonst noch" in answer.reply
    assert actions(result)[2] == "listen"


async def test_silence_twice_says_goodbye(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot, Turn.pause(2 * settings.vad.no_input_ms + 2000))
    assert actions(result) == ["greeting", "no_input", "goodbye"]
    assert result.channel.bot_hung_up


async def test_max_duration_hands_over(settings: Settings, tmp_path: Path) -> None:
    short = dataclasses.replace(settings, sip=dataclasses.replace(settings.sip, max_call_seconds=3))
    bot = make_bot(short, tmp_path)
    result = await call(bot, Turn.pause(5000))
    assert actions(result)[-2:] == ["transfer", "transferred"]
    assert "Gesprächsdauer" in result.turns[-2].reason


async def test_content_reload_takes_effect_and_broken_edit_is_kept_out(settings: Settings, tmp_path: Path) -> None:
    faq = tmp_path / "faq.yaml"
    faq.write_text("Willkommen, Version eins.", encoding="utf-8")
    paths = ContentPaths(faq=str(faq), departments=str(faq), prompts=str(faq))
    local = dataclasses.replace(settings, content=paths)

    def loader(current: Settings) -> Content:
        text = Path(current.content.faq).read_text(encoding="utf-8")
        if "KAPUTT" in text:
            raise ContentError([Problem(str(faq), 1, "prompts.greeting", "kaputt")])
        base = sample_content()
        return dataclasses.replace(base, prompts={**base.prompts, "greeting": text})

    bot = Bot(
        local,
        loader(local),
        FakeTranscriber(),
        SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE),
        EnergySpeechDetector,
        matcher_factory=lambda _content: ScriptedMatcher(READINGS),
        content_loader=loader,
    )
    assert not bot.maybe_reload()
    faq.write_text("Willkommen, Version zwei.", encoding="utf-8")
    assert bot.maybe_reload()
    assert bot.prompt_text("greeting") == "Willkommen, Version zwei."
    faq.write_text("KAPUTT", encoding="utf-8")
    assert not bot.maybe_reload()
    assert bot.prompt_text("greeting") == "Willkommen, Version zwei."
    assert bot.reload_problems and "kaputt" in bot.reload_problems[0]
    result = await call(bot)
    assert result.turns[0].reply == "Willkommen, Version zwei."


@pytest.mark.parametrize("texts", [["auto anmelden"], ["bauantrag"]])
async def test_every_turn_is_recorded_with_a_reason(settings: Settings, tmp_path: Path, texts: list[str]) -> None:
    bot = make_bot(settings, tmp_path)
    recorder = MemoryRecorder()
    await simulate_call(bot, [Turn.say(text) for text in texts], start=OPEN_NOW, recorder=recorder)
    turns = recorder.calls["sim-1"].turns
    assert [t.index for t in turns] == list(range(len(turns)))
    assert all(t.reason for t in turns)


# --- the shipped content and the real matcher (engines still fakes) ----------------------------------


def real_content_bot(settings: Settings, tmp_path: Path) -> Bot:
    from voicebot.content_load import load_content

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


class SilentLine(FileChannel):
    """A line on which nothing ever arrives (the caller holds the line in silence, no audio delivered)."""

    async def receive(self) -> LineEvent:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_cancelled_session_records_the_hand_over(settings: Settings, tmp_path: Path) -> None:
    from voicebot.session import CallSession

    bot = make_bot(settings, tmp_path)
    recorder = MemoryRecorder()
    channel = SilentLine([], RATE, call_id="sim-x")
    task = asyncio.create_task(CallSession(bot, channel, recorder, lambda: OPEN_NOW).run())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    outcome = recorder.calls["sim-x"].outcome
    assert outcome is not None and (outcome.outcome, outcome.department) == ("transferred", "zentrale")
    assert [t.action for t in recorder.calls["sim-x"].turns] == ["greeting"]


@pytest.mark.parametrize(
    ("state", "ended", "expected"),
    [
        (
            DialogueState(phase="ended", transferred_to="bauamt", pending_department="bauamt", ended_reason="x"),
            "bot",
            ("transferred", "bauamt"),
        ),
        (DialogueState(phase="listening", answered=("wohngeld",)), "handed_over", ("transferred", "zentrale")),
        (
            DialogueState(phase="ended", callback_recorded=True, pending_department="bauamt", ended_reason="y"),
            "bot",
            ("callback", "bauamt"),
        ),
        (DialogueState(phase="confirm", pending_topic="wohngeld"), "failed", ("failed", None)),
        (DialogueState(phase="listening", answered=("wohngeld",)), "caller", ("answered", None)),
        (DialogueState(phase="confirm", pending_topic="wohngeld"), "caller", ("hung_up", None)),
        (DialogueState(phase="ended", ended_reason="2-mal keine Eingabe"), "bot", ("hung_up", None)),
    ],
)
def test_call_outcome(state: DialogueState, ended: str, expected: tuple[str, str | None]) -> None:
    outcome = call_outcome(state, ended, "interner Fehler" if ended == "failed" else "", OPEN_NOW)
    assert (outcome.outcome, outcome.department) == expected
    assert outcome.reason and outcome.ended_at == OPEN_NOW


def test_speech_texts_cover_prompts_variants_menu_and_answers(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    texts = bot.speech_texts()
    assert bot.prompt_text("greeting") in texts
    assert "Ich verbinde Sie mit das Bauamt." in texts  # transfer{department} for every department
    assert any("Taste drücken" in text and "Die 1 für die Kfz-Zulassungsstelle." in text for text in texts)
    assert "Abmelden geht auch online." in texts
    assert not any("{" in text for text in texts)
