"""What the SIP guard does with each incoming request: pure policy, time passed in, no SIP stack.

Only allowed peers (the PBX, the registrar/proxy) get anything but a refusal. The bot serves calls and
nothing else: no presence (SUBSCRIBE, PUBLISH), no pager (MESSAGE), no registrar (REGISTER) -> 405 with
``Allow``; unknown methods -> 501; REFER -> 403 always (the bot transfers, callers don't). A request
inside a dialog (BYE, INFO, re-INVITE, UPDATE, ACK, CANCEL) is accepted only from the host the dialog's
INVITE came from. OPTIONS from an allowed peer is answered 200 here (Kamailio's dispatcher and the bench
probe the bot with OPTIONS; strangers learn nothing). Each source host has a token bucket for its
requests outside a dialog; over it an allowed peer gets 503 with Retry-After (so a dispatcher tries
another instance at once), a stranger gets silence (answering a flood from a possibly spoofed UDP source
would make the bot a reflector). All tables are bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from voicebot.telephony.admission import RETRY_AFTER_S as BUSY_RETRY_AFTER_S
from voicebot.telephony.pjguard import DROP, PASS, Verdict
from voicebot.telephony.sipmsg import SipRequest

ALLOW: Final = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, NOTIFY"
"""Methods the bot serves (the ``Allow`` header of its 405 and OPTIONS answers)."""
SERVED: Final = frozenset(ALLOW.replace(" ", "").split(","))
NOT_SERVED: Final = frozenset({"REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE"})
"""Known methods the bot does not serve (405); any other unknown method gets 501."""
PEER_RATE: Final = (20.0, 40.0)
"""Token bucket of an allowed peer's requests outside a dialog: (per second, burst)."""
STRANGER_RATE: Final = (2.0, 10.0)
"""Token bucket of a stranger's requests (all of them): (per second, burst); over it: silence."""
MAX_HOSTS: Final = 4096
"""Source hosts whose buckets are kept (least recently seen forgotten first)."""
MAX_DIALOGS: Final = 1024
"""Call-IDs whose source host is kept (oldest forgotten first)."""
RETRY_AFTER_S: Final = 2
"""Retry-After of a 503 for a peer over its rate (seconds: the dispatcher tries another worker at once)."""

ANSWER_OVERHEAD: Final = 1000
"""Bytes a 200 to an INVITE adds to the headers it repeats (status line, To tag, Contact, Allow, Supported,
Content-Type, the SDP with every codec; measured 2026-12-03: ~460 with one codec,
~610 with the bot's own offer to a delayed-offer INVITE)."""
NOT_ALLOWED: Final = "not in [sip] allowed_peers"


@dataclass(frozen=True)
class Decision:
    """The verdict on one request and, for a refusal, why (for the log; empty: nothing to log)."""

    verdict: Verdict
    why: str = ""


class TokenBuckets:
    """One token bucket per key, at most ``capacity`` keys (least recently used dropped)."""

    def __init__(self, rate: float, burst: float, capacity: int = MAX_HOSTS) -> None:
        self.rate, self.burst, self.capacity = rate, burst, capacity
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, now: float) -> bool:
        """Take one token for ``key`` at time ``now`` (seconds); False when the bucket is empty."""
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        return allowed


class Dialogs:
    """Call-ID -> the host its INVITE came from, bounded (oldest forgotten first)."""

    def __init__(self, capacity: int = MAX_DIALOGS) -> None:
        self.capacity = capacity
        self._hosts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._hosts)

    def remember(self, call_id: str, host: str) -> None:
        self._hosts[call_id] = host
        self._hosts.move_to_end(call_id)
        while len(self._hosts) > self.capacity:
            self._hosts.popitem(last=False)

    def host(self, call_id: str) -> str | None:
        return self._hosts.get(call_id)

    def forget(self, call_id: str) -> None:
        self._hosts.pop(call_id, None)


