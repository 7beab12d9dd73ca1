"""The switch without SIP: admission, overflow to the switchboard, a failing session, graceful shutdown.

The line is ``tests.line_fakes.FakeLine`` behind the ``LineEndpoint`` seam; the real SIP behaviour of the same
paths is tested with SIPp in tests/test_telephony.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest

from tests.line_fakes import FakeLine
from voicebot.call.switch import serve
from voicebot.config.settings import Settings
from voicebot.content.model import SWITCHBOARD
from voicebot.events import CallHungUp
from voicebot.ports import CallChannel
from voicebot.records.calls import MemoryRecorder
from voicebot.telephony.admission import line_capacity
from voicebot.telephony.endpoint import PJSUA_MAX_CALLS

PROMPT = b"\x01\x00" * 1600  # 200 ms of a quiet tone at 8 kHz


def line_settings(settings: Settings, **sip: object) -> Settings:
    audio = dataclasses.replace(settings.audio, line_rate=8000)
    return dataclasses.replace(settings, sip=dataclasses.replace(settings.sip, **sip), audio=audio)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


class Sessions:
    """Scripted call sessions: each waits for the caller to hang up, or fails when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.running: list[CallChannel] = []
        self.fail = fail

    async def run(self, channel: CallChannel) -> object:
        self.running.append(channel)
        if self.fail:
            raise RuntimeError("the session broke")
        while not isinstance(await channel.receive(), CallHungUp):
            pass
        return None


async def start(
    settings: Settings, sessions: Sessions, lines: list[FakeLine], prompts: list[str], **kwargs: int
) -> tuple[asyncio.Task[None], asyncio.Event, FakeLine]:
    stop = asyncio.Event()

    def prompt_audio(prompt_id: str) -> bytes:
        prompts.append(prompt_id)
        return PROMPT

    run: Callable[[CallChannel], Awaitable[object]] = sessions.run
    task = asyncio.create_task(
        serve(
            settings,
            None,
            MemoryRecorder(),
            stop,
            run_session=run,
            prompt_audio=prompt_audio,
            grace_seconds=0.2,
            endpoint_factory=FakeLine.factory(lines, **kwargs),
        )
    )
    await until(lambda: bool(lines) and lines[0].started)
    return task, stop, lines[0]


async def test_calls_beyond_the_sessions_go_to_the_switchboard_then_get_busy(settings: Settings) -> None:
    config = line_settings(settings, max_calls=PJSUA_MAX_CALLS, overflow="switchboard")
    sessions, lines, prompts = Sessions(), [], []
    task, stop, line = await start(config, sessions, lines, prompts)
    conversations, overflow_lines = line_capacity(config.sip.max_calls, "switchboard")
    assert overflow_lines == 1
    keys = [line.ring() for _ in range(conversations)]
    await until(lambda: len(sessions.running) == conversations)
    overflow = line.ring()
    busy = line.ring()  # while the overflow line still announces
    await until(lambda: (overflow, config.departments[SWITCHBOARD].target) in line.transfers)
    assert prompts == ["overflow"] and line.played[overflow] >= len(PROMPT)
    assert line.transfer_headers[-1]["X-Voicebot-Reason"] == f"alle {conversations} Leitungen belegt"  # for staff
    assert line.rejected == {busy: 503}  # with Retry-After: neither a conversation nor the overflow line is free
    for key in keys:
        line.caller_hangs_up(key)
    await until(lambda: not sessions.running or all(channel_ended(c) for c in sessions.running))
    stop.set()
    await task
    assert line.stopped


def channel_ended(channel: CallChannel) -> bool:
    return bool(getattr(channel, "ended", False))


async def test_with_overflow_reject_the_call_beyond_max_calls_is_refused(settings: Settings) -> None:
    config = line_settings(settings, max_calls=2, overflow="reject")
    sessions, lines, prompts = Sessions(), [], []
    task, stop, line = await start(config, sessions, lines, prompts)
    line.ring(), line.ring()
    await until(lambda: len(sessions.running) == 2)
    third = line.ring()
    await until(lambda: third in line.rejected)
    assert line.rejected[third] == 486 and not prompts
    stop.set()
    await task


async def test_a_failing_session_apologises_and_hangs_up(settings: Settings) -> None:
    config = line_settings(settings, max_calls=2, overflow="reject")
    sessions, lines, prompts = Sessions(fail=True), [], []
    task, stop, line = await start(config, sessions, lines, prompts)
    key = line.ring()
    await until(lambda: key in line.hung_up)
    assert prompts == ["apology"] and line.played[key] >= len(PROMPT)
    stop.set()
    await task


async def test_shutdown_refuses_new_calls_and_hands_running_ones_to_the_switchboard(settings: Settings) -> None:
    config = line_settings(settings, max_calls=2, overflow="reject")
    sessions, lines, prompts = Sessions(), [], []
    task, stop, line = await start(config, sessions, lines, prompts)
    running = line.ring()
    await until(lambda: len(sessions.running) == 1)
    stop.set()
    await until(lambda: not line.accepting)
    await until(lambda: (running, config.departments[SWITCHBOARD].target) in line.transfers)
    assert prompts == ["transfer_switchboard"]
    assert line.transfer_headers[-1]["Subject"] == "Uebergabe an die Zentrale: Dienst wird beendet"
    await asyncio.wait_for(task, 10)
    assert line.stopped


@pytest.mark.parametrize("status", [486, 603])
async def test_a_refused_hand_over_at_shutdown_still_ends_the_call(settings: Settings, status: int) -> None:
    config = line_settings(settings, max_calls=2, overflow="reject")
    sessions, lines, prompts = Sessions(), [], []
    task, stop, line = await start(config, sessions, lines, prompts, transfer_status=status)
    running = line.ring()
    await until(lambda: len(sessions.running) == 1)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert running in line.hung_up
