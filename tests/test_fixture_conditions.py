"""The line conditions generated at benchmark time: deterministic, in the sweep voices, as strong as documented."""

from __future__ import annotations

import numpy as np
import pytest
from voicebot_bench.fixture_audio import (
    CONDITIONS,
    FRAME_MS,
    add_noise,
    condition_audio,
    drop_frames,
    g722,
    speech_rms,
    sweep_voice,
)
from voicebot_bench.fixtures import load_manifest


def _tone(seconds: float = 1.0, hz: float = 440.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (8000 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()


def test_at_least_four_sweep_voices_and_every_case_is_heard_in_several() -> None:
    manifest = load_manifest()
    assert len(manifest.sweep_voices) >= 4
    assert set(manifest.sweep_voices) <= set(manifest.voices)
    for index in range(len(manifest.cases)):
        voices = [sweep_voice(manifest, index, name) for name in CONDITIONS]
        assert len(set(voices)) == len(CONDITIONS)  # a Latin square: one case, a different voice per condition
    for name in CONDITIONS:  # and every voice speaks in every condition
        assert {sweep_voice(manifest, i, name) for i in range(len(manifest.cases))} == set(manifest.sweep_voices)


@pytest.mark.parametrize("case_id", ["h-noise-line", "silence-3s", "yes-1"])
def test_every_condition_is_the_same_bytes_every_time(case_id: str) -> None:
    manifest = load_manifest()
    case = manifest.case(case_id)
    index = manifest.cases.index(case)
    for name, condition in CONDITIONS.items():
        voice = sweep_voice(manifest, index, name)
        first, rate = condition_audio(case, manifest, condition, voice)
        second, _ = condition_audio(case, manifest, condition, voice)
        assert first == second and rate == condition.rate, name
        assert first.strip(b"\x00") or case.kind == "silence", name


def test_line_noise_is_at_the_seeded_snr() -> None:
    clean = _tone()
    noisy = add_noise(clean, 17.5, np.random.default_rng(1))
    signal = np.frombuffer(clean, "<i2").astype(float)
    noise = np.frombuffer(noisy, "<i2").astype(float) - signal
    snr = 20 * np.log10(speech_rms(np.frombuffer(clean, "<i2")) / np.sqrt(np.mean(noise**2)))
    assert 17.0 < snr < 18.0


@pytest.mark.parametrize("percent", [1.0, 3.0])
def test_packet_loss_drops_that_share_of_20ms_frames(percent: float) -> None:
    pcm = _tone(4.0, rate=8000)
    lossy, loss = drop_frames(pcm, 8000, percent, np.random.default_rng(3))
    assert len(lossy) == len(pcm) and loss.frames == 4000 // FRAME_MS
    assert len(loss.lost) == round(loss.frames * percent / 100)
    size = 8000 * FRAME_MS // 1000 * 2
    changed = [i for i in range(loss.frames) if lossy[i * size : (i + 1) * size] != pcm[i * size : (i + 1) * size]]
    assert set(changed) <= set(loss.lost) and changed


def test_g722_keeps_the_length_and_the_speech_band() -> None:
    speech = _tone(1.0, 1000.0)
    coded = g722(speech)
    assert len(coded) == len(speech)
    spectrum = np.abs(np.fft.rfft(np.frombuffer(coded, "<i2").astype(float)))
    freqs = np.fft.rfftfreq(16000, 1 / 16000)
    assert freqs[int(np.argmax(spectrum))] == pytest.approx(1000, abs=5)
    assert coded != speech  # it really went through the codec
