"""pjsua2 configuration of the bot's endpoint and account, built from ``[sip]`` and ``[audio]``.

Pure construction of pjsua2 config objects (no library state): the endpoint thread passes them to
``libInit`` and ``Account.create``. (The per-process call capacity is in ``admission``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pjsua2 as pj

from voicebot.config.settings import Settings
from voicebot.errors import TelephonyError
from voicebot.telephony.admission import PJSUA_MAX_CALLS, line_capacity

__all__ = ["PJSUA_MAX_CALLS", "account_config", "ep_config", "line_capacity", "read_password", "set_codecs"]

CODEC_IDS: Final = {"PCMA": "PCMA/8000/1", "PCMU": "PCMU/8000/1", "G722": "G722/16000/1"}
"""Configured codec name -> pjmedia codec id."""
JITTER_BUFFER_MAX_MS: Final = 200
"""Most caller audio pjmedia's jitter buffer holds per call (milliseconds; pjmedia's default 500). The bot
listens, it does not play the caller's audio to anyone: every buffered frame is turn gap, a lost one costs
the recogniser 20 ms. pjmedia sizes its adaptive target by the burst of packets that arrived between two
ticks, up to 4/5 of this maximum, and shrinks back only slowly; with 500 ms one stall of the clock thread
left calls listening ~0.4 s behind for seconds (bench: "jitter buffer delay mean" up to the maximum). 200 ms
still covers the jitter of a LAN or a PBX trunk many times over."""
JITTER_BUFFER_PREFETCH_MS: Final = 0
"""Audio gathered before the first frame is handed on, and again after the buffer ran dry (milliseconds):
none, the listener wants every frame as soon as it is there (pjmedia's default for streams, made explicit)."""


def ep_config(settings: Settings, log_level: int) -> pj.EpConfig:
    """Endpoint: no worker threads (one polling thread), null sound device clock at the line rate, 20 ms; a
    jitter buffer for a listener (:data:`JITTER_BUFFER_MAX_MS`)."""
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.uaConfig.maxCalls = PJSUA_MAX_CALLS
    config.uaConfig.userAgent = "voicebot"
    config.logConfig.level = log_level
    config.logConfig.consoleLevel = log_level
    rate = settings.audio.line_rate
    config.medConfig.clockRate = rate
    config.medConfig.sndClockRate = rate
    config.medConfig.audioFramePtime = 20
    config.medConfig.ptime = 20
    config.medConfig.noVad = True
    config.medConfig.ecTailLen = 0
    config.medConfig.threadCnt = 1
    config.medConfig.jbInit = JITTER_BUFFER_PREFETCH_MS
    config.medConfig.jbMinPre = JITTER_BUFFER_PREFETCH_MS
    config.medConfig.jbMax = JITTER_BUFFER_MAX_MS
    config.medConfig.jbMaxPre = JITTER_BUFFER_MAX_MS * 4 // 5
    return config


def set_codecs(endpoint: pj.Endpoint, codecs: Sequence[str]) -> None:
    """Enable exactly the configured codecs, in their order of preference (others priority 0 = off)."""
    wanted = {CODEC_IDS[name]: 250 - index for index, name in enumerate(codecs)}
    for codec in endpoint.codecEnum2():
        codec_id = str(codec.codecId)
        endpoint.codecSetPriority(codec_id, wanted.get(codec_id, 0))


def account_config(settings: Settings) -> pj.AccountConfig:
    """The bot's account: direct (``sip:user@host:port``) or registered at ``[sip] registrar`` with digest auth."""
    sip = settings.sip
    host = sip.public_host or sip.bind_host
    config = pj.AccountConfig()
    media = config.mediaConfig.transportConfig
    media.port = sip.rtp_port
    media.portRange = 2 * PJSUA_MAX_CALLS + 8  # RTP + RTCP per call, plus slack for ports in TIME_WAIT
    media.boundAddress = sip.bind_host
    if sip.public_host:
        media.publicAddress = sip.public_host
    if sip.mode == "register":
        registrar_host = sip.registrar.split(":", 1)[1] if ":" in sip.registrar else sip.registrar
        config.idUri = f"sip:{sip.user}@{registrar_host.split(';')[0]}"
        config.regConfig.registrarUri = sip.registrar
        config.regConfig.timeoutSec = sip.register_seconds
        config.regConfig.retryIntervalSec = 30
        config.sipConfig.authCreds.append(
            pj.AuthCredInfo("digest", "*", sip.auth_user or sip.user, 0, read_password(settings))
        )
    else:
        config.idUri = f"sip:{sip.user}@{host}:{sip.port}"
    return config


def read_password(settings: Settings) -> str:
    """The digest password: first line of ``[sip] password_file`` or ``[sip] password``."""
    sip = settings.sip
    if sip.password_file:
        path = settings.resolve(sip.password_file)
        try:
            return path.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError) as error:
            raise TelephonyError(f"{path}: cannot read the SIP password ([sip] password_file): {error}") from error
    return sip.password
