"""The listening half of a call session: voice activity, end of turn, pre-roll and the ASR session.

``Listener`` is fed the caller's line frames one by one and reports events (``voicebot.events.ListenEvent``:
``SpeechStarted``, ``SpeechPaused``, ``EarlyTranscript``, ``SpeechEnded``, ``BargeIn``, ``NoInput``). Between
start and end it streams the utterance (pre-roll included, resampled to the recogniser's rate) into one
``AsrSession``. It only listens: what the words mean and what to answer is for the call session to decide.

Speculative end of turn: with a recogniser that decodes at ``finish`` (Whisper), a ``SpeechPaused`` (trailing
silence of ``[vad] speculate_ms``) starts decoding a snapshot of the audio so far in a fresh session while the
endpointing wait goes on. The snapshot's text is reported as an ``EarlyTranscript`` with the first frame after
the decode is done (the session may prepare the turn on it). If the caller talks again the early result is
dropped; if the silence completes, the early result is the utterance's transcript, so the decode overlapped
the wait instead of following it.

Recogniser calls run in their own small thread pool (:func:`asr_executor`), not the default executor: a
decode of a second or more must never hold up another call's matching or speech lookup, and the event loop
that carries every call never blocks on them.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from typing import Final

from voicebot.audio import AudioFrame, StreamResampler
from voicebot.config.settings import VadSettings
from voicebot.events import EarlyTranscript, ListenEvent, SpeechEnded, SpeechPaused, SpeechStarted
from voicebot.listen.endpointing import TurnState, advance, start_listening
from voicebot.ports import AsrSession, SpeechDetector, Transcriber, Transcript

_LOGGER: Final = logging.getLogger(__name__)

ASR_WORKERS: Final = 4
"""Threads of the recogniser pool shared by all calls of the process (decodes beyond the engine's own limit
wait here, not in the default executor that matching and speech lookups use)."""

_POOL: concurrent.futures.ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def asr_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The process-wide thread pool for recogniser calls (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=ASR_WORKERS, thread_name_prefix="asr")
        return _POOL


@dataclass(frozen=True)
class Utterance:
    """One finished utterance as the recogniser heard it."""

    transcript: Transcript
    ended: SpeechEnded
    detected_at: float
    """``time.perf_counter()`` when the end of the utterance was detected (for the turn gap)."""
    asr_ms: float
    """Wall time from the end of the turn until the transcript was there (milliseconds)."""
    error: str = ""
    """Why recognition failed (empty when it worked)."""
    speculative: bool = False
    """True when the transcript came from the decode started at the pause (``SpeechPaused``)."""
    saved_ms: float = 0.0
    """Decode time that overlapped the end-of-turn wait (milliseconds; 0 without speculation)."""
    dropped: int = 0
    """Speculative decodes of this utterance thrown away because the caller went on talking."""
    audio: bytes = b""
    """The utterance as the recogniser got it (its rate), only when the listener keeps audio."""


class _Feeder:
    """One streaming session's audio on its way into the recogniser pool: in order, in batches, without
    holding up the frame path. Awaiting the pool for every 20 ms frame put two thread hand-overs (and, under
    load, a wait for a pool thread) between each frame's VAD and the next, so a busy machine delayed the
    end-of-turn timer itself; now the VAD and the timer run at the line's pace and a busy pool only makes
    the next batch bigger. The end of the turn waits for the last batch (:meth:`drain`)."""

    def __init__(self, session: AsrSession) -> None:
        self.session = session
        self.error: BaseException | None = None
        """The recogniser's failure on a batch (nothing more is fed after it)."""
        self._pending = bytearray()
        self._running: asyncio.Future[str | None] | None = None

    def push(self, data: bytes) -> None:
        """Queue audio at the recogniser's rate; a batch starts at once when none is running."""
        self._pending += data
        if self._running is None and self.error is None:
            self._start()

    def _start(self) -> None:
        chunk = bytes(self._pending)
        self._pending.clear()
        running = asyncio.get_running_loop().run_in_executor(asr_executor(), self.session.accept, chunk)
        running.add_done_callback(self._done)
        self._running = running

    def _done(self, future: asyncio.Future[str | None]) -> None:
        self._running = None
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self.error = error
            self._pending.clear()
        elif self._pending:
            self._start()

    async def drain(self) -> None:
        """Wait until everything pushed is in the recogniser; raises the recogniser's error, if any."""
        while self._running is not None:
            await asyncio.wait([self._running])
        if self.error is not None:
            raise self.error


