"""The WebRTC voice activity detector on real speech, silence and wrong frame formats."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED
from voicebot.audio import AudioFrame, read_wav, resample, silence, split_frames
from voicebot.config.settings import Settings, VadSettings
from voicebot.engines import make_speech_detector
from voicebot.engines.fakes import FakeTranscriber
from voicebot.engines.webrtc_vad import WebrtcSpeechDetector
from voicebot.errors import AudioFormatError, ModelError
from voicebot.listen.listener import Listener

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


async def _turn_ends(frames: list[AudioFrame], tail_drop_db: float) -> list[int]:
    vad = VadSettings(tail_drop_db=tail_drop_db, no_input_ms=60000, max_utterance_ms=60000)
    listener = Listener(FakeTranscriber(["egal"] * 20), WebrtcSpeechDetector(2), vad)
    ends = []
    for frame in frames:
        _events, utterance = await listener.frame(frame, bot_speaking=False)
        if utterance is not None:
            ends.append(utterance.ended.speech_end_ms)
    return ends


async def test_end_of_turn_silence_counts_from_the_last_syllable() -> None:
    """Human recordings through the real VAD and the listener: with ``tail_drop_db`` the same utterances are
    found, but the end-of-turn silence starts at the last syllable, not ~100 ms later where the VAD lets go."""
    saved = []
    for clip in sorted((SHARED / "eval" / "speech_de").glob("thorsten_*.wav"))[:8]:
        pcm, native = read_wav(clip)
        frames = list(split_frames(resample(pcm, native, 8000) + silence(8000, 1500), 8000, 20, pad=False))
        vad_only = await _turn_ends(frames, 0.0)
        with_tail = await _turn_ends(frames, 35.0)
        assert len(with_tail) == len(vad_only) >= 1, clip.name
        assert all(a >= b for a, b in zip(vad_only, with_tail, strict=True)), clip.name
        saved.append(vad_only[-1] - with_tail[-1])
    assert sum(saved) / len(saved) >= 50, saved
