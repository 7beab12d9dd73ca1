"""``PjsuaChannel.bridge`` on the loop side, with a small control that plays the endpoint thread's part: joined
(the bridge owns the call: no bot audio, no hang-up by the bot), refused, not answered in time (the leg is
hung up), not placeable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from voicebot.errors import TelephonyError
from voicebot.telephony.channel import PjsuaChannel
from voicebot.telephony.legs import LegWatch


class Endpoint:
    """Answers a bridge request with ``leg`` (called with the watch, as the endpoint thread would: later)."""

    def __init__(self, leg: Callable[[LegWatch], None] | None) -> None:
        self._leg = leg
        self.hung_up: list[int] = []
        self.placed: list[tuple[str, dict[str, str]]] = []

    def answer(self, key: int, sink: PjsuaChannel) -> None: ...

    def hangup(self, key: int) -> None:
        self.hung_up.append(key)

    async def transfer(self, key: int, target: str) -> None: ...

    async def bridge(self, key: int, target: str, headers: Mapping[str, str], watch: LegWatch) -> None:
        if self._leg is None:
            raise TelephonyError("no free line")
        watch.key = 7
        self.placed.append((target, dict(headers)))
        leg = self._leg
        asyncio.get_running_loop().call_later(0.05, lambda: leg(watch))


def _channel(endpoint: Endpoint) -> PjsuaChannel:
    return PjsuaChannel(endpoint, 1, "c-1", "sip:caller@127.0.0.1", 8000, asyncio.get_running_loop())


async def test_a_joined_bridge_owns_the_call() -> None:
    endpoint = Endpoint(lambda watch: watch.post_joined())
    channel = _channel(endpoint)
    channel.play(b"\x01\x00" * 8000)  # the ringback
    result = await channel.bridge("sip:jugendamt@127.0.0.1", {"Subject": "x"}, 2.0)
    assert result.ok and result.bridged and endpoint.placed == [("sip:jugendamt@127.0.0.1", {"Subject": "x"})]
    assert channel.playback_pending_ms() == 0, "the ringback stops when the department answers"
    channel.play(b"\x01\x00" * 800)
    assert channel.playback_pending_ms() == 0, "no bot audio on a bridged call"
    await channel.hangup()
    assert endpoint.hung_up == [], "the bot does not hang up a bridged call"


async def test_a_busy_department_is_reported_and_the_call_stays_the_bots() -> None:
    endpoint = Endpoint(lambda watch: watch.post_disconnected(486, "Busy Here"))
    channel = _channel(endpoint)
    result = await channel.bridge("sip:jugendamt@127.0.0.1", {}, 2.0)
    assert (result.ok, result.status, result.bridged) == (False, 486, True)
    await channel.hangup()
    assert endpoint.hung_up == [1]


async def test_no_answer_in_time_hangs_up_the_leg() -> None:
    endpoint = Endpoint(lambda watch: None)
    result = await _channel(endpoint).bridge("sip:jugendamt@127.0.0.1", {}, 0.3)
    assert (result.ok, result.status) == (False, 408) and endpoint.hung_up == [7]


async def test_a_leg_that_cannot_be_placed_is_a_failure_not_an_error() -> None:
    result = await _channel(Endpoint(None)).bridge("sip:jugendamt@127.0.0.1", {}, 1.0)
    assert not result.ok and "no free line" in result.reason
