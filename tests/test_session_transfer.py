"""The call session's transfers over a FileChannel (honest fakes): keypad to the switchboard, a failed transfer,
callbacks."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.sample_content import CLOSED_NOW
from tests.session_helpers import actions, call, make_bot
from voicebot.call.simulate import Turn
from voicebot.config.settings import Settings
from voicebot.events import TransferResult


async def test_dtmf_zero_transfers_to_switchboard(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    result = await call(bot, Turn.keys("0"))
    assert result.channel.transfers == [settings.departments["zentrale"].target]
    assert actions(result) == ["greeting", "transfer", "transferred"]
    assert result.outcome.outcome == "transferred" and result.outcome.department == "zentrale"


async def test_failed_transfer_then_callback(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    busy = (TransferResult(False, 486, "Busy Here"),)
    turns = (
        Turn.say("bauantrag"),
        Turn.say("rückruf bitte"),
        Turn.say("Erika Muster"),
        Turn.say("null acht drei acht eins"),
    )
    result = await call(bot, *turns, results=busy)
    assert result.channel.transfers == [settings.departments["bauamt"].target]
    assert actions(result) == ["greeting", "transfer", "transfer_failed", "callback", "callback", "callback"]
    assert result.recorder is not None
    [request] = result.recorder.callbacks
    assert (request.name, request.number, request.department) == ("Erika Muster", "08381", "bauamt")
    assert result.outcome.outcome == "callback"


async def test_closed_department_callback_by_keypad(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    turns = (Turn.say("bauantrag"), Turn.say("ja"), Turn.say("Erika Muster"), Turn.keys("0838192#"))
    result = await call(bot, *turns, now=CLOSED_NOW)
    assert result.channel.transfers == []
    assert "geschlossen" in result.turns[1].reason and "nicht besetzt" in result.turns[1].reply
    assert result.recorder is not None
    [request] = result.recorder.callbacks
    assert (request.number, request.department, request.topic) == ("0838192", "bauamt", "bauantrag")
    assert result.outcome.outcome == "callback"


async def test_a_key_pressed_while_a_transfer_is_announced_is_logged_not_acted_on(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The caller presses 0 during "Ich verbinde Sie mit dem Bauamt": the transfer goes ahead as announced, and
    when it fails the caller hears so in full (the old key neither cuts the notice nor picks the switchboard)."""
    bot = make_bot(settings, tmp_path)
    busy = (TransferResult(False, 486, "Busy Here"),)
    key_during_announcement = Turn("dtmf", digits="0", barge_in_ms=200, label="dtmf: 0")
    with caplog.at_level(logging.INFO, logger="voicebot.call.session"):
        result = await call(bot, Turn.say("bauantrag"), key_during_announcement, results=busy)
    assert result.channel.transfers == [settings.departments["bauamt"].target]
    assert actions(result) == ["greeting", "transfer", "transfer_failed"]
    assert result.channel.stopped == 0  # no playback was cut
    assert all(turn.dtmf == "" for turn in result.turns)
    [logged] = [r for r in caplog.records if "not acted on" in r.getMessage()]
    assert logged.levelno == logging.INFO
    assert "key 0" in logged.getMessage() and "before the transfer to bauamt" in logged.getMessage()
