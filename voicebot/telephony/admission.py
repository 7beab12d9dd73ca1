"""Call admission by the bot's own count: conversation, overflow hand-over, or a clean 503 + Retry-After.

Pure logic (no pjsua2 import), used on two threads:

* the endpoint thread counts the calls pjsua holds (``SlotCount``: from ``onIncomingCall`` until the
  DISCONNECTED callback, including calls the loop has already finished with that are still being torn
  down); the request guard, which sees every INVITE before pjsua, answers 503 + Retry-After itself while
  :meth:`SlotCount.has_room` is False;
* the loop thread (``voicebot.call.switch.Switch``) decides per call with :func:`decide`.

Why the guard must refuse: pjsua answers an INVITE that finds all ``PJSUA_MAX_CALLS`` slots taken with its
own 486 Busy Here, before the bot sees it. With the guard in front, every slot serves calls
(``REFUSAL_RESERVE = 0``) and a caller never gets that raw 486.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

PJSUA_MAX_CALLS: Final = 4
"""pjsua's compiled-in limit of simultaneous calls in the ``pjsua2-python`` 2.15.1 wheel (measured: a 5th
INVITE gets pjsua's own 486 whatever ``maxCalls`` asks for). More calls per machine: several
``voicebot run`` instances behind Kamailio's dispatcher (sip/kamailio/)."""
REFUSAL_RESERVE: Final = 0
"""pjsua call slots never given to a call. 0: the request guard (``guard.SipGuard``) answers a new INVITE
with 503 + Retry-After itself when ``SlotCount.has_room`` is False, before pjsua would answer its own 486."""
SERVICE_SLOTS: Final = PJSUA_MAX_CALLS - REFUSAL_RESERVE
"""pjsua call slots for conversations and overflow hand-overs."""
RETRY_AFTER_S: Final = 30
"""Retry-After of the bot's 503 (seconds)."""


def line_capacity(max_calls: int, overflow: str) -> tuple[int, int]:
    """(conversations, overflow hand-overs) one process can really run at once: ``max_calls`` within the
    service slots; with ``overflow = "switchboard"`` at least one slot is kept to announce an overflow
    call and transfer it to the switchboard (the rest of the service slots serve overflow too)."""
    if overflow == "switchboard":
        sessions = min(max_calls, SERVICE_SLOTS - 1)
        return sessions, SERVICE_SLOTS - sessions
    return min(max_calls, SERVICE_SLOTS), 0


@dataclass(frozen=True)
class Decision:
    """What happens to one incoming call."""

    action: str
    """``session`` (a conversation), ``overflow`` (announce, transfer to the switchboard) or ``refuse``."""
    status: int = 0
    """SIP status of a refusal: 503 (no line free, with Retry-After) or 486 (``overflow = "reject"``)."""


def decide(
    sessions: int, overflows: int, sip_calls: int, capacity: tuple[int, int], overflow_mode: str, switchboard: bool
) -> Decision:
    """The fate of a new call, given what runs now.

    ``sessions``/``overflows``: conversations and hand-overs the loop runs; ``sip_calls``: calls pjsua
    holds *besides* the new one (finished calls still being torn down count: their slot is not free);
    ``capacity``: :func:`line_capacity`; ``switchboard``: a switchboard target is configured.
    """
    max_sessions, max_overflow = capacity
    busy = max(sessions + overflows, sip_calls)
    if busy >= SERVICE_SLOTS:
        return Decision("refuse", 503)
    if sessions < max_sessions:
        return Decision("session")
    if overflow_mode == "switchboard" and switchboard and overflows < max_overflow:
        return Decision("overflow")
    if overflow_mode == "reject":
        return Decision("refuse", 486)
    return Decision("refuse", 503)


class SlotCount:
    """The calls pjsua holds right now, as the endpoint thread counts them (readable from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = 0

    def taken(self) -> None:
        """pjsua created a call (``onIncomingCall``)."""
        with self._lock:
            self._held += 1

    def released(self) -> None:
        """A call pjsua held is over (DISCONNECTED, or cleaned up by the watchdog)."""
        with self._lock:
            self._held = max(0, self._held - 1)

    @property
    def held(self) -> int:
        """Calls pjsua holds (being set up, running or being torn down)."""
        with self._lock:
            return self._held

    def has_room(self) -> bool:
        """True when a new INVITE would find a service slot; False: answer it 503 + Retry-After.

        Thread-safe and cheap: meant for a SIP module that sees requests before pjsua (the request
        guard), so that callers get the bot's 503 and never pjsua's raw 486.
        """
        return self.held < SERVICE_SLOTS
