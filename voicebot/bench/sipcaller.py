"""A small, honest load-generating SIP caller (UAC + RTP) in plain asyncio, independent of the bot's stack.

One ``place_call`` is one call: INVITE with an SDP offer (PCMA/PCMU, 8 kHz, 20 ms), ACK, then the script:
each step first waits until the bot has spoken and gone quiet again (its greeting or last reply), then
says a WAV (streamed in real time) or presses keys (RFC 4733). The turn gap of a step is the time from
the send of the caller's last voiced frame to the arrival of the bot's first audible frame after it.
REFER from the bot is accepted (202 + NOTIFY sipfrag 200) or declined (603) and its Refer-To reported;
BYE either way ends the call. ``place_calls`` runs many calls concurrently in one process (bounded).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from typing import cast

from voicebot.bench import sipwire
from voicebot.bench.rtpstream import AUDIBLE_RMS, RtpEndpoint, RtpQuality, rtp_quality
from voicebot.bench.sipwire import SipMessage


@dataclass(frozen=True)
class Step:
    """One thing the caller does after the bot has gone quiet."""

    label: str
    """What this turn measures (``question``, ``confirmation``, ``transfer``, ``reprompt`` …)."""
    pcm8k: bytes = b""
    """Speech to say (16-bit PCM at 8 kHz); empty when ``digits`` are pressed instead."""
    digits: str = ""
    """Keypad digits to press (RFC 4733)."""


@dataclass(frozen=True)
class CallPlan:
    """What one call does."""

    target: str
    """Request-URI, e.g. ``sip:voicebot@127.0.0.1:5070`` (host:port is where the INVITE is sent)."""
    steps: tuple[Step, ...] = ()
    """The caller's turns, in order."""
    wait_greeting: bool = True
    """Wait for the bot to speak first before the first step."""
    quiet_ms: int = 1500
    """Silence after audible bot audio that counts as "the bot finished its turn" (milliseconds)."""
    reply_timeout_s: float = 20.0
    """Longest wait for the bot to start and finish a turn (seconds)."""
    accept_refer: bool = True
    """Answer REFER with 202 + NOTIFY 200 (True) or decline it with 603 (False)."""
    hold_s: float = 0.0
    """Stay on the line this long after the last step (idle calls for memory measurements; seconds)."""
    leave_on_reply: bool = False
    """After the last step, stop waiting as soon as the bot's reply starts (don't listen to a long answer)."""


@dataclass(frozen=True)
class TurnGap:
    """The bot's reaction to one caller turn, measured on the wire."""

    label: str
    """The step's label."""
    gap_ms: float | None
    """Caller's last voiced frame sent → bot's first audible frame received (None: the bot stayed silent)."""


@dataclass(frozen=True)
class CallReport:
    """Everything measured on one call."""

    call_id: str
    """SIP Call-ID."""
    answered: bool
    """The INVITE got a 2xx."""
    status: int
    """Final status of the INVITE (0 = no response)."""
    setup_ms: float
    """INVITE sent → final response (milliseconds)."""
    contact: str = ""
    """Contact URI of the answering side (tells which instance answered behind a proxy)."""
    refer_to: str = ""
    """Refer-To of a REFER received from the bot (empty: none)."""
    ended_by: str = ""
    """``caller`` (we sent BYE), ``bot`` (the bot sent BYE) or empty (never established)."""
    turns: tuple[TurnGap, ...] = ()
    """Turn gaps, one per step that was performed."""
    quality: RtpQuality | None = None
    """Incoming RTP regularity."""
    caller_late_sends: int = 0
    """Our own packets sent more than 10 ms late (the measuring process was overloaded)."""
    error: str = ""
    """What went wrong, if anything."""


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
    """State of one call's dialog (mutable, private to ``_Call``)."""

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


class _Call:
    """The SIP side of one call: transactions, in-dialog requests, the script."""

    def __init__(self, plan: CallPlan, host: str) -> None:
        self.plan = plan
        self.host = host
        self.sip = _SipSocket()
        self.rtp = RtpEndpoint()
        self.dialog = _Dialog(
            call_id=sipwire.new_tag() + sipwire.new_tag() + "@bench",
            local_tag=sipwire.new_tag(),
            remote_uri=plan.target,
            local_uri=f"sip:bench@{host}",
        )
        self.ended = asyncio.Event()
        self._responses: dict[str, asyncio.Queue[SipMessage]] = {}
        self._invite_ok: SipMessage | None = None
        self._ack: bytes = b""

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

    def _ack_ok(self, ok: SipMessage, cseq: int) -> None:
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
            self.dialog.refer_to = sipwire.uri_of(request.get("refer-to"))
            if not self.plan.accept_refer:
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


