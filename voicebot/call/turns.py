"""What a call session writes down: the input of each turn, the turn record, and the call's outcome.

Pure helpers for ``voicebot.call.session``: they build the typed records of ``voicebot.records.calls`` from the
dialogue state and what the session measured.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from voicebot.content.model import SWITCHBOARD
from voicebot.dialogue.types import DialogueState, Note
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.understand.understanding import Understanding


@dataclass
class TurnInput:
    """What came in for one turn (caller side), for the call record."""

    transcript: str = ""
    dtmf: str = ""
    engine: str = ""
    confidence: float = 1.0
    understanding: Understanding | None = None
    detected_at: float | None = None
    """``perf_counter`` when the caller's turn was over."""
    endpoint_ms: float = 0.0
    """Media time from the end of speech to its detection (milliseconds)."""
    timings: dict[str, float] = field(default_factory=dict)
    at: dt.datetime | None = None
    """When the caller's turn was over (None: when it is recorded)."""
    audio_file: str = ""
    """Where the caller's audio of this turn was kept (``[records] store_audio``), else empty."""
    language: tuple[str, float] = ("", 0.0)
    """The recogniser's language identification of the utterance and its probability (("", 0.0): none)."""


def turn_record(
    index: int, at: dt.datetime, note: Note, turn: TurnInput, spoken: list[str], language: str = ""
) -> TurnRecord:
    """The record of one turn: the caller's input, the policy's note and what the bot said (in ``language``)."""
    understanding = turn.understanding
    candidates = tuple((c.topic, round(c.score, 3)) for c in understanding.candidates[:5]) if understanding else ()
    return TurnRecord(
        index=index,
        at=at,
        transcript=turn.transcript,
        dtmf=turn.dtmf,
        engine=turn.engine,
        asr_confidence=turn.confidence,
        candidates=candidates,
        action=note.action,
        topic=note.topic,
        department=note.department,
        reply=" ".join(spoken),
        reason=note.reason,
        timings_ms=dict(turn.timings),
        audio_file=turn.audio_file,
        language=language,
    )


def call_outcome(state: DialogueState, ended: str, failure: str, now: dt.datetime, language: str = "") -> CallOutcome:
    """How the call ended. ``ended``: ``caller`` (hung up), ``bot`` (said goodbye or transferred),
    ``failed`` (``failure`` says why) or ``handed_over`` (the app took the call to the switchboard);
    ``language`` the call's language at the end."""
    return replace(_outcome(state, ended, failure, now), language=language)


def _outcome(state: DialogueState, ended: str, failure: str, now: dt.datetime) -> CallOutcome:
    last_topic = state.answered[-1] if state.answered else state.pending_topic
    if state.transferred_to is not None:
        return CallOutcome("transferred", state.transferred_to, state.pending_topic, state.ended_reason, now)
    if ended == "handed_over":
        reason = "Übergabe an die Telefonzentrale (Dienst wird beendet oder Höchstdauer erreicht)"
        return CallOutcome("transferred", SWITCHBOARD, last_topic, reason, now)
    if state.callback_recorded:
        return CallOutcome("callback", state.pending_department, state.pending_topic, state.ended_reason, now)
    if ended == "failed":
        return CallOutcome("failed", state.pending_department, last_topic, failure, now)
    if state.answered:
        return CallOutcome(
            "answered", None, last_topic, state.ended_reason or "Anrufer legte nach der Antwort auf", now
        )
    if ended == "caller":
        return CallOutcome("hung_up", state.pending_department, last_topic, f"Anrufer legte auf ({state.phase})", now)
    reason = state.ended_reason or "Bot beendete den Anruf"
    return CallOutcome("hung_up", state.pending_department, last_topic, reason, now)


__all__ = ["TurnInput", "call_outcome", "turn_record"]
