"""The benchmark caller's RTP endpoint: sends G.711 at a real-time 20 ms pace from its own clock and
logs every incoming packet with its arrival time and level.

Outgoing: a paced sender task (silence when nothing is queued, like a phone with VAD off), utterances
queued as whole buffers, RFC 4733 telephone events for keypad digits. Incoming: one ``Arrival`` per
packet (``time.monotonic_ns`` on arrival, sequence number, decoded RMS level). ``rtp_quality`` turns the
log into jitter and late/missing counts; the caller in ``sipcaller`` turns it into turn gaps.

Arrival times are the kernel's receive timestamps (``SIOCGSTAMPNS``) where Linux offers them, so a busy
benchmark process (16 calls of pacing, decoding and bookkeeping on the same 2 cores as the bots) does not
count its own scheduling delay as the bot's late frame; elsewhere the time the loop got the packet.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import socket
import struct
import sys
import time
from dataclasses import dataclass
from typing import cast

import numpy as np

from voicebot.audio import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

FRAME_SAMPLES = 160
"""Samples per 20 ms packet at 8 kHz."""
FRAME_NS = 20_000_000
"""Packet interval (nanoseconds)."""
AUDIBLE_RMS = 300.0
"""RMS level (of 32768) from which a frame counts as voiced/audible: about -40 dBFS."""
LATE_GAP_NS = 40_000_000
"""An inter-arrival gap above this while the bot speaks counts as a late frame (nanoseconds)."""
DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
"""RFC 4733 event codes of the keypad."""


SIOCGSTAMPNS = 0x8907
"""Linux ioctl: receive time (``struct timespec``, wall clock) of the last packet read from a socket."""


class KernelStamps:
    """The kernel's receive time of the packet just read from a UDP socket, on the ``time.monotonic_ns`` scale.

    Linux turns stamping on shortly after the first request (deferred work): a packet read in that first
    moment carries the time it was read. The caller's socket exists before the SIP exchange, so by the
    first RTP packet stamping is on."""

    def __init__(self, sock: socket.socket | None) -> None:
        self._fd = -1
        self._offset_ns = time.time_ns() - time.monotonic_ns()
        if sock is None or not sys.platform.startswith("linux"):
            return
        import fcntl

        with contextlib.suppress(OSError):  # the first call switches stamping on and fails: no packet yet
            fcntl.ioctl(sock.fileno(), SIOCGSTAMPNS, bytes(16))
        self._fd = sock.fileno()

    @property
    def available(self) -> bool:
        """True when arrivals carry the kernel's time."""
        return self._fd >= 0

    def last_arrival_ns(self) -> int:
        """When the packet just read arrived (monotonic ns); the current time without kernel stamps."""
        if self._fd < 0:
            return time.monotonic_ns()
        import fcntl

        try:
            seconds, nanoseconds = struct.unpack("qq", fcntl.ioctl(self._fd, SIOCGSTAMPNS, bytes(16)))
        except OSError:
            return time.monotonic_ns()
        return int(seconds) * 1_000_000_000 + int(nanoseconds) - self._offset_ns


def rms(pcm: bytes) -> float:
    """Root mean square level of 16-bit PCM (0..32768)."""
    data = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(data * data))) if data.size else 0.0


@dataclass(frozen=True)
class Arrival:
    """One incoming RTP packet."""

    at_ns: int
    """Arrival time (``time.monotonic_ns``)."""
    seq: int
    """RTP sequence number."""
    timestamp: int
    """RTP timestamp (8 kHz units)."""
    payload_type: int
    """RTP payload type."""
    level: float
    """Decoded RMS level (0..32768); 0 for telephone events."""


@dataclass(frozen=True)
class RtpQuality:
    """How regularly the far end's packets arrived."""

    packets: int
    """Packets received."""
    missing: int
    """Packets never received (gaps in the sequence numbers)."""
    late: int
    """Inter-arrival gaps above 40 ms next to an audible packet (the bot was speaking)."""
    max_gap_ms: float
    """Largest inter-arrival gap next to an audible packet (milliseconds)."""
    jitter_ms: float
    """RFC 3550 interarrival jitter at the end of the call (milliseconds)."""
    max_jitter_ms: float
    """Largest RFC 3550 jitter estimate during the call (milliseconds)."""


def rtp_quality(arrivals: list[Arrival], audible: float = AUDIBLE_RMS) -> RtpQuality:
    """Jitter and late/missing packets of one incoming stream (audio packets only)."""
    audio = [a for a in arrivals if a.payload_type in (0, 8)]
    missing = late = 0
    max_gap = jitter = max_jitter = 0.0
    for before, after in itertools.pairwise(audio):
        step = (after.seq - before.seq) & 0xFFFF
        if 1 < step < 1000:
            missing += step - 1
        gap_ns = after.at_ns - before.at_ns
        if before.level >= audible or after.level >= audible:
            max_gap = max(max_gap, gap_ns / 1e6)
            if gap_ns > LATE_GAP_NS:
                late += 1
        transit_ms = gap_ns / 1e6 - ((after.timestamp - before.timestamp) & 0xFFFFFFFF) / 8.0
        jitter += (abs(transit_ms) - jitter) / 16.0
        max_jitter = max(max_jitter, jitter)
    return RtpQuality(len(audio), missing, late, max_gap, jitter, max_jitter)


