"""The call's one event vocabulary: what happened on the line, in the caller's turn, and to the dialogue.

Naming: an event says what happened (past tense or a noun: ``DtmfReceived``, ``CallHungUp``, ``NoInput``); a
command says what to do (imperative: ``Say``, ``Transfer``, ``HangUp``). Each thing has one name from the
line up to the policy: the dialogue consumes the line's ``DtmfReceived`` and the endpointing's ``NoInput`` as
they are. Events live here unless they carry a later stage's type; the dialogue's own (``CallStarted``,
``Heard``, ``TransferDone``, ``TimeUp``) and the commands are in ``voicebot.dialogue.types``.

===============  ===================================  ============================================
event            emitted by                           consumed by
===============  ===================================  ============================================
AudioReceived    channel (PjsuaChannel, FileChannel)  CallSession -> Listener
DtmfReceived     channel (urgent)                     CallSession -> dialogue policy (``step``)
CallHungUp       channel (urgent)                     CallSession (the call is over)
TypedText        FileChannel (``simulate --say``)     CallSession (a turn without VAD and ASR)
SpeechStarted    endpointing, via Listener            Listener (opens the recogniser session)
SpeechPaused     endpointing, via Listener            Listener (decodes a snapshot early)
EarlyTranscript  Listener (the snapshot's text)       CallSession -> Foresight (prepares the turn)
SpeechEnded      endpointing, via Listener            Listener (finishes the ``Utterance``)
BargeIn          endpointing, via Listener            CallSession (stops the bot's playback)
NoInput          endpointing, via Listener            CallSession -> dialogue policy
CallStarted      CallSession                          dialogue policy
Heard            CallSession (utterance matched)      dialogue policy
TransferDone     CallSession (``TransferResult``)     dialogue policy
TimeUp           CallSession (max call length)        dialogue policy
===============  ===================================  ============================================

Commands, from the dialogue policy to the CallSession: ``Say``, ``Transfer``, ``HangUp``, ``RecordCallback``,
``Note``.

Pipecat's rule: urgent control (``URGENT``: DTMF, hang-up) overtakes droppable audio. A channel delivers
``LineEvent``s through ``CallChannel.receive``; whether an event jumps the queue of audio frames is decided by
``isinstance(event, URGENT)``. While the bot finishes speaking before a transfer or a hang-up, the session
drops caller audio, ends on ``CallHungUp`` and logs a ``DtmfReceived`` at INFO without acting on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from voicebot.audio import AudioFrame

# --- line events: channel -> session ---------------------------------------------------------------


@dataclass(frozen=True)
class AudioReceived:
    """20 ms (``frame_ms``) of the caller's audio at the line rate."""

    frame: AudioFrame


@dataclass(frozen=True)
class DtmfReceived:
    """A keypad digit (``0``-``9``, ``*``, ``#``) by RFC 4733 or SIP INFO; the dialogue policy takes it as is."""

    digit: str
    at_ms: int
    """Media time when it arrived (milliseconds since the call started)."""


@dataclass(frozen=True)
class CallHungUp:
    """The caller hung up (or the line dropped). Nothing more will arrive."""

    at_ms: int
    reason: str = ""


@dataclass(frozen=True)
class TypedText:
    """A caller turn given as text instead of audio (``voicebot simulate --say``): skips VAD and ASR."""

    text: str
    at_ms: int
    """Media time of the turn (milliseconds since the call started)."""


LineEvent = AudioReceived | DtmfReceived | CallHungUp | TypedText
"""Anything a call channel delivers (a phone line never delivers TypedText)."""

URGENT: Final = (DtmfReceived, CallHungUp)
"""Event types that overtake queued audio (``isinstance(event, URGENT)``)."""

# --- turn events: endpointing and listener -> session --------------------------------------------------


@dataclass(frozen=True)
class SpeechStarted:
    """The caller started an utterance."""

    at_ms: int
    """Media time the start was detected (end of the frame that confirmed it, milliseconds)."""
    audio_from_ms: int
    """Frames with ``timestamp_ms`` at or after this belong to the utterance (pre-roll included)."""


@dataclass(frozen=True)
class SpeechEnded:
    """The caller's utterance is over."""

    at_ms: int
    """Media time the end was detected (milliseconds)."""
    speech_end_ms: int
    """End of the last voiced frame (milliseconds); ``at_ms - speech_end_ms`` is the endpointing delay."""
    cut: bool = False
    """True when the utterance was cut at ``max_utterance_ms`` rather than ended by silence."""


@dataclass(frozen=True)
class SpeechPaused:
    """The caller has been silent for ``speculate_ms`` inside an utterance; it may still go on."""

    at_ms: int
    """Media time the pause was detected (milliseconds)."""
    speech_end_ms: int
    """End of the last voiced frame (milliseconds): a later ``SpeechEnded`` with the same value means the
    caller said nothing more, so audio up to this pause holds the whole utterance."""


@dataclass(frozen=True)
class BargeIn:
    """The caller talked over the bot for ``barge_in_ms``: the bot should stop and listen."""

    at_ms: int
    """Media time of detection (milliseconds)."""


@dataclass(frozen=True)
class NoInput:
    """Nothing was said for ``no_input_ms`` while the bot was idle; the dialogue policy takes it as is."""

    at_ms: int
    """Media time of detection (milliseconds)."""


TurnEvent = SpeechStarted | SpeechPaused | SpeechEnded | BargeIn | NoInput
"""Anything the turn detector (``voicebot.listen.endpointing``) reports."""


@dataclass(frozen=True)
class EarlyTranscript:
    """What the caller said up to a pause (``SpeechPaused``), decoded while the end-of-turn silence still runs.

    The utterance may go on; if it ends at this pause, its transcript will be exactly this text."""

    text: str
    speech_end_ms: int
    """The pause's ``SpeechPaused.speech_end_ms``: the end of the audio the text was decoded from."""
    audio: bytes = b""
    """That audio (the recogniser's rate), when the listener keeps audio (for acoustic rescoring ahead)."""


ListenEvent = TurnEvent | EarlyTranscript
"""Anything the listener (``voicebot.listen.listener.Listener``) reports: the turn detector's events and its
own early transcripts."""

# --- values -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferResult:
    """How a blind transfer (REFER) ended."""

    ok: bool
    """True when the target answered (final NOTIFY 2xx)."""
    status: int
    """Last SIP status seen (202 accepted, 200 answered, 486 busy, 408/480 no answer, 603 declined …)."""
    reason: str = ""
    bridged: bool = False
    """The bot joined the caller to a call of its own to the department (REFER refused or not used)."""
    to: str = ""
    """The department actually reached or last tried, when it is not the one asked for (the switchboard after a
    failed bridge); empty = the one asked for."""
    exhausted: bool = False
    """Every way was tried (the department and the switchboard): only a callback is left."""


__all__ = [
    "URGENT",
    "AudioReceived",
    "BargeIn",
    "CallHungUp",
    "DtmfReceived",
    "EarlyTranscript",
    "LineEvent",
    "ListenEvent",
    "NoInput",
    "SpeechEnded",
    "SpeechPaused",
    "SpeechStarted",
    "TransferResult",
    "TurnEvent",
    "TypedText",
]
