"""Shared by the dialogue policy tables (tests/test_dialogue_*.py): contexts, states, the ``Case`` row, its check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.sample_content import CLOSED_NOW, OPEN_NOW, sample_context
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import (
    Command,
    DialogueContext,
    DialogueState,
    Event,
    HangUp,
    Heard,
    Note,
    Phase,
    Say,
    Transfer,
)
from voicebot.understand.understanding import Candidate, Signal, Understanding

OPEN = sample_context(OPEN_NOW)
CLOSED = sample_context(CLOSED_NOW)


def heard(
    text: str = "", *candidates: tuple[str, float], signals: tuple[Signal, ...] = (), department: str | None = None
) -> Heard:
    """A Heard event with the given ranked candidates, signals and named department."""
    ranked = tuple(Candidate(topic, score, "fuzzy") for topic, score in candidates)
    return Heard(Understanding(text, text.lower(), ranked, department, frozenset(signals)))


LISTENING = DialogueState(phase=Phase.LISTENING)
ANSWERED = DialogueState(phase=Phase.LISTENING, questions=1, answered=("kfz-anmeldung",))
CONFIRM_TOPIC = DialogueState(phase=Phase.CONFIRM, pending_topic="kfz-anmeldung", questions=1)
CHOOSE = DialogueState(phase=Phase.CHOOSE, options=("kfz-anmeldung", "kfz-abmeldung"), questions=1)
FAILED_ONCE = DialogueState(phase=Phase.LISTENING, failures=1, menu_offered=True)


@dataclass(frozen=True)
class Case:
    """One table row: in ``state`` the ``event`` leads to ``phase``, says ``says``, notes ``note`` (and more)."""

    name: str
    state: DialogueState
    event: Event
    phase: str
    """The phase after the step, as its word (``Phase(phase)`` must exist)."""
    says: tuple[str, ...]
    note: str
    transfer: str | None = None
    hangup: bool = False
    ctx: DialogueContext = OPEN
    check: Callable[[DialogueState, list[Command]], bool] = field(default=lambda s, c: True)


def assert_step(case: Case) -> None:
    """Run ``case`` through the policy and assert everything the row expects."""
    state, commands = step(case.state, case.event, case.ctx)
    assert isinstance(commands[0], Note), commands
    assert commands[0].action == case.note, commands
    assert state.phase is Phase(case.phase), (state, commands)
    assert tuple(c.prompt for c in commands if isinstance(c, Say)) == case.says, commands
    transfers = [c.department for c in commands if isinstance(c, Transfer)]
    assert transfers == ([case.transfer] if case.transfer else []), commands
    assert any(isinstance(c, HangUp) for c in commands) == case.hangup, commands
    assert case.check(state, commands), commands
