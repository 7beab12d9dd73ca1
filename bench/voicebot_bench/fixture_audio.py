"""The audio of the caller fixtures, made reproducibly: the committed versions and the generated conditions.

Committed (``audio_fixtures/generate.py`` writes them, each case in its own voice profile):

* ``16k``: espeak-ng -> sox (16 kHz mono 16-bit, 0.3 s lead-in, 0.6 s tail, -3 dBFS peak, no dither);
* ``8k``: that audio band-limited to 300–3400 Hz (sox ``sinc``), through G.711 A-law at 8 kHz.

Generated at benchmark time (``CONDITIONS``; not committed, the same bytes on every run for the same
espeak-ng, sox and G722 versions): every case once per condition, the voice taken in turn from the
manifest's ``sweep_voices`` (a Latin square: case *i* in condition *j* is spoken by sweep voice
``(i + j) mod n``), so every case is heard in several voices and every voice in every condition:

* ``alaw``: the telephone band, as ``8k`` but in a sweep voice;
* ``g722``: wideband telephony: 50–7000 Hz (sox ``sinc``), then a real ITU-T G.722 encode/decode at
  64 kbit/s (the ``G722`` package, sippy's libg722 — bit-exact to the ITU reference), 16 kHz;
* ``noise``: line noise (white hiss, band-limited with the speech) at a seeded 15–20 dB SNR, then ``alaw``;
* ``loss``: ``alaw`` with a seeded 1–3 % of its 20 ms frames lost, each concealed either by silence or
  by repeating the previous frame (seeded per case, as a jitter buffer without and with simple PLC would).

Every random choice draws from ``numpy.random.default_rng(seed_of(case id, condition))`` (CRC-32, stable
across runs and machines). espeak-ng and sox run with fixed argument lists, never a shell.
"""

from __future__ import annotations

import array
import subprocess
import zlib
from dataclasses import dataclass

import numpy as np

from voicebot.audio import read_wav, telephone_band, wav_bytes
from voicebot_bench.fixtures import Fixture, Manifest, Voice

RATE = 16000
"""Rate of the wideband version (hertz)."""
LEAD_S = 0.3
"""Silence before the speech (seconds)."""
TAIL_S = 0.6
"""Silence after the speech (seconds)."""
FRAME_MS = 20
"""Packet length for the loss condition (milliseconds), as RTP carries G.711."""


@dataclass(frozen=True)
class Condition:
    """A line condition generated at benchmark time."""

    name: str
    """Short name: the stage is ``asr-<name>``."""
    label: str
    """What it is, for tables."""
    rate: int
    """Rate of the result (hertz)."""
    snr_db: tuple[float, float] = (0.0, 0.0)
    """Range of the seeded signal-to-noise ratio (dB); (0, 0) = no noise."""
    loss_percent: tuple[float, float] = (0.0, 0.0)
    """Range of the seeded share of lost 20 ms frames (percent); (0, 0) = no loss."""


CONDITIONS: dict[str, Condition] = {
    "alaw": Condition("alaw", "8 kHz G.711 A-law, 300-3400 Hz", 8000),
    "g722": Condition("g722", "16 kHz G.722 64 kbit/s, 50-7000 Hz", RATE),
    "noise": Condition("noise", "A-law + line noise 15-20 dB SNR", 8000, snr_db=(15.0, 20.0)),
    "loss": Condition("loss", "A-law + 1-3 % of 20 ms frames lost", 8000, loss_percent=(1.0, 3.0)),
}
"""Generated conditions by name, in table order."""


def _run(argv: list[str], data: bytes = b"") -> bytes:
    """Run a tool with a fixed argument list; its stdout (RuntimeError with its message when it fails)."""
    result = subprocess.run(argv, input=data, capture_output=True, check=False, timeout=60)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}): {message}")
    return result.stdout


def seed_of(case_id: str, condition: str) -> int:
    """The stable random seed of one case in one condition."""
    return zlib.crc32(f"{case_id}/{condition}".encode())


def speak(text: str, voice: Voice) -> bytes:
    """16 kHz 16-bit mono PCM of ``text`` spoken by espeak-ng, padded and normalised by sox."""
    espeak = ["espeak-ng", "-v", voice.voice, "-s", str(voice.speed), "-p", str(voice.pitch), "--stdout", text]
    wav = _run(espeak)
    sox = ["sox", "-D", "-R", "-t", "wav", "-", "-t", "wav", "-r", str(RATE), "-b", "16", "-c", "1", "-"]
    sox += ["pad", str(LEAD_S), str(TAIL_S), "gain", "-n", "-3"]
    pcm, rate = read_wav(_run(sox, wav))
    assert rate == RATE
    return pcm


def band_limit(pcm16k: bytes, band: str = "300-3400") -> bytes:
    """A band of 16 kHz PCM (sox sinc filter): ``300-3400`` narrowband, ``50-7000`` wideband telephony."""
    sox = ["sox", "-D", "-R", "-t", "wav", "-", "-t", "wav", "-b", "16", "-", "sinc", band]
    pcm, _rate = read_wav(_run(sox, wav_bytes(pcm16k, RATE)))
    return pcm


