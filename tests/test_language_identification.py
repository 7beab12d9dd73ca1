"""Whisper's language identification from the utterance's own encoder output, and the check that keeps a
German caller German: a decode in another language stands only when it is clearly surer (issue 11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


@pytest.mark.model
def test_the_two_language_decode_in_one_batch_reads_as_the_two_decodes_one_after_the_other(settings: Settings) -> None:
    """German audio that identification takes for English is decoded in both languages at once; each row of
    the batch must read exactly as its own decode would."""
    from voicebot.engines import load_transcriber
    from voicebot.engines.whisper_decode import decode_encoded, decode_encoded_as, encode_window

    whisper = load_transcriber(settings, ["whisper"])
    pcm, rate = read_wav(FIXTURES / "q-kfz-abmeldung-1.wav")
    audio = np.frombuffer(resample(pcm, rate, 16000), dtype="<i2").astype(np.float32) / 32768.0
    model = whisper.model  # type: ignore[attr-defined]
    encoded = encode_window(model, audio, margin_s=2.0)
    seconds = len(audio) / 16000
    tokenizers = [whisper._tokenizer_for("en"), whisper._tokenizer_for("de")]  # type: ignore[attr-defined]
    suppress = whisper._suppress  # type: ignore[attr-defined]
    english, german = decode_encoded_as(model, tokenizers, encoded, seconds, beam_size=1, suppress_tokens=suppress)
    alone = [decode_encoded(model, t, encoded, seconds, beam_size=1, suppress_tokens=suppress) for t in tokenizers]
    assert german.text == alone[1].text and "abmelde" in german.text.lower()
    assert english.text == alone[0].text and english.text != german.text
    assert abs(german.avg_logprob - alone[1].avg_logprob) < 0.05
    assert german.frames == alone[1].frames == 2 * int(encoded.shape[1])
