"""pjsua2 configuration of the bot's endpoint and account, built from ``[sip]`` and ``[audio]``.

Pure construction of pjsua2 config objects (no library state): the endpoint thread passes them to
``libInit`` and ``Account.create``. Also the per-process call capacity of the pjsua2 wheel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pjsua2 as pj

from voicebot.config.settings import Settings
from voicebot.errors import TelephonyError

PJSUA_MAX_CALLS: Final = 4
"""pjsua's compiled-in limit of simultaneous calls in the ``pjsua2-python`` 2.15.1 wheel (measured: a 5th
INVITE gets pjsua's own 486 whatever ``maxCalls`` asks for). More calls per machine: several
``voicebot run`` instances behind Kamailio's dispatcher (sip/kamailio/)."""
CODEC_IDS: Final = {"PCMA": "PCMA/8000/1", "PCMU": "PCMU/8000/1", "G722": "G722/16000/1"}
"""Configured codec name -> pjmedia codec id."""


def line_capacity(max_calls: int, overflow: str) -> tuple[int, int]:
    """(sessions, overflow slots) one process can really run: the configured ``max_calls`` within the
    wheel's limit, keeping one slot to answer, announce and transfer an overflow call to the switchboard."""
    if overflow == "switchboard" and max_calls >= PJSUA_MAX_CALLS:
        return PJSUA_MAX_CALLS - 1, 1
    sessions = min(max_calls, PJSUA_MAX_CALLS)
    return sessions, PJSUA_MAX_CALLS - sessions


def ep_config(settings: Settings, log_level: int) -> pj.EpConfig:
    """Endpoint: no worker threads (one polling thread), null sound device clock at the line rate, 20 ms."""
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
