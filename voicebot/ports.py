"""The small interfaces every engine adapter implements. The core and the call session see only these.

Each Protocol has a real implementation in ``voicebot.engines`` (one module per engine) or
``voicebot.telephony`` and an honest fake in ``voicebot.engines.fakes``. Implementations are passed
into constructors; nothing is patched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from voicebot.audio import AudioFrame
from voicebot.events import LineEvent, TransferResult

Clock = Callable[[], dt.datetime]
"""The current local time, timezone-aware. Injected everywhere time is needed (tests pass their own)."""


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing and confidence."""

    text: str
    start_ms: int
    end_ms: int
    confidence: float
    """0..1, as reported by the engine (1.0 where it gives none)."""


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance."""

    text: str
    """The words as recognised (engine spelling, not normalised)."""

    confidence: float = 1.0
    """Mean word confidence 0..1 (1.0 when the engine gives none)."""

    engine: str = ""
    """Name of the engine that produced it (``vosk``, ``whisper``, ``fake``)."""

    words: tuple[Word, ...] = field(default_factory=tuple)
    """Per-word details where the engine gives them."""

    decode_ms: float = 0.0
    """Wall time spent in ``finish()`` (milliseconds), for the turn-gap accounting."""

    alternatives: tuple[str, ...] = ()
    """Further readings of the utterance, best first, where the engine gives an n-best list (vosk with
    ``[asr] vosk_alternatives``); ``text`` is the first of them. Empty for engines without one."""

    language: str = ""
    """ISO code of the language the recogniser identified in the utterance ("" when it did not try)."""

    language_probability: float = 0.0
    """How sure the identification is, 0..1, among the languages the bot speaks."""


class AsrSession(Protocol):
    """One utterance being recognised: feed audio, get partials, finish for the final transcript."""

    def accept(self, pcm: bytes) -> str | None:
        """Feed 16-bit mono PCM at the engine's ``sample_rate``; returns a new partial text or None."""
        ...

    def finish(self) -> Transcript:
        """End of utterance: the final transcript (empty text when nothing was understood)."""
        ...


class Transcriber(Protocol):
    """A loaded speech recogniser that opens one session per utterance (thread-safe across sessions)."""

    name: str
    """Engine name, e.g. ``vosk`` or ``whisper``."""

    sample_rate: int
    """The rate (hertz) ``AsrSession.accept`` expects."""

    streaming: bool
    """True if the engine decodes while audio arrives (vosk), False if it decodes at finish (whisper)."""

    def open_session(self, phrases: Sequence[str] | None = None) -> AsrSession:
        """Start recognising one utterance; ``phrases`` restricts/biases the vocabulary where supported."""
        ...


class AcousticEvidence(Protocol):
    """One utterance's audio, encoded once, against which candidate texts are scored."""

    def score(self, texts: Sequence[str]) -> list[float]:
        """Per text how well it explains the audio: a length-normalised log-probability (mean per token, <= 0;
        higher is better), comparable between texts of the same utterance only. Raises on engine failure."""
        ...


class AcousticScorer(Protocol):
    """Scores candidate texts against an utterance's audio (Whisper's decoder, teacher-forced)."""

    name: str
    """Engine name, e.g. ``whisper``."""

    sample_rate: int
    """The rate (hertz) of the PCM ``listen`` expects."""

    def listen(self, pcm: bytes) -> AcousticEvidence:
        """Encode one utterance (16-bit mono PCM at ``sample_rate``) once; score any number of texts on it."""
        ...


class MultilingualTranscriber(Transcriber, Protocol):
    """A recogniser that can identify the language of an utterance (Whisper), besides ``Transcriber``."""

    def for_language(self, language: str | None) -> Transcriber:
        """The same model, recognising ``language`` (ISO code); ``None``: identify it first among the bot's
        languages (Whisper reads it from the utterance's own encoder output: no extra encoder pass) and fill
        ``Transcript.language`` and ``language_probability``."""
        ...


class Synthesizer(Protocol):
    """A loaded speech synthesiser."""

    name: str
    """Engine name, e.g. ``piper`` or ``espeak``."""

    sample_rate: int
    """Native output rate (hertz)."""

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        """Speak the (already speech-normalised) text; yields chunks, one or more per sentence."""
        ...


class Speech(Protocol):
    """Text to line-rate PCM for the calls: the speech cache in front of a synthesiser.

    ``voicebot.speak.cache.SpeechCache`` in production (with a real or a fake ``Synthesizer`` behind it).
    """

    def render(self, text: str) -> bytes:
        """The whole text as 16-bit mono PCM at the line rate (synthesised once, then cached)."""
        ...

    def stream(self, text: str) -> Iterator[bytes]:
        """The text's audio in chunks, the first sentence as soon as it is synthesised."""
        ...

    def is_cached(self, text: str) -> bool:
        """True if ``text`` comes out of the cache without synthesis."""
        ...

    def prerender(self, texts: Iterable[str], progress: bool = True, stop: Callable[[], bool] | None = None) -> object:
        """Synthesise every text not yet cached (start-up; ``voicebot prerender``), until ``stop()`` says so;
        returns the cache's report."""
        ...


class SpeechDetector(Protocol):
    """Voice activity detection on one frame (10, 20 or 30 ms at 8/16/32/48 kHz)."""

    def is_speech(self, frame: AudioFrame) -> bool:
        """True if the frame contains speech."""
        ...


class CallChannel(Protocol):
    """One phone call as the call session sees it (pjsua2 call, or a file-driven simulation)."""

    call_id: str
    """Unique id of this call (for logs and records)."""

    remote: str
    """Caller's number or SIP URI, as given by the network (unmasked; mask before storing)."""

    rate: int
    """Line sample rate (hertz) of both directions."""

    async def receive(self) -> LineEvent:
        """Next event from the line; DTMF and hang-up overtake queued audio. After CallHungUp, keeps returning it."""
        ...

    def play(self, pcm: bytes) -> None:
        """Queue bot audio (16-bit mono PCM at ``rate``); the channel sends it at a steady 20 ms pace."""
        ...

    def stop_playback(self) -> None:
        """Drop all queued bot audio at once (barge-in)."""
        ...

    def playback_pending_ms(self) -> float:
        """Bot audio still queued and not yet sent (milliseconds)."""
        ...

    async def transfer(self, target: str) -> TransferResult:
        """Blind transfer (SIP REFER) to ``target``; returns when the final NOTIFY (or a failure) arrived."""
        ...

    async def hangup(self) -> None:
        """End the call from the bot's side (idempotent)."""
        ...


@runtime_checkable
class BridgingChannel(CallChannel, Protocol):
    """A call channel that can also join the caller to a second call of the bot's own (the pjsua2 channel)."""

    @property
    def ended(self) -> bool:
        """True once the call is over (either side)."""
        ...

    async def bridge(self, target: str, headers: Mapping[str, str], answer_timeout_s: float) -> TransferResult:
        """Call ``target`` (with ``headers`` on the INVITE) and, once it answers, join both calls' audio; ok once
        joined (the bot's listening and speaking on this call stop; either side hanging up ends both)."""
        ...