class GuardPolicy:
    """The decisions, with the state they need (dialogs, rate buckets)."""

    def __init__(self, allowed_hosts: frozenset[str], has_room: Callable[[], bool] = lambda: True) -> None:
        self.allowed_hosts = allowed_hosts
        self.has_room = has_room
        """True while a new call finds a free pjsua call slot (``admission.SlotCount.has_room``)."""
        self.dialogs = Dialogs()
        self.accepting = True
        """False once shutting down: new INVITEs get 503."""
        self.max_packet = 4000
        """The SIP stack's largest message (``PJSIP_MAX_PKT_LEN``, set from the guard's self-test; bytes)."""
        self._peers = TokenBuckets(*PEER_RATE)
        self._strangers = TokenBuckets(*STRANGER_RATE)

    def decide(self, request: SipRequest | None, host: str, now: float) -> Decision:
        """What to do with ``request`` from ``host`` at time ``now`` (seconds, monotonic)."""
        allowed = host in self.allowed_hosts
        if request is None:
            return Decision(DROP, "not a readable SIP request (dropped)")
        known = self.dialogs.host(request.call_id)
        if request.method == "ACK":  # never answered; a stray ACK from a peer is absorbed by pjsip
            return Decision(PASS if allowed and known in (None, host) else DROP)
        if not allowed and not self._strangers.take(host, now):
            return Decision(DROP, "over the rate limit (dropped)")
        if allowed and not request.in_dialog and not self._peers.take(host, now):
            busy = Verdict(503, "Service Unavailable - too many requests", (("Retry-After", str(RETRY_AFTER_S)),))
            return Decision(busy, "over the rate limit")
        return self._method_and_peer(request, host, allowed, known)

    def may_answer_malformed(self, host: str, now: float) -> bool:
        """A token for answering a request the SIP stack could not parse (``sipreply``): the same buckets as
        every other request of ``host`` (an allowed peer's and a stranger's); False: stay silent."""
        bucket = self._peers if host in self.allowed_hosts else self._strangers
        return bucket.take(host, now)

    def _method_and_peer(self, request: SipRequest, host: str, allowed: bool, known: str | None) -> Decision:
        method = request.method
        if request.problem:
            verdict = Verdict(request.problem_status, _phrase(request.problem_status, request.problem))
            return Decision(verdict, request.problem)
        if method == "REFER":
            return Decision(Verdict(403, "Forbidden - no transfers by callers"), "REFER is never accepted")
        if method in NOT_SERVED:
            return Decision(Verdict(405, "Method Not Allowed", (("Allow", ALLOW),)), "method not served")
        if method not in SERVED:
            return Decision(Verdict(501, "Not Implemented"), "unknown method")
        if not allowed:
            return Decision(Verdict(403, "Forbidden - not an allowed peer"), NOT_ALLOWED)
        if known is not None and known != host:
            return Decision(Verdict(403, "Forbidden - not the dialog's peer"), f"dialog belongs to {known}")
        if request.in_dialog or method in ("BYE", "CANCEL", "PRACK", "UPDATE", "INFO", "NOTIFY"):
            return Decision(PASS)
        if method == "OPTIONS":
            return Decision(Verdict(200, "OK", (("Allow", ALLOW), ("Accept", "application/sdp"))))
        if not self.accepting:
            return Decision(Verdict(503, "Service Unavailable - shutting down"), "shutting down")
        if known is None and not self.has_room():  # a retransmitted INVITE (known Call-ID) still passes
            busy = Verdict(503, "Service Unavailable - all lines busy", (("Retry-After", str(BUSY_RETRY_AFTER_S)),))
            return Decision(busy, "all lines of this process are taken")
        if request.echo_size + ANSWER_OVERHEAD > self.max_packet:  # pjsip could not send its 200 (EMSGTOOLONG)
            why = f"its answer would exceed the SIP stack's {self.max_packet}-byte message limit"
            return Decision(Verdict(513, "Message Too Large"), why)
        self.dialogs.remember(request.call_id, host)
        return Decision(PASS)


def _phrase(status: int, problem: str) -> str:
    standard = {400: "Bad Request", 416: "Unsupported URI Scheme", 505: "Version Not Supported"}.get(status, "")
    return problem if problem == standard or not standard else f"{standard} - {problem}"
