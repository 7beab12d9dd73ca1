"""Raw UDP SIP peers for the guard tests: a socket on any loopback address (127.0.0.2 and 127.0.0.3 act
as foreign hosts), requests built by hand, and a delayed-offer call with real RTP.

Blocking and simple on purpose: each peer owns one socket; messages that arrive while waiting for
something else are kept in ``backlog`` (so a test can check that nothing unexpected came).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from voicebot_bench import sipwire
from voicebot_bench.sipwire import SipMessage

from voicebot.audio import alaw_encode


class RawPeer:
    """A SIP peer on ``host`` (random port) talking to the bot at ``127.0.0.1:bot_port``."""

    def __init__(self, host: str, bot_port: int, bot_host: str = "127.0.0.1") -> None:
        self.host = host
        self.bot = (bot_host, bot_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = int(self.sock.getsockname()[1])
        self.backlog: list[SipMessage] = []

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.bot)

    def request(
        self,
        method: str,
        call_id: str,
        *,
        from_tag: str = "",
        to_tag: str = "",
        cseq: int = 1,
        body: bytes = b"",
        extra: list[tuple[str, str]] | None = None,
        user: str = "0171234567",
        uri: str = "",
        branch: str = "",
    ) -> bytes:
        """A request from this peer to the bot (From ``user``, Contact this peer's address)."""
        to = f"<sip:voicebot@127.0.0.1:{self.bot[1]}>" + (f";tag={to_tag}" if to_tag else "")
        headers = [
            ("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={branch or sipwire.new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{user}@{self.host}>;tag={from_tag or sipwire.new_tag()}"),
            ("To", to),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<sip:{user}@{self.host}:{self.port}>"),
            *(extra or []),
        ]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return sipwire.serialize(f"{method} {uri or f'sip:voicebot@127.0.0.1:{self.bot[1]}'} SIP/2.0", headers, body)

    def wait(self, match: Callable[[SipMessage], bool], timeout: float = 4.0) -> SipMessage | None:
        """The first message that matches (others go to the backlog; requests to us get 200 first)."""
        for index, message in enumerate(self.backlog):
            if match(message):
                return self.backlog.pop(index)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, _addr = self.sock.recvfrom(65535)
            except TimeoutError:
                return None
            message = sipwire.parse(data)
            if message is None:
                continue
            if not message.is_response and message.method not in ("ACK",):
                self.sock.sendto(sipwire.response_to(message, 200, "OK", sipwire.new_tag()), self.bot)
            if match(message):
                return message
            self.backlog.append(message)
        return None

    def final(self, call_id: str, method: str, timeout: float = 4.0) -> SipMessage | None:
        """The final response to our ``method`` request in ``call_id``."""
        return self.wait(
            lambda m: m.is_response and m.status >= 200 and m.method == method and m.get("call-id") == call_id,
            timeout,
        )

    def ask(self, method: str, call_id: str = "", timeout: float = 4.0, **kwargs: object) -> int:
        """Send one request, return the final status (0: no answer)."""
        call_id = call_id or f"{method.lower()}-{sipwire.new_tag()}@{self.host}"
        self.send(self.request(method, call_id, **kwargs))  # type: ignore[arg-type]
        reply = self.final(call_id, method, timeout)
        return reply.status if reply is not None else 0


def pcma_tone(ms: int, freq: float = 300.0) -> list[bytes]:
    """A loud tone as 20 ms PCMA payloads."""
    count = 8 * ms
    pcm = (8000 * np.sin(2 * np.pi * freq * np.arange(count) / 8000)).astype("<i2").tobytes()
    return [alaw_encode(pcm[i : i + 320]) for i in range(0, len(pcm), 320)]


@dataclass
class RawCall:
    """A call placed by a ``RawPeer``; after ``invite`` it holds the dialog and the bot's RTP address."""

    peer: RawPeer
    call_id: str = field(default_factory=lambda: f"call-{sipwire.new_tag()}@guard-test")
    from_tag: str = field(default_factory=sipwire.new_tag)
    to_tag: str = ""
    status: int = 0
    offer: sipwire.SdpAnswer | None = None
    rtp: socket.socket | None = None
    cseq: int = 1

    def invite(self, delayed_offer: bool = True) -> int:
        """INVITE (without SDP for a delayed offer); on 200 the ACK carries our SDP answer. The status."""
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((self.peer.host, 0))
        rtp_port = int(self.rtp.getsockname()[1])
        sdp = sipwire.sdp_offer(self.peer.host, rtp_port, 7)
        body = b"" if delayed_offer else sdp
        self.peer.send(self.peer.request("INVITE", self.call_id, from_tag=self.from_tag, body=body))
        reply = self.peer.final(self.call_id, "INVITE", timeout=8)
        if reply is None:
            return 0
        self.status = reply.status
        self.to_tag = sipwire.tag_of(reply.get("to"))
        if reply.status != 200:
            return reply.status
        self.offer = sipwire.parse_sdp(reply.body)
        ack = self.peer.request(
            "ACK", self.call_id, from_tag=self.from_tag, to_tag=self.to_tag, body=sdp if delayed_offer else b""
        )
        self.peer.send(ack)
        return 200

    def in_dialog(self, method: str, body: bytes = b"", extra: list[tuple[str, str]] | None = None) -> bytes:
        """A request in this call's dialog (as the caller would send it)."""
        self.cseq += 1
        return self.peer.request(
            method, self.call_id, from_tag=self.from_tag, to_tag=self.to_tag, cseq=self.cseq, body=body, extra=extra
        )

    def exchange_rtp(self, payloads: list[bytes], listen_s: float) -> list[bytes]:
        """Send PCMA ``payloads`` paced at 20 ms, then keep listening; every RTP packet the bot sent."""
        assert self.rtp is not None and self.offer is not None
        received: list[bytes] = []
        self.rtp.setblocking(False)
        end = time.monotonic() + len(payloads) * 0.02 + listen_s
        sequence = 0
        next_send = time.monotonic()
        while time.monotonic() < end:
            if time.monotonic() >= next_send:
                payload = payloads[sequence] if sequence < len(payloads) else b"\xd5" * 160
                header = bytes([0x80, 8]) + (sequence & 0xFFFF).to_bytes(2, "big")
                header += (sequence * 160).to_bytes(4, "big") + b"\x00\x00\x12\x34"
                self.rtp.sendto(header + payload, (self.offer.host, self.offer.port))
                sequence += 1
                next_send += 0.02
            try:
                while True:
                    received.append(self.rtp.recv(2048))
            except BlockingIOError:
                time.sleep(0.005)
        return received

    def hang_up(self) -> int:
        """BYE from the caller; the final status."""
        self.peer.send(self.in_dialog("BYE"))
        reply = self.peer.final(self.call_id, "BYE")
        if self.rtp is not None:
            self.rtp.close()
        return reply.status if reply is not None else 0
