"""An honest stand-in for the SIP endpoint (``voicebot.call.switch.LineEndpoint``) for fast tests of the switch.

It keeps what the switch asked of the line (answers, rejections, hang-ups, transfers) and plays the far end
the way pjsua2 does: a hang-up or a finished transfer comes back as the call's disconnection, posted from
"another thread" through the call's sink. Tests ring it with ``ring()``.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from voicebot.config.settings import Settings
from voicebot.errors import TelephonyError
from voicebot.telephony.call import CallSink
from voicebot.telephony.endpoint import IncomingCall
from voicebot.telephony.legs import LegWatch


@dataclass
class FakeLine:
    """One SIP line as the switch sees it; ``transfer_status`` is what the transfer target answers."""

    on_incoming: Callable[[IncomingCall], None]
    transfer_status: int = 200
    started: bool = False
    stopped: bool = False
    accepting: bool = True
    answered: list[int] = field(default_factory=list)
    rejected: dict[int, int] = field(default_factory=dict)
    hung_up: list[int] = field(default_factory=list)
    transfers: list[tuple[int, str]] = field(default_factory=list)
    transfer_headers: list[dict[str, str]] = field(default_factory=list)
    """The context headers of each transfer, decoded from the Refer-To URI."""
    sinks: dict[int, CallSink] = field(default_factory=dict)
    played: dict[int, int] = field(default_factory=dict)
    """Bytes of bot audio (not silence) the line took from each answered call."""
    live: set[int] = field(default_factory=set)
    """Calls the line holds (rung, not yet rejected or ended)."""
    _next_key: int = 0
    _pumps: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def factory(cls, lines: list[FakeLine], **kwargs: int) -> Callable[..., FakeLine]:
        """An endpoint factory for ``serve``/``Switch`` that appends each line it makes to ``lines``."""

        def make(
            _settings: Settings,
            _loop: asyncio.AbstractEventLoop,
            on_incoming: Callable[[IncomingCall], None],
            _log_level: int,
        ) -> FakeLine:
            line = cls(on_incoming, **kwargs)
            lines.append(line)
            return line

        return make

    def ring(self, caller: str = "sip:0891234567@pbx") -> int:
        """An INVITE that passed the peer check; returns its key."""
        self._next_key += 1
        key = self._next_key
        self.live.add(key)
        self.on_incoming(IncomingCall(key, f"call-{key}", caller, "127.0.0.1:5060"))
        return key

    def caller_hangs_up(self, key: int) -> None:
        self.live.discard(key)
        self.sinks[key].post_disconnected(200, "caller hung up")

    # --- LineEndpoint --------------------------------------------------------------------------

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def stop_accepting(self) -> None:
        self.accepting = False

    @property
    def live_calls(self) -> int:
        return len(self.live)

    def answer(self, key: int, sink: CallSink) -> None:
        self.answered.append(key)
        self.sinks[key] = sink
        self.played[key] = 0
        pump = asyncio.get_running_loop().create_task(self._pump(key, sink))
        self._pumps.add(pump)
        pump.add_done_callback(self._pumps.discard)

    async def _pump(self, key: int, sink: CallSink) -> None:
        """The media clock, fast-forwarded: takes a 20 ms frame every 2 ms until the call is hung up."""
        frame = 2 * 8000 // 50
        while key not in self.hung_up:
            pcm = sink.take_audio(frame)
            if pcm.strip(b"\x00"):
                self.played[key] += len(pcm)
            await asyncio.sleep(0.002)

    def reject(self, key: int, status: int) -> None:
        self.rejected[key] = status
        self.live.discard(key)

    def hangup(self, key: int) -> None:
        self.hung_up.append(key)
        self.live.discard(key)
        if key in self.sinks:
            self.sinks[key].post_disconnected(200, "bot hung up")

    async def bridge(self, key: int, target: str, headers: Mapping[str, str], watch: LegWatch) -> None:
        raise TelephonyError("this fake line places no calls of its own")

    async def transfer(self, key: int, target: str) -> None:
        uri, _mark, query = target.strip("<>").partition("?")
        self.transfers.append((key, uri))
        self.transfer_headers.append(dict(urllib.parse.parse_qsl(query)))
        sink = self.sinks[key]
        sink.post_transfer(self.transfer_status, "OK" if self.transfer_status < 300 else "failed", True)
        if self.transfer_status < 300:
            self.live.discard(key)
            sink.post_disconnected(200, "transferred")
