"""Speculative end of turn: ``SpeechPaused`` once per pause that reaches ``speculate_ms`` (20 ms frames)."""

from __future__ import annotations

from voicebot.config.settings import VadSettings
from voicebot.events import SpeechEnded, SpeechPaused, SpeechStarted, TurnEvent
from voicebot.listen.endpointing import TurnState, advance

FRAME = 20


def run(pattern: str, speculate_ms: int) -> list[TurnEvent]:
    """Feed frames: ``#`` voiced, ``.`` silent; returns every event."""
    vad = VadSettings(start_ms=120, end_silence_ms=700, speculate_ms=speculate_ms)
    state = TurnState()
    events: list[TurnEvent] = []
    for index, char in enumerate(pattern):
        state, new = advance(state, char == "#", index * FRAME, FRAME, False, vad)
        events.extend(new)
    return events


def test_pause_comes_once_before_the_end() -> None:
    events = run("#" * 20 + "." * 40, speculate_ms=300)
    assert events[1:] == [SpeechPaused(at_ms=400 + 300, speech_end_ms=400), SpeechEnded(400 + 700, 400)]


def test_each_pause_of_a_resumed_utterance_is_reported() -> None:
    events = run("#" * 20 + "." * 20 + "#" * 10 + "." * 40, speculate_ms=300)
    assert [type(e) for e in events] == [SpeechStarted, SpeechPaused, SpeechPaused, SpeechEnded]
    paused = [e for e in events if isinstance(e, SpeechPaused)]
    assert [p.speech_end_ms for p in paused] == [400, 1000]
    assert events[-1] == SpeechEnded(1000 + 700, 1000)


def test_short_pause_and_zero_setting_report_nothing() -> None:
    assert [type(e) for e in run("#" * 20 + "." * 10 + "#" * 10 + "." * 40, speculate_ms=300)] == [
        SpeechStarted,
        SpeechPaused,
        SpeechEnded,
    ]
    assert [type(e) for e in run("#" * 20 + "." * 40, speculate_ms=0)] == [SpeechStarted, SpeechEnded]


def test_setting_at_or_above_end_silence_never_pauses() -> None:
    assert [type(e) for e in run("#" * 20 + "." * 40, speculate_ms=700)] == [SpeechStarted, SpeechEnded]
