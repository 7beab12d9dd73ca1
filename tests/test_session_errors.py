"""The call session when something breaks (honest fakes): recogniser and synthesiser errors, a cancelled session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sample_content import CLOSED_NOW, OPEN_NOW
from tests.session_helpers import RATE, actions, call, make_bot, speech
from voicebot.audio import AudioFrame
from voicebot.call.simulate import FileChannel, Turn
from voicebot.config.settings import Settings
from voicebot.engines.fakes import FakeSynthesizer
from voicebot.events import LineEvent
from voicebot.records.calls import MemoryRecorder
from voicebot.speak.cache import SpeechCache


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


class SilentLine(FileChannel):
    """A line on which nothing ever arrives (the caller holds the line in silence, no audio delivered)."""

    async def receive(self) -> LineEvent:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_cancelled_session_records_the_hand_over(settings: Settings, tmp_path: Path) -> None:
    from voicebot.call.session import CallSession

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
