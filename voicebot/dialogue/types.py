"""The dialogue policy's vocabulary: events in, commands out, the state between, the context it reads.

All frozen dataclasses (and the ``Phase`` StrEnum of the state); the policy itself is in
``voicebot.dialogue.policy``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from voicebot.config.calendar import ClosedDays
from voicebot.config.hours import WeeklyHours
from voicebot.config.settings import DialogueSettings, Settings
from voicebot.content.model import Content
from voicebot.events import DtmfReceived, NoInput, TransferResult
from voicebot.understand.understanding import Understanding

# --- events (past tense or nouns: what happened) ------------------------------------------------------


@dataclass(frozen=True)
class CallStarted:
    """The call was answered."""


@dataclass(frozen=True)
class Heard:
    """The caller said something and the matcher read it."""

    understanding: Understanding


@dataclass(frozen=True)
class TransferDone:
    """A transfer the policy asked for has ended."""

    result: TransferResult


@dataclass(frozen=True)
class TimeUp:
    """The call reached its maximum duration."""


Event = CallStarted | Heard | DtmfReceived | NoInput | TransferDone | TimeUp
"""Anything the policy reacts to: its own events above and the line's and the listener's as they are
(``voicebot.events`` has the whole vocabulary)."""

# --- commands (imperative: what to do) ----------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """Speak a text; commands after it wait until it has been played."""

    prompt: str
    """Prompt id (``greeting``) or ``answer:<topic id>`` for FAQ answers; for tests and logs."""
    text: str
    """The German text to speak, placeholders filled in."""


@dataclass(frozen=True)
class Transfer:
    """Put the caller through to a department (after the preceding Say has been played)."""

    department: str
    """Department id (its SIP target is in the configuration)."""
    reason: str
    """Why, in words for the staff."""


@dataclass(frozen=True)
class HangUp:
    """End the call (after the preceding Say has been played)."""

    reason: str
    """Why, in words for the staff."""


@dataclass(frozen=True)
class RecordCallback:
    """Store the caller's request to be called back."""

    name: str
    """As the caller said it (may be empty)."""
    number: str
    """Digits to call back; empty = use the number the call came from."""
    department: str
    """Who should call back."""
    topic: str | None = None
    """What it is about, if known."""


@dataclass(frozen=True)
class Note:
    """The data of this turn's call-record entry (comes first in every turn's command list)."""

    action: str
    """answer, details, confirm, choose, reprompt, transfer, transferred, bridged, transfer_failed, repeat, goodbye,
    menu, callback, no_input."""
    topic: str | None = None
    """Topic the action is about."""
    department: str | None = None
    """Department the action is about (transfer target)."""
    reason: str = ""
    """Why, in German words for the staff ("Anrufer verlangte Mitarbeiter")."""


Command = Say | Transfer | HangUp | RecordCallback | Note
"""Anything the policy asks the session to do."""

# --- state and context --------------------------------------------------------------------------------


class Phase(StrEnum):
    """Where the conversation stands: what the caller's next words mean (``voicebot.dialogue.phases``).

    A ``StrEnum``: each member is its lower-case name as a string, so it compares, formats and stores as the
    plain text it replaced (``f"({state.phase})"`` in a call outcome reads ``(confirm)``)."""

    START = "start"
    """Before the greeting."""
    LISTENING = "listening"
    """An open question: what can I do for you?"""
    CONFIRM = "confirm"
    """Awaiting yes/no to "Sie möchten …?" (``pending_topic`` or ``pending_department``)."""
    CHOOSE = "choose"
    """Awaiting first/second of ``options``."""
    TRANSFERRING = "transferring"
    """A transfer was asked for; the session carries it out and reports ``TransferDone``."""
    TRANSFER_FAILED = "transfer_failed"
    """A transfer failed: switchboard, another try or a callback?"""
    CALLBACK_OFFER = "callback_offer"
    """A callback was offered (department closed or unreachable): yes/no."""
    CALLBACK_NAME = "callback_name"
    """Awaiting the caller's name for the callback (free speech as data)."""
    CALLBACK_NUMBER = "callback_number"
    """Awaiting the callback number (spoken or keyed digits as data)."""
    ENDED = "ended"
    """The bot ended the call (goodbye, transfer done, callback recorded): events are only noted."""


@dataclass(frozen=True)
class DialogueState:
    """Everything the policy remembers between two events."""

    phase: Phase = Phase.START
    """Where the conversation stands."""
    pending_topic: str | None = None
    """Topic awaiting a yes/no (confirm) or being transferred for."""
    pending_department: str | None = None
    """Department awaiting a yes/no, being transferred to, or to call back."""
    options: tuple[str, ...] = ()
    """Topic ids offered to choose from (first, second)."""
    questions: int = 0
    """Questions asked in this call."""
    failures: int = 0
    """Failed attempts in a row (no match, "no" to a confirmation, unclear answer)."""
    no_inputs: int = 0
    """Silent turns in a row."""
    menu_offered: bool = False
    """The keypad menu was read out."""
    last_said: tuple[Say, ...] = ()
    """What the bot said last (for "repeat that")."""
    answered: tuple[str, ...] = ()
    """Topics answered in this call, in order."""
    details_topic: str | None = None
    """The topic whose details were just offered ("Soll ich Ihnen noch mehr dazu sagen?"); a yes speaks them."""
    transferred_to: str | None = None
    """Department the caller was put through to (transfer confirmed)."""
    callback_name: str = ""
    """Name given for a callback."""
    callback_digits: str = ""
    """Keypad digits collected for the callback number."""
    callback_recorded: bool = False
    """A callback request was stored."""
    ended_reason: str = ""
    """Why the bot ended the call (for the outcome)."""


@dataclass(frozen=True)
class Schedule:
    """When a department takes calls."""

    hours: WeeklyHours
    """Weekly opening spans."""
    closed: ClosedDays | tuple[str, ...] = ()
    """Closed days: the district's calendar plus the department's own days (or a plain list of days)."""


@dataclass(frozen=True)
class DialogueContext:
    """What the policy reads but never changes: content, thresholds, schedules and the current moment."""

    content: Content
    settings: DialogueSettings
    now: dt.datetime
    """The current local time (timezone-aware), for opening hours."""
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    """Department id -> schedule; departments without one count as always open."""

    @classmethod
    def from_settings(cls, settings: Settings, content: Content, now: dt.datetime) -> DialogueContext:
        """Build the context from the configuration (schedules incl. the district's closed days)."""
        schedules = {
            dep_id: Schedule(dep.hours, settings.closed_days(dep.closed))
            for dep_id, dep in settings.departments.items()
        }
        return cls(content, settings.dialogue, now, schedules)
