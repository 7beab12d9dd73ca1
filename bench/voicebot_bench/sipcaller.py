"""A small, honest load-generating SIP caller (UAC + RTP) in plain asyncio, independent of the bot's stack.

One ``place_call`` is one call: INVITE with an SDP offer (PCMA/PCMU, 8 kHz, 20 ms), ACK, then the script:
each step first waits until the bot has spoken and gone quiet again (its greeting or last reply), then
says a WAV (streamed in real time) or presses keys (RFC 4733). The turn gap of a step is the time from
the send of the caller's last voiced frame to the arrival of the bot's first audible frame after it.
REFER from the bot is accepted (202 + NOTIFY sipfrag 200) or declined (603) and its Refer-To reported;
BYE either way ends the call (the SIP dialog is ``sipdialog.SipCall``'s, the audio ``rtpstream``'s).
``place_calls`` runs many calls concurrently in one process (bounded).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

from voicebot_bench import sipwire
from voicebot_bench.rtpstream import AUDIBLE_RMS, RtpEndpoint, RtpQuality, rtp_quality
from voicebot_bench.sipdialog import SipCall


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
    """Refer-To of a REFER received from the bot, without its URI headers (empty: none)."""
    refer_headers: dict[str, str] = field(default_factory=dict)
    """The Refer-To URI's headers (the transfer's context: ``Subject``, ``Call-Info`` …)."""
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


async def place_call(plan: CallPlan, host: str = "127.0.0.1") -> CallReport:
    """Place one call, run its script, hang up; never raises for a failed call (see ``error``)."""
    loop = asyncio.get_running_loop()
    call = SipCall(plan.target, host, plan.accept_refer)
    rtp = RtpEndpoint()
    await call.open()
    await loop.create_datagram_endpoint(lambda: rtp, local_addr=(host, 0))
    stop_rtp = asyncio.Event()
    pacer: asyncio.Task[None] | None = None
    started = time.monotonic()
    report = CallReport(call.dialog.call_id, False, 0, 0.0)
    try:
        offer = sipwire.sdp_offer(host, rtp.local_port, random.randint(1, 2**31))
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
        call.ack_ok(ok, cseq)
        answer = sipwire.parse_sdp(ok.body)
        if answer is None:
            await call.transaction("BYE")
            return CallReport(call.dialog.call_id, True, ok.status, setup_ms, error="no usable audio in the SDP answer")
        rtp.set_remote(answer.host, answer.port, answer.payload, answer.dtmf_payload)
        pacer = loop.create_task(rtp.pace(stop_rtp))
        turns = await _run_script(call, rtp, plan)
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
            refer_headers=call.dialog.refer_headers,
            ended_by=call.dialog.ended_by,
            turns=tuple(turns),
            quality=rtp_quality(rtp.arrivals),
            caller_late_sends=rtp.late_sends,
        )
    except OSError as error:
        report = CallReport(call.dialog.call_id, report.answered, report.status, report.setup_ms, error=str(error))
    finally:
        stop_rtp.set()
        if pacer is not None:
            await pacer
        call.close()
        rtp.close()
    return report


async def _run_script(call: SipCall, rtp: RtpEndpoint, plan: CallPlan) -> list[TurnGap]:
    turns: list[TurnGap] = []
    if plan.wait_greeting:
        await _bot_turn(call, rtp, plan, since_ns=0)
    for index, step in enumerate(plan.steps):
        if call.ended.is_set() or call.dialog.refer_to:
            break
        future = rtp.play(step.pcm8k) if step.pcm8k else rtp.press(step.digits)
        last_voiced_ns = await future
        leave = plan.leave_on_reply and index == len(plan.steps) - 1
        gap = await _bot_turn(call, rtp, plan, since_ns=last_voiced_ns or time.monotonic_ns(), leave_on_reply=leave)
        turns.append(TurnGap(step.label, gap))
    return turns


async def _bot_turn(
    call: SipCall, rtp: RtpEndpoint, plan: CallPlan, since_ns: int, leave_on_reply: bool = False
) -> float | None:
    """Wait until the bot has spoken after ``since_ns`` and gone quiet (or left); the gap in ms or None."""
    deadline = time.monotonic() + plan.reply_timeout_s
    quiet_ns = plan.quiet_ms * 1_000_000
    first_ns = 0
    scanned = 0
    while time.monotonic() < deadline and not call.ended.is_set():
        arrivals = rtp.arrivals
        if not first_ns:
            for arrival in arrivals[scanned:]:
                if arrival.at_ns > since_ns and arrival.level >= AUDIBLE_RMS:
                    first_ns = arrival.at_ns
                    break
            scanned = len(arrivals)
        if first_ns and time.monotonic_ns() - rtp.last_audible_ns >= quiet_ns:
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
