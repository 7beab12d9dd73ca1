"""Whisper's language identification from the utterance's own encoder output, and the check that keeps a
German caller German: a decode in another language stands only when it is clearly surer (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.audio import read_wav, resample
from voicebot.config.settings import Settings
from voicebot.engines.whisper_decode import (
    CLEAR_LOGPROB,
    MIN_OTHER_LOGPROB,
    OTHER_MARGIN,
    Decoded,
    other_language_holds,
)

FIXTURES = Path(__file__).resolve().parent.parent / "audio_fixtures" / "8k_alaw"


def _decoded(avg_logprob: float) -> Decoded:
    return Decoded("text", avg_logprob, 0.01, 1000)


def test_a_clearly_spoken_other_language_stands_without_a_second_decode() -> None:
    assert other_language_holds(_decoded(CLEAR_LOGPROB), None)
    assert not other_language_holds(_decoded(CLEAR_LOGPROB - 0.01), None)


def test_a_less_clear_one_must_beat_the_base_language_by_the_margin() -> None:
    other = _decoded(MIN_OTHER_LOGPROB + 0.05)
    assert other_language_holds(other, _decoded(other.avg_logprob - OTHER_MARGIN - 0.01))
    assert not other_language_holds(other, _decoded(other.avg_logprob - OTHER_MARGIN + 0.05))
    assert not other_language_holds(_decoded(MIN_OTHER_LOGPROB - 0.01), _decoded(-3.0))


@pytest.mark.model
def test_no_german_question_fixture_is_taken_for_english_and_english_stays_english(settings: Settings) -> None:
    from voicebot_bench.language_bench import ENGLISH, _english

    from voicebot.engines import load_transcriber

    whisper = load_transcriber(settings, ["whisper"])
    taken = []
    for path in sorted(FIXTURES.glob("q-*.wav")):
        pcm, rate = read_wav(path)
        heard = whisper.decode(resample(pcm, rate, 16000), None)  # type: ignore[attr-defined]
        if heard.language == "en" and heard.language_probability >= 0.5:
            taken.append((path.name, heard.language_probability, heard.text))
    assert not taken, taken
    for voice, text in ENGLISH:
        heard = whisper.decode(resample(_english(voice, text), 8000, 16000), None)  # type: ignore[attr-defined]
        assert heard.language == "en" and heard.language_probability >= 0.8, (text, heard)
