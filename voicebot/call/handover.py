"""Putting a caller through: REFER with context, or a bridge, then the switchboard; never a caller left hanging.

``hand_over`` carries out one ``Transfer`` for the call session (and the line test). Per department
(``[departments.<id>] transfer``, default ``[sip] transfer``):

- ``refer``: a REFER whose Refer-To carries the context headers (``voicebot.telephony.sipcontext``);
- ``bridge``: the bot calls the department itself and joins both calls;
- ``refer-then-bridge``: a REFER; when it is refused (405, 501, 403 …) or its NOTIFY reports a failure, a bridge.

Before a bridge the caller hears "Einen Moment, ich verbinde Sie" (prompt ``transfer_bridge``) and then a
ringback tone until the department answers. A bridge that fails (busy, no answer within
``[sip] bridge_answer_seconds``, an error) is tried once more to the switchboard; when that fails too the result is
``exhausted`` and the dialogue offers a callback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Final

import numpy as np

from voicebot.config.settings import Settings
from voicebot.content.model import SWITCHBOARD, Content
from voicebot.events import TransferResult
from voicebot.ports import BridgingChannel, CallChannel
from voicebot.telephony.sipcontext import TransferContext, context_headers, refer_target
from voicebot.understand.understanding import Understanding

_LOGGER: Final = logging.getLogger(__name__)

RINGBACK_HZ: Final = 425.0
"""The German ringback tone (hertz): 1 s on, 4 s off."""


def ringback(rate: int, seconds: float) -> bytes:
    """``seconds`` of German ringback (425 Hz, 1 s on, 4 s off) as 16-bit PCM at ``rate``."""
    count = int(rate * seconds)
    t = np.arange(count) / rate
    on = (t % 5.0) < 1.0
    return (4000.0 * np.sin(2 * np.pi * RINGBACK_HZ * t) * on).astype("<i2").tobytes()


def transfer_context(
    content: Content, department: str, topic_id: str | None, heard: Sequence[tuple[str, Understanding]], reason: str
) -> TransferContext:
    """The context of a transfer: the topic (or department) in words, the caller's last words, the reason."""
    title = ""
    if topic_id:
        try:
            title = content.topic(topic_id).title
        except KeyError:
            title = topic_id
    if not title:
        try:
            title = content.department(department).name
        except KeyError:
            title = department
    words = heard[-1][0] if heard else ""
    return TransferContext(topic_id or "", title, words, reason)


async def hand_over(
    channel: CallChannel,
    settings: Settings,
    department_id: str,
    context: TransferContext,
    announce: Callable[[], Awaitable[None]],
) -> TransferResult:
    """Put the caller through to ``department_id`` as configured; ``announce`` says "one moment" before a bridge."""
    department = settings.departments.get(department_id)
    if department is None or not department.target:
        _LOGGER.error("call %s: no SIP target for department %s", channel.call_id, department_id)
        return TransferResult(False, 404, f"kein SIP-Ziel für {department_id} konfiguriert")
    mode = department.transfer or settings.sip.transfer
    headers = context_headers(context)
    can_bridge = isinstance(channel, BridgingChannel)
    if mode != "bridge" or not can_bridge:
        result = await channel.transfer(refer_target(department.target, headers if settings.sip.refer_headers else {}))
        if result.ok or mode == "refer" or not isinstance(channel, BridgingChannel) or channel.ended:
            return result
        _LOGGER.info("call %s: REFER failed (%s %s): bridging", channel.call_id, result.status, result.reason)
    assert isinstance(channel, BridgingChannel)
    await announce()
    timeout = float(settings.sip.bridge_answer_seconds)
    if channel.ended:
        return TransferResult(False, 0, "der Anrufer hat aufgelegt")
    channel.play(ringback(channel.rate, timeout + 2))
    result = await channel.bridge(department.target, headers, timeout)
    if result.ok or channel.ended:
        return result
    failed = f"Brücke zu {department_id} gescheitert ({result.status} {result.reason})"
    switchboard = settings.departments.get(SWITCHBOARD)
    if department_id == SWITCHBOARD or switchboard is None or not switchboard.target:
        return replace(result, exhausted=True, reason=failed)
    _LOGGER.info("call %s: %s: bridging to the switchboard", channel.call_id, failed)
    fallback = replace(
        context, reason=f"{context.reason}; {department_id} nicht erreicht ({result.status})".strip("; ")
    )
    channel.play(ringback(channel.rate, timeout + 2))
    second = await channel.bridge(switchboard.target, context_headers(fallback), timeout)
    reason = second.reason if second.ok else f"{failed}; Zentrale: {second.status} {second.reason}"
    return replace(second, to=SWITCHBOARD, exhausted=not second.ok, reason=reason)


__all__ = ["RINGBACK_HZ", "hand_over", "ringback", "transfer_context"]
