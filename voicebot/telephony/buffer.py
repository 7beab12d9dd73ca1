"""The bot's outgoing audio of one call: a thread-safe byte buffer drained 20 ms at a time.

The call session fills it from the asyncio loop (``play``); pjmedia's clock thread empties it in
``AudioMediaPort.onFrameRequested``, one frame per tick, silence when empty. That clock is the steady
pace of the line: no bursts, no gaps. The lock is held only for a copy, never across I/O.
"""

from __future__ import annotations

import threading
from typing import Final

from voicebot.audio import SAMPLE_WIDTH

MAX_QUEUED_SECONDS: Final = 600
"""More queued bot audio than this is a bug upstream; the oldest is dropped (seconds)."""


class OutgoingAudio:
    """Bot PCM waiting to be sent on one call (16-bit mono at ``rate``)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._data = bytearray()
        self._lock = threading.Lock()
        self._limit = rate * SAMPLE_WIDTH * MAX_QUEUED_SECONDS
        self.sent_bytes = 0
        """Bot audio handed to the line so far (bytes, silence padding not counted)."""

    def append(self, pcm: bytes) -> None:
        """Queue PCM behind what is already waiting (an odd trailing byte is dropped)."""
        if len(pcm) % SAMPLE_WIDTH:
            pcm = pcm[:-1]
        with self._lock:
            self._data += pcm
            overflow = len(self._data) - self._limit
            if overflow > 0:
                del self._data[: overflow + overflow % SAMPLE_WIDTH]

    def clear(self) -> None:
        """Drop everything queued (barge-in)."""
        with self._lock:
            self._data.clear()

    def pending_ms(self) -> float:
        """Queued audio not yet sent (milliseconds)."""
        with self._lock:
            size = len(self._data)
        return 1000.0 * size / (self.rate * SAMPLE_WIDTH)

    def take(self, size: int) -> bytes:
        """Exactly ``size`` bytes for the next frame: queued audio, padded with silence."""
        with self._lock:
            chunk = bytes(self._data[:size])
            del self._data[:size]
        self.sent_bytes += len(chunk)
        if len(chunk) < size:
            chunk += b"\x00" * (size - len(chunk))
        return chunk
