"""The endpoint's live pjsua2 calls and its pool of media bridges, with the watchdog that tends both.

Everything here runs on the endpoint thread (``SipEndpoint``'s polling thread), like every pjsua2 call.
A call is referenced from its INVITE until its DISCONNECTED callback (``BotCall``'s ``on_gone``), which
drops it at once. Media bridges are pooled: leased to a call whose audio becomes active, returned when
the call ends, and never destroyed while pjmedia's clock runs; ``drop_all`` drops every call and bridge
after the clock has been stopped and before ``libDestroy``, or pjsua2 aborts the process.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, Final

import pjsua2 as pj

from voicebot.telephony.admission import SlotCount
from voicebot.telephony.call import BotCall, MediaBridge

_LOGGER: Final = logging.getLogger(__name__)

WATCHDOG_S: Final = 0.3
"""A live call's bridge not asked for audio this long is reconnected (seconds)."""
RTP_CHECK_S: Final = 1.0
"""How often the callers' RTP packet counts are read for the RTP timeout (seconds)."""


class LiveCalls:
    """The calls pjsua2 still knows of (by key) and the media bridges, leased and free (endpoint thread only)."""

    def __init__(
        self, line_rate: int, rtp_timeout_s: float = 0.0, on_ended: Callable[[str], None] | None = None
    ) -> None:
        self._line_rate = line_rate
        self._rtp_timeout_s = rtp_timeout_s
        self._rtp_checked = time.monotonic()
        self._on_ended = on_ended
        self.slots = SlotCount()
        """The calls pjsua holds, readable from any thread (admission, the request guard)."""
        self._calls: dict[int, BotCall] = {}
        self._bridges: list[MediaBridge] = []
        self._free_bridges: list[MediaBridge] = []
        self._zombies: list[BotCall] = []
        self._keys = itertools.count(1)

    def __len__(self) -> int:
        return len(self._calls)

    def get(self, key: int) -> BotCall | None:
        """The live call with this key (None once it is over and dropped)."""
        return self._calls.get(key)

    def add(self, account: Any, call_id: int) -> BotCall:
        """Wrap an incoming pjsua call in a ``BotCall`` with a new key and keep it until it is over."""
        call = BotCall(account, call_id, next(self._keys), self._lease_bridge, self._forget)
        self._calls[call.key] = call
        self.slots.taken()
        return call

    def all_disconnected(self) -> bool:
        """Every live call has ended (or there is none)."""
        return all(call.disconnected for call in self._calls.values())

    def watchdog(self) -> None:
        """Clean up calls whose end pjsua2 never reported, and reconnect a bridge that stopped being clocked.

        Under concurrent set-up and tear-down a DISCONNECTED callback can go missing (pjsua reuses call
        slots); such a call is reported as hung up to its channel and parked (never destroyed while the
        library runs: its slot may belong to a new call, which a pj.Call destructor would hang up).
        """
        now = time.monotonic()
        if self._rtp_timeout_s > 0 and now - self._rtp_checked >= RTP_CHECK_S:
            self._rtp_checked = now
            for call in list(self._calls.values()):
                self._check_rtp(call, now)
        for call in list(self._calls.values()):
            bridge = call.bridge
            if call.disconnected or call.joined or bridge is None or now - bridge.pulled_at < WATCHDOG_S:
                continue  # a joined call's audio goes to its bridge partner: pjmedia no longer asks the bot's port
            try:
                active = call.connect_media() if call.isActive() else False
            except pj.Error:
                active = False
            if active:
                _LOGGER.warning(
                    "call %s: audio stalled for %.1f s, media reconnected", call.key, now - bridge.pulled_at
                )
                continue
            _LOGGER.warning("call %s: ended without a DISCONNECTED report; cleaning up", call.key)
            call.disconnected = True
            sink = call.sink
            if sink is not None:
                sink.post_disconnected(0, "Verbindung beendet")
            if self._calls.pop(call.key, None) is not None:
                self.slots.released()
            self._release_bridge(call)
            self._zombies.append(call)

    def _check_rtp(self, call: BotCall, now: float) -> None:
        """Hang up a call whose caller has sent no RTP for ``rtp_timeout_s`` (the line is dead or the
        caller gone; a hold, where the caller sends nothing by agreement, does not count)."""
        if call.disconnected or call.audio_index < 0 or not call.peer_sends:
            return
        try:
            packets = int(call.getStreamStat(call.audio_index).rtcp.rxStat.pkt)
        except pj.Error:
            return
        silent = call.rtp.silent_for(packets, now)
        if silent < self._rtp_timeout_s:
            return
        _LOGGER.warning(
            "call %s: no RTP from the caller for %.0f s ([sip] rtp_timeout_seconds): treated as gone, hanging up",
            call.key,
            silent,
        )
        sink = call.sink
        if sink is not None:
            sink.post_disconnected(408, f"keine Sprachdaten vom Anrufer seit {silent:.0f} s")
        call.rtp.since = now  # once: the BYE's DISCONNECTED follows
        call.hangup(pj.CallOpParam(True))

    def drop_all(self) -> None:
        """Drop every call and bridge (a method of its own: no loop variable of the caller's frame may keep
        a pjsua2 object alive past ``libDestroy``, or the process aborts)."""
        for call in self._calls.values():
            call.sink = None
            self._release_bridge(call)
        self._calls.clear()
        self._zombies.clear()
        for bridge in self._bridges:
            bridge.sink = None
        self._bridges.clear()
        self._free_bridges.clear()

    def _lease_bridge(self) -> MediaBridge:
        """A media bridge for a call whose audio became active (from the pool, or a new one)."""
        if self._free_bridges:
            return self._free_bridges.pop()
        bridge = MediaBridge(self._line_rate)
        self._bridges.append(bridge)
        return bridge

    def _release_bridge(self, call: BotCall) -> None:
        """Return a finished call's bridge to the pool (its stream is gone: nothing is connected to it)."""
        bridge, call.bridge = call.bridge, None
        if bridge is not None:
            bridge.sink = None
            self._free_bridges.append(bridge)

    def drop(self, call: BotCall) -> None:
        """Forget a call that never got going (a bridge leg whose INVITE could not be sent)."""
        self._forget(call)

    def _forget(self, call: BotCall) -> None:
        """The call is disconnected: drop every reference now, inside its DISCONNECTED callback.

        pjsua reuses the call's slot as soon as the callback returns; a pj.Call destroyed later would
        clear the user data of the *next* call in that slot, whose callbacks (DTMF, hang-up) would then
        be lost. So the object must die here, as pjsua2's documentation asks.
        """
        if self._calls.pop(call.key, None) is not None:
            self.slots.released()
        self._release_bridge(call)
        if self._on_ended is not None and call.sip_call_id:
            self._on_ended(call.sip_call_id)
