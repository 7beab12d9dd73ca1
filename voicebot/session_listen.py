"""The listening half of a call session: voice activity, end of turn, pre-roll and the ASR session.

``Listener`` is fed the caller's line frames one by one and reports turn events (``SpeechStarted``,
``SpeechEnded``, ``BargeIn``, ``NoInput``). Between start and end it streams the utterance (pre-roll
included, resampled to the recogniser's rate) into one ``AsrSession``. Recogniser calls that can take time
run in the default thread executor, so the event loop that carries every call never blocks on them.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from dataclasses import dataclass
from typing import Final

from voicebot.audio import AudioFrame, StreamResampler
from voicebot.config import VadSettings
from voicebot.endpointing import SpeechEnded, SpeechStarted, TurnEvent, TurnState, advance, start_listening
from voicebot.ports import AsrSession, SpeechDetector, Transcriber, Transcript

_LOGGER: Final = logging.getLogger(__name__)


@dataclass(frozen=True)
class Utterance:
    """One finished utterance as the recogniser heard it."""

    transcript: Transcript
    ended: SpeechEnded
    detected_at: float
    """``time.perf_counter()`` when the end of the utterance was detected (for the turn gap)."""
    asr_ms: float
    """Wall time spent in ``finish`` (milliseconds)."""
    error: str = ""
    """Why recognition failed (empty when it worked)."""


class Listener:
    """Voice activity + endpointing + one ASR session per utterance, for one call."""

    def __init__(
        self,
        transcriber: Transcriber,
        detector: SpeechDetector,
        vad: VadSettings,
        phrases: list[str] | None = None,
    ) -> None:
        self._transcriber = transcriber
        self._detector = detector
        self._vad = vad
        self._phrases = phrases
        self._state = TurnState()
        keep_ms = vad.preroll_ms + max(vad.start_ms, vad.barge_in_ms) + 200
        self._ring: collections.deque[AudioFrame] = collections.deque(maxlen=max(1, keep_ms // 10))
        self._asr: AsrSession | None = None
        self._resampler: StreamResampler | None = None
        self._error = ""

    @property
    def in_utterance(self) -> bool:
        """True while the caller is talking (between SpeechStarted and SpeechEnded)."""
        return self._state.in_utterance

    def restart(self, at_ms: int) -> None:
        """Forget any utterance in progress and restart the no-input timer (after DTMF, after a transfer)."""
        self._state = start_listening(TurnState(), at_ms)
        self._asr = None
        self._resampler = None
        self._ring.clear()

    async def frame(self, frame: AudioFrame, bot_speaking: bool) -> tuple[list[TurnEvent], Utterance | None]:
        """Feed one line frame; the turn events it caused and, at the end of an utterance, what was heard."""
        try:
            speech = self._detector.is_speech(frame)
        except Exception as error:  # a frame the detector cannot take (odd size): count it as silence
            _LOGGER.debug("speech detector rejected a frame: %s", error)
            speech = False
        self._ring.append(frame)
        was_in = self._state.in_utterance
        self._state, events = advance(
            self._state, speech, frame.timestamp_ms, round(frame.duration_ms), bot_speaking, self._vad
        )
        utterance: Utterance | None = None
        if was_in and self._state.in_utterance:
            await self._feed(frame.pcm, frame.rate)
        for event in events:
            if isinstance(event, SpeechStarted):
                await self._open(event, frame.rate)
            elif isinstance(event, SpeechEnded):
                if was_in and self._asr is not None:
                    await self._feed(frame.pcm, frame.rate)
                utterance = await self._finish(event)
        return list(events), utterance

    async def _open(self, started: SpeechStarted, line_rate: int) -> None:
        self._error = ""
        self._resampler = StreamResampler(line_rate, self._transcriber.sample_rate)
        try:
            self._asr = self._transcriber.open_session(self._phrases)
        except Exception as error:
            _LOGGER.exception("could not open a recogniser session")
            self._asr = None
            self._error = f"{type(error).__name__}: {error}"
            return
        pcm = b"".join(f.pcm for f in self._ring if f.timestamp_ms >= started.audio_from_ms)
        await self._feed(pcm, line_rate)

    async def _feed(self, pcm: bytes, line_rate: int, last: bool = False) -> None:
        asr, resampler = self._asr, self._resampler
        if asr is None or resampler is None:
            return
        data = resampler.process(pcm, last=last)
        if not data:
            return
        try:
            if self._transcriber.streaming:
                await asyncio.get_running_loop().run_in_executor(None, asr.accept, data)
            else:
                asr.accept(data)  # buffers only; decoding happens at finish
        except Exception as error:
            _LOGGER.exception("the recogniser failed on audio")
            self._asr = None
            self._error = f"{type(error).__name__}: {error}"

    async def _finish(self, ended: SpeechEnded) -> Utterance:
        detected = time.perf_counter()
        await self._feed(b"", 0, last=True)
        asr = self._asr
        self._asr = None
        self._resampler = None
        if asr is None:
            return Utterance(
                Transcript("", 0.0, self._transcriber.name), ended, detected, 0.0, self._error or "no session"
            )
        try:
            transcript = await asyncio.get_running_loop().run_in_executor(None, asr.finish)
        except Exception as error:
            _LOGGER.exception("the recogniser failed to finish")
            elapsed = 1000 * (time.perf_counter() - detected)
            return Utterance(
                Transcript("", 0.0, self._transcriber.name),
                ended,
                detected,
                elapsed,
                f"{type(error).__name__}: {error}",
            )
        return Utterance(transcript, ended, detected, 1000 * (time.perf_counter() - detected))


__all__ = ["Listener", "Utterance"]
