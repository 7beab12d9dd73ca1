"""Whisper base with the short encoder window, against the real model (PyPI ``whisper-base``).

The caller's utterance is encoded with a margin, not padded to 30 s: the words must stay right at 16 kHz
and on the telephone band, a 1 s and a 12 s utterance must both work (the window grows with them),
audio longer than one window goes the 30 s way, and silence or noise must give no text at all.
"""

from __future__ import annotations

import csv
import logging

import numpy as np
import pytest
from voicebot_bench.fixtures import load_manifest
from voicebot_bench.wer import wer

from tests.conftest import SHARED
from voicebot.audio import read_wav, resample
from voicebot.config.settings import Settings
from voicebot.engines import make_transcriber
from voicebot.engines.whisper_asr import WhisperTranscriber
from voicebot.engines.whisper_decode import FULL_WINDOW_FRAMES

pytestmark = pytest.mark.model

EVAL = SHARED / "eval" / "speech_de"


@pytest.fixture(scope="module")
def whisper(settings: Settings) -> WhisperTranscriber:
    transcriber = make_transcriber(settings, "whisper")
    assert isinstance(transcriber, WhisperTranscriber)
    assert transcriber.margin_s is not None, "the shipped configuration uses the short window"
    return transcriber


def _reference(name: str) -> str:
    with (EVAL / "transcripts.tsv").open(encoding="utf-8") as handle:
        return next(row["text"] for row in csv.DictReader(handle, delimiter="\t") if row["file"] == name)


def _clip(name: str) -> bytes:
    pcm, rate = read_wav(EVAL / name)
    return resample(pcm, rate, 16000)


@pytest.mark.parametrize(
    ("case_id", "version"),
    [("q-kfz-anmeldung-1", "16k"), ("q-kfz-anmeldung-1", "8k_alaw"), ("q-fuehrerschein-verloren-1", "16k")],
)
def test_a_fixture_question_decodes_to_its_words(whisper: WhisperTranscriber, version: str, case_id: str) -> None:
    manifest = load_manifest()
    case = next(c for c in manifest.cases if c.id == case_id)
    pcm, rate = read_wav(case.path("8k" if version == "8k_alaw" else "16k", manifest.root))
    pcm = resample(pcm, rate, 16000)
    assert whisper.window_frames(len(pcm) // 2) <= 1000  # 10 s, not 30
    text = whisper.decode(pcm).text
    assert wer(case.text, text) <= 0.1, text


def test_a_one_second_and_a_twelve_second_utterance_both_work(whisper: WhisperTranscriber) -> None:
    short, long = _clip("thorsten_c884c866.wav"), _clip("fleurs_de_002.wav")  # 0.9 s and 12.4 s
    short_frames, long_frames = whisper.window_frames(len(short) // 2), whisper.window_frames(len(long) // 2)
    assert short_frames < long_frames < FULL_WINDOW_FRAMES
    assert long_frames >= 1242  # the whole utterance is in the window
    assert wer(_reference("thorsten_c884c866.wav"), whisper.decode(short).text) <= 0.5
    text = whisper.decode(long).text
    assert wer(_reference("fleurs_de_002.wav"), text) <= 0.35, text


def test_audio_longer_than_one_window_takes_the_30_s_windows(whisper: WhisperTranscriber) -> None:
    first, second = _clip("fleurs_de_000.wav"), _clip("fleurs_de_007.wav")  # 17.9 s + 19.7 s
    pcm = first + second
    assert whisper.window_frames(len(pcm) // 2) == FULL_WINDOW_FRAMES
    text = whisper.decode(pcm).text.lower()
    assert "hongkong" in text and ("1963" in text or "damm" in text), text  # both halves are heard, nothing cut


@pytest.mark.parametrize("kind", ["silence", "hiss", "hum", "clicks"])
def test_silence_and_noise_decode_to_nothing(
    whisper: WhisperTranscriber, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    count = 3 * 16000
    rng = np.random.default_rng(7)
    if kind == "silence":
        samples = np.zeros(count)
    elif kind == "hiss":
        samples = rng.normal(0, 600, count)
    elif kind == "hum":
        samples = 1500 * np.sin(np.arange(count) * 2 * np.pi * 50 / 16000) + rng.normal(0, 50, count)
    else:
        samples = np.zeros(count)
        samples[rng.integers(0, count, 12)] = 20000
    with caplog.at_level(logging.INFO, logger="voicebot.engines.whisper_asr"):
        transcript = whisper.decode(samples.astype("<i2").tobytes())
    assert transcript.text == "", (transcript.text, caplog.text)
    assert transcript.confidence == 0.0
