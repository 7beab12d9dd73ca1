"""The line test: a speech-free call session for installers (``voicebot run --line-test``).

It proves the SIP connection, the audio path both ways, DTMF and transfers without any speech model:
the bot answers with a two-tone greeting, repeats whatever the caller says (an echo after the caller
has finished speaking; cut at ``[vad] max_utterance_ms``), beeps once per keypad digit, and transfers on ``0`` (switchboard) or on the
digit of a department (``[departments.*]`` in the order of the configuration, ``1`` = the first after
the switchboard). ``#`` hangs up; after ``[vad] no_input_ms`` without anything from the caller it hangs up. Tests of the telephony layer use it with real SIP peers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np

from voicebot.audio import SAMPLE_WIDTH
from voicebot.call.handover import hand_over
from voicebot.config.settings import Settings
from voicebot.content.model import SWITCHBOARD
from voicebot.events import AudioReceived, CallHungUp, DtmfReceived, TransferResult
from voicebot.ports import CallChannel
from voicebot.records.calls import CallOutcome, CallRecorder
from voicebot.telephony.sipcontext import TransferContext

_LOGGER: Final = logging.getLogger(__name__)

VOICED_RMS: Final = 300.0
"""RMS level (of 32768) from which a caller frame counts as voiced."""
END_SILENCE_MS: Final = 600
"""Silence that ends the caller's utterance before it is echoed (milliseconds)."""


def tone(rate: int, freq: float, ms: int, level: float = 8000.0) -> bytes:
    """A sine tone as 16-bit PCM."""
    count = rate * ms // 1000
    samples = level * np.sin(2 * np.pi * freq * np.arange(count) / rate)
    return samples.astype("<i2").tobytes()


def greeting(rate: int) -> bytes:
    """The line test's greeting: two rising tones, 600 ms in all."""
    return tone(rate, 660, 300) + tone(rate, 880, 300)


def line_test_prompt(rate: int) -> bytes:
    """Any fixed prompt in line-test mode (overflow, apology, hand-over): one 400 ms tone."""
    return tone(rate, 520, 400)


def dtmf_targets(departments: Mapping[str, str], switchboard: str) -> dict[str, str]:
    """Keypad digit -> SIP target: ``0`` the switchboard, ``1``.. the other departments in order."""
    targets: dict[str, str] = {}
    if switchboard in departments:
        targets["0"] = departments[switchboard]
    others = [target for name, target in departments.items() if name != switchboard]
    for digit, target in zip("123456789", others, strict=False):
        targets[digit] = target
    return targets


PutThrough = Callable[[CallChannel, str], Awaitable[TransferResult]]
"""(channel, keypad digit) -> how putting the caller through ended (``voicebot.call.handover`` in ``run``)."""


class LineTestSession:
    """One line-test call on a channel; ``run`` returns a short outcome word."""

    def __init__(
        self,
        channel: CallChannel,
        targets: Mapping[str, str],
        no_input_ms: int = 7000,
        max_utterance_ms: int = 15000,
        put_through: PutThrough | None = None,
    ) -> None:
        self._channel = channel
        self._put_through = put_through
        self._no_input_ms = no_input_ms
        self._max_utterance_ms = max_utterance_ms
        self._targets = dict(targets)
        self._frame_bytes = channel.rate * 20 // 1000 * SAMPLE_WIDTH

    async def run(self) -> str:
        """Greet, echo, beep, transfer; until the caller hangs up or a transfer succeeds."""
        channel = self._channel
        channel.play(greeting(channel.rate))
        heard = bytearray()
        silence_ms = 0
        idle_ms = 0
        while True:
            event = await channel.receive()
            if isinstance(event, CallHungUp):
                return "hung_up"
            if isinstance(event, DtmfReceived):
                idle_ms = 0
                outcome = await self._on_digit(event.digit)
                if outcome:
                    return outcome
                continue
            assert isinstance(event, AudioReceived)
            pcm = event.frame.pcm
            voiced = event.frame.rms() >= VOICED_RMS and channel.playback_pending_ms() <= 0
            if voiced:
                heard += pcm
                silence_ms = idle_ms = 0
            elif heard:
                heard += pcm
                silence_ms += 20
            else:
                idle_ms += 20
            too_long = len(heard) >= channel.rate * SAMPLE_WIDTH * self._max_utterance_ms // 1000
            if heard and (silence_ms >= END_SILENCE_MS or too_long):
                _LOGGER.info("line test: echoing %d ms of caller audio", len(heard) * 1000 // (channel.rate * 2))
                channel.play(bytes(heard))
                heard.clear()
                silence_ms = 0
            if idle_ms >= self._no_input_ms and channel.playback_pending_ms() <= 0:
                channel.play(tone(channel.rate, 330, 500))
                await _drain(channel)
                await channel.hangup()
                return "no_input"

    async def _on_digit(self, digit: str) -> str:
        channel = self._channel
        channel.stop_playback()
        if digit == "#":
            await channel.hangup()
            return "goodbye"
        target = self._targets.get(digit)
        if target is None:
            channel.play(tone(channel.rate, 1000, 150))
            return ""
        channel.play(tone(channel.rate, 700, 300))
        await _drain(channel)
        if self._put_through is not None:
            result = await self._put_through(channel, digit)
        else:
            result = await channel.transfer(target)
        if result.ok:
            return "bridged" if result.bridged else "transferred"
        channel.play(tone(channel.rate, 300, 600))
        return ""


async def _drain(channel: CallChannel, limit_s: float = 10.0) -> None:
    """Wait (bounded) until queued bot audio has gone out."""
    for _ in range(int(limit_s * 50)):
        if channel.playback_pending_ms() <= 0:
            return
        await asyncio.sleep(0.02)


def line_test_runner(
    settings: Settings, recorder: CallRecorder, instance: str = ""
) -> Callable[[CallChannel], Awaitable[object]]:
    """A session runner for ``serve``: one ``LineTestSession`` per call, recorded as a "Leitungstest"."""
    zone = ZoneInfo(settings.timezone)
    switchboard = SWITCHBOARD
    vad = settings.vad
    targets = dtmf_targets({name: dept.target for name, dept in settings.departments.items()}, switchboard)
    by_digit = dtmf_targets({name: name for name in settings.departments}, switchboard)

    async def put_through(channel: CallChannel, digit: str) -> TransferResult:
        async def announce() -> None:
            channel.play(line_test_prompt(channel.rate))
            await _drain(channel)

        context = TransferContext(reason=f"Leitungstest: Taste {digit}")
        return await hand_over(channel, settings, by_digit[digit], context, announce)

    async def run(channel: CallChannel) -> object:
        recorder.call_started(channel.call_id, channel.remote, dt.datetime.now(zone), instance)
        outcome = "failed"
        try:
            session = LineTestSession(channel, targets, vad.no_input_ms, vad.max_utterance_ms, put_through)
            outcome = await session.run()
            return outcome
        finally:
            kind = {"transferred": "transferred", "bridged": "transferred", "hung_up": "hung_up"}.get(
                outcome, "answered"
            )
            result = CallOutcome(kind, None, None, f"Leitungstest: {outcome}", dt.datetime.now(zone))
            recorder.call_ended(channel.call_id, result)

    return run
