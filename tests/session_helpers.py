"""Shared by the call session tests (tests/test_session*.py): a scripted matcher, a bot on the honest fakes,
and a simulated call over a FileChannel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from tests.sample_content import OPEN_NOW, sample_content
from voicebot.call.bot import Bot
from voicebot.call.simulate import SimulatedCall, Turn, simulate_call
from voicebot.config.settings import Settings
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber, noise_burst
from voicebot.events import TransferResult
from voicebot.speak.cache import SpeechCache
from voicebot.understand.understanding import Candidate, Signal, Understanding

RATE = 16000


class ScriptedMatcher:
    """A test double for the matcher: a fixed reading per exact text (nothing matched otherwise)."""

    def __init__(self, readings: Mapping[str, Understanding]) -> None:
        self.readings = readings

    def understand(self, text: str) -> Understanding:
        return self.readings.get(text, Understanding(text, text.lower()))


def reading(text: str, *candidates: tuple[str, float], signals: tuple[Signal, ...] = ()) -> Understanding:
    """What the matcher would make of ``text``: the given ranked candidates and signals."""
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
    """A bot on the sample content and the honest fakes: utterance N is heard as ``answers[N]`` (``fail_on``: raise)."""
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
    """A spoken turn: a noise burst of ``ms`` (the fake recogniser supplies the words)."""
    return Turn("audio", pcm=noise_burst(RATE, ms), label="noise")


async def call(
    bot: Bot, *turns: Turn, now: dt.datetime = OPEN_NOW, results: tuple[TransferResult, ...] = ()
) -> SimulatedCall:
    """One simulated call over a FileChannel at ``now`` (transfers answered by ``results``)."""
    return await simulate_call(bot, turns, start=now, transfer_results=results)


def actions(result: SimulatedCall) -> list[str]:
    """The action of every turn of the call."""
    return [turn.action for turn in result.turns]
