"""A raw SIP/RTP caller for the media tests: any SDP offer, ACK or no ACK, RTP counted both ways.

Plain blocking sockets on loopback (one thread per socket), no SIP stack of our own beyond what a
test needs: INVITE with the given SDP, the final answer, ACK, BYE; every request the bot sends
(BYE, re-INVITE) is answered 200. RTP is PCMA at 8 kHz, 20 ms packets.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from voicebot_bench import sipwire

from voicebot.audio import alaw_decode, alaw_encode

AUDIBLE_RMS = 300.0
"""RMS (of 32768) from which a received RTP packet counts as audible."""


def tone_pcm(ms: int, freq: float = 440.0, rate: int = 8000) -> bytes:
    """A loud sine tone, 16-bit PCM."""
    count = rate * ms // 1000
    return (8000 * np.sin(2 * np.pi * freq * np.arange(count) / rate)).astype("<i2").tobytes()


def audio_sdp(port: int) -> list[str]:
    """The m=audio block of an offer: PCMA/PCMU and telephone events (port 0 = a disabled stream)."""
    return [
        f"m=audio {port} RTP/AVP 8 0 101",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=ptime:20",
    ]


def offer(host: str, media: list[list[str]], session_attrs: tuple[str, ...] = ()) -> bytes:
    """An SDP offer with the given media blocks in this order (each a list of lines)."""
    lines = ["v=0", f"o=test 1 1 IN IP4 {host}", "s=media test", f"c=IN IP4 {host}", "t=0 0", *session_attrs]
    for block in media:
        lines += block
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


@dataclass
class RtpCounter:
    """Counts RTP arriving at one socket (all packets, audible ones) until closed."""

    sock: socket.socket
    packets: int = 0
    audible: int = 0
    sources: set[tuple[str, int]] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> RtpCounter:
        self.sock.settimeout(0.1)
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(data) < 12 or data[0] >> 6 != 2 or data[1] & 0x7F not in (0, 8):
                continue
            self.packets += 1
            self.sources.add(addr)
            pcm = alaw_decode(data[12:]) if data[1] & 0x7F == 8 else b""
            samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
            if samples.size and float(np.sqrt(np.mean(samples * samples))) >= AUDIBLE_RMS:
                self.audible += 1

    def stop(self) -> None:
        self._stop.set()


def send_rtp(sock: socket.socket, dest: tuple[str, int], pcm8k: bytes, ssrc: int = 0x1234) -> None:
    """Send PCM as PCMA RTP packets of 20 ms, paced in real time (blocking)."""
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm8k) - 319, 320)):
        header = bytes([0x80, 8 | (0x80 if index == 0 else 0)]) + (index & 0xFFFF).to_bytes(2, "big")
        header += (index * 160).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
        sock.sendto(header + alaw_encode(pcm8k[offset : offset + 320]), dest)
        delay = start + (index + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class RawCall:
    """One call by raw UDP: INVITE with a given SDP; RTP socket bound and counted."""

    def __init__(self, bot_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.bot = ("127.0.0.1", bot_port)
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind((host, 0))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((host, 0))
        self.rtp_port = int(self.rtp.getsockname()[1])
        self.call_id = f"{sipwire.new_tag()}@media-test"
        self.tag = sipwire.new_tag()
        self.to = f"<sip:voicebot@127.0.0.1:{bot_port}>"
        self.cseq = 1
        self.final: sipwire.SipMessage | None = None
        self.bye_received = threading.Event()
        self.counter = RtpCounter(self.rtp)

    def _headers(self, method: str, cseq: int, branch: str = "") -> list[tuple[str, str]]:
        port = self.sip.getsockname()[1]
        return [
            ("Via", f"SIP/2.0/UDP {self.host}:{port};branch={branch or sipwire.new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:caller@{self.host}>;tag={self.tag}"),
            ("To", self.to),
            ("Call-ID", self.call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<sip:caller@{self.host}:{port}>"),
        ]

    def invite(self, sdp: bytes, ack: bool = True, timeout: float = 8.0) -> int:
        """Send the INVITE, wait for the final answer (ACK it unless ``ack`` is False); its status."""
        uri = f"sip:voicebot@127.0.0.1:{self.bot[1]}"
        headers = [*self._headers("INVITE", 1), ("Content-Type", "application/sdp")]
        self.sip.sendto(sipwire.serialize(f"INVITE {uri} SIP/2.0", headers, sdp), self.bot)
        self.sip.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, _addr = self.sip.recvfrom(65535)
            except TimeoutError:
                continue
            message = sipwire.parse(data)
            if message is None or not message.is_response or message.status < 200:
                continue
            self.final = message
            self.to = message.get("to")
            if message.status >= 300 or ack:
                self._ack(message)
            if message.status < 300:
                threading.Thread(target=self._serve, daemon=True).start()
            return message.status
        return 0

    def _ack(self, response: sipwire.SipMessage) -> None:
        uri = sipwire.uri_of(response.get("contact")) or f"sip:voicebot@127.0.0.1:{self.bot[1]}"
        branch = ""
        if response.status >= 300:  # the ACK of a failure belongs to the INVITE transaction
            branch = re.sub(r".*branch=([^;]+).*", r"\1", response.get("via"))
        headers = self._headers("ACK", 1, branch)
        self.sip.sendto(sipwire.serialize(f"ACK {uri} SIP/2.0", headers), self.bot)

    def _serve(self) -> None:
        """Answer the bot's requests (BYE, re-INVITE …) with 200 OK."""
        while True:
            try:
                data, addr = self.sip.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            message = sipwire.parse(data)
            if message is None or message.is_response:
                continue
            if message.method == "ACK":
                continue
            self.sip.sendto(sipwire.response_to(message, 200, "OK"), addr)
            if message.method == "BYE":
                self.bye_received.set()

    def answer_media(self) -> tuple[str, int]:
        """Where the bot wants our audio: the answer's m=audio with a port (c= of the session)."""
        assert self.final is not None
        text = self.final.body.decode()
        host = re.search(r"c=IN IP4 (\S+)", text)
        ports = [int(m) for m in re.findall(r"^m=audio (\d+) ", text, re.M) if int(m)]
        assert host and ports, text
        return host[1], ports[0]

    def bye(self) -> None:
        """Hang up (fire and forget)."""
        assert self.final is not None
        self.cseq += 1
        uri = sipwire.uri_of(self.final.get("contact"))
        self.sip.sendto(sipwire.serialize(f"BYE {uri} SIP/2.0", self._headers("BYE", self.cseq)), self.bot)

    def close(self) -> None:
        """Stop counting, close both sockets."""
        self.counter.stop()
        self.sip.close()
        self.rtp.close()
