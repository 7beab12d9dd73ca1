"""Honest small implementations of the engine Protocols, for tests and model-free simulation.

- ``FakeTranscriber`` returns scripted texts, one per utterance (in order, by utterance index, or computed
  from the utterance's audio), and counts what it was fed.
- ``FakeSynthesizer`` "speaks" a quiet tone whose length grows with the text, so playback has a duration.
- ``EnergySpeechDetector`` calls a frame speech when its RMS level is above a threshold.

Nothing here pretends to understand speech; each class does exactly what its docstring says.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from voicebot.audio import AudioFrame
from voicebot.ports import Transcript

Answers = Sequence[str] | Mapping[int, str] | Callable[[bytes], str]
"""What a FakeTranscriber says: texts in utterance order, texts by utterance index, or a function of the PCM."""


class FakeSession:
    """One utterance of a FakeTranscriber: collects the PCM, answers at ``finish``."""

    def __init__(self, owner: FakeTranscriber, index: int) -> None:
        self._owner = owner
        self._index = index
        self._pcm = bytearray()

    def accept(self, pcm: bytes) -> str | None:
        """Collect audio (after the owner's ``gate`` opens, if it has one); never has a partial result."""
        gate = self._owner.gate
        if gate is not None:
            gate.wait()
        self._owner.accepts += 1
        self._pcm += pcm
        self._owner.fed_bytes += len(pcm)
        return None

    def finish(self) -> Transcript:
        """The scripted text for this utterance (empty when the script has none)."""
        pcm = bytes(self._pcm)
        answers = self._owner.answers
        if callable(answers):
            text = answers(pcm)
        elif isinstance(answers, Mapping):
            text = answers.get(self._index, "")
        else:
            text = answers[self._index] if self._index < len(answers) else ""
        self._owner.heard.append(pcm)
        if self._owner.fail_on is not None and self._index in self._owner.fail_on:
            raise RuntimeError(f"fake recogniser told to fail on utterance {self._index}")
        language, probability = self._owner.identified.get(self._index, ("", 0.0))
        return Transcript(text, 1.0, self._owner.name, language=language, language_probability=probability)


class FakeTranscriber:
    """A scripted recogniser: utterance number N (0-based, counted per transcriber) gets the N-th answer."""

    name = "fake"
    streaming = True

    def __init__(
        self,
        answers: Answers = (),
        sample_rate: int = 16000,
        fail_on: Sequence[int] | None = None,
        *,
        streaming: bool = True,
        identified: Mapping[int, tuple[str, float]] | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.answers = answers
        self.identified = dict(identified or {})
        """Utterance index -> (language, probability) the fake "identifies" (like Whisper's language ID)."""
        self.sample_rate = sample_rate
        self.streaming = streaming
        """False: behaves like a recogniser that decodes at ``finish`` (Whisper), e.g. for speculative decoding."""
        self.fail_on = set(fail_on) if fail_on is not None else None
        """Utterance indexes whose ``finish`` raises (to test error handling)."""
        self.sessions = 0
        """Sessions opened so far."""
        self.fed_bytes = 0
        """PCM bytes accepted over all sessions."""
        self.accepts = 0
        """``accept`` calls over all sessions."""
        self.gate = gate
        """While this event is clear, ``accept`` waits (a recogniser slower than the line)."""
        self.heard: list[bytes] = []
        """The PCM of every finished utterance, in order."""

    def open_session(self, phrases: Sequence[str] | None = None) -> FakeSession:
        """Start the next utterance."""
        session = FakeSession(self, self.sessions)
        self.sessions += 1
        return session


class FakeSynthesizer:
    """A tone of ``ms_per_char`` milliseconds per character (at least 200 ms), one chunk per sentence."""

    name = "fake"

    def __init__(self, sample_rate: int = 16000, ms_per_char: float = 60.0, frequency: float = 440.0) -> None:
        self.sample_rate = sample_rate
        self.ms_per_char = ms_per_char
        self.frequency = frequency
        self.spoken: list[str] = []
        """Every text synthesised, in order."""

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        """Yield one tone chunk per sentence of ``text``."""
        self.spoken.append(text)
        sentences = [part for part in text.replace("?", ".").replace("!", ".").split(".") if part.strip()] or [text]
        position = 0
        for sentence in sentences:
            ms = max(200.0, self.ms_per_char * len(sentence))
            samples = int(self.sample_rate * ms / 1000)
            t = np.arange(samples) / self.sample_rate
            wave = 3000.0 * np.sin(2 * math.pi * self.frequency * t)
            pcm = wave.astype("<i2").tobytes()
            yield AudioFrame(pcm, self.sample_rate, position)
            position += int(ms)


class EnergySpeechDetector:
    """Speech = frame RMS above ``threshold`` (0..32768). Good enough for clean test signals, not for phones."""

    def __init__(self, threshold: float = 300.0) -> None:
        self.threshold = threshold

    def is_speech(self, frame: AudioFrame) -> bool:
        """True if the frame is louder than the threshold."""
        return frame.rms() > self.threshold


def noise_burst(rate: int, ms: int, level: float = 4000.0, seed: int = 0) -> bytes:
    """Loud white noise of ``ms`` milliseconds: a stand-in for speech that every detector here calls voiced."""
    generator = np.random.default_rng(seed)
    samples = generator.normal(0.0, level, rate * ms // 1000).clip(-32000, 32000)
    return samples.astype("<i2").tobytes()


__all__ = ["EnergySpeechDetector", "FakeSession", "FakeSynthesizer", "FakeTranscriber", "noise_burst"]
