"""How long the greeting takes to speak with the real TTS: the time before a caller is asked to talk.

``measure_greeting`` renders the shipped greeting (placeholders filled in, spoken form as the bot says it)
with the configured TTS engine and measures the audio, with and without its leading and trailing silence,
next to the content check's estimate (``voicebot.content.check.speaking_seconds``). The goal is
``MAX_GREETING_SECONDS`` of speech until the greeting's question hands the turn over (the caller's wait, as
the content check counts it: ``greeting_until_question``); the short English hint after the question
("English? Ask or press 9.") is measured too and reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicebot.config.settings import Settings
from voicebot.content.check import MAX_GREETING_SECONDS, greeting_until_question, speaking_seconds
from voicebot.content.model import Content, render_text
from voicebot.ports import Synthesizer
from voicebot.speak.spoken import speakable

QUIET = 0.01
"""Samples below this share of the peak (-40 dB) count as silence at the ends."""


@dataclass(frozen=True)
class GreetingLength:
    """The greeting's spoken length."""

    text: str
    """What is said (placeholders filled in)."""
    engine: str
    """TTS engine that spoke it."""
    estimate_s: float
    """The content check's estimate (seconds)."""
    audio_s: float
    """Length of the synthesised audio (seconds)."""
    speech_s: float
    """From the first to the last sound up to the question, leading and trailing silence left out (seconds)."""
    goal_s: float = MAX_GREETING_SECONDS
    """At most this much speech until the question (seconds)."""
    whole_s: float = 0.0
    """Speech of the whole greeting, the hint after the question included (seconds)."""

    def line(self) -> str:
        """``greeting: 5.9 s of speech until its question (goal ≤ 6 s) …`` for the benchmark output."""
        verdict = "ok" if self.speech_s <= self.goal_s else "TOO LONG"
        return (
            f"greeting: {self.speech_s:.1f} s of speech until its question (goal ≤ {self.goal_s:g} s, {verdict}), "
            f"{self.whole_s:.1f} s with the hint after it; {self.audio_s:.1f} s of audio by {self.engine}, "
            f"estimate {self.estimate_s:.1f} s: {self.text!r}"
        )


def speech_span(pcm: bytes, rate: int) -> float:
    """Seconds from the first to the last sample above ``QUIET`` of the peak (0 for silence)."""
    samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
    if not samples.size or not samples.max():
        return 0.0
    loud = np.flatnonzero(samples > samples.max() * QUIET)
    return float(loud[-1] - loud[0] + 1) / rate


def _speak(synth: Synthesizer, text: str) -> tuple[bytes, int]:
    parts: list[bytes] = []
    rate = synth.sample_rate
    for frame in synth.synthesize(speakable(text)):
        rate = frame.rate
        parts.append(frame.pcm)
    return b"".join(parts), rate


def measure_greeting(content: Content, synth: Synthesizer) -> GreetingLength:
    """Speak the greeting with ``synth`` and measure it (up to its question, and whole)."""
    text = render_text(content.prompts["greeting"], content.facts)
    asked = greeting_until_question(text)
    pcm, rate = _speak(synth, asked)
    whole, whole_rate = (pcm, rate) if asked == text else _speak(synth, text)
    return GreetingLength(
        text,
        synth.name,
        speaking_seconds(asked),
        len(pcm) / 2 / rate,
        speech_span(pcm, rate),
        whole_s=speech_span(whole, whole_rate),
    )


def greeting_length(settings: Settings, content: Content) -> GreetingLength:
    """The greeting measured with the configured TTS engine (the first of ``[tts] engines`` that loads)."""
    from voicebot.engines import load_synthesizer

    return measure_greeting(content, load_synthesizer(settings))
