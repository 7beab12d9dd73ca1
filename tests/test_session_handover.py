"""The call session's transfers with context and its bridge (honest fakes: a FileChannel, and one that can also
bridge): the context headers a transfer carries, "one moment" before a bridge, the record saying "bridged"."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.sample_content import OPEN_NOW, PROMPTS, sample_content
from tests.session_helpers import RATE, READINGS, ScriptedMatcher, call, make_bot
from voicebot.call.bot import Bot
from voicebot.call.session import CallSession
from voicebot.call.simulate import FileChannel, Turn
from voicebot.config.settings import Settings
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.events import TransferResult
from voicebot.ports import BridgingChannel
from voicebot.records.calls import MemoryRecorder
from voicebot.speak.cache import SpeechCache

BRIDGE_PROMPT = "Einen Moment bitte, ich verbinde Sie."


async def test_a_spoken_request_carries_topic_words_and_reason(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, answers=["bauantrag"])
    result = await call(bot, Turn.say("bauantrag"))
    assert result.channel.transfers == [settings.departments["bauamt"].target]
    [headers] = result.channel.transfer_headers
    assert headers["Subject"] == 'einen Bauantrag: "bauantrag"'
    assert headers["Call-Info"] == "<urn:x-voicebot:topic:bauantrag>;purpose=info"
    assert headers["X-Voicebot-Words"] == "bauantrag"
    assert headers["X-Voicebot-Reason"] == result.turns[1].reason


async def test_a_key_carries_the_department_and_the_key(settings: Settings, tmp_path: Path) -> None:
    result = await call(make_bot(settings, tmp_path), Turn.keys("0"))
    [headers] = result.channel.transfer_headers
    assert headers["X-Voicebot-Reason"] == "Anrufer drueckte 0"
    assert "X-Voicebot-Words" not in headers and "Call-Info" not in headers


class BridgingFileChannel(FileChannel):
    """A FileChannel that can also bridge: REFERs and bridges answered from scripts (default: answered)."""

    def __init__(self, turns: Sequence[Turn], rate: int, bridge_results: Sequence[TransferResult]) -> None:
        super().__init__(turns, rate, tail_ms=1000, transfer_results=(TransferResult(False, 501, "Not Impl."),))
        self._bridge_results = list(bridge_results)
        self.bridges: list[tuple[str, dict[str, str]]] = []

    @property
    def ended(self) -> bool:
        return self._ended

    async def bridge(self, target: str, headers: Mapping[str, str], answer_timeout_s: float) -> TransferResult:
        self.bridges.append((target, dict(headers)))
        result = self._bridge_results.pop(0) if self._bridge_results else TransferResult(True, 200, bridged=True)
        if result.ok:
            self._ended = True
        return result


def _bridging_bot(settings: Settings, tmp_path: Path) -> tuple[Bot, FakeSynthesizer]:
    content = dataclasses.replace(sample_content(), prompts={**PROMPTS, "transfer_bridge": BRIDGE_PROMPT})
    synthesizer = FakeSynthesizer(RATE)
    bridged = dataclasses.replace(settings, sip=dataclasses.replace(settings.sip, transfer="refer-then-bridge"))
    bot = Bot(
        bridged,
        content,
        FakeTranscriber(["bauantrag"], RATE),
        SpeechCache(synthesizer, tmp_path / "tts", RATE),
        EnergySpeechDetector,
        matcher_factory=lambda _content: ScriptedMatcher(READINGS),
        content_loader=lambda _settings: content,
    )
    return bot, synthesizer


async def _run(bot: Bot, channel: BridgingFileChannel) -> tuple[list[str], str, str | None]:
    recorder = MemoryRecorder()
    outcome = await CallSession(bot, channel, recorder, lambda: OPEN_NOW).run()
    return [turn.action for turn in recorder.calls[channel.call_id].turns], outcome.outcome, outcome.department


async def test_a_refused_refer_is_bridged_after_one_moment_and_recorded_as_bridged(
    settings: Settings, tmp_path: Path
) -> None:
    bot, synthesizer = _bridging_bot(settings, tmp_path)
    channel = BridgingFileChannel((Turn.say("bauantrag"),), RATE, ())
    assert isinstance(channel, BridgingChannel)
    turns, outcome, department = await _run(bot, channel)
    assert turns == ["greeting", "transfer", "bridged"]
    assert (outcome, department) == ("transferred", "bauamt")
    assert BRIDGE_PROMPT in synthesizer.spoken
    [(target, headers)] = channel.bridges
    assert target == settings.departments["bauamt"].target and headers["X-Voicebot-Words"] == "bauantrag"


async def test_when_department_and_switchboard_fail_the_caller_is_offered_a_callback(
    settings: Settings, tmp_path: Path
) -> None:
    bot, synthesizer = _bridging_bot(settings, tmp_path)
    failing = (TransferResult(False, 486, "Busy", bridged=True), TransferResult(False, 408, "Timeout", bridged=True))
    channel = BridgingFileChannel((Turn.say("bauantrag"),), RATE, failing)
    turns, _outcome, _department = await _run(bot, channel)
    assert [target.split("@")[0] for target, _h in channel.bridges] == ["sip:bauamt", "sip:zentrale"]
    assert turns[:3] == ["greeting", "transfer", "transfer_failed"]
    assert "Möchten Sie zurückgerufen werden?" in synthesizer.spoken
