"""The dialogue policy, table-driven: (state, event) -> phase, spoken prompts, transfer/hang-up, record note."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from tests.sample_content import CLOSED_NOW, OPEN_NOW, sample_context
from voicebot.config import DialogueSettings
from voicebot.dialogue import step
from voicebot.dialogue_types import (
    CallStarted,
    Command,
    DialogueContext,
    DialogueState,
    DtmfDigit,
    Event,
    Hangup,
    Heard,
    Note,
    RecordCallback,
    Say,
    Silence,
    TimeUp,
    Transfer,
    TransferDone,
)
from voicebot.events import TransferResult
from voicebot.understanding import Candidate, Signal, Understanding

OPEN = sample_context(OPEN_NOW)
CLOSED = sample_context(CLOSED_NOW)


def heard(
    text: str = "", *candidates: tuple[str, float], signals: tuple[Signal, ...] = (), department: str | None = None
) -> Heard:
    """A Heard event with the given ranked candidates, signals and named department."""
    ranked = tuple(Candidate(topic, score, "fuzzy") for topic, score in candidates)
    return Heard(Understanding(text, text.lower(), ranked, department, frozenset(signals)))


LISTENING = DialogueState(phase="listening")
ANSWERED = DialogueState(phase="listening", questions=1, answered=("kfz-anmeldung",))
CONFIRM_TOPIC = DialogueState(phase="confirm", pending_topic="kfz-anmeldung", questions=1)
CONFIRM_DEPARTMENT = DialogueState(phase="confirm", pending_department="jugendamt", questions=1)
CHOOSE = DialogueState(phase="choose", options=("kfz-anmeldung", "kfz-abmeldung"), questions=1)
CALLBACK_OFFER = DialogueState(phase="callback_offer", pending_department="bauamt", pending_topic="bauantrag")
CALLBACK_NAME = DialogueState(phase="callback_name", pending_department="bauamt")
CALLBACK_NUMBER = DialogueState(phase="callback_number", pending_department="bauamt", callback_name="Erika Muster")
TRANSFERRING = DialogueState(phase="transferring", pending_department="bauamt", pending_topic="bauantrag")
TRANSFER_FAILED = DialogueState(phase="transfer_failed", pending_department="bauamt", failures=1)
FAILED_ONCE = DialogueState(phase="listening", failures=1, menu_offered=True)


@dataclass(frozen=True)
class Case:
    name: str
    state: DialogueState
    event: Event
    phase: str
    says: tuple[str, ...]
    note: str
    transfer: str | None = None
    hangup: bool = False
    ctx: DialogueContext = OPEN
    check: Callable[[DialogueState, list[Command]], bool] = field(default=lambda s, c: True)


def _callback(commands: list[Command]) -> RecordCallback:
    return next(c for c in commands if isinstance(c, RecordCallback))


CASES = [
    # --- start, answers, confirmations --------------------------------------------------------
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
    # --- requests that work anywhere ----------------------------------------------------------
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
    # --- keypad ---------------------------------------------------------------------------------
    Case(
        "0 -> switchboard",
        CONFIRM_TOPIC,
        DtmfDigit("0"),
        "transferring",
        ("transfer_switchboard",),
        "transfer",
        transfer="zentrale",
    ),
    Case(
        "menu digit -> department",
        FAILED_ONCE,
        DtmfDigit("2"),
        "transferring",
        ("transfer",),
        "transfer",
        transfer="bauamt",
    ),
    Case(
        "menu digit -> topic",
        FAILED_ONCE,
        DtmfDigit("5"),
        "listening",
        ("answer:oeffnungszeiten", "anything_else"),
        "answer",
        check=lambda s, c: "montags" in c[1].text,
    ),  # type: ignore[union-attr]
    Case("unused digit -> failure", LISTENING, DtmfDigit("9"), "listening", ("reprompt", "dtmf_menu"), "menu"),
    # --- silence ----------------------------------------------------------------------------------
    Case(
        "first silence",
        LISTENING,
        Silence(),
        "listening",
        ("no_input",),
        "no_input",
        check=lambda s, c: s.no_inputs == 1,
    ),
    Case(
        "silence in confirm repeats question",
        replace(CONFIRM_TOPIC, last_said=(Say("confirm_topic", "?"),)),
        Silence(),
        "confirm",
        ("no_input", "confirm_topic"),
        "no_input",
    ),
    Case(
        "second silence -> goodbye",
        replace(LISTENING, no_inputs=1),
        Silence(),
        "ended",
        ("goodbye",),
        "goodbye",
        hangup=True,
    ),
    # --- transfers: closed, failed, callbacks ------------------------------------------------------
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
        DtmfDigit("0"),
        "callback_number",
        (),
        "callback",
        check=lambda s, c: s.callback_digits == "0",
    ),
    Case(
        "callback keypad #",
        replace(CALLBACK_NUMBER, callback_digits="0838192"),
        DtmfDigit("#"),
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
        "nein danke in confirm is a no",
        CONFIRM_TOPIC,
        heard("nein danke", signals=(Signal.NO, Signal.GOODBYE)),
        "listening",
        ("reprompt_after_no", "dtmf_menu"),
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
    Case(
        "after failed transfer: callback",
        TRANSFER_FAILED,
        heard("einen Rückruf bitte"),
        "callback_name",
        ("callback_name",),
        "callback",
    ),
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
    Case("ended ignores", DialogueState(phase="ended"), heard("hallo"), "ended", (), "ignored"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_step(case: Case) -> None:
    state, commands = step(case.state, case.event, case.ctx)
    assert isinstance(commands[0], Note), commands
    assert commands[0].action == case.note
    assert state.phase == case.phase
    assert tuple(c.prompt for c in commands if isinstance(c, Say)) == case.says
    transfers = [c.department for c in commands if isinstance(c, Transfer)]
    assert transfers == ([case.transfer] if case.transfer else [])
    assert any(isinstance(c, Hangup) for c in commands) == case.hangup
    assert case.check(state, commands), commands


def test_every_say_has_text_without_placeholders() -> None:
    for case in CASES:
        _, commands = step(case.state, case.event, case.ctx)
        for command in commands:
            if isinstance(command, Say):
                assert command.text and "{" not in command.text, (case.name, command)


def test_whole_call_confirm_then_goodbye() -> None:
    state, _ = step(DialogueState(), CallStarted(), OPEN)
    state, _ = step(state, heard("auto", ("kfz-anmeldung", 0.6)), OPEN)
    state, commands = step(state, heard("ja", signals=(Signal.YES,)), OPEN)
    assert [c.prompt for c in commands if isinstance(c, Say)] == ["answer:kfz-anmeldung", "anything_else"]
    state, commands = step(state, heard("wie bitte", signals=(Signal.REPEAT,)), OPEN)
    assert [c.prompt for c in commands if isinstance(c, Say)] == ["answer:kfz-anmeldung", "anything_else"]
    state, commands = step(state, heard("nein danke", signals=(Signal.NO,)), OPEN)
    assert state.phase == "ended" and isinstance(commands[-1], Hangup)


def test_menu_is_offered_once() -> None:
    state = LISTENING
    state, first = step(state, heard("blabla"), OPEN)
    state, _ = step(state, DtmfDigit("5"), OPEN)  # answered: failures reset
    state, second = step(state, heard("blabla"), OPEN)
    assert [c.prompt for c in first if isinstance(c, Say)] == ["reprompt", "dtmf_menu"]
    assert [c.prompt for c in second if isinstance(c, Say)] == ["reprompt"]


def test_failed_transfer_retries_are_limited() -> None:
    state, _ = step(TRANSFERRING, TransferDone(TransferResult(False, 486)), OPEN)
    state, _ = step(state, heard("noch einmal"), OPEN)
    state, commands = step(state, TransferDone(TransferResult(False, 486)), OPEN)
    assert state.phase == "callback_offer"
    assert [c.prompt for c in commands if isinstance(c, Say)] == ["transfer_failed", "callback_offer"]
