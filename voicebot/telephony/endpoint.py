"""The pjsua2 endpoint in its one dedicated thread, driven by a command queue.

pjsua2 runs with no worker threads of its own (``threadCnt = 0``, ``mainThreadOnly``): this thread polls
``libHandleEvents`` and, between polls, executes the commands other threads queued (answer, hang up,
transfer, shut down). SIP callbacks therefore arrive on this thread; they only hand values over.
Every pjsua2 object is referenced from Python until its call is over (``LiveCalls``, with the pool of
media bridges), and all references are dropped (plus ``gc.collect()``) before ``libDestroy``, or pjsua2
aborts the process.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import pjsua2 as pj

from voicebot.config.settings import Settings
from voicebot.errors import TelephonyError
from voicebot.privacy import caller_for_log
from voicebot.telephony.admission import RETRY_AFTER_S, SERVICE_SLOTS, SlotCount
from voicebot.telephony.call import BotCall, CallSink
from voicebot.telephony.guard import SipGuard
from voicebot.telephony.guardpolicy import NOT_ALLOWED
from voicebot.telephony.legs import LegWatch, place_leg
from voicebot.telephony.livecalls import WATCHDOG_S, LiveCalls
from voicebot.telephony.pjguard import pjsua_calls
from voicebot.telephony.sipconfig import PJSUA_MAX_CALLS, account_config, ep_config, line_capacity, set_codecs
from voicebot.telephony.siptimers import TRANSACTION_TIMEOUT_MS, shorten_transaction_timeout

_LOGGER: Final = logging.getLogger(__name__)

__all__ = ["PJSUA_MAX_CALLS", "IncomingCall", "SipEndpoint", "line_capacity"]
_T = TypeVar("_T")

POLL_MS: Final = 10
"""Longest wait inside ``libHandleEvents`` before queued commands run (milliseconds)."""


@dataclass(frozen=True)
class IncomingCall:
    """An INVITE that passed the peer check, waiting for the loop to accept or reject it."""

    key: int
    """The endpoint's handle of the call (the pjsua2 object itself stays on the endpoint thread)."""
    call_id: str
    """SIP Call-ID."""
    remote: str
    """Caller's SIP URI as sent (unmasked)."""
    source: str
    """``ip:port`` the INVITE came from."""


class _Account(pj.Account):  # type: ignore[misc]
    def __init__(self, endpoint: SipEndpoint) -> None:
        super().__init__()
        self._endpoint = endpoint

    def onIncomingCall(self, prm: Any) -> None:
        try:
            self._endpoint._incoming(self, prm)
        except Exception:
            _LOGGER.exception("error while handling an incoming INVITE")

    def onRegState(self, prm: Any) -> None:
        code, reason = int(prm.code), str(prm.reason)
        self._endpoint.registered = 200 <= code < 300 and prm.expiration > 0
        if 200 <= code < 300 and prm.expiration > 0:
            _LOGGER.info(
                "registered at %s (%s %s, expires in %s s)", self._endpoint.registrar, code, reason, prm.expiration
            )
        elif 200 <= code < 300:
            _LOGGER.info("unregistered from %s", self._endpoint.registrar)
        else:
            _LOGGER.error(
                "registration at %s FAILED: %s %s - check [sip] registrar, auth_user and password; retrying",
                self._endpoint.registrar,
                code,
                reason,
            )