def noise(case: Fixture) -> bytes:
    """A noise case: seeded white hiss, or 50 Hz mains hum with harmonics under a little hiss."""
    rng = np.random.default_rng(case.seed)
    count = int(case.seconds * RATE)
    if case.noise == "hum":
        t = np.arange(count) / RATE
        signal = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3, 5))
        signal = signal + 0.1 * rng.standard_normal(count)
    else:
        signal = rng.standard_normal(count)
    signal = signal / (np.sqrt(np.mean(signal**2)) or 1.0)
    scaled = signal * 32768 * 10 ** (case.level_dbfs / 20)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def render(case: Fixture, manifest: Manifest, voice: str | None = None) -> bytes:
    """16 kHz PCM of one case, in its own voice profile or in ``voice``."""
    if case.kind == "silence":
        return b"\x00\x00" * int(case.seconds * RATE)
    if case.kind == "noise":
        return noise(case)
    return speak(case.text, manifest.voices[voice or case.voice])


def narrowband(pcm16k: bytes) -> bytes:
    """The committed ``8k`` version: 300–3400 Hz, 8 kHz, through G.711 A-law (8 kHz PCM)."""
    return telephone_band(band_limit(pcm16k), RATE, "alaw")


def g722(pcm16k: bytes) -> bytes:
    """50–7000 Hz, then a G.722 (64 kbit/s) encode and decode: 16 kHz PCM of the same length."""
    from G722 import G722

    wide = band_limit(pcm16k, "50-7000")
    coded = G722(RATE, 64000).encode(array.array("h", wide))
    decoded = G722(RATE, 64000).decode(coded)
    out = np.asarray(decoded, dtype="<i2").tobytes()
    return out[: len(wide)].ljust(len(wide), b"\x00")


def speech_rms(samples: np.ndarray) -> float:
    """RMS of the active part of a signal: the samples within 40 dB of its peak (lead-in and tail left out)."""
    magnitude = np.abs(samples.astype(np.float64))
    peak = float(magnitude.max()) if magnitude.size else 0.0
    active = samples[magnitude > peak * 0.01].astype(np.float64)
    return float(np.sqrt(np.mean(active**2))) if active.size else 0.0


def add_noise(pcm16k: bytes, snr_db: float, rng: np.random.Generator) -> bytes:
    """White line noise at ``snr_db`` below the speech's active RMS (a fixed low hiss for silent input)."""
    samples = np.frombuffer(pcm16k, dtype="<i2")
    level = speech_rms(samples) or 32768 * 10 ** (-40 / 20)
    hiss = rng.standard_normal(samples.size) * level * 10 ** (-snr_db / 20)
    return np.clip(samples + hiss, -32768, 32767).astype("<i2").tobytes()


@dataclass(frozen=True)
class Loss:
    """What the loss condition did to one case."""

    lost: tuple[int, ...]
    """Indexes of the lost 20 ms frames."""
    frames: int
    """Frames in the clip."""
    concealment: str
    """``silence`` or ``repeat`` (the previous frame played again)."""


def drop_frames(pcm: bytes, rate: int, percent: float, rng: np.random.Generator) -> tuple[bytes, Loss]:
    """Lose ``percent`` % of the 20 ms frames (at least one), chosen by ``rng``; conceal each as seeded."""
    size = rate * FRAME_MS // 1000 * 2
    frames = [pcm[i : i + size] for i in range(0, len(pcm), size)]
    count = max(1, round(len(frames) * percent / 100))
    lost = tuple(sorted(int(i) for i in rng.choice(len(frames), size=min(count, len(frames)), replace=False)))
    concealment = "repeat" if rng.random() < 0.5 else "silence"
    for index in lost:
        previous = frames[index - 1] if index > 0 and concealment == "repeat" else b""
        frames[index] = previous[: len(frames[index])].ljust(len(frames[index]), b"\x00")
    return b"".join(frames), Loss(lost, len(frames), concealment)


def condition_audio(case: Fixture, manifest: Manifest, condition: Condition, voice: str) -> tuple[bytes, int]:
    """(PCM, rate) of one case in one generated condition, spoken by sweep voice ``voice``."""
    rng = np.random.default_rng(seed_of(case.id, condition.name))
    wide = render(case, manifest, voice)
    if condition.name == "g722":
        return g722(wide), RATE
    if condition.snr_db != (0.0, 0.0):
        wide = add_noise(wide, float(rng.uniform(*condition.snr_db)), rng)
    pcm = narrowband(wide)
    if condition.loss_percent != (0.0, 0.0):
        pcm, _loss = drop_frames(pcm, 8000, float(rng.uniform(*condition.loss_percent)), rng)
    return pcm, 8000


def sweep_voice(manifest: Manifest, index: int, condition: str) -> str:
    """The sweep voice of the ``index``-th case in ``condition`` (a Latin square over the conditions)."""
    voices = manifest.sweep_voices
    shift = list(CONDITIONS).index(condition)
    return voices[(index + shift) % len(voices)]
