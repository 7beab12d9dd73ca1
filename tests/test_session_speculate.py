"""Speculative end of turn and early reply audio in the call session (fakes over a FileChannel, media time).
The seam between the listener's early transcript and the session's preparation: tests/test_session_foresight.py.

A recogniser that decodes at ``finish`` (``FakeTranscriber(streaming=False)``, like Whisper) gets a snapshot
of the utterance decoded at the pause (``[vad] speculate_ms``); the tests check which decode's text the turn
used by making the fake's answer depend on how much audio it was given.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.sample_content import OPEN_NOW, sample_content
from voicebot.audio import AudioFrame, silence, split_frames
from voicebot.call.bot import Bot
from voicebot.call.session import CallSession
from voicebot.call.simulate import FileChannel, SimulatedCall, Turn, simulate_call
from voicebot.config.settings import Settings
from voicebot.engines.fakes import (
    EnergySpeechDetector,
    FakeAcousticScorer,
    FakeSynthesizer,
    FakeTranscriber,
    noise_burst,
)
from voicebot.listen.listener import Listener
from voicebot.records.calls import MemoryRecorder
from voicebot.speak.cache import SpeechCache
from voicebot.understand.understanding import Candidate, Understanding

RATE = 16000
SHORT_MS = 800
"""Length of one noise burst (a stand-in for a spoken phrase)."""


class CountingMatcher:
    """Reads 'auto anmelden' as a sure Kfz question and 'auto' as an unsure one; counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def understand(self, text: str) -> Understanding:
        with self._lock:
            self.asked.append(text)
        score = {"auto anmelden": 0.95, "auto": 0.65}.get(text)
        candidates = (Candidate("kfz-anmeldung", score, "fuzzy"),) if score else ()
        return Understanding(text, text.lower(), candidates)


def by_length(pcm: bytes) -> str:
    """The fake's 'recognition': the first burst alone is 'auto', more audio is 'auto anmelden'."""
    return "auto anmelden" if len(pcm) > 2 * RATE * (SHORT_MS + 600) // 1000 else "auto"


def make_bot(
    settings: Settings,
    tmp_path: Path,
    speculate_ms: int = 300,
    streaming: bool = False,
    matcher: CountingMatcher | None = None,
    scorer: FakeAcousticScorer | None = None,
) -> Bot:
    """A bot with the fake recogniser ``by_length``; with ``scorer`` its turns are rescored (24 candidates)."""
    settings = dataclasses.replace(settings, vad=dataclasses.replace(settings.vad, speculate_ms=speculate_ms))
    if scorer is not None:
        settings = dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, rescore_candidates=24))
    content = sample_content()
    matcher = matcher or CountingMatcher()
    return Bot(
        settings,
        content,
        FakeTranscriber(by_length, RATE, streaming=streaming),
        SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE),
        EnergySpeechDetector,
        matcher_factory=lambda _content: matcher,
        content_loader=lambda _settings: content,
        scorer=scorer,
    )


def transcriber(bot: Bot) -> FakeTranscriber:
    assert isinstance(bot.transcriber, FakeTranscriber)
    return bot.transcriber


async def call(bot: Bot, *turns: Turn) -> SimulatedCall:
    return await simulate_call(bot, turns, start=OPEN_NOW)


def one_phrase() -> Turn:
    return Turn("audio", pcm=noise_burst(RATE, SHORT_MS + 800), label="auto anmelden")


def phrase_with_pause(pause_ms: int) -> Turn:
    """A burst, a pause, another burst: one utterance when the pause is shorter than the end silence."""
    pcm = noise_burst(RATE, SHORT_MS) + silence(RATE, pause_ms) + noise_burst(RATE, SHORT_MS, seed=1)
    return Turn("audio", pcm=pcm, label="auto ... anmelden")


async def test_speculative_decode_is_used_when_the_silence_completes(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot, one_phrase())
    turn = result.turns[1]
    assert (turn.transcript, turn.action, turn.topic) == ("auto anmelden", "answer", "kfz-anmeldung")
    assert turn.timings_ms["speculative"] == 1.0 and turn.timings_ms["speculations_dropped"] == 0.0
    fake = transcriber(bot)
    # the utterance's own session was never finished: the one decode was the snapshot's
    assert fake.sessions == 2 and len(fake.heard) == 1
    # the snapshot ends 300 ms into the silence: it holds the whole phrase, but not the whole end silence
    assert 2 * RATE * (SHORT_MS + 800) // 1000 <= len(fake.heard[0]) < 2 * RATE * (SHORT_MS + 800 + 700) // 1000


