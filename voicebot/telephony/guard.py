"""The SIP guard of the bot: one place that sees every incoming request before pjsua does.

Joins the ctypes module (``pjguard``), the tolerant request reader (``sipmsg``) and the policy
(``guardpolicy``), and logs every refusal at WARNING (method, source, caller masked, reason, status),
at most ``LOG_BURST`` lines per ``LOG_WINDOW_S``; the rest is counted and summed up in one line, so a
flood cannot fill the disk. Runs on the endpoint thread (and, should pjsip ever poll on another
thread, under a lock).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Final

from voicebot.config.settings import SipSettings
from voicebot.privacy import caller_for_log
from voicebot.telephony.guardpolicy import GuardPolicy
from voicebot.telephony.pjdrop import DropResponder
from voicebot.telephony.pjguard import RequestGuard, Verdict
from voicebot.telephony.sipmsg import parse_request
from voicebot.telephony.sipreply import bad_request_reply

_LOGGER: Final = logging.getLogger(__name__)

LOG_WINDOW_S: Final = 10.0
"""Window of the refusal log's limit (seconds)."""
LOG_BURST: Final = 20
"""Refusals logged one by one per window; more are counted."""


def allowed_hosts(sip: SipSettings) -> frozenset[str]:
    """Hosts whose requests may reach pjsua: ``allowed_peers``, and in register mode also the registrar's
    addresses (the proxy that relays the calls)."""
    hosts = set(sip.allowed_peers)
    if sip.mode == "register" and sip.registrar:
        host = registrar_host(sip.registrar)
        try:
            for info in socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM):
                hosts.add(str(info[4][0]))
        except OSError as error:
            _LOGGER.error(
                "cannot resolve the registrar %s (%s): only [sip] allowed_peers %s may send requests",
                host,
                error,
                ", ".join(sorted(hosts)),
            )
    return frozenset(hosts)


def registrar_host(uri: str) -> str:
    """The host of a registrar URI (``sip:user@pbx.example:5060;transport=udp`` -> ``pbx.example``)."""
    rest = uri.split(":", 1)[1] if uri.lower().startswith(("sip:", "sips:")) else uri
    rest = rest.split(";", 1)[0].split("@", 1)[-1]
    if rest.startswith("["):
        return rest[1 : rest.find("]")]
    return rest.split(":", 1)[0]


class SipGuard:
    """Policy + pjsip module + refusal log."""

    def __init__(
        self,
        sip: SipSettings,
        clock: Callable[[], float] = time.monotonic,
        has_room: Callable[[], bool] = lambda: True,
    ) -> None:
        self.policy = GuardPolicy(allowed_hosts(sip), has_room)
        self._sip = sip
        self._clock = clock
        self._lock = threading.Lock()
        self._module = RequestGuard(self._decide)
        self._dropped = DropResponder(self._answer_dropped)
        self._window_start = clock()
        self._logged = 0
        self._suppressed: Counter[str] = Counter()

    def install(self, poll: Callable[[], None]) -> None:
        """Register with pjsip and verify the rx_data layout (TelephonyError when it does not fit)."""
        self._module.install()
        max_len = self._module.self_test(self._sip.bind_host, self._sip.port, poll)
        self.policy.max_packet = max_len
        if self._module.layout is not None:
            self._dropped.install(self._module.layout)
        _LOGGER.info(
            "SIP guard active (pjsip rx_data layout verified, PJSIP_MAX_PKT_LEN %s); allowed peers: %s",
            max_len,
            ", ".join(sorted(self.policy.allowed_hosts)),
        )

    def uninstall(self) -> None:
        self._dropped.uninstall()
        self._module.uninstall()

    def stop_accepting(self) -> None:
        """New INVITEs get 503 from now on."""
        self.policy.accepting = False

    def forget(self, call_id: str) -> None:
        """The call is over: its Call-ID no longer binds a source host."""
        with self._lock:
            self.policy.dialogs.forget(call_id)

    def _decide(self, packet: bytes, host: str, port: int) -> Verdict:
        request = parse_request(packet)
        now = self._clock()
        with self._lock:
            decision = self.policy.decide(request, host, now)
            if decision.why:
                method = request.method[:24] if request is not None else "?"
                caller = caller_for_log(request.from_uri) if request is not None else "?"
                status = decision.verdict.status
                answer = str(status) if status > 0 else "dropped"
                self._log(now, f"refused {method} from {host}:{port} ({caller}): {decision.why} -> {answer}", answer)
        return decision.verdict

    def _answer_dropped(self, packet: bytes, host: str, port: int) -> bytes | None:
        """A request pjsip's parser dropped: 400/505 to its source, within the source's rate (``pjdrop``)."""
        now = self._clock()
        reply = bad_request_reply(packet, host, port)
        with self._lock:
            if reply is None:
                request = parse_request(packet)
                if request is not None:  # a request, but no Via/CSeq to address an answer to
                    line = f"refused {request.method[:24]} from {host}:{port}: unparsable, no Via/CSeq -> dropped"
                    self._log(now, line, "dropped")
                return None
            caller = caller_for_log(reply.from_uri)
            where = f"{reply.method[:24]} from {host}:{port} ({caller})"
            if not self.policy.may_answer_malformed(host, now):
                self._log(now, f"refused {where}: unparsable, over the rate limit (dropped)", "dropped")
                return None
            self._log(
                now,
                f"refused {where}: unparsable by the SIP stack: {reply.reason} -> {reply.status}",
                str(reply.status),
            )
        return reply.data

    def tick(self) -> None:
        """Sum up the refusals not logged once their window is over (called now and then)."""
        now = self._clock()
        with self._lock:
            self._roll(now)

    def _roll(self, now: float) -> None:
        if now - self._window_start < LOG_WINDOW_S:
            return
        if self._suppressed:
            counts = ", ".join(f"{count} x {key}" for key, count in sorted(self._suppressed.items()))
            total = sum(self._suppressed.values())
            _LOGGER.warning(
                "%s more refused requests in %.0f s not logged (%s)", total, now - self._window_start, counts
            )
        self._window_start, self._logged = now, 0
        self._suppressed.clear()

    def _log(self, now: float, line: str, answer: str) -> None:
        self._roll(now)
        if self._logged < LOG_BURST:
            self._logged += 1
            _LOGGER.warning("%s", line)
        else:
            self._suppressed[answer] += 1
