"""The SIP side of one benchmark call: a UAC dialog over UDP in plain asyncio (RFC 3261 subset).

``SipCall`` owns one call's SIP socket: client transactions with their retransmissions (timers A/E), the
ACK of the final response (resent on every 2xx retransmission), and the answers to what the bot sends in
the dialog: BYE ends the call, REFER is accepted (202 + NOTIFY sipfrag 200) or declined (603) and its
Refer-To kept. Messages are built and parsed by ``sipwire``; the audio and the script are ``sipcaller``'s.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import cast

from voicebot_bench import sipwire
from voicebot_bench.sipwire import SipMessage


class _SipSocket(asyncio.DatagramProtocol):
    """One call's SIP socket: every parsed datagram goes to a queue with its source address."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[SipMessage, tuple[str, int]]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass asyncio.DatagramTransport
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = sipwire.parse(data)
        if message is not None:
            self.inbox.put_nowait((message, addr))


@dataclass
class _Dialog:
    """State of one call's dialog (mutable, private to ``SipCall``)."""

    call_id: str
    local_tag: str
    remote_uri: str
    local_uri: str
    remote_tag: str = ""
    remote_target: str = ""
    route: list[str] = field(default_factory=list)
    cseq: int = 1
    ended_by: str = ""
    refer_to: str = ""
    """The Refer-To target without its URI headers."""
    refer_headers: dict[str, str] = field(default_factory=dict)
    """The Refer-To URI's headers, decoded (what a transferee copies into its INVITE: ``Subject`` …)."""