class RtpEndpoint(asyncio.DatagramProtocol):
    """One call's RTP: a paced G.711 sender and a logging receiver on one UDP socket."""

    def __init__(self, payload_type: int = 8, dtmf_payload: int = 101) -> None:
        self.payload_type = payload_type
        """Audio payload type to send (8 = PCMA, 0 = PCMU)."""
        self.dtmf_payload = dtmf_payload
        self.arrivals: list[Arrival] = []
        """Every incoming packet, in arrival order."""
        self.last_audible_ns = 0
        """Arrival time of the latest audible packet (0 = none yet)."""
        self.late_sends = 0
        """Our own packets sent more than 10 ms after their slot (the measuring side was overloaded)."""
        self.sent = 0
        """Packets sent."""
        self._transport: asyncio.DatagramTransport | None = None
        self._stamps = KernelStamps(None)
        self._remote: tuple[str, int] | None = None
        self._queue: collections.deque[tuple[str, bytes, asyncio.Future[int] | None]] = collections.deque()
        self._ssrc = int.from_bytes(np.random.default_rng().bytes(4), "big")
        self._seq = int(np.random.default_rng().integers(0, 30000))
        self._timestamp = 0
        self._marker = True

    # --- asyncio protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass asyncio.DatagramTransport
        self._transport = cast(asyncio.DatagramTransport, transport)
        self._stamps = KernelStamps(transport.get_extra_info("socket"))

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        now = self._stamps.last_arrival_ns()
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        payload_type = data[1] & 0x7F
        seq, timestamp = struct.unpack("!HI", data[2:8])
        offset = 12 + 4 * (data[0] & 0x0F)
        if data[0] & 0x10 and len(data) >= offset + 4:
            offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
        body = data[offset:]
        level = 0.0
        if payload_type == 8:
            level = rms(alaw_decode(body))
        elif payload_type == 0:
            level = rms(ulaw_decode(body))
        self.arrivals.append(Arrival(now, seq, timestamp, payload_type, level))
        if level >= AUDIBLE_RMS:
            self.last_audible_ns = now

    @property
    def local_port(self) -> int:
        """The UDP port we receive on."""
        assert self._transport is not None
        return int(self._transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()

    # --- sending ---

    def set_remote(self, host: str, port: int, payload_type: int, dtmf_payload: int | None) -> None:
        """Where to send and in which codec (from the SDP answer)."""
        self._remote = (host, port)
        self.payload_type = payload_type
        self.dtmf_payload = dtmf_payload if dtmf_payload is not None else self.dtmf_payload

    def play(self, pcm8k: bytes) -> asyncio.Future[int]:
        """Queue 8 kHz PCM; the future gets the send time (monotonic ns) of its last voiced frame, or 0."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        size = FRAME_SAMPLES * 2
        frames = [pcm8k[i : i + size].ljust(size, b"\x00") for i in range(0, len(pcm8k), size)]
        voiced = [i for i, frame in enumerate(frames) if rms(frame) >= AUDIBLE_RMS]
        last = voiced[-1] if voiced else -1
        for index, frame in enumerate(frames):
            self._queue.append(("last" if index == last else "audio", frame, None))
        self._queue.append(("done", b"", future))
        return future

    def press(self, digits: str, tone_ms: int = 100, pause_ms: int = 100) -> asyncio.Future[int]:
        """Queue keypad digits as RFC 4733 events; the future gets the send time of the last end packet."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        steps = max(1, tone_ms // 20)
        for digit in digits:
            event = DTMF_EVENTS[digit]
            for step in range(1, steps + 1):
                end = step == steps
                # (event, end flag, duration in samples, first packet of the event)
                packed = struct.pack("!BBHB", event, (0x80 if end else 0) | 10, step * FRAME_SAMPLES, step == 1)
                for _repeat in range(3 if end else 1):
                    self._queue.append(("dtmf", packed, None))
            for _pause in range(max(1, pause_ms // 20)):
                self._queue.append(("audio", b"\x00" * FRAME_SAMPLES * 2, None))
        self._queue.append(("done", b"", future))
        return future

    async def pace(self, stop: asyncio.Event) -> None:
        """Send one packet every 20 ms by our own clock until ``stop`` is set."""
        start = time.monotonic_ns()
        slot = 0
        silence = b"\x00" * FRAME_SAMPLES * 2
        last_voiced_ns = 0
        event_timestamp = 0
        while not stop.is_set():
            deadline = start + slot * FRAME_NS
            delay = deadline - time.monotonic_ns()
            if delay > 0:
                await asyncio.sleep(delay / 1e9)
            now = time.monotonic_ns()
            if now - deadline > 10_000_000:
                self.late_sends += 1
            sent_something = False
            while self._queue and not sent_something:
                kind, data, future = self._queue.popleft()
                if kind == "done":
                    if future is not None and not future.done():
                        future.set_result(last_voiced_ns)
                    last_voiced_ns = 0
                    continue
                if kind == "dtmf":
                    first = bool(data[4])
                    if first:
                        event_timestamp = self._timestamp
                    self._send(self.dtmf_payload, data[:4], event_timestamp, marker=first)
                else:
                    self._send(self.payload_type, self._encode(data), self._timestamp)
                    if kind == "last":
                        last_voiced_ns = time.monotonic_ns()
                sent_something = True
            if not sent_something:
                self._send(self.payload_type, self._encode(silence), self._timestamp)
            self._timestamp = (self._timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
            slot += 1

    def _encode(self, pcm: bytes) -> bytes:
        return alaw_encode(pcm) if self.payload_type == 8 else ulaw_encode(pcm)

    def _send(self, payload_type: int, body: bytes, timestamp: int, marker: bool = False) -> None:
        if self._transport is None or self._remote is None:
            return
        marker = marker or self._marker
        self._marker = False
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, self._seq, timestamp, self._ssrc)
        self._seq = (self._seq + 1) & 0xFFFF
        self._transport.sendto(header + body, self._remote)
        self.sent += 1
