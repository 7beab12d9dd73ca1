"""pjsua2 subclasses for one call: the ``Call`` and the ``AudioMediaPort`` that bridges its audio.

Everything here runs on pjsua2's threads (the endpoint thread for SIP callbacks, pjmedia's clock thread
for the port). The callbacks only copy values and hand them to a ``CallSink`` (the channel), which posts
them to the asyncio loop; they never block and never raise into pjsua2 (an exception escaping a SWIG
director callback is logged here instead).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

import pjsua2 as pj

from voicebot.telephony.framebuf import vector_bytes
from voicebot.telephony.rtpguard import RtpActivity, restrict_to_peer

_LOGGER: Final = logging.getLogger(__name__)


class AudioSink(Protocol):
    """Where a media bridge hands the caller's audio and takes the bot's (pjmedia's clock thread; thread-safe)."""

    def post_audio(self, pcm: bytes) -> None:
        """20 ms of the caller's PCM at the line rate."""
        ...

    def take_audio(self, size: int) -> bytes:
        """Exactly ``size`` bytes of bot PCM for the next frame (silence when nothing is queued)."""
        ...


class CallEvents(Protocol):
    """Where a SIP dialog reports what happened to it (the endpoint thread; thread-safe)."""

    def post_dtmf(self, digit: str) -> None:
        """A keypad digit arrived (RFC 4733 or SIP INFO)."""
        ...

    def post_transfer(self, status: int, reason: str, final: bool) -> None:
        """A NOTIFY about the REFER (or the REFER's own answer)."""
        ...

    def post_disconnected(self, status: int, reason: str) -> None:
        """The call is over (any side)."""
        ...


class CallSink(AudioSink, CallEvents, Protocol):
    """The loop side of one call (``PjsuaChannel``): its audio and its events."""


def _guarded(name: str, function: Callable[[], None]) -> None:
    try:
        function()
    except Exception:  # a Python exception must never unwind into pjsua2
        _LOGGER.exception("error in pjsua2 callback %s", name)


class MediaBridge(pj.AudioMediaPort):  # type: ignore[misc]
    """Conference-bridge port: caller audio into the sink, bot audio out of it, 20 ms per tick.

    pjmedia's conference clock calls every registered port on every tick, connected or not, so a
    bridge must never be destroyed while that clock runs (Python would tear down a port pjmedia is
    still calling: AttributeError first, then a crash). Bridges are therefore pooled by the endpoint
    and reused call after call; ``sink`` is None while a bridge waits in the pool (silence, nothing
    kept). They are destroyed only at shutdown, after the clock has been stopped.
    """

    def __init__(self, rate: int) -> None:
        super().__init__()
        self.sink: AudioSink | None = None
        self.pulled_at = time.monotonic()
        """When pjmedia last asked for a frame (the watchdog reconnects a bridge that stopped being asked)."""
        fmt = pj.MediaFormatAudio()
        fmt.type = pj.PJMEDIA_TYPE_AUDIO
        fmt.init(pj.PJMEDIA_FORMAT_PCM, rate, 1, 20000, 16)
        self.createPort("voicebot", fmt)

    def onFrameReceived(self, frame: Any) -> None:
        sink = getattr(self, "sink", None)
        if sink is not None and frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
            _guarded("onFrameReceived", lambda: sink.post_audio(vector_bytes(frame.buf)))

    def onFrameRequested(self, frame: Any) -> None:
        sink = getattr(self, "sink", None)
        self.pulled_at = time.monotonic()

        def fill() -> None:
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            pcm = sink.take_audio(frame.size) if sink is not None else b"\x00" * frame.size
            frame.buf = pj.ByteVector(pcm)

        _guarded("onFrameRequested", fill)


class BotCall(pj.Call):  # type: ignore[misc]
    """One SIP dialog of the bot; forwards its events to the attached sink."""

    def __init__(
        self,
        account: Any,
        call_id: int,
        key: int,
        lease_bridge: Callable[[], MediaBridge],
        on_gone: Callable[[BotCall], None],
    ) -> None:
        super().__init__(account, call_id)
        self.key = key
        """The endpoint's handle for this call (never reused)."""
        self.sip_call_id = ""
        """The SIP Call-ID (set by the endpoint when the INVITE arrives)."""
        self.signalling_host = ""
        """The host the INVITE came from (set by the endpoint); its RTP is accepted besides the SDP's address."""
        self._lease_bridge = lease_bridge
        self.sink: CallSink | None = None
        self.bridge: MediaBridge | None = None
        self.disconnected = False
        self._on_gone = on_gone
        self._early_events: list[Callable[[CallSink], None]] = []
        self.audio_index = -1
        """The SDP m-line of the connected audio stream (-1 before media is active)."""
        self.peer_sends = False
        """The negotiated direction has the caller sending audio (not on hold / sendonly from us)."""
        self.rtp = RtpActivity()
        """The caller's RTP packet count and when it last grew (the RTP timeout)."""
        self.partner: BotCall | None = None
        """The other call of a bridge: the department's leg of a caller's call, or the caller's call of a leg."""
        self.is_leg = False
        """The bot placed this call itself (a bridge to a department): its audio goes to the partner, not the bot."""
        self.joined = False
        """Both calls of a bridge are answered and their audio joined: either one ending ends the other."""
        self.on_joined: Callable[[], None] | None = None
        """Told once when this leg's audio has been joined to its partner (the endpoint thread)."""

    def attach(self, sink: CallSink) -> None:
        """Start forwarding events to ``sink`` (events from before are replayed)."""
        self.sink = sink
        for replay in self._early_events:
            replay(sink)
        self._early_events.clear()

    def _emit(self, event: Callable[[CallSink], None]) -> None:
        if self.sink is None:
            self._early_events.append(event)
        else:
            event(self.sink)

    def onCallState(self, prm: Any) -> None:
        def handle() -> None:
            info = self.getInfo()
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED and self.is_leg:
                join_partner(self)
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.disconnected:
                self.disconnected = True
                status, reason = int(info.lastStatusCode), str(info.lastReason)
                self._emit(lambda sink: sink.post_disconnected(status, reason))
                end_partner(self)
                self._on_gone(self)

        _guarded("onCallState", handle)

    def onCallMediaState(self, prm: Any) -> None:
        def handle() -> None:
            self.connect_media(first=True)

        _guarded("onCallMediaState", handle)

    def connect_media(self, first: bool = False) -> bool:
        """Connect the active audio stream and the bridge both ways (again); False when there is none.

        The audio stream may be any of the offer's m= lines (video or an unknown type first, a disabled
        m=audio before the used one). ``CallMediaInfo.index`` is its position among the SDP's m= lines
        (what ``getStreamInfo`` wants), while ``getAudioMedia`` wants its position in ``CallInfo.media``,
        which leaves out media pjsua does not know: the two differ when an unknown type comes first.
        """
        if self.disconnected:
            return False
        info = self.getInfo()
        for position, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self.getAudioMedia(position)
            if self.is_leg:  # a department's leg: its audio goes to the caller, once answered
                if first:
                    self._media_changed(int(media.index), int(media.dir), str(info.callIdString))
                    if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
                        join_partner(self)
                return True
            if self.bridge is None:
                self.bridge = self._lease_bridge()
                self.bridge.sink = _LateSink(self)
            if not first:  # the watchdog: connect afresh
                audio.stopTransmit(self.bridge)
                self.bridge.stopTransmit(audio)
            audio.startTransmit(self.bridge)
            self.bridge.startTransmit(audio)
            self.bridge.pulled_at = time.monotonic()
            if first:
                self._media_changed(int(media.index), int(media.dir), str(info.callIdString))
            return True
        return False

    def _media_changed(self, index: int, direction: int, call_id: str) -> None:
        """New SDP negotiated: filter the RTP sockets to the peer's address, restart the RTP timeout."""
        stream = self.getStreamInfo(index)
        transport = self.getMedTransportInfo(index)
        remote = str(stream.remoteRtpAddress)
        self.audio_index = index
        self.peer_sends = bool(direction & pj.PJMEDIA_DIR_DECODING)
        self.rtp = RtpActivity(self.rtp.packets, time.monotonic())
        filtered = restrict_to_peer(str(transport.localRtpName), remote, self.signalling_host)
        _LOGGER.info(
            "call %s: media active (%s, #%s, m-line %d, RTP %s, accepted only from %s)",
            call_id,
            stream.codecName,
            self.key,
            index,
            transport.localRtpName,
            " or ".join(dict.fromkeys(h for h in (remote.rpartition(":")[0], self.signalling_host) if h))
            if filtered
            else "anyone (filter failed)",
        )

    def onStreamDestroyed(self, prm: Any) -> None:
        index = int(prm.streamIdx)
        _guarded("onStreamDestroyed", lambda: _log_stream_quality(self, index))

    def onDtmfDigit(self, prm: Any) -> None:
        digit = str(prm.digit)
        _guarded("onDtmfDigit", lambda: self._emit(lambda sink: sink.post_dtmf(digit)))

    def onCallTransferStatus(self, prm: Any) -> None:
        status, reason, final = int(prm.statusCode), str(prm.reason), bool(prm.finalNotify)
        prm.cont = not final
        _guarded("onCallTransferStatus", lambda: self._emit(lambda sink: sink.post_transfer(status, reason, final)))


def active_audio(call: BotCall) -> Any:
    """The call's active audio media (None when there is none yet)."""
    info = call.getInfo()  # kept: its media vector dies with it
    for position, media in enumerate(info.media):
        if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
            return call.getAudioMedia(position)
    return None


def join_partner(leg: BotCall) -> None:
    """A bridge leg was answered: connect its audio and its partner's (the caller's) both ways and take the
    bot's own port off the caller's call (the bot stops hearing and speaking there). Once, when both have media."""
    caller = leg.partner
    if leg.joined or caller is None or caller.disconnected or leg.disconnected:
        return
    leg_audio, caller_audio = active_audio(leg), active_audio(caller)
    if leg_audio is None or caller_audio is None:
        return
    if caller.bridge is not None:
        caller_audio.stopTransmit(caller.bridge)
        caller.bridge.stopTransmit(caller_audio)
    leg_audio.startTransmit(caller_audio)
    caller_audio.startTransmit(leg_audio)
    leg.joined = caller.joined = True
    _LOGGER.info("call #%s: joined to the bridged call #%s", caller.key, leg.key)
    if leg.on_joined is not None:
        leg.on_joined()


def end_partner(call: BotCall) -> None:
    """A call of a bridge ended: hang up the other (a joined bridge, or a leg still ringing for a caller who
    left); a leg that failed before it was joined only unlinks itself (the caller's call goes on with the bot)."""
    partner, call.partner = call.partner, None
    if partner is None:
        return
    if call.joined or not call.is_leg:
        partner.partner = None
        if not partner.disconnected:
            _LOGGER.info("call #%s ended: hanging up its bridged call #%s", call.key, partner.key)
            partner.hangup(pj.CallOpParam(True))
    elif partner.partner is call:
        partner.partner = None


def _log_stream_quality(call: BotCall, index: int) -> None:
    """One line per call about the line's health (loss, jitter, the jitter buffer's delay): what staff need
    when callers report "the bot did not hear me" on a bad line."""
    stat = call.getStreamStat(index)
    rx, jb = stat.rtcp.rxStat, stat.jbuf
    _LOGGER.info(
        "call #%s line: %d packets received, %d lost, %d discarded, jitter mean %.0f ms; jitter buffer delay "
        "mean %d ms (min %d, max %d), prefetch %d frames, %d empty ticks",
        call.key,
        int(rx.pkt),
        int(rx.loss),
        int(rx.discard),
        float(rx.jitterUsec.mean) / 1000.0,
        int(jb.avgDelayMsec),
        int(jb.minDelayMsec),
        int(jb.maxDelayMsec),
        int(jb.prefetch),
        int(jb.empty),
    )


class _LateSink:
    """An ``AudioSink`` for a bridge connected before the call's sink is attached (silence, nothing kept)."""

    def __init__(self, call: BotCall) -> None:
        self._call = call

    def post_audio(self, pcm: bytes) -> None:
        if self._call.sink is not None:
            self._call.sink.post_audio(pcm)

    def take_audio(self, size: int) -> bytes:
        sink = self._call.sink
        return sink.take_audio(size) if sink is not None else b"\x00" * size
