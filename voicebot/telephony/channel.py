"""``PjsuaChannel``: one pjsua2 call as a ``CallChannel`` for the call session.

The loop side of the hand-off. pjsua2's threads call the ``post_*`` methods, which only schedule work on
the asyncio loop (``call_soon_threadsafe``); all channel state is then touched on the loop alone. DTMF
and hang-up go into an urgent queue that overtakes the caller's queued audio frames. Bot audio goes
into an ``OutgoingAudio`` buffer that pjmedia's clock drains 20 ms at a time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Final, Protocol

from voicebot.audio import AudioFrame
from voicebot.errors import TelephonyError
from voicebot.events import URGENT, AudioReceived, CallHungUp, DtmfReceived, LineEvent, TransferResult
from voicebot.telephony.buffer import OutgoingAudio
from voicebot.telephony.legs import LegWatch

_LOGGER: Final = logging.getLogger(__name__)

MAX_QUEUED_FRAMES: Final = 500
"""Caller audio kept while the session is busy (frames of 20 ms = 10 s); older frames are dropped."""
TRANSFER_TIMEOUT_S: Final = 60.0
"""Longest wait for the final NOTIFY of a transfer (seconds)."""


class CallControl(Protocol):
    """What a channel needs from the SIP endpoint (``SipEndpoint`` in production)."""

    def answer(self, key: int, sink: PjsuaChannel) -> None: ...

    def hangup(self, key: int) -> None: ...

    async def transfer(self, key: int, target: str) -> None: ...

    async def bridge(self, key: int, target: str, headers: Mapping[str, str], watch: LegWatch) -> None: ...


class PjsuaChannel:
    """A live SIP call: caller events in, bot audio out, REFER transfers, hang-up."""

    def __init__(
        self,
        control: CallControl,
        key: int,
        call_id: str,
        remote: str,
        rate: int,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.call_id = call_id
        self.remote = remote
        self.rate = rate
        self._control = control
        self._key = key
        self._loop = loop
        self._out = OutgoingAudio(rate)
        self._audio: collections.deque[AudioReceived] = collections.deque(maxlen=MAX_QUEUED_FRAMES)
        self._urgent: collections.deque[LineEvent] = collections.deque()
        self._wakeup = asyncio.Event()
        self._started = time.monotonic()
        self._received_ms = 0
        self._hung_up: CallHungUp | None = None
        self._transfer: asyncio.Future[TransferResult] | None = None
        self._transfer_status = 0
        self._hangup_sent = False
        self._bridged = False
        self.dtmf_digits = ""
        """Every digit received so far (for logs and tests)."""
        self.max_backlog = 0
        """Most caller frames that waited at once for the session (a listener behind the line; logged at the end)."""

    # --- CallChannel (loop thread) -----------------------------------------------------------------

    async def receive(self) -> LineEvent:
        """Next event: urgent ones first; after the hang-up, the hang-up forever."""
        while True:
            if self._urgent:
                return self._urgent.popleft()
            if self._hung_up is not None:
                return self._hung_up
            if self._audio:
                return self._audio.popleft()
            self._wakeup.clear()
            await self._wakeup.wait()

    def play(self, pcm: bytes) -> None:
        """Queue bot audio (16-bit mono PCM at ``rate``); sent at the line's 20 ms pace."""
        if self._hung_up is None and not self._bridged:
            self._out.append(pcm)

    def stop_playback(self) -> None:
        """Drop all queued bot audio (barge-in)."""
        self._out.clear()

    def playback_pending_ms(self) -> float:
        """Bot audio still queued (milliseconds)."""
        return self._out.pending_ms()

    async def transfer(self, target: str) -> TransferResult:
        """Blind transfer by REFER; waits for the final NOTIFY, hangs the bot's leg up on success."""
        if self._hung_up is not None:
            return TransferResult(False, 0, "the call is already over")
        if self._transfer is not None and not self._transfer.done():
            return TransferResult(False, 0, "a transfer is already running")
        self._transfer = self._loop.create_future()
        self._transfer_status = 0
        _LOGGER.info("call %s: REFER to %s (%.0f ms of bot audio sent)", self.call_id, target, self.sent_audio_ms)
        try:
            await self._control.transfer(self._key, target)
            result = await asyncio.wait_for(asyncio.shield(self._transfer), TRANSFER_TIMEOUT_S)
        except TelephonyError as error:
            result = TransferResult(False, 0, f"REFER not sent: {error}")
        except TimeoutError:
            result = TransferResult(False, self._transfer_status or 408, "no final NOTIFY in time")
        _LOGGER.info("call %s: transfer to %s -> %s %s", self.call_id, target, result.status, result.reason)
        if result.ok:
            await self.hangup()
        return result

    async def bridge(self, target: str, headers: Mapping[str, str], answer_timeout_s: float) -> TransferResult:
        """Call ``target`` and join it to this call once it answers (``BridgingChannel``). Bot audio queued now
        (ringback) plays until then. Once joined the bridge owns the call: ``play`` and ``hangup`` do nothing,
        either side hanging up ends both (the endpoint thread sees to it)."""
        if self._hung_up is not None:
            return TransferResult(False, 0, "the call is already over", bridged=True)
        watch = LegWatch(self._loop)
        _LOGGER.info("call %s: bridging to %s (%d context headers)", self.call_id, target, len(headers))
        try:
            await self._control.bridge(self._key, target, headers, watch)
            result = await asyncio.wait_for(asyncio.shield(watch.result), answer_timeout_s)
        except TelephonyError as error:
            result = TransferResult(False, 0, f"INVITE not sent: {error}", bridged=True)
        except TimeoutError:
            self._control.hangup(watch.key)
            result = TransferResult(False, 408, f"keine Annahme binnen {answer_timeout_s:.0f} s", bridged=True)
        _LOGGER.info("call %s: bridge to %s -> %s %s", self.call_id, target, result.status, result.reason)
        self.stop_playback()
        self._bridged = result.ok and self._hung_up is None
        return result

    async def hangup(self) -> None:
        """End the call from the bot's side (idempotent; not once bridged: the department's call owns it)."""
        self.stop_playback()
        if not self._hangup_sent and self._hung_up is None and not self._bridged:
            self._hangup_sent = True
            self._control.hangup(self._key)

    # --- extras for the app ------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        """True once the call is over (either side)."""
        return self._hung_up is not None

    @property
    def sent_audio_ms(self) -> float:
        """Bot audio sent to the line so far (milliseconds)."""
        return 1000.0 * self._out.sent_bytes / (self.rate * 2)

    def answer(self) -> None:
        """Accept the call (200 OK); events start flowing."""
        self._control.answer(self._key, self)

    # --- CallSink (pjsua2 threads) -----------------------------------------------------------------

    def post_audio(self, pcm: bytes) -> None:
        self._post(self._on_audio, pcm)

    def post_dtmf(self, digit: str) -> None:
        self._post(self._on_dtmf, digit)

    def post_transfer(self, status: int, reason: str, final: bool) -> None:
        self._post(self._on_transfer, status, reason, final)

    def post_disconnected(self, status: int, reason: str) -> None:
        self._post(self._on_disconnected, status, reason)

    def take_audio(self, size: int) -> bytes:
        return self._out.take(size)

    def _post(self, handler: object, *args: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is shutting down
            self._loop.call_soon_threadsafe(handler, *args)  # type: ignore[arg-type]

    # --- handlers (loop thread) --------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(1000 * (time.monotonic() - self._started))

    def _queue(self, event: AudioReceived | DtmfReceived | CallHungUp) -> None:
        """Urgent events (``voicebot.events.URGENT``) overtake the caller's queued audio frames."""
        if isinstance(event, URGENT):
            self._urgent.append(event)
        else:
            self._audio.append(event)
            self.max_backlog = max(self.max_backlog, len(self._audio))
        self._wakeup.set()

    def _on_audio(self, pcm: bytes) -> None:
        if self._hung_up is not None:
            return
        frame = AudioFrame(pcm, self.rate, self._received_ms)
        self._received_ms += int(frame.duration_ms)
        self._queue(AudioReceived(frame))

    def _on_dtmf(self, digit: str) -> None:
        if self._hung_up is None:
            self.dtmf_digits += digit
            _LOGGER.info("call %s: DTMF %s", self.call_id, digit)
            self._queue(DtmfReceived(digit, self._now_ms()))

    def _on_transfer(self, status: int, reason: str, final: bool) -> None:
        self._transfer_status = status
        _LOGGER.info("call %s: transfer status %s %s%s", self.call_id, status, reason, " (final)" if final else "")
        future = self._transfer
        if future is None or future.done():
            return
        if final or status >= 300:
            future.set_result(TransferResult(200 <= status < 300, status, reason))

    def _on_disconnected(self, status: int, reason: str) -> None:
        if self._hung_up is not None:
            return
        self._out.clear()
        self._audio.clear()
        self._hung_up = CallHungUp(self._now_ms(), f"{status} {reason}".strip())
        self._queue(self._hung_up)
        if self._transfer is not None and not self._transfer.done():
            seen = self._transfer_status
            if 100 <= seen < 300:
                # the caller's phone accepted the REFER and ended this leg to follow it (a blind transfer)
                self._transfer.set_result(TransferResult(True, seen, "REFER accepted; the caller's phone took it over"))
            else:
                self._transfer.set_result(TransferResult(False, seen, "the call ended before the REFER was accepted"))
