"""Turn detection on scripted voice decisions (media time, 20 ms frames)."""

from __future__ import annotations

from dataclasses import replace

from voicebot.config.settings import VadSettings
from voicebot.events import BargeIn, NoInput, SpeechEnded, SpeechStarted, TurnEvent
from voicebot.listen.endpointing import TurnState, advance

VAD = VadSettings(
    start_ms=120, end_silence_ms=700, preroll_ms=300, max_utterance_ms=3000, no_input_ms=2000, barge_in_ms=400
)
FRAME = 20


def run(pattern: str, bot_speaking: str = "", start_ms: int = 0) -> list[TurnEvent]:
    """Feed frames: ``pattern`` has one char per frame, ``#`` voiced, ``.`` silent; ``bot_speaking`` ``b`` per frame."""
    state = TurnState(quiet_since_ms=start_ms)
    events: list[TurnEvent] = []
    for index, char in enumerate(pattern):
        speaking = index < len(bot_speaking) and bot_speaking[index] == "b"
        state, new = advance(state, char == "#", start_ms + index * FRAME, FRAME, speaking, VAD)
        events.extend(new)
    return events


def test_start_needs_start_ms_and_keeps_preroll() -> None:
    events = run("." * 30 + "#" * 10)
    started = [e for e in events if isinstance(e, SpeechStarted)]
    assert started == [SpeechStarted(at_ms=600 + 120, audio_from_ms=600 - 300)]


def test_short_click_is_not_speech() -> None:
    assert run("." * 10 + "#####" + "." * 50) == []


def test_trailing_silence_ends_the_turn() -> None:
    events = run("#" * 20 + "." * 40)
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert ended == [SpeechEnded(at_ms=400 + 700, speech_end_ms=400, cut=False)]


def test_pause_shorter_than_end_silence_does_not_end() -> None:
    events = run("#" * 20 + "." * 30 + "#" * 20 + "." * 40)
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    assert events[-1] == SpeechEnded(at_ms=1400 + 700, speech_end_ms=1400)


def test_max_utterance_cuts() -> None:
    events = run("#" * 200)
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert ended[0].cut and ended[0].at_ms == 3000


def test_barge_in_only_after_barge_in_ms() -> None:
    short = run("." * 5 + "#" * 15 + "." * 20, bot_speaking="b" * 40)
    assert short == []  # 300 ms over the bot: ignored
    long = run("." * 5 + "#" * 25, bot_speaking="b" * 30)
    assert [type(e) for e in long] == [BargeIn, SpeechStarted]
    assert long[0] == BargeIn(at_ms=100 + 400)


def test_no_input_while_idle_only() -> None:
    idle = run("." * 220)
    assert [e for e in idle if isinstance(e, NoInput)] == [NoInput(2000), NoInput(4000)]
    speaking = run("." * 120, bot_speaking="b" * 120)
    assert speaking == []
    after = run("." * 150, bot_speaking="b" * 50)
    assert after == [NoInput(1000 + 2000)]


def run_levels(frames: list[tuple[bool, float]], vad: VadSettings = VAD) -> list[TurnEvent]:
    """Feed frames as (VAD decision, RMS level)."""
    state = TurnState()
    events: list[TurnEvent] = []
    for index, (speech, rms) in enumerate(frames):
        state, new = advance(state, speech, index * FRAME, FRAME, False, vad, rms)
        events.extend(new)
    return events


LOUD = 10000.0
"""A syllable at about -10 dBFS."""


def test_quiet_voiced_tail_counts_as_silence() -> None:
    # 400 ms of speech, then 200 ms the VAD still calls speech at -45 dB below the peak (fading tail, hang-over)
    frames = [(True, LOUD)] * 20 + [(True, LOUD / 200)] * 10 + [(False, 0.0)] * 40
    ended = [e for e in run_levels(frames) if isinstance(e, SpeechEnded)]
    assert ended == [SpeechEnded(at_ms=400 + 700, speech_end_ms=400)]
    # the VAD alone (tail_drop_db = 0) counts the silence from the end of the tail: 200 ms later
    vad_only = [e for e in run_levels(frames, replace(VAD, tail_drop_db=0)) if isinstance(e, SpeechEnded)]
    assert vad_only == [SpeechEnded(at_ms=600 + 700, speech_end_ms=600)]


def test_soft_speech_within_tail_drop_keeps_the_turn_open() -> None:
    # a word 20 dB softer than the loudest one is still speech: no end after the first loud part
    frames = [(True, LOUD)] * 10 + [(True, LOUD / 10)] * 40 + [(False, 0.0)] * 40
    ended = [e for e in run_levels(frames) if isinstance(e, SpeechEnded)]
    assert ended == [SpeechEnded(at_ms=1000 + 700, speech_end_ms=1000)]


def test_line_hiss_the_vad_calls_speech_does_not_hold_the_turn_open() -> None:
    # after the sentence the VAD keeps firing on hiss 50 dB down: the turn still ends 700 ms after the words
    frames = [(True, LOUD)] * 20 + [(True, LOUD / 300)] * 60
    events = run_levels(frames)
    assert [type(e) for e in events[:2]] == [SpeechStarted, SpeechEnded]
    assert events[1] == SpeechEnded(at_ms=400 + 700, speech_end_ms=400)
    # the VAD alone would have kept the turn open for as long as the hiss lasts
    assert not [e for e in run_levels(frames, replace(VAD, tail_drop_db=0)) if isinstance(e, SpeechEnded)]


def test_peak_starts_afresh_with_each_utterance() -> None:
    # a shout, the end of the turn, then a quiet caller: the quiet second utterance is not measured against the shout
    frames = [(True, 30000.0)] * 20 + [(False, 0.0)] * 40 + [(True, 300.0)] * 30 + [(False, 0.0)] * 40
    ended = [e for e in run_levels(frames) if isinstance(e, SpeechEnded)]
    assert [e.speech_end_ms for e in ended] == [400, (20 + 40 + 30) * FRAME]
