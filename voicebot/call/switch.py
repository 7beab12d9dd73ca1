"""``serve``: answer SIP calls with one supervised call session each, until asked to stop.

Wiring: the pjsua2 endpoint (its own thread) reports accepted INVITEs to this asyncio loop, which owns
all call state: how many calls run, which get the overflow treatment (switchboard or 486), the
maximum call duration, and the graceful stop (no new calls; running ones finish or are handed to the
switchboard after a grace period; then the SIP stack is shut down).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Final, Protocol
from zoneinfo import ZoneInfo

from voicebot.config.settings import Settings
from voicebot.content.model import SWITCHBOARD
from voicebot.ports import CallChannel
from voicebot.privacy import caller_for_log
from voicebot.records.calls import CallbackRequest, CallOutcome, CallRecorder, TurnRecord
from voicebot.speak.stream import PLAYBACK_WAIT_S
from voicebot.telephony.admission import decide
from voicebot.telephony.call import CallSink
from voicebot.telephony.channel import PjsuaChannel
from voicebot.telephony.endpoint import PJSUA_MAX_CALLS, IncomingCall, SipEndpoint, line_capacity
from voicebot.telephony.legs import LegWatch
from voicebot.telephony.sipcontext import TransferContext, context_headers, refer_target

if TYPE_CHECKING:
    from voicebot.call.bot import Bot

_LOGGER: Final = logging.getLogger(__name__)

MAX_DURATION_SLACK_S: Final = 20.0
"""The session ends a call itself at ``max_call_seconds``; the app steps in a tenth of that later, at most
this much (seconds)."""

HANDOVER_WAIT_S: Final = 20.0
"""Longest wait at shutdown for the hand-overs to the switchboard (seconds)."""

SessionRunner = Callable[[CallChannel], Awaitable[object]]
"""Runs one answered call to its end (``CallSession(...).run`` in production)."""
PromptAudio = Callable[[str], bytes]
"""Prompt id (``overflow``, ``apology``, ``transfer_switchboard``) -> line-rate PCM (empty if none)."""


class LineEndpoint(Protocol):
    """The SIP side as the switch uses it: ``SipEndpoint`` (pjsua2 in its thread) in production."""

    def start(self) -> None:
        """Listen (blocking until the stack runs; raises TelephonyError when it cannot)."""
        ...

    def stop(self) -> None:
        """Hang up what is left and shut the stack down."""
        ...

    def stop_accepting(self) -> None:
        """New INVITEs get 503 from now on (and a registration is removed)."""
        ...

    @property
    def live_calls(self) -> int:
        """Calls the SIP stack holds (ringing, answered, or still being torn down)."""
        ...

    def answer(self, key: int, sink: CallSink) -> None:
        """Attach the call's channel and answer 200 OK."""
        ...

    def reject(self, key: int, status: int) -> None:
        """Answer an incoming call with an error status."""
        ...

    def hangup(self, key: int) -> None:
        """End the call from the bot's side."""
        ...

    async def transfer(self, key: int, target: str) -> None:
        """Send a REFER (raises TelephonyError when it cannot be sent)."""
        ...

    async def bridge(self, key: int, target: str, headers: Mapping[str, str], watch: LegWatch) -> None:
        """Call ``target`` as the bridge leg of call ``key`` (raises TelephonyError when it cannot be sent)."""
        ...


EndpointFactory = Callable[[Settings, asyncio.AbstractEventLoop, Callable[[IncomingCall], None], int], LineEndpoint]
"""(settings, loop, on_incoming, pjsip log level) -> the line; ``SipEndpoint`` unless a test passes its own."""


