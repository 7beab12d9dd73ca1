"""The call session end to end over a FileChannel, with the honest fakes (no models): turn-taking (greeting,
spoken and typed turns, barge-in, silence, the call time limit)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from tests.session_helpers import RATE, actions, call, make_bot, speech
from voicebot.call.simulate import Turn
from voicebot.config.settings import Settings
from voicebot.engines.fakes import noise_burst


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


async def test_hang_up_mid_prompt_leaves_no_tasks(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    before = asyncio.all_tasks()
    task = asyncio.create_task(call(bot, Turn.hang_up()))
    result = await task
    assert result.outcome.outcome == "hung_up"
    assert result.channel.playback_pending_ms() == 0
    assert asyncio.all_tasks() == before


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
