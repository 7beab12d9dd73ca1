"""Typed events coming from a phone line into a call session.

Pipecat's rule: urgent control (DTMF, hang-up, transfer results) overtakes droppable audio. A channel
delivers ``LineEvent``s through ``CallChannel.receive``; control events jump the queue of audio frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.audio import AudioFrame


@dataclass(frozen=True)
class AudioReceived:
    """20 ms (``frame_ms``) of the caller's audio at the line rate."""

    frame: AudioFrame


@dataclass(frozen=True)
class DtmfReceived:
    """A keypad digit (``0``-``9``, ``*``, ``#``) by RFC 4733 or SIP INFO."""

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

URGENT = (DtmfReceived, CallHungUp)
"""Event types that overtake queued audio."""


@dataclass(frozen=True)
class TransferResult:
    """How a blind transfer (REFER) ended."""

    ok: bool
    """True when the target answered (final NOTIFY 2xx)."""
    status: int
    """Last SIP status seen (202 accepted, 200 answered, 486 busy, 408/480 no answer, 603 declined …)."""
    reason: str = ""