@dataclass
class _Speculation:
    """A decode of the utterance as it was at a pause."""

    speech_end_ms: int
    job: concurrent.futures.Future[tuple[Transcript, float]]
    """The decode in the recogniser pool: the transcript and the decode's own wall time (milliseconds)."""
    future: asyncio.Future[tuple[Transcript, float]]
    """``job`` as awaitable on the event loop."""
    reported: bool = False
    """The decode is over and was looked at for an ``EarlyTranscript``."""
    audio: bytes = b""
    """The snapshot decoded, when the listener keeps audio."""


class Listener:
    """Voice activity + endpointing + one ASR session per utterance, for one call."""

    def __init__(
        self,
        transcriber: Transcriber,
        detector: SpeechDetector,
        vad: VadSettings,
        phrases: list[str] | None = None,
        *,
        keep_audio: bool = False,
    ) -> None:
        """With ``keep_audio`` each utterance carries its audio (``[records] store_audio``)."""
        self._transcriber = transcriber
        self._detector = detector
        self._vad = vad
        self._phrases = phrases
        self._keep_audio = keep_audio
        self._speculating = vad.speculate_ms > 0 and not transcriber.streaming
        """Decode at pauses: only where ``finish`` is the expensive part (a streaming engine is done by then)."""
        self._heard = bytearray()
        """The utterance so far at the recogniser's rate (kept for speculative snapshots)."""
        self._speculation: _Speculation | None = None
        self._stale: concurrent.futures.Future[tuple[Transcript, float]] | None = None
        """A dropped decode that may still be running (no second one starts for this call until it is over)."""
        self._dropped = 0
        self._state = TurnState()
        keep_ms = vad.preroll_ms + max(vad.start_ms, vad.barge_in_ms) + 200
        self._ring: collections.deque[AudioFrame] = collections.deque(maxlen=max(1, keep_ms // 10))
        self._asr: AsrSession | None = None
        self._resampler: StreamResampler | None = None
        self._feeder: _Feeder | None = None
        self._error = ""

    @property
    def in_utterance(self) -> bool:
        """True while the caller is talking (between SpeechStarted and SpeechEnded)."""
        return self._state.in_utterance

    def use(self, transcriber: Transcriber) -> None:
        """Recognise the next utterances with ``transcriber`` (same engine and rate: the call's language changed
        or was settled)."""
        self._transcriber = transcriber

    def restart(self, at_ms: int) -> None:
        """Forget any utterance in progress and restart the no-input timer (after DTMF, after a transfer)."""
        self._state = start_listening(TurnState(), at_ms)
        self._asr = None
        self._resampler = None
        self._ring.clear()
        self._drop_speculation()
        self._heard.clear()

    async def frame(self, frame: AudioFrame, bot_speaking: bool) -> tuple[list[ListenEvent], Utterance | None]:
        """Feed one line frame; the events it caused (an ``EarlyTranscript`` once a pause's decode is done)
        and, at the end of an utterance, what was heard."""
        try:
            speech = self._detector.is_speech(frame)
        except Exception as error:  # a frame the detector cannot take (odd size): count it as silence
            _LOGGER.debug("speech detector rejected a frame: %s", error)
            speech = False
        self._ring.append(frame)
        was_in = self._state.in_utterance
        level = frame.rms() if self._vad.tail_drop_db > 0 else None  # only the tail rule needs it
        self._state, events = advance(
            self._state, speech, frame.timestamp_ms, round(frame.duration_ms), bot_speaking, self._vad, level
        )
        utterance: Utterance | None = None
        if was_in and self._state.in_utterance:
            await self._feed(frame.pcm, frame.rate)
            speculation = self._speculation
            if speculation is not None and speculation.speech_end_ms < self._state.last_voiced_end_ms:
                self._drop_speculation()  # the caller went on talking: the snapshot is not the utterance
                self._dropped += 1
        for event in events:
            if isinstance(event, SpeechStarted):
                await self._open(event, frame.rate)
            elif isinstance(event, SpeechPaused):
                self._speculate(event)
            elif isinstance(event, SpeechEnded):
                if was_in and self._asr is not None:
                    await self._feed(frame.pcm, frame.rate)
                utterance = await self._finish(event)
                if self._keep_audio:
                    utterance = dataclasses.replace(utterance, audio=bytes(self._heard))
                self._heard.clear()
        early = self._early()
        return [*events, early] if early is not None else list(events), utterance

    async def _open(self, started: SpeechStarted, line_rate: int) -> None:
        self._error = ""
        self._drop_speculation()
        self._heard.clear()
        self._dropped = 0
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
        if self._speculating or self._keep_audio:
            self._heard += data
        try:
            if self._transcriber.streaming:
                feeder = self._feeder
                if feeder is None or feeder.session is not asr:
                    feeder = self._feeder = _Feeder(asr)
                if feeder.error is not None:
                    raise feeder.error
                feeder.push(data)
            else:
                asr.accept(data)  # buffers only; decoding happens at finish
        except Exception as error:
            self._recogniser_failed(error)

    def _recogniser_failed(self, error: BaseException) -> None:
        _LOGGER.error("the recogniser failed on audio", exc_info=error)
        self._asr = None
        self._feeder = None
        self._error = f"{type(error).__name__}: {error}"

    # --- speculative end of turn ---------------------------------------------------------------------

    def _speculate(self, paused: SpeechPaused) -> None:
        """Start decoding a snapshot of the utterance (unless one is still running: one at a time per call)."""
        if not self._speculating or self._asr is None:
            return
        if self._stale is not None and not self._stale.done():
            return
        if self._speculation is not None and not self._speculation.job.done():
            return
        snapshot = bytes(self._heard)
        job = asr_executor().submit(self._decode_snapshot, snapshot)
        future = asyncio.wrap_future(job)
        future.add_done_callback(_retrieve)
        kept = snapshot if self._keep_audio else b""
        self._speculation = _Speculation(paused.speech_end_ms, job, future, audio=kept)

    def _decode_snapshot(self, pcm: bytes) -> tuple[Transcript, float]:
        started = time.perf_counter()
        session = self._transcriber.open_session(self._phrases)
        session.accept(pcm)
        transcript = session.finish()
        return transcript, 1000 * (time.perf_counter() - started)

    def _early(self) -> EarlyTranscript | None:
        """The running speculation's text, once, as soon as its decode is done (nothing if it failed or is empty)."""
        speculation = self._speculation
        if speculation is None or speculation.reported or not speculation.job.done():
            return None
        speculation.reported = True
        if speculation.job.cancelled() or speculation.job.exception() is not None:
            return None  # the end of the turn decodes again and reports the error if it persists
        transcript, _ = speculation.job.result()
        text = transcript.text.strip()
        return EarlyTranscript(transcript.text, speculation.speech_end_ms, speculation.audio) if text else None

    def _drop_speculation(self) -> None:
        """Forget the speculative decode (a queued one is cancelled; a running one finishes unheard)."""
        speculation = self._speculation
        if speculation is not None:
            self._speculation = None
            speculation.job.cancel()
            speculation.future.cancel()
            if not speculation.job.done():
                self._stale = speculation.job

    async def _speculative_result(self, ended: SpeechEnded, detected: float) -> Utterance | None:
        """The utterance from the pause's decode, if it holds the whole utterance and worked."""
        speculation = self._speculation
        self._speculation = None
        if speculation is None:
            return None
        if speculation.speech_end_ms != ended.speech_end_ms or ended.cut:
            self._speculation = speculation
            self._drop_speculation()
            return None
        try:
            transcript, decode_ms = await speculation.future
        except Exception as error:  # decode again the ordinary way; it will report the error if it persists
            _LOGGER.warning("speculative decode failed (%s); decoding again", error)
            return None
        waited = 1000 * (time.perf_counter() - detected)
        return Utterance(
            transcript,
            ended,
            detected,
            waited,
            speculative=True,
            saved_ms=max(0.0, decode_ms - waited),
            dropped=self._dropped,
        )

    async def _finish(self, ended: SpeechEnded) -> Utterance:
        detected = time.perf_counter()
        await self._feed(b"", 0, last=True)
        feeder, self._feeder = self._feeder, None
        if feeder is not None and feeder.session is self._asr:
            try:
                await feeder.drain()
            except Exception as error:
                self._recogniser_failed(error)
        asr = self._asr
        self._asr = None
        self._resampler = None
        early = await self._speculative_result(ended, detected)
        if early is not None:
            return early
        dropped = self._dropped
        if asr is None:
            return Utterance(
                Transcript("", 0.0, self._transcriber.name),
                ended,
                detected,
                0.0,
                self._error or "no session",
                dropped=dropped,
            )
        try:
            transcript = await asyncio.get_running_loop().run_in_executor(asr_executor(), asr.finish)
        except Exception as error:
            _LOGGER.exception("the recogniser failed to finish")
            elapsed = 1000 * (time.perf_counter() - detected)
            return Utterance(
                Transcript("", 0.0, self._transcriber.name),
                ended,
                detected,
                elapsed,
                f"{type(error).__name__}: {error}",
                dropped=dropped,
            )
        return Utterance(transcript, ended, detected, 1000 * (time.perf_counter() - detected), dropped=dropped)


def _retrieve(future: asyncio.Future[tuple[Transcript, float]]) -> None:
    """Fetch a dropped decode's error, so it is not reported as never retrieved."""
    if not future.cancelled():
        future.exception()


__all__ = ["ASR_WORKERS", "Listener", "Utterance", "asr_executor"]