async def place_call(plan: CallPlan, host: str = "127.0.0.1") -> CallReport:
    """Place one call, run its script, hang up; never raises for a failed call (see ``error``)."""
    loop = asyncio.get_running_loop()
    call = _Call(plan, host)
    await loop.create_datagram_endpoint(lambda: call.sip, local_addr=(host, 0))
    await loop.create_datagram_endpoint(lambda: call.rtp, local_addr=(host, 0))
    dispatcher = loop.create_task(call.dispatch())
    stop_rtp = asyncio.Event()
    pacer: asyncio.Task[None] | None = None
    started = time.monotonic()
    report = CallReport(call.dialog.call_id, False, 0, 0.0)
    try:
        offer = sipwire.sdp_offer(host, call.rtp.local_port, random.randint(1, 2**31))
        cseq = call.dialog.cseq
        ok = await call.transaction(
            "INVITE",
            offer,
            [("Content-Type", "application/sdp"), ("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY")],
            timeout_s=10.0,
        )
        setup_ms = (time.monotonic() - started) * 1000
        if ok is None or ok.status >= 300:
            return CallReport(call.dialog.call_id, False, ok.status if ok else 0, setup_ms)
        call._ack_ok(ok, cseq)
        answer = sipwire.parse_sdp(ok.body)
        if answer is None:
            await call.transaction("BYE")
            return CallReport(call.dialog.call_id, True, ok.status, setup_ms, error="no usable audio in the SDP answer")
        call.rtp.set_remote(answer.host, answer.port, answer.payload, answer.dtmf_payload)
        pacer = loop.create_task(call.rtp.pace(stop_rtp))
        turns = await _run_script(call, plan)
        if not call.ended.is_set():
            if plan.hold_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(call.ended.wait(), plan.hold_s)
            if not call.ended.is_set():
                call.dialog.ended_by = "caller"
                await call.transaction("BYE")
        report = CallReport(
            call.dialog.call_id,
            True,
            ok.status,
            setup_ms,
            contact=call.dialog.remote_target,
            refer_to=call.dialog.refer_to,
            ended_by=call.dialog.ended_by,
            turns=tuple(turns),
            quality=rtp_quality(call.rtp.arrivals),
            caller_late_sends=call.rtp.late_sends,
        )
    except OSError as error:
        report = CallReport(call.dialog.call_id, report.answered, report.status, report.setup_ms, error=str(error))
    finally:
        stop_rtp.set()
        if pacer is not None:
            await pacer
        dispatcher.cancel()
        call.rtp.close()
        if call.sip.transport is not None:
            call.sip.transport.close()
    return report


async def _run_script(call: _Call, plan: CallPlan) -> list[TurnGap]:
    turns: list[TurnGap] = []
    if plan.wait_greeting:
        await _bot_turn(call, plan, since_ns=0)
    for index, step in enumerate(plan.steps):
        if call.ended.is_set() or call.dialog.refer_to:
            break
        future = call.rtp.play(step.pcm8k) if step.pcm8k else call.rtp.press(step.digits)
        last_voiced_ns = await future
        leave = plan.leave_on_reply and index == len(plan.steps) - 1
        gap = await _bot_turn(call, plan, since_ns=last_voiced_ns or time.monotonic_ns(), leave_on_reply=leave)
        turns.append(TurnGap(step.label, gap))
    return turns


async def _bot_turn(call: _Call, plan: CallPlan, since_ns: int, leave_on_reply: bool = False) -> float | None:
    """Wait until the bot has spoken after ``since_ns`` and gone quiet (or left); the gap in ms or None."""
    deadline = time.monotonic() + plan.reply_timeout_s
    quiet_ns = plan.quiet_ms * 1_000_000
    first_ns = 0
    scanned = 0
    while time.monotonic() < deadline and not call.ended.is_set():
        arrivals = call.rtp.arrivals
        if not first_ns:
            for arrival in arrivals[scanned:]:
                if arrival.at_ns > since_ns and arrival.level >= AUDIBLE_RMS:
                    first_ns = arrival.at_ns
                    break
            scanned = len(arrivals)
        if first_ns and time.monotonic_ns() - call.rtp.last_audible_ns >= quiet_ns:
            break
        if first_ns and (call.dialog.refer_to or leave_on_reply):
            break
        await asyncio.sleep(0.02)
    return (first_ns - since_ns) / 1e6 if first_ns else None


async def place_calls(
    plans: list[CallPlan], concurrency: int, stagger_s: float = 0.0, host: str = "127.0.0.1"
) -> list[CallReport]:
    """Run the plans with at most ``concurrency`` calls at once; call i starts after i * ``stagger_s``."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(index: int, plan: CallPlan) -> CallReport:
        await asyncio.sleep(index * stagger_s)
        async with gate:
            return await place_call(plan, host)

    return list(await asyncio.gather(*(one(i, p) for i, p in enumerate(plans))))


async def options_ping(target: str, host: str = "127.0.0.1", timeout_s: float = 2.0) -> int:
    """Send one OPTIONS to ``target``; the final status, 0 when nothing answered."""
    loop = asyncio.get_running_loop()
    call = _Call(CallPlan(target), host)
    await loop.create_datagram_endpoint(lambda: call.sip, local_addr=(host, 0))
    dispatcher = loop.create_task(call.dispatch())
    try:
        response = await call.transaction("OPTIONS", timeout_s=timeout_s)
        return response.status if response else 0
    finally:
        dispatcher.cancel()
        if call.sip.transport is not None:
            call.sip.transport.close()
