"""The bot's own second call for a bridge: placing it (the endpoint thread) and watching it (the loop).

When a department refuses a REFER (or is configured to be bridged) the bot calls the department itself from
its account and joins the two calls' audio (``voicebot.telephony.call.join_partner``). ``place_leg`` runs on the
pjsua2 thread like every pjsua2 call; ``LegWatch`` is the leg's sink on the loop side: it learns when the leg
was joined or ended.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import pjsua2 as pj

from voicebot.events import TransferResult
from voicebot.telephony.call import BotCall, CallSink
from voicebot.telephony.livecalls import LiveCalls


class LegWatch:
    """The loop side of a bridge leg: ``result`` settles when the leg is joined (ok) or ends before (its status)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.result: asyncio.Future[TransferResult] = loop.create_future()
        self.key = 0
        """The endpoint's handle of the leg (set once it was placed)."""

    # --- CallSink (pjsua2 threads): a leg's audio never reaches the bot ---------------------------------

    def post_audio(self, pcm: bytes) -> None:
        return None

    def take_audio(self, size: int) -> bytes:
        return b"\x00" * size

    def post_dtmf(self, digit: str) -> None:
        return None

    def post_transfer(self, status: int, reason: str, final: bool) -> None:
        return None

    def post_disconnected(self, status: int, reason: str) -> None:
        self._post(TransferResult(False, status, reason or "Verbindung beendet", bridged=True))

    def post_joined(self) -> None:
        """The department answered and both calls' audio is joined."""
        self._post(TransferResult(True, 200, "verbunden", bridged=True))

    def _post(self, result: TransferResult) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is shutting down
            self._loop.call_soon_threadsafe(self._settle, result)

    def _settle(self, result: TransferResult) -> None:
        if not self.result.done():
            self.result.set_result(result)


def place_leg(
    calls: LiveCalls, account: Any, caller: BotCall, target: str, headers: Mapping[str, str], sink: CallSink
) -> BotCall:
    """Call ``target`` from ``account`` (``headers`` on the INVITE) as ``caller``'s bridge leg (endpoint thread);
    the leg joins its audio to the caller's once answered. Raises pj.Error when the INVITE cannot be sent."""
    leg = calls.add(account, pj.PJSUA_INVALID_ID)
    leg.is_leg = True
    leg.partner, caller.partner = caller, leg
    address = target.strip("<>").removeprefix("sips:").removeprefix("sip:").split("@")[-1]
    leg.signalling_host = address.split(";", 1)[0].split("?", 1)[0].rsplit(":", 1)[0].strip("[]")
    leg.attach(sink)
    if isinstance(sink, LegWatch):
        leg.on_joined = sink.post_joined
        sink.key = leg.key
    prm = pj.CallOpParam(True)
    prm.opt.audioCount = 1
    prm.opt.videoCount = 0
    for name, value in headers.items():
        header = pj.SipHeader()
        header.hName = name
        header.hValue = value
        prm.txOption.headers.append(header)
    try:
        leg.makeCall(target, prm)
    except pj.Error:
        leg.partner = caller.partner = None
        calls.drop(leg)
        raise
    leg.sip_call_id = str(leg.getInfo().callIdString)
    return leg


__all__ = ["LegWatch", "place_leg"]
