"""The dialogue policy from the greeting to an answer: sure answers, confirmations, choices between two topics,
reprompts and the hand-over after failed attempts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.dialogue_helpers import (
    ANSWERED,
    CHOOSE,
    CONFIRM_TOPIC,
    FAILED_ONCE,
    LISTENING,
    OPEN,
    Case,
    assert_step,
    heard,
)
from tests.sample_content import OPEN_NOW, sample_context
from voicebot.config.settings import DialogueSettings
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import CallStarted, DialogueState, HangUp, Phase, Say
from voicebot.understand.understanding import Signal

CONFIRM_DEPARTMENT = DialogueState(phase=Phase.CONFIRM, pending_department="jugendamt", questions=1)

CASES = [
    # --- start, answers, failures, confirmations, choices -----------------------------------------
    Case("greeting", DialogueState(), CallStarted(), "listening", ("greeting",), "greeting"),
    Case(
        "sure answer",
        LISTENING,
        heard("auto anmelden", ("kfz-anmeldung", 0.95)),
        "listening",
        ("answer:kfz-anmeldung", "anything_else"),
        "answer",
        check=lambda s, c: s.answered == ("kfz-anmeldung",) and s.questions == 1,
    ),
    Case(
        "unsure -> confirm topic",
        LISTENING,
        heard("auto", ("kfz-anmeldung", 0.65)),
        "confirm",
        ("confirm_topic",),
        "confirm",
        check=lambda s, c: s.pending_topic == "kfz-anmeldung",
    ),
    Case(
        "department named -> confirm department",
        LISTENING,
        heard("jugendamt", department="jugendamt"),
        "confirm",
        ("confirm_department",),
        "confirm",
        check=lambda s, c: s.pending_department == "jugendamt",
    ),
    Case(
        "two close -> choose",
        LISTENING,
        heard("auto melden", ("kfz-anmeldung", 0.85), ("kfz-abmeldung", 0.83)),
        "choose",
        ("choose",),
        "choose",
        check=lambda s, c: s.options == ("kfz-anmeldung", "kfz-abmeldung"),
    ),
    Case(
        "transfer topic",
        LISTENING,
        heard("bauantrag", ("bauantrag", 0.9)),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="bauamt",
    ),
    Case(
        "no match -> reprompt with menu",
        LISTENING,
        heard("blabla"),
        "listening",
        ("reprompt", "dtmf_menu"),
        "menu",
        check=lambda s, c: s.failures == 1 and s.menu_offered,
    ),
    Case(
        "second failure -> switchboard",
        FAILED_ONCE,
        heard("blabla"),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
        check=lambda s, c: "zwei Fehlversuche" in c[-1].reason,
    ),  # type: ignore[union-attr]
    Case(
        "reprompt without menu when offered",
        replace(FAILED_ONCE, failures=0),
        heard("blabla"),
        "listening",
        ("reprompt",),
        "reprompt",
    ),
    Case(
        "max failures 3",
        FAILED_ONCE,
        heard("blabla"),
        "listening",
        ("reprompt",),
        "reprompt",
        ctx=sample_context(OPEN_NOW, DialogueSettings(max_failures=3)),
    ),
    Case(
        "max questions -> switchboard",
        replace(ANSWERED, questions=5),
        heard("auto", ("kfz-abmeldung", 0.95)),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "yes in confirm -> answer",
        CONFIRM_TOPIC,
        heard("ja", signals=(Signal.YES,)),
        "listening",
        ("answer:kfz-anmeldung", "anything_else"),
        "answer",
    ),
    Case(
        "yes in confirm department -> transfer",
        CONFIRM_DEPARTMENT,
        heard("ja", signals=(Signal.YES,)),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="jugendamt",
    ),
    Case(
        "no in confirm -> reprompt_after_no",
        CONFIRM_TOPIC,
        heard("nein", signals=(Signal.NO,)),
        "listening",
        ("reprompt_after_no", "dtmf_menu"),
        "menu",
        check=lambda s, c: s.failures == 1 and s.pending_topic is None,
    ),
    Case(
        "no in confirm after a failure -> switchboard",
        replace(CONFIRM_TOPIC, failures=1),
        heard("nein", signals=(Signal.NO,)),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "new question in confirm",
        CONFIRM_TOPIC,
        heard("nein, abmelden", ("kfz-abmeldung", 0.92), signals=(Signal.NO,)),
        "listening",
        ("answer:kfz-abmeldung", "anything_else"),
        "answer",
    ),
    Case(
        "same topic again in confirm = yes",
        CONFIRM_TOPIC,
        heard("auto anmelden", ("kfz-anmeldung", 0.7)),
        "listening",
        ("answer:kfz-anmeldung", "anything_else"),
        "answer",
    ),
    Case(
        "unclear in confirm -> ask again",
        replace(CONFIRM_TOPIC, last_said=(Say("confirm_topic", "?"),)),
        heard("hm"),
        "confirm",
        ("confirm_topic",),
        "reprompt",
        check=lambda s, c: s.failures == 1,
    ),
    Case(
        "first of two",
        CHOOSE,
        heard("das erste", signals=(Signal.FIRST,)),
        "listening",
        ("answer:kfz-anmeldung", "anything_else"),
        "answer",
    ),
    Case(
        "second of two",
        CHOOSE,
        heard("das zweite", signals=(Signal.SECOND,)),
        "listening",
        ("answer:kfz-abmeldung", "anything_else"),
        "answer",
    ),
    Case(
        "topic name in choose",
        CHOOSE,
        heard("abmelden", ("kfz-abmeldung", 0.7), ("kfz-anmeldung", 0.6)),
        "listening",
        ("answer:kfz-abmeldung", "anything_else"),
        "answer",
    ),
    Case(
        "neither in choose",
        CHOOSE,
        heard("keins", signals=(Signal.NO,)),
        "listening",
        ("reprompt_after_no", "dtmf_menu"),
        "menu",
    ),
    Case(
        "nein danke in confirm is a no",
        CONFIRM_TOPIC,
        heard("nein danke", signals=(Signal.NO, Signal.GOODBYE)),
        "listening",
        ("reprompt_after_no", "dtmf_menu"),
        "menu",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_step(case: Case) -> None:
    assert_step(case)


def test_whole_call_confirm_then_goodbye() -> None:
    state, _ = step(DialogueState(), CallStarted(), OPEN)
    state, _ = step(state, heard("auto", ("kfz-anmeldung", 0.6)), OPEN)
    state, commands = step(state, heard("ja", signals=(Signal.YES,)), OPEN)
    assert [c.prompt for c in commands if isinstance(c, Say)] == ["answer:kfz-anmeldung", "anything_else"]
    state, commands = step(state, heard("wie bitte", signals=(Signal.REPEAT,)), OPEN)
    assert [c.prompt for c in commands if isinstance(c, Say)] == ["answer:kfz-anmeldung", "anything_else"]
    state, commands = step(state, heard("nein danke", signals=(Signal.NO,)), OPEN)
    assert state.phase == Phase.ENDED and isinstance(commands[-1], HangUp)
