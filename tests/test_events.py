"""The one event vocabulary (``voicebot.events``): one name per thing, its table complete, urgent events
overtaking queued audio in the SIP channel."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import typing
from collections.abc import Mapping
from types import ModuleType

import voicebot.dialogue.types as dialogue_types
import voicebot.events as events
from voicebot.events import URGENT, AudioReceived, CallHungUp, DtmfReceived, NoInput
from voicebot.telephony.channel import PjsuaChannel
from voicebot.telephony.legs import LegWatch


def classes(module: ModuleType) -> dict[str, type]:
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isclass(value) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__
    }


def table_rows() -> list[str]:
    """The first column of the table in ``voicebot.events``' docstring."""
    doc = events.__doc__ or ""
    body = doc.split("consumed by", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in body.splitlines() if line.strip() and not line.startswith("=")]


def test_the_dialogue_takes_the_line_and_listener_events_as_they_are() -> None:
    members = typing.get_args(dialogue_types.Event)
    assert DtmfReceived in members and NoInput in members
    assert not hasattr(dialogue_types, "DtmfDigit") and not hasattr(dialogue_types, "Silence")


def test_no_name_is_defined_twice_and_commands_are_not_events() -> None:
    here, dialogue = classes(events), classes(dialogue_types)
    assert not set(here) & set(dialogue)
    commands = {c.__name__ for c in typing.get_args(dialogue_types.Command)}
    dialogue_events = {c.__name__ for c in typing.get_args(dialogue_types.Event)}
    assert commands == {"Say", "Transfer", "HangUp", "RecordCallback", "Note"}
    assert not commands & dialogue_events


def test_the_docstring_table_lists_every_event_once() -> None:
    rows = table_rows()
    line = {c.__name__ for c in typing.get_args(events.LineEvent)}
    turn = {c.__name__ for c in typing.get_args(events.ListenEvent)}
    dialogue = {c.__name__ for c in typing.get_args(dialogue_types.Event)}
    assert len(rows) == len(set(rows))
    assert set(rows) == line | turn | dialogue


class Control:
    def answer(self, key: int, sink: PjsuaChannel) -> None: ...

    def hangup(self, key: int) -> None: ...

    async def transfer(self, key: int, target: str) -> None: ...

    async def bridge(self, key: int, target: str, headers: Mapping[str, str], watch: LegWatch) -> None: ...


async def test_urgent_events_overtake_queued_audio() -> None:
    assert set(URGENT) == {DtmfReceived, CallHungUp}
    channel = PjsuaChannel(Control(), 1, "c-1", "sip:caller@127.0.0.1", 8000, asyncio.get_running_loop())
    for _ in range(3):
        channel.post_audio(b"\x00\x00" * 160)
    channel.post_dtmf("5")
    channel.post_audio(b"\x00\x00" * 160)
    await asyncio.sleep(0)  # the posts are handled on the loop
    first = await channel.receive()
    assert isinstance(first, DtmfReceived) and first.digit == "5"
    rest = [await channel.receive() for _ in range(4)]
    assert all(isinstance(event, AudioReceived) for event in rest)
    channel.post_audio(b"\x00\x00" * 160)
    channel.post_disconnected(200, "BYE")
    await asyncio.sleep(0)
    assert isinstance(await channel.receive(), CallHungUp)  # and the queued audio is gone
    assert isinstance(await channel.receive(), CallHungUp)
