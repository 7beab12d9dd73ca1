"""The dialogue policy for what a caller can ask for in any phase: a person, a department, a repeat, goodbye;
the keypad, silence, the call time limit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.dialogue_helpers import (
    ANSWERED,
    CHOOSE,
    CLOSED,
    CONFIRM_TOPIC,
    FAILED_ONCE,
    LISTENING,
    OPEN,
    Case,
    assert_step,
    heard,
)
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import DialogueState, Phase, Say, TimeUp
from voicebot.events import DtmfReceived, NoInput
from voicebot.understand.understanding import Signal

CASES = [
    # --- requests that work anywhere --------------------------------------------------------------
    Case(
        "human in listening",
        LISTENING,
        heard("mitarbeiter", signals=(Signal.HUMAN,)),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "human in confirm",
        CONFIRM_TOPIC,
        heard("einen menschen", signals=(Signal.HUMAN,)),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "human in choose",
        CHOOSE,
        heard("zentrale", signals=(Signal.HUMAN,)),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "connect department in confirm",
        CONFIRM_TOPIC,
        heard("verbinden sie mich mit dem jugendamt", signals=(Signal.CONNECT,), department="jugendamt"),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="jugendamt",
    ),
    Case(
        "connect department in listening",
        LISTENING,
        heard("zulassungsstelle bitte verbinden", signals=(Signal.CONNECT,), department="zulassung"),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="zulassung",
    ),
    Case(
        "repeat last",
        replace(CONFIRM_TOPIC, last_said=(Say("confirm_topic", "Sie möchten …?"),)),
        heard("wie bitte", signals=(Signal.REPEAT,)),
        "confirm",
        ("confirm_topic",),
        "repeat",
    ),
    Case(
        "repeat with nothing said",
        LISTENING,
        heard("wie bitte", signals=(Signal.REPEAT,)),
        "listening",
        ("nothing_to_repeat",),
        "repeat",
    ),
    Case(
        "goodbye", ANSWERED, heard("tschüss", signals=(Signal.GOODBYE,)), "ended", ("goodbye",), "goodbye", hangup=True
    ),
    Case(
        "nein danke after answer",
        ANSWERED,
        heard("nein danke", signals=(Signal.NO,)),
        "ended",
        ("goodbye",),
        "goodbye",
        hangup=True,
    ),
    Case(
        "nein before any answer is a failure",
        LISTENING,
        heard("nein", signals=(Signal.NO,)),
        "listening",
        ("reprompt", "dtmf_menu"),
        "menu",
    ),
    Case(
        "nein danke after answer with goodbye signal",
        ANSWERED,
        heard("nein danke", signals=(Signal.NO, Signal.GOODBYE)),
        "ended",
        ("goodbye",),
        "goodbye",
        hangup=True,
    ),
    # --- keypad -----------------------------------------------------------------------------------
    Case(
        "0 -> switchboard",
        CONFIRM_TOPIC,
        DtmfReceived("0", 0),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "menu digit -> department",
        FAILED_ONCE,
        DtmfReceived("2", 0),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="bauamt",
    ),
    Case(
        "menu digit -> topic",
        FAILED_ONCE,
        DtmfReceived("5", 0),
        "listening",
        ("answer:oeffnungszeiten", "anything_else"),
        "answer",
        check=lambda s, c: "montags" in c[1].text,
    ),  # type: ignore[union-attr]
    Case("unused digit -> failure", LISTENING, DtmfReceived("9", 0), "listening", ("reprompt", "dtmf_menu"), "menu"),
    # --- silence ----------------------------------------------------------------------------------
    Case(
        "first silence",
        LISTENING,
        NoInput(0),
        "listening",
        ("no_input",),
        "no_input",
        check=lambda s, c: s.no_inputs == 1,
    ),
    Case(
        "silence in confirm repeats question",
        replace(CONFIRM_TOPIC, last_said=(Say("confirm_topic", "?"),)),
        NoInput(0),
        "confirm",
        ("no_input", "confirm_topic"),
        "no_input",
    ),
    Case(
        "second silence -> goodbye",
        replace(LISTENING, no_inputs=1),
        NoInput(0),
        "ended",
        ("goodbye",),
        "goodbye",
        hangup=True,
    ),
    # --- time limit, ended call -------------------------------------------------------------------
    Case(
        "time up",
        CONFIRM_TOPIC,
        TimeUp(),
        "transferring",
        ("max_duration", "transfer_switchboard"),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "time up when closed",
        CONFIRM_TOPIC,
        TimeUp(),
        "ended",
        ("max_duration", "goodbye"),
        "goodbye",
        hangup=True,
        ctx=CLOSED,
    ),
    Case("ended ignores", DialogueState(phase=Phase.ENDED), heard("hallo"), "ended", (), "ignored"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_step(case: Case) -> None:
    assert_step(case)


def test_menu_is_offered_once() -> None:
    state = LISTENING
    state, first = step(state, heard("blabla"), OPEN)
    state, _ = step(state, DtmfReceived("5", 0), OPEN)  # answered: failures reset
    state, second = step(state, heard("blabla"), OPEN)
    assert [c.prompt for c in first if isinstance(c, Say)] == ["reprompt", "dtmf_menu"]
    assert [c.prompt for c in second if isinstance(c, Say)] == ["reprompt"]
