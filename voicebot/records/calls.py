"""What a call leaves behind: typed turn and outcome records, and the recorder interface.

The call session reports to a ``CallRecorder``; the SQLite store in ``voicebot.records`` is the real
one, ``MemoryRecorder`` the honest in-memory one for tests and ``simulate``. Transcripts handed over
here are unmasked; the store masks personal data before writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

OUTCOMES = ("answered", "transferred", "hung_up", "callback", "failed", "overflow", "worker_died")
"""How a call can end: the bot answered; put through to a department; the caller hung up before an
answer; a callback was requested; a technical failure; sent on because all lines were busy; the bot
process carrying the call died (recorded by the supervisor, ``voicebot.records.orphans``)."""


@dataclass(frozen=True)
class TurnRecord:
    """One exchange: what the caller said, what the bot made of it, what it did."""

    index: int
    """0-based turn number within the call."""
    at: dt.datetime
    """When the caller's utterance ended (timezone-aware)."""
    transcript: str
    """What the recogniser heard (empty for DTMF or silence)."""
    dtmf: str = ""
    """Keypad digits of this turn, if any."""
    engine: str = ""
    """ASR engine name."""
    asr_confidence: float = 1.0
    """Recogniser confidence 0..1."""
    candidates: tuple[tuple[str, float], ...] = ()
    """(topic id, score) best first, at most 5."""
    action: str = ""
    """What the bot did: answer, confirm, choose, reprompt, transfer, repeat, goodbye, menu, callback, no_input."""
    topic: str | None = None
    """Topic the action is about, if any."""
    department: str | None = None
    """Department the action is about (transfer target), if any."""
    reply: str = ""
    """What the bot said (text)."""
    reason: str = ""
    """Why, in words for the staff ("Anrufer verlangte Mitarbeiter", "zwei Fehlversuche")."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """asr, match, tts_first_audio, gap (end of speech to first bot audio), in milliseconds."""
    audio_file: str = ""
    """Path of the WAV file with the caller's audio of this turn (``[records] store_audio``), else empty."""
    language: str = ""
    """ISO code of the language the turn was understood and answered in ("" when not known)."""


@dataclass(frozen=True)
class CallOutcome:
    """How the call ended."""

    outcome: str
    """One of OUTCOMES."""
    department: str | None = None
    """Department the caller was put through to (``transferred``), or asked about."""
    topic: str | None = None
    """Last topic answered or transferred for."""
    reason: str = ""
    """Why, in words for the staff."""
    ended_at: dt.datetime | None = None
    language: str = ""
    """ISO code of the call's language when it ended ("" when not known)."""


@dataclass(frozen=True)
class CallbackRequest:
    """A caller's request to be called back."""

    call_id: str
    name: str
    """As the caller said it (may be empty)."""
    number: str
    """Number to call back (spoken or keyed)."""
    department: str | None
    """Who should call back."""
    topic: str | None = None
    note: str = ""
    at: dt.datetime | None = None


class CallRecorder(Protocol):
    """Receives a call's records as they happen (must not block: the real one writes in a thread)."""

    def call_started(self, call_id: str, caller: str, at: dt.datetime, instance: str = "") -> None:
        """A call was answered. ``caller`` unmasked; ``instance`` names the bot instance (scale-out)."""
        ...

    def turn(self, call_id: str, turn: TurnRecord) -> None:
        """One turn finished."""
        ...

    def callback(self, request: CallbackRequest) -> None:
        """The caller asked to be called back."""
        ...

    def call_ended(self, call_id: str, outcome: CallOutcome) -> None:
        """The call is over."""
        ...


@dataclass
class MemoryCall:
    """One call as kept by MemoryRecorder."""

    call_id: str
    caller: str
    started_at: dt.datetime
    turns: list[TurnRecord] = field(default_factory=list)
    outcome: CallOutcome | None = None


class MemoryRecorder:
    """Keeps records in memory: for tests and ``voicebot simulate``."""

    def __init__(self) -> None:
        self.calls: dict[str, MemoryCall] = {}
        self.callbacks: list[CallbackRequest] = []

    def call_started(self, call_id: str, caller: str, at: dt.datetime, instance: str = "") -> None:
        self.calls[call_id] = MemoryCall(call_id, caller, at)

    def turn(self, call_id: str, turn: TurnRecord) -> None:
        self.calls[call_id].turns.append(turn)

    def callback(self, request: CallbackRequest) -> None:
        self.callbacks.append(request)

    def call_ended(self, call_id: str, outcome: CallOutcome) -> None:
        self.calls[call_id].outcome = outcome