async def test_one_utterance_is_matched_once(settings: Settings, tmp_path: Path) -> None:
    """Prepared ahead or not (an unpaced FileChannel may outrun the early decode), the turn matches once; that
    the turn takes the prepared understanding is tested on a paced line in tests/test_session_foresight.py."""
    bot = make_bot(settings, tmp_path)
    await call(bot, one_phrase())
    matcher = bot.matcher
    assert isinstance(matcher, CountingMatcher)
    assert matcher.asked == ["auto anmelden"]


async def test_speculation_is_dropped_when_the_caller_goes_on(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot, phrase_with_pause(500))  # 500 ms: past speculate_ms, short of end_silence_ms
    turn = result.turns[1]
    # 'auto' (the first burst alone, decoded at the first pause) would only have been confirmed
    assert (turn.transcript, turn.action) == ("auto anmelden", "answer")
    assert turn.timings_ms["speculations_dropped"] == 1.0
    assert [t.transcript for t in result.turns if t.transcript] == ["auto anmelden"]


async def test_pause_below_speculate_ms_starts_nothing(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path, speculate_ms=300)
    result = await call(bot, phrase_with_pause(200))
    turn = result.turns[1]
    assert (turn.transcript, turn.timings_ms["speculations_dropped"], turn.timings_ms["speculative"]) == (
        "auto anmelden",
        0.0,
        1.0,
    )
    assert len(transcriber(bot).heard) == 1


async def test_no_speculation_when_off_or_with_a_streaming_recogniser(settings: Settings, tmp_path: Path) -> None:
    for speculate_ms, streaming in ((0, False), (300, True)):
        bot = make_bot(settings, tmp_path / f"{speculate_ms}-{streaming}", speculate_ms, streaming)
        result = await call(bot, one_phrase())
        turn = result.turns[1]
        assert (turn.transcript, turn.action) == ("auto anmelden", "answer")
        assert "speculative" not in turn.timings_ms
        fake = transcriber(bot)
        assert fake.sessions == 1 and len(fake.heard) == 1  # the utterance's own session, finished at the end


class WatchedSynthesizer(FakeSynthesizer):
    """A FakeSynthesizer that notes, each time it resumes after a sentence, how much audio was queued."""

    def __init__(self) -> None:
        super().__init__(RATE)
        self.channel: FileChannel | None = None
        self.queued_on_resume: list[int] = []

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        for frame in super().synthesize(text):
            yield frame
            if self.channel is not None:
                self.queued_on_resume.append(len(self.channel.played))


async def test_uncached_reply_starts_playing_before_synthesis_ends(settings: Settings, tmp_path: Path) -> None:
    synth = WatchedSynthesizer()
    speech = SpeechCache(synth, tmp_path / "tts", RATE)
    content = sample_content()
    bot = Bot(
        settings,
        content,
        FakeTranscriber([], RATE),
        speech,
        EnergySpeechDetector,
        content_loader=lambda _settings: content,
    )
    greeting = bot.prompt_text("greeting")
    assert greeting.count(".") + greeting.count("?") >= 2  # more than one sentence, so more than one chunk
    channel = FileChannel([], RATE)
    synth.channel = channel
    await CallSession(bot, channel, MemoryRecorder(), lambda: OPEN_NOW).run()
    # the greeting was not cached: its first sentence was queued while later ones were still being made
    assert synth.queued_on_resume and synth.queued_on_resume[0] >= 1
    assert len(channel.played) >= 2
    assert b"".join(p.pcm for p in channel.played) == speech.render(greeting)  # and it is cached now, whole

    cached = FileChannel([], RATE)
    synth.channel = None
    await CallSession(bot, cached, MemoryRecorder(), lambda: OPEN_NOW).run()
    assert [p.pcm for p in cached.played] == [speech.render(greeting)]  # a cached text goes out in one piece


def frames(pcm: bytes, start_ms: int = 0) -> list[AudioFrame]:
    return list(split_frames(pcm, RATE, 20, start_ms))


async def test_cut_utterance_is_decoded_whole(settings: Settings) -> None:
    """An utterance cut at max_utterance_ms is never taken from an earlier pause's snapshot."""
    vad = dataclasses.replace(settings.vad, speculate_ms=300, max_utterance_ms=3000)
    fake = FakeTranscriber(by_length, RATE, streaming=False)
    listener = Listener(fake, EnergySpeechDetector(), vad)
    pcm = noise_burst(RATE, 400) + silence(RATE, 400) + noise_burst(RATE, 3000, seed=3)
    heard = [u for f in frames(pcm) for u in [(await listener.frame(f, False))[1]] if u is not None]
    assert len(heard) == 1 and heard[0].ended.cut
    assert not heard[0].speculative and heard[0].dropped == 1
    assert heard[0].transcript.text == "auto anmelden"
