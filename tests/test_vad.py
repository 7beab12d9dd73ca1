"""The WebRTC voice activity detector on real speech, silence and wrong frame formats."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED
from voicebot.audio import AudioFrame, read_wav, resample, silence, split_frames
from voicebot.config import Settings
from voicebot.engines import make_speech_detector
from voicebot.engines.webrtc_vad import WebrtcSpeechDetector
from voicebot.errors import AudioFormatError, ModelError

CLIP = SHARED / "eval" / "speech_de" / "fleurs_de_000.wav"


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("ms", [10, 20, 30])
def test_speech_is_found_and_silence_is_not(rate: int, ms: int) -> None:
    pcm, native = read_wav(CLIP)
    speech = resample(pcm, native, rate)
    detector = WebrtcSpeechDetector(2)
    voiced = [detector.is_speech(frame) for frame in split_frames(speech, rate, ms, pad=False)]
    assert sum(voiced) / len(voiced) > 0.3  # read speech with pauses: about half the frames are voiced
    quiet = [detector.is_speech(frame) for frame in split_frames(silence(rate, 1000), rate, ms)]
    assert not any(quiet)


def test_wrong_frame_size_or_rate_says_what_is_needed() -> None:
    detector = WebrtcSpeechDetector(3)
    with pytest.raises(AudioFormatError, match=r"25 ms|400 samples.*160 samples \(10 ms\)"):
        detector.is_speech(AudioFrame(silence(16000, 25), 16000))
    with pytest.raises(AudioFormatError, match=r"22050 Hz.*8000, 16000"):
        detector.is_speech(AudioFrame(silence(22050, 20), 22050))
    with pytest.raises(AudioFormatError, match="16-bit mono"):
        detector.is_speech(AudioFrame(b"\x00" * 321, 16000))


def test_aggressiveness_is_checked(settings: Settings) -> None:
    with pytest.raises(ModelError, match=r"0\.\.3"):
        WebrtcSpeechDetector(4)
    detector = make_speech_detector(settings)
    assert isinstance(detector, WebrtcSpeechDetector)
    assert detector.aggressiveness == settings.vad.aggressiveness
    assert make_speech_detector(settings) is not detector  # one per call