class SipCall:
    """The SIP side of one call: its socket, transactions, the ACK of the answer, in-dialog requests."""

    def __init__(self, target: str, host: str, accept_refer: bool = True) -> None:
        self.host = host
        self.accept_refer = accept_refer
        """Answer REFER with 202 + NOTIFY 200 (True) or decline it with 603 (False)."""
        self.sip = _SipSocket()
        self.dialog = _Dialog(
            call_id=sipwire.new_tag() + sipwire.new_tag() + "@bench",
            local_tag=sipwire.new_tag(),
            remote_uri=target,
            local_uri=f"sip:bench@{host}",
        )
        self.ended = asyncio.Event()
        """Set when the bot sent BYE."""
        self._responses: dict[str, asyncio.Queue[SipMessage]] = {}
        self._invite_ok: SipMessage | None = None
        self._ack: bytes = b""
        self._dispatcher: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Bind the SIP socket (a free port on ``host``) and start routing what arrives on it."""
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self.sip, local_addr=(self.host, 0))
        self._dispatcher = loop.create_task(self.dispatch())

    def close(self) -> None:
        """Stop routing and close the SIP socket."""
        if self._dispatcher is not None:
            self._dispatcher.cancel()
        if self.sip.transport is not None:
            self.sip.transport.close()

    @property
    def sip_port(self) -> int:
        assert self.sip.transport is not None
        return int(self.sip.transport.get_extra_info("sockname")[1])

    def _via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.host}:{self.sip_port};branch={branch};rport"

    def _request(
        self, method: str, branch: str, cseq: int, body: bytes = b"", extra: list[tuple[str, str]] | None = None
    ) -> tuple[bytes, tuple[str, int]]:
        d = self.dialog
        in_dialog = bool(d.remote_tag)
        uri = d.remote_target if in_dialog and d.remote_target else d.remote_uri
        to = f"<{d.remote_uri}>" + (f";tag={d.remote_tag}" if d.remote_tag else "")
        headers = [("Via", self._via(branch)), ("Max-Forwards", "70")]
        headers += [("Route", f"<{r}>") for r in (d.route if in_dialog else [])]
        headers += [
            ("From", f"<{d.local_uri}>;tag={d.local_tag}"),
            ("To", to),
            ("Call-ID", d.call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<sip:bench@{self.host}:{self.sip_port}>"),
            ("User-Agent", "voicebot-bench"),
            *(extra or []),
        ]
        next_hop = d.route[0] if in_dialog and d.route else uri
        return sipwire.serialize(f"{method} {uri} SIP/2.0", headers, body), sipwire.host_port(next_hop)

    def _send(self, data: bytes, dest: tuple[str, int]) -> None:
        assert self.sip.transport is not None
        self.sip.transport.sendto(data, dest)

    async def transaction(
        self, method: str, body: bytes = b"", extra: list[tuple[str, str]] | None = None, timeout_s: float = 8.0
    ) -> SipMessage | None:
        """Send a request, retransmit it (timers A/E) until a final response; None on timeout."""
        branch = sipwire.new_branch()
        cseq = self.dialog.cseq
        self.dialog.cseq += 1
        data, dest = self._request(method, branch, cseq, body, extra)
        queue: asyncio.Queue[SipMessage] = asyncio.Queue()
        self._responses[branch] = queue
        interval, deadline, provisional = 0.5, time.monotonic() + timeout_s, False
        try:
            self._send(data, dest)
            while time.monotonic() < deadline:
                wait = min(interval, deadline - time.monotonic()) if not provisional else deadline - time.monotonic()
                try:
                    response = await asyncio.wait_for(queue.get(), max(0.0, wait))
                except TimeoutError:
                    if not provisional:
                        self._send(data, dest)
                        interval = min(interval * 2, 4.0)
                    continue
                if response.status < 200:
                    provisional = True
                    continue
                if method == "INVITE" and response.status >= 300:
                    self._ack_failure(response, branch, cseq, dest)
                return response
            return None
        finally:
            self._responses.pop(branch, None)

    def _ack_failure(self, response: SipMessage, branch: str, cseq: int, dest: tuple[str, int]) -> None:
        """ACK of a non-2xx final response: same branch, To as received."""
        headers = [
            ("Via", self._via(branch)),
            ("Max-Forwards", "70"),
            ("From", response.get("from")),
            ("To", response.get("to")),
            ("Call-ID", self.dialog.call_id),
            ("CSeq", f"{cseq} ACK"),
        ]
        self._send(sipwire.serialize(f"ACK {self.dialog.remote_uri} SIP/2.0", headers), dest)

    def ack_ok(self, ok: SipMessage, cseq: int) -> None:
        """ACK of the 2xx: a new transaction along the route set, resent on every 2xx retransmission."""
        d = self.dialog
        d.remote_tag = sipwire.tag_of(ok.get("to"))
        d.remote_target = sipwire.uri_of(ok.get("contact")) or d.remote_uri
        d.route = [sipwire.uri_of(r) for r in reversed(ok.get_all("record-route"))]
        data, dest = self._request("ACK", sipwire.new_branch(), cseq)
        self._ack = data
        self._ack_dest = dest
        self._send(data, dest)

    async def dispatch(self) -> None:
        """Route incoming datagrams: responses to their transaction, requests to their handler."""
        while True:
            message, addr = await self.sip.inbox.get()
            if message.is_response:
                branch = next((p[7:] for p in message.get_all("via")[0].split(";") if p.startswith("branch=")), "")
                if message.method == "INVITE" and 200 <= message.status < 300 and self._ack:
                    self._send(self._ack, self._ack_dest)  # a retransmitted 2xx: ACK again
                queue = self._responses.get(branch)
                if queue is not None:
                    queue.put_nowait(message)
                continue
            self._on_request(message, addr)

    def _on_request(self, request: SipMessage, addr: tuple[str, int]) -> None:
        method, tag = request.method, self.dialog.local_tag
        if method == "BYE":
            self._send(sipwire.response_to(request, 200, "OK", tag), addr)
            if not self.dialog.ended_by:
                self.dialog.ended_by = "bot"
            self.ended.set()
        elif method == "REFER":
            target, _mark, query = sipwire.uri_of(request.get("refer-to")).partition("?")
            self.dialog.refer_to = target
            self.dialog.refer_headers = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
            if not self.accept_refer:
                self._send(sipwire.response_to(request, 603, "Decline", tag), addr)
                return
            self._send(sipwire.response_to(request, 202, "Accepted", tag), addr)
            asyncio.get_running_loop().create_task(self._notify())
        elif method in ("OPTIONS", "NOTIFY", "INFO", "UPDATE"):
            self._send(sipwire.response_to(request, 200, "OK", tag), addr)
        elif method != "ACK":
            self._send(sipwire.response_to(request, 501, "Not Implemented", tag), addr)

    async def _notify(self) -> None:
        """Report the transfer as done (sipfrag 200), as a phone that followed the REFER would."""
        extra = [
            ("Event", "refer"),
            ("Subscription-State", "terminated;reason=noresource"),
            ("Content-Type", "message/sipfrag;version=2.0"),
        ]
        await self.transaction("NOTIFY", b"SIP/2.0 200 OK\r\n", extra)


async def options_ping(target: str, host: str = "127.0.0.1", timeout_s: float = 2.0) -> int:
    """Send one OPTIONS to ``target``; the final status, 0 when nothing answered."""
    call = SipCall(target, host)
    await call.open()
    try:
        response = await call.transaction("OPTIONS", timeout_s=timeout_s)
        return response.status if response else 0
    finally:
        call.close()
