"""Turn detection from per-frame voice activity: when the caller starts and stops talking.

Pure: fed ``(is_speech, timestamp_ms)`` for each frame plus whether the bot is talking, it returns typed
events (``voicebot.events.TurnEvent``). Time is the media time carried by the frames, so a 20-second call replays in milliseconds.

- An utterance starts after ``start_ms`` of voiced frames in a row (``barge_in_ms`` while the bot talks:
  then a ``BargeIn`` comes first). ``SpeechStarted.audio_from_ms`` says from which frame the audio belongs to
  the utterance: ``preroll_ms`` before the first voiced frame, so first syllables are not cut.
- It ends after ``end_silence_ms`` of trailing silence, or is cut at ``max_utterance_ms``. Given each frame's
  level, a frame more than ``tail_drop_db`` below the utterance's loudest voiced frame counts as silence for
  that timer (the VAD's fading tail and hang-over, line hiss), so the silence is counted from the last syllable.
- ``SpeechPaused`` comes once per pause when the trailing silence reaches ``speculate_ms`` (0: never): the
  utterance may still go on, but recognising what was said so far can start (speculative end of turn).
- ``NoInput`` comes after ``no_input_ms`` without speech while the bot is idle (then the timer restarts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from voicebot.config.settings import VadSettings
from voicebot.events import BargeIn, NoInput, SpeechEnded, SpeechPaused, SpeechStarted, TurnEvent


@dataclass(frozen=True)
class TurnState:
    """Where the detector stands between two frames."""

    in_utterance: bool = False
    """True between SpeechStarted and SpeechEnded."""
    run_start_ms: int | None = None
    """Start of the current run of voiced frames (milliseconds), None during silence."""
    utterance_start_ms: int = 0
    """Start of the current utterance's first voiced frame (milliseconds)."""
    last_voiced_end_ms: int = 0
    """End of the most recent voiced frame (milliseconds)."""
    quiet_since_ms: int = 0
    """Start of the current stretch without caller speech while the bot is idle (milliseconds)."""
    peak_rms: float = 0.0
    """Loudest voiced frame of the current run or utterance (RMS of 32768; 0 without levels)."""


def start_listening(state: TurnState, at_ms: int) -> TurnState:
    """Restart the no-input timer (e.g. after a keypad digit or when the bot stopped talking)."""
    return replace(state, quiet_since_ms=at_ms)


def advance(
    state: TurnState,
    is_speech: bool,
    timestamp_ms: int,
    frame_ms: int,
    bot_speaking: bool,
    vad: VadSettings,
    rms: float | None = None,
) -> tuple[TurnState, tuple[TurnEvent, ...]]:
    """Feed one frame: its voice decision, start time and length, whether the bot is busy talking and, if
    known, the frame's RMS level (then quiet tails count as silence inside an utterance, see ``tail_drop_db``)."""
    end_ms = timestamp_ms + frame_ms
    if state.in_utterance:
        state, voiced = _audible(state, is_speech, rms, vad)
        return _inside(state, voiced, timestamp_ms, end_ms, vad)
    if bot_speaking:
        state = replace(state, quiet_since_ms=end_ms)
    if not is_speech:
        state = replace(state, run_start_ms=None, peak_rms=0.0)
        if not bot_speaking and end_ms - state.quiet_since_ms >= vad.no_input_ms:
            return replace(state, quiet_since_ms=end_ms), (NoInput(end_ms),)
        return state, ()
    run_start = timestamp_ms if state.run_start_ms is None else state.run_start_ms
    needed = vad.barge_in_ms if bot_speaking else vad.start_ms
    peak = max(state.peak_rms, rms or 0.0)
    state = replace(state, run_start_ms=run_start, last_voiced_end_ms=end_ms, peak_rms=peak)
    if end_ms - run_start < needed:
        return state, ()
    started = SpeechStarted(end_ms, max(0, run_start - vad.preroll_ms))
    state = replace(state, in_utterance=True, utterance_start_ms=run_start)
    return state, ((BargeIn(end_ms), started) if bot_speaking else (started,))


def _audible(state: TurnState, is_speech: bool, rms: float | None, vad: VadSettings) -> tuple[TurnState, bool]:
    """Inside an utterance: the state with the loudness peak updated, and whether this frame still counts as
    speech for the end-of-turn timer (voiced, and not ``tail_drop_db`` below the peak)."""
    if not is_speech:
        return state, False
    if rms is None or vad.tail_drop_db <= 0:
        return state, True
    if rms > state.peak_rms:
        return replace(state, peak_rms=rms), True
    return state, rms >= state.peak_rms * 10.0 ** (-vad.tail_drop_db / 20.0)


def _inside(
    state: TurnState, is_speech: bool, timestamp_ms: int, end_ms: int, vad: VadSettings
) -> tuple[TurnState, tuple[TurnEvent, ...]]:
    if is_speech:
        state = replace(state, last_voiced_end_ms=end_ms)
    if end_ms - state.utterance_start_ms >= vad.max_utterance_ms:
        return _ended(state, end_ms, cut=True)
    if is_speech:
        return state, ()
    silent_ms = end_ms - state.last_voiced_end_ms
    if silent_ms >= vad.end_silence_ms:
        return _ended(state, end_ms, cut=False)
    if 0 < vad.speculate_ms <= silent_ms and timestamp_ms - state.last_voiced_end_ms < vad.speculate_ms:
        return state, (SpeechPaused(end_ms, state.last_voiced_end_ms),)
    return state, ()


def _ended(state: TurnState, end_ms: int, cut: bool) -> tuple[TurnState, tuple[TurnEvent, ...]]:
    event = SpeechEnded(end_ms, state.last_voiced_end_ms, cut)
    return TurnState(quiet_since_ms=end_ms, last_voiced_end_ms=state.last_voiced_end_ms), (event,)


__all__ = ["TurnState", "advance", "start_listening"]