class Switch:
    """The loop side of the telephone line: admits calls, runs sessions, shuts down gracefully."""

    def __init__(
        self,
        settings: Settings,
        recorder: CallRecorder,
        run_session: SessionRunner,
        prompt_audio: PromptAudio,
        endpoint_factory: EndpointFactory = SipEndpoint,
    ) -> None:
        self._settings = settings
        self._recorder = recorder
        self._run_session = run_session
        self._prompt_audio = prompt_audio
        self._endpoint_factory = endpoint_factory
        self._endpoint: LineEndpoint | None = None
        self._sessions: dict[asyncio.Task[None], PjsuaChannel] = {}
        self._overflow: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._listening = False
        switchboard = settings.departments.get(SWITCHBOARD)
        self.switchboard_target = switchboard.target if switchboard is not None else ""
        self.max_sessions, self.max_overflow = line_capacity(settings.sip.max_calls, settings.sip.overflow)
        if self.max_sessions < settings.sip.max_calls:
            _LOGGER.warning(
                "[sip] max_calls = %d, but the SIP stack (pjsua2 wheel) carries only %d calls per process, one kept "
                "to refuse with 503: %d call(s) at once here%s; run several instances behind Kamailio for more "
                "(sip/kamailio/README.md)",
                settings.sip.max_calls,
                PJSUA_MAX_CALLS,
                self.max_sessions,
                ", one line kept for overflow to the switchboard" if self.max_overflow else "",
            )

    @property
    def live_calls(self) -> int:
        """Calls in progress (sessions plus overflow hand-overs)."""
        return len(self._sessions) + len(self._overflow)

    def line_state(self) -> tuple[bool, bool | None]:
        """(listening: the SIP endpoint runs and takes calls, registered: None in direct mode) for health checks."""
        endpoint = self._endpoint
        listening = endpoint is not None and self._listening and not self._stopping
        if self._settings.sip.mode != "register":
            return listening, None
        return listening, bool(getattr(endpoint, "registered", False)) and listening

    async def serve(
        self, stop: asyncio.Event, grace_seconds: float, pj_log_level: int = 1, listening: asyncio.Event | None = None
    ) -> None:
        """Run until ``stop`` is set, then stop gracefully; ``listening`` is set once SIP listens."""
        loop = asyncio.get_running_loop()
        endpoint = self._endpoint_factory(self._settings, loop, self._incoming, pj_log_level)
        self._endpoint = endpoint
        await asyncio.to_thread(endpoint.start)
        self._listening = True
        sip = self._settings.sip
        host = sip.public_host or sip.bind_host
        where = f"registered as {sip.user} at {sip.registrar}" if sip.mode == "register" else "direct mode"
        _LOGGER.info("listening on sip:%s@%s:%s (%s)", sip.user, host, sip.port, where)
        if listening is not None:
            listening.set()
        try:
            await stop.wait()
            await self._drain(grace_seconds)
        finally:
            self._listening = False
            await asyncio.to_thread(endpoint.stop)
            self._endpoint = None

    async def _drain(self, grace_seconds: float) -> None:
        self._stopping = True
        assert self._endpoint is not None
        self._endpoint.stop_accepting()
        _LOGGER.info(
            "stopping: no new calls (%s); calls in progress get %.0f s to finish", self._counts(), grace_seconds
        )
        tasks = set(self._sessions) | self._overflow
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        left = [task for task in self._sessions if not task.done()]
        if left:
            _LOGGER.info("stopping: handing %d call(s) to the switchboard", len(left))
        for task in left:
            task.cancel()  # the session task announces and transfers the call itself (see _session)
        rest = set(self._sessions) | self._overflow
        if rest:
            await asyncio.wait(rest, timeout=HANDOVER_WAIT_S)
        _LOGGER.info("stopped taking calls")

    # --- admission --------------------------------------------------------------------------------

    def _incoming(self, incoming: IncomingCall) -> None:
        endpoint = self._endpoint
        if endpoint is None:
            return
        if self._stopping:
            endpoint.reject(incoming.key, 503)
            return
        rate = self._settings.audio.line_rate
        loop = asyncio.get_running_loop()
        channel = PjsuaChannel(endpoint, incoming.key, incoming.call_id, incoming.remote, rate, loop)
        caller = caller_for_log(incoming.remote, self._settings.log.full_numbers, _LOGGER)
        capacity = (self.max_sessions, self.max_overflow)
        held = endpoint.live_calls - 1  # the SIP stack's calls besides this one (ended ones still tearing down count)
        decision = decide(
            len(self._sessions),
            len(self._overflow),
            held,
            capacity,
            self._settings.sip.overflow,
            bool(self.switchboard_target),
        )
        if decision.action == "session":
            task = loop.create_task(self._session(channel), name=f"call {incoming.call_id}")
            self._sessions[task] = channel
            task.add_done_callback(self._finished)
            _LOGGER.info("call %s from %s accepted (%s)", incoming.call_id, caller, self._counts())
            return
        if decision.action == "overflow":
            _LOGGER.warning(
                "all %d lines busy: call %s from %s goes to the switchboard",
                self.max_sessions,
                incoming.call_id,
                caller,
            )
            task = loop.create_task(self._overflow_call(channel), name=f"overflow {incoming.call_id}")
            self._overflow.add(task)
            task.add_done_callback(self._finished)
            return
        _LOGGER.warning(
            "no line free: call %s from %s rejected with %d (%s)",
            incoming.call_id,
            caller,
            decision.status,
            self._counts(),
        )
        endpoint.reject(incoming.key, decision.status)

    def _counts(self) -> str:
        """``N live`` (sessions + hand-overs) and the calls the SIP stack holds, for the log."""
        sip = self._endpoint.live_calls if self._endpoint is not None else 0
        return f"{self.live_calls} live, {sip} SIP"

    def _finished(self, task: asyncio.Task[None]) -> None:
        channel = self._sessions.pop(task, None)
        self._overflow.discard(task)
        if channel is not None:  # a listener behind the line shows here (the benchmark reads it)
            _LOGGER.info("call %s: caller audio backlog at most %d frames", channel.call_id, channel.max_backlog)
        _LOGGER.info("%s ended (%s)", task.get_name(), self._counts())

    # --- one call ---------------------------------------------------------------------------------

    async def _session(self, channel: PjsuaChannel) -> None:
        channel.answer()
        seconds = self._settings.sip.max_call_seconds
        limit = seconds + min(MAX_DURATION_SLACK_S, max(1.0, seconds / 10))
        try:
            await asyncio.wait_for(self._run_session(channel), limit)
        except TimeoutError:
            _LOGGER.warning("call %s: longer than %d s, handing it to the switchboard", channel.call_id, limit)
            await self._hand_over(channel, "max_duration")
        except asyncio.CancelledError:
            if self._stopping:
                await self._hand_over(channel, "shutdown")
            raise
        except Exception:
            _LOGGER.exception("call %s: the session failed; apologising and hanging up", channel.call_id)
            await self._say(channel, "apology")
        finally:
            await channel.hangup()

    async def _overflow_call(self, channel: PjsuaChannel) -> None:
        now = self._now()
        self._recorder.call_started(channel.call_id, channel.remote, now)
        reason = f"alle {self.max_sessions} Leitungen belegt"
        try:
            channel.answer()
            await self._say(channel, "overflow")
            target = self._refer_to(TransferContext(reason=reason))
            result = await channel.transfer(target) if not channel.ended else None
            if result is not None and not result.ok:
                reason += f"; Weiterleitung gescheitert ({result.status} {result.reason})"
        finally:
            await channel.hangup()
            self._recorder.call_ended(channel.call_id, CallOutcome("overflow", SWITCHBOARD, None, reason, self._now()))

    async def _hand_over(self, channel: PjsuaChannel, prompt: str) -> None:
        """Announce and transfer a running call to the switchboard (used at shutdown and max duration)."""
        if channel.ended or not self.switchboard_target:
            await channel.hangup()
            return
        channel.stop_playback()
        await self._say(channel, "transfer_switchboard" if prompt == "shutdown" else prompt)
        if not channel.ended:
            why = "Dienst wird beendet" if prompt == "shutdown" else "Hoechstdauer des Gespraechs erreicht"
            context = TransferContext(reason=f"Uebergabe an die Zentrale: {why}")
            await channel.transfer(self._refer_to(context))
        await channel.hangup()

    def _refer_to(self, context: TransferContext) -> str:
        """The switchboard as a REFER target, with the context headers unless ``[sip] refer_headers`` is off."""
        headers = context_headers(context) if self._settings.sip.refer_headers else {}
        return refer_target(self.switchboard_target, headers)

    async def _say(self, channel: PjsuaChannel, prompt_id: str) -> None:
        """Play a fixed prompt and wait (bounded) until it has gone out."""
        try:
            pcm = self._prompt_audio(prompt_id)
        except Exception:
            _LOGGER.exception("prompt %s could not be rendered", prompt_id)
            pcm = b""
        if not pcm or channel.ended:
            return
        channel.play(pcm)
        for _ in range(int(PLAYBACK_WAIT_S * 20)):
            if channel.ended or channel.playback_pending_ms() <= 0:
                break
            await asyncio.sleep(0.05)

    def _now(self) -> dt.datetime:
        return dt.datetime.now(ZoneInfo(self._settings.timezone))