class SipEndpoint:
    """Owns the pjsua2 library, its transport and the bot's account, all on one thread."""

    def __init__(
        self,
        settings: Settings,
        loop: asyncio.AbstractEventLoop,
        on_incoming: Callable[[IncomingCall], None],
        pj_log_level: int = 1,
    ) -> None:
        self._settings = settings
        self._sip = settings.sip
        self._loop = loop
        self._on_incoming = on_incoming
        self._log_level = pj_log_level
        self._commands: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._guard = SipGuard(self._sip, has_room=self._has_room)
        self._calls = LiveCalls(settings.audio.line_rate, settings.sip.rtp_timeout_seconds, self._guard.forget)
        self._account: _Account | None = None
        self.registered = False
        """True while the registrar holds our registration (register mode)."""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.accepting = True
        """False once shutting down: new INVITEs get 503."""
        self.registrar = self._sip.registrar

    # --- life cycle (any thread) -----------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start the pjsua2 thread and wait until it listens; raises TelephonyError when it cannot."""
        self._thread = threading.Thread(target=self._main, name="pjsua", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TelephonyError(f"the SIP stack did not start within {timeout:.0f} s")
        if self._error is not None:
            raise TelephonyError(f"the SIP stack did not start: {self._error}") from self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up what is left, destroy the library, join the thread (idempotent)."""
        if self._thread is None:
            return
        self._commands.put(None)
        self._thread.join(timeout)
        self._thread = None

    def stop_accepting(self) -> None:
        """Shutting down: new INVITEs get 503, and in register mode the registration is removed at once
        (so the registrar stops routing calls here while running calls finish)."""
        self.accepting = False
        self._guard.stop_accepting()
        if self._sip.mode == "register":
            self.submit(self._unregister_now)

    def _unregister_now(self) -> None:
        account = self._account
        if account is not None and account.getInfo().regIsActive:
            account.setRegistration(False)

    def _has_room(self) -> bool:
        """The guard asks before a new INVITE reaches pjsua: a free call slot, else the guard's 503. pjsua's own
        count decides (a call the bot hung up keeps its slot until its BYE transaction is over)."""
        return self._calls.slots.has_room() and pjsua_calls() < SERVICE_SLOTS

    @property
    def live_calls(self) -> int:
        """Calls the SIP stack holds (accepted, ringing or being torn down): the larger of the bot's count and
        pjsua's (pjsua keeps a hung-up call's slot until its BYE transaction is over)."""
        return max(self._calls.slots.held, pjsua_calls())

    @property
    def slots(self) -> SlotCount:
        """The calls pjsua holds (thread-safe; ``has_room()`` for a check before pjsua sees an INVITE)."""
        return self._calls.slots

    def submit(self, command: Callable[[], None]) -> None:
        """Run ``command`` on the pjsua2 thread (soon; errors are logged)."""
        self._commands.put(command)

    async def execute(self, command: Callable[[], _T]) -> _T:
        """Run ``command`` on the pjsua2 thread and await its result (pj.Error -> TelephonyError)."""
        future: asyncio.Future[_T] = self._loop.create_future()

        def run() -> None:
            try:
                result = command()
            except pj.Error as error:
                failure = TelephonyError(f"{error.title}: {error.reason} (status {error.status})")
                self._loop.call_soon_threadsafe(_settle, future, None, failure)
            except Exception as error:
                self._loop.call_soon_threadsafe(_settle, future, None, error)
            else:
                self._loop.call_soon_threadsafe(_settle, future, result, None)

        self.submit(run)
        return await future

    # --- commands for one call (loop thread; executed on the pjsua2 thread) ----------------------

    def answer(self, key: int, sink: CallSink) -> None:
        """Attach the call's channel and answer 200 OK."""

        def run() -> None:
            call = self._calls.get(key)
            if call is not None:
                call.attach(sink)
                if not call.disconnected:
                    _answer(call, 200)
            else:
                sink.post_disconnected(487, "gone before it was answered")

        self.submit(run)

    def reject(self, key: int, status: int) -> None:
        """Answer with an error status (486, or 503 with Retry-After …)."""

        def run() -> None:
            call = self._calls.get(key)
            if call is not None and not call.disconnected:
                _answer(call, status)

        self.submit(run)

    def hangup(self, key: int) -> None:
        """End the call from the bot's side (nothing happens if it is already over)."""

        def run() -> None:
            call = self._calls.get(key)
            if call is not None and not call.disconnected:
                call.hangup(pj.CallOpParam(True))

        self.submit(run)

    async def transfer(self, key: int, target: str) -> None:
        """Send a REFER to ``target``; raises TelephonyError when it cannot be sent."""

        def run() -> None:
            call = self._calls.get(key)
            if call is None or call.disconnected:
                raise TelephonyError("the call is already over")
            call.xfer(target, pj.CallOpParam(True))

        await self.execute(run)

    async def bridge(self, key: int, target: str, headers: Mapping[str, str], watch: LegWatch) -> None:
        """Call ``target`` as the bridge leg of call ``key`` (``watch`` learns when it is joined or ends);
        raises TelephonyError when the INVITE cannot be sent."""

        def run() -> None:
            call = self._calls.get(key)
            if call is None or call.disconnected or self._account is None:
                raise TelephonyError("the call is already over")
            old = call.partner
            if old is not None and old.joined:
                raise TelephonyError("a bridge is already running")
            if old is not None:  # a leg given up on (no answer in time) whose CANCEL is still under way
                old.partner = call.partner = None
                if not old.disconnected:
                    old.hangup(pj.CallOpParam(True))
            place_leg(self._calls, self._account, call, target, headers, watch)

        await self.execute(run)

    # --- the pjsua2 thread ---------------------------------------------------------------------

    def _main(self) -> None:
        endpoint = pj.Endpoint()
        account: _Account | None = None
        try:
            endpoint.libCreate()
            endpoint.libInit(ep_config(self._settings, self._log_level))
            if shorten_transaction_timeout():
                _LOGGER.info("SIP transaction timeout %d ms (an unACKed 200 OK frees its line)", TRANSACTION_TIMEOUT_MS)
            transport = pj.TransportConfig()
            transport.port = self._sip.port
            transport.boundAddress = self._sip.bind_host
            if self._sip.public_host:
                transport.publicAddress = self._sip.public_host
            endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
            endpoint.libStart()
            self._guard.install(lambda: endpoint.libHandleEvents(POLL_MS))
            endpoint.audDevManager().setNullDev()
            set_codecs(endpoint, self._sip.codecs)
            account = _Account(self)
            account.create(account_config(self._settings))
            self._account = account
        except (pj.Error, TelephonyError) as error:
            reason = error if isinstance(error, TelephonyError) else f"{error.title}: {error.reason}"
            self._error = TelephonyError(f"{reason} (bind {self._sip.bind_host}:{self._sip.port})")
            self._ready.set()
            account = None
            self._guard.uninstall()
            endpoint.libDestroy()
            return
        _LOGGER.info(
            "SIP listening on %s:%s/udp (%s mode, codecs %s, line rate %s Hz)",
            self._sip.bind_host,
            self._sip.port,
            self._sip.mode,
            ",".join(self._sip.codecs),
            self._settings.audio.line_rate,
        )
        self._ready.set()
        try:
            self._poll(endpoint)
        finally:
            self._shutdown(endpoint, account)

    def _poll(self, endpoint: pj.Endpoint) -> None:
        next_check = time.monotonic() + WATCHDOG_S
        while True:
            endpoint.libHandleEvents(POLL_MS)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + WATCHDOG_S
                self._calls.watchdog()
                self._guard.tick()
            while True:
                try:
                    command = self._commands.get_nowait()
                except queue.Empty:
                    break
                if command is None:
                    return
                try:
                    command()
                except pj.Error as error:
                    _LOGGER.warning("SIP command failed: %s: %s", error.title, error.reason)
                except Exception:
                    _LOGGER.exception("SIP command failed")

    def _shutdown(self, endpoint: pj.Endpoint, account: _Account | None) -> None:
        self.accepting = False
        try:
            endpoint.hangupAllCalls()
            for _ in range(50):  # let the BYEs go out and the calls end (bounded: 50 x 10 ms)
                endpoint.libHandleEvents(POLL_MS)
                if self._calls.all_disconnected():
                    break
            if account is not None and self._sip.mode == "register":
                self._unregister(endpoint, account)
            # stop pjmedia's clock before any bridge is destroyed (it calls every port on every tick)
            endpoint.audDevManager().setNoDev()
            self._calls.drop_all()
            self._account = None
            if account is not None:
                account.shutdown()
            account = None
            gc.collect()
            self._guard.uninstall()
            endpoint.libDestroy()
        except pj.Error as error:
            _LOGGER.warning("SIP shutdown: %s: %s", error.title, error.reason)
        _LOGGER.info("SIP stack stopped")

    def _incoming(self, account: _Account, prm: Any) -> None:
        """pjsua2's onIncomingCall. Never answers a final status from inside the callback: for an INVITE
        without SDP pjsua2 frees its clone of the request right after this returns, and a final answer
        here ends the call first (which frees the clone already): ``pjsip_rx_data_free_cloned: Assertion
        'rdata' failed``. Refusals are queued and sent once the callback has returned; the guard refuses
        strangers before pjsua ever sees them, so these refusals are a second line only."""
        others = self._calls.slots.held
        call = self._calls.add(account, prm.callId)
        source = str(prm.rdata.srcAddress)
        host = source.rsplit(":", 1)[0].strip("[]")
        info = call.getInfo()
        call.sip_call_id = str(info.callIdString)
        call.signalling_host = host
        if host not in self._guard.policy.allowed_hosts:
            caller = caller_for_log(str(info.remoteUri), self._settings.log.full_numbers, _LOGGER)
            _LOGGER.warning("rejected INVITE from %s (%s) past the guard: %s -> 403", source, caller, NOT_ALLOWED)
            self.reject(call.key, 403)
            return
        if not self.accepting:
            _LOGGER.info("rejected INVITE from %s: shutting down -> 503", source)
            self.reject(call.key, 503)
            return
        if others >= SERVICE_SLOTS:
            _LOGGER.warning(
                "rejected INVITE from %s: all %d SIP lines of this process are taken (%d calls held) -> 503",
                source,
                SERVICE_SLOTS,
                others,
            )
            self.reject(call.key, 503)
            return
        _answer(call, 180)
        incoming = IncomingCall(call.key, str(info.callIdString), str(info.remoteUri), source)
        self._loop.call_soon_threadsafe(self._on_incoming, incoming)

    def _unregister(self, endpoint: pj.Endpoint, account: _Account) -> None:
        """Remove the registration at the registrar (bounded wait: 1 s) so no calls are routed here."""
        try:
            if account.getInfo().regIsActive:
                account.setRegistration(False)
            for _ in range(100):
                if not self.registered:
                    break
                endpoint.libHandleEvents(POLL_MS)
        except pj.Error as error:
            _LOGGER.warning("unregistering failed: %s", error.reason)


def _answer(call: BotCall, status: int) -> None:
    """Answer the INVITE; a 503 says when to try again (Retry-After)."""
    prm = pj.CallOpParam()
    prm.statusCode = status
    if status == 503:
        header = pj.SipHeader()
        header.hName = "Retry-After"
        header.hValue = str(RETRY_AFTER_S)
        prm.txOption.headers.append(header)
    call.answer(prm)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
