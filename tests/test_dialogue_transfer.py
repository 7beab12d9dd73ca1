"""The dialogue policy around transfers: closed departments, failed transfers and callback requests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.dialogue_helpers import CLOSED, LISTENING, OPEN, Case, assert_step, heard
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import Command, DialogueState, Phase, RecordCallback, Say, TransferDone
from voicebot.events import DtmfReceived, TransferResult
from voicebot.understand.understanding import Signal

CALLBACK_OFFER = DialogueState(phase=Phase.CALLBACK_OFFER, pending_department="bauamt", pending_topic="bauantrag")
CALLBACK_NAME = DialogueState(phase=Phase.CALLBACK_NAME, pending_department="bauamt")
CALLBACK_NUMBER = DialogueState(phase=Phase.CALLBACK_NUMBER, pending_department="bauamt", callback_name="Erika Muster")
TRANSFERRING = DialogueState(phase=Phase.TRANSFERRING, pending_department="bauamt", pending_topic="bauantrag")
TRANSFER_FAILED = DialogueState(phase=Phase.TRANSFER_FAILED, pending_department="bauamt", failures=1)


def _callback(commands: list[Command]) -> RecordCallback:
    return next(c for c in commands if isinstance(c, RecordCallback))


CASES = [
    # --- closed department or switchboard ---------------------------------------------------------
    Case(
        "closed department -> callback offer",
        LISTENING,
        heard("bauantrag", ("bauantrag", 0.9)),
        "callback_offer",
        ("department_closed", "callback_offer"),
        "callback",
        ctx=CLOSED,
        check=lambda s, c: "morgen um 8 Uhr" in c[1].text,
    ),  # type: ignore[union-attr]
    Case(
        "closed switchboard",
        LISTENING,
        heard("mitarbeiter", signals=(Signal.HUMAN,)),
        "callback_offer",
        ("switchboard_closed", "callback_offer"),
        "callback",
        ctx=CLOSED,
    ),
    # --- callback requests ------------------------------------------------------------------------
    Case(
        "callback yes -> name",
        CALLBACK_OFFER,
        heard("ja gerne", signals=(Signal.YES,)),
        "callback_name",
        ("callback_name",),
        "callback",
    ),
    Case(
        "callback no -> anything else",
        CALLBACK_OFFER,
        heard("nein", signals=(Signal.NO,)),
        "listening",
        ("anything_else",),
        "listen",
    ),
    Case(
        "callback name",
        CALLBACK_NAME,
        heard("Erika Muster"),
        "callback_number",
        ("callback_number",),
        "callback",
        check=lambda s, c: s.callback_name == "Erika Muster",
    ),
    Case(
        "callback keypad digits",
        CALLBACK_NUMBER,
        DtmfReceived("0", 0),
        "callback_number",
        (),
        "callback",
        check=lambda s, c: s.callback_digits == "0",
    ),
    Case(
        "callback keypad #",
        replace(CALLBACK_NUMBER, callback_digits="0838192"),
        DtmfReceived("#", 0),
        "ended",
        ("callback_done", "goodbye"),
        "callback",
        hangup=True,
        check=lambda s, c: _callback(c) == RecordCallback("Erika Muster", "0838192", "bauamt", None),
    ),
    Case(
        "callback spoken digits",
        CALLBACK_NUMBER,
        heard("null acht drei acht eins 92"),
        "ended",
        ("callback_done", "goodbye"),
        "callback",
        hangup=True,
        check=lambda s, c: _callback(c).number == "0838192",
    ),
    Case(
        "callback own number",
        CALLBACK_NUMBER,
        heard("die Nummer von der ich anrufe"),
        "ended",
        ("callback_done", "goodbye"),
        "callback",
        hangup=True,
        check=lambda s, c: _callback(c).number == "",
    ),
    Case("callback number unclear", CALLBACK_NUMBER, heard("hm"), "callback_number", ("reprompt",), "reprompt"),
    # --- transfer results, failed transfers -------------------------------------------------------
    Case(
        "transfer ok",
        TRANSFERRING,
        TransferDone(TransferResult(True, 200)),
        "ended",
        (),
        "transferred",
        hangup=True,
        check=lambda s, c: s.transferred_to == "bauamt",
    ),
    Case(
        "transfer failed",
        TRANSFERRING,
        TransferDone(TransferResult(False, 486, "Busy")),
        "transfer_failed",
        ("transfer_failed",),
        "transfer_failed",
        check=lambda s, c: s.failures == 1,
    ),
    Case(
        "failed switchboard transfer -> callback offer",
        replace(TRANSFERRING, pending_department="zentrale"),
        TransferDone(TransferResult(False, 480)),
        "callback_offer",
        ("transfer_failed", "callback_offer"),
        "transfer_failed",
    ),
    Case(
        "after failed transfer: zentrale",
        TRANSFER_FAILED,
        heard("die zentrale bitte"),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "after failed transfer: try again",
        TRANSFER_FAILED,
        heard("noch einmal versuchen"),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="bauamt",
        check=lambda s, c: s.failures == 1,
    ),
    Case(
        "after failed transfer: noch einmal heard as repeat",
        TRANSFER_FAILED,
        heard("noch einmal versuchen", signals=(Signal.REPEAT,)),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="bauamt",
    ),
    Case(
        "after failed transfer: callback",
        TRANSFER_FAILED,
        heard("einen Rückruf bitte"),
        "callback_name",
        ("callback_name",),
        "callback",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_step(case: Case) -> None:
    assert_step(case)


def test_failed_transfer_retries_are_limited() -> None:
    state, _ = step(TRANSFERRING, TransferDone(TransferResult(False, 486)), OPEN)
    state, _ = step(state, heard("noch einmal"), OPEN)
    state, commands = step(state, TransferDone(TransferResult(False, 486)), OPEN)
    assert state.phase == Phase.CALLBACK_OFFER
    assert [c.prompt for c in commands if isinstance(c, Say)] == ["transfer_failed", "callback_offer"]