async def serve(
    settings: Settings,
    bot: Bot | None,
    recorder: CallRecorder,
    stop: asyncio.Event,
    *,
    run_session: SessionRunner | None = None,
    prompt_audio: PromptAudio | None = None,
    grace_seconds: float = 30.0,
    pj_log_level: int = 1,
    instance: str = "",
    endpoint_factory: EndpointFactory = SipEndpoint,
    on_switch: Callable[[Switch], None] | None = None,
    listening: asyncio.Event | None = None,
) -> None:
    """Answer calls until ``stop`` is set (``listening`` is set once SIP listens); each call runs ``CallSession(bot, channel, recorder, clock)``.

    ``run_session`` and ``prompt_audio`` replace the bot's session and prompts (tests drive the line
    with a scripted session this way); ``grace_seconds`` is how long running calls may continue after
    ``stop`` before they are handed to the switchboard; ``instance`` names this bot instance in the
    call records (several instances behind a dispatcher share one database); ``on_switch`` is handed the
    line before it starts (the health report reads its state).
    """
    if instance:
        recorder = InstanceRecorder(recorder, instance)
    zone = ZoneInfo(settings.timezone)
    if run_session is None:
        from voicebot.call.session import CallSession

        if bot is None:
            raise ValueError("serve: a bot is needed unless run_session and prompt_audio are given")
        the_bot = bot

        def clock() -> dt.datetime:
            return dt.datetime.now(zone)

        async def session_of_bot(channel: CallChannel) -> object:
            return await CallSession(the_bot, channel, recorder, clock).run()

        run_session = session_of_bot
    if prompt_audio is None:
        if bot is None:
            raise ValueError("serve: a bot is needed unless run_session and prompt_audio are given")
        prompt_audio = bot_prompts(bot)
    switch = Switch(settings, recorder, run_session, prompt_audio, endpoint_factory)
    if on_switch is not None:
        on_switch(switch)
    await switch.serve(stop, grace_seconds, pj_log_level, listening)


class InstanceRecorder:
    """A CallRecorder that stamps every started call with this instance's name."""

    def __init__(self, inner: CallRecorder, instance: str) -> None:
        self._inner = inner
        self.instance = instance

    def call_started(self, call_id: str, caller: str, at: dt.datetime, instance: str = "") -> None:
        self._inner.call_started(call_id, caller, at, instance or self.instance)

    def turn(self, call_id: str, turn: TurnRecord) -> None:
        self._inner.turn(call_id, turn)

    def callback(self, request: CallbackRequest) -> None:
        self._inner.callback(request)

    def call_ended(self, call_id: str, outcome: CallOutcome) -> None:
        self._inner.call_ended(call_id, outcome)


def bot_prompts(bot: Bot) -> PromptAudio:
    """Fixed prompts rendered through the bot's speech cache (empty audio when it cannot)."""

    def render(prompt_id: str) -> bytes:
        from voicebot.content.model import render_text

        content = bot.content
        template = content.prompts.get(prompt_id, "")
        if not template:
            return b""
        text = render_text(template, content.facts)
        return bytes(bot.speech.render(text))

    return render
