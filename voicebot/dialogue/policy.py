"""The dialogue policy: one pure step from (state, event) to (new state, commands).

``step`` is the only entry point. It never reads the clock or a file: the current time, content and
thresholds come in ``DialogueContext``. Every turn's command list begins with a ``Note`` (the call-record
entry of the turn); ``Say`` commands are spoken in order; ``Transfer``/``HangUp`` wait for the speech
before them. Phase handlers for the open question and the follow-ups are in ``voicebot.dialogue.phases``.
"""

from __future__ import annotations

from dataclasses import replace

from voicebot.content.model import SWITCHBOARD
from voicebot.dialogue.phases import (
    heard_callback_name,
    heard_callback_number,
    heard_callback_offer,
    heard_choose,
    heard_confirm,
    heard_question,
    heard_transfer_failed,
    transfer_failed_choice,
)
from voicebot.dialogue.replies import (
    Reply,
    answer_topic,
    callback_done,
    department_name,
    failed,
    goodbye,
    repeat,
    say,
    speak,
    switchboard,
    transfer_to,
)
from voicebot.dialogue.types import (
    CallStarted,
    DialogueContext,
    DialogueState,
    Event,
    HangUp,
    Heard,
    Note,
    Phase,
    TimeUp,
    TransferDone,
)
from voicebot.events import DtmfReceived, NoInput
from voicebot.understand.understanding import Signal, Understanding

FREE_SPEECH_PHASES = frozenset({Phase.CALLBACK_NAME, Phase.CALLBACK_NUMBER})
"""Phases where the caller's words are data (a name, a number), not requests."""

REPEAT_PHASES = frozenset(
    {
        Phase.CONFIRM,
        Phase.CHOOSE,
        Phase.CALLBACK_OFFER,
        Phase.CALLBACK_NAME,
        Phase.CALLBACK_NUMBER,
        Phase.TRANSFER_FAILED,
    }
)
"""Phases whose question is asked again after a silent turn."""


def step(state: DialogueState, event: Event, ctx: DialogueContext) -> Reply:
    """React to one event: the new state and this turn's commands (a Note first)."""
    if state.phase == Phase.ENDED:
        return state, [Note("ignored", reason=f"Gespräch schon beendet ({type(event).__name__})")]
    if isinstance(event, CallStarted):
        state = replace(state, phase=Phase.LISTENING)
        return speak(state, Note("greeting", reason="Anruf angenommen"), say(ctx, "greeting"))
    if isinstance(event, TimeUp):
        return _time_up(state, ctx)
    if isinstance(event, NoInput):
        return _silence(state, ctx)
    if isinstance(event, DtmfReceived):
        return _digit(state, event.digit, ctx)
    if isinstance(event, TransferDone):
        return _transfer_done(state, event, ctx)
    return _heard(state, event, ctx)


def _heard(state: DialogueState, event: Heard, ctx: DialogueContext) -> Reply:
    understanding = event.understanding
    if state.phase == Phase.TRANSFERRING:
        return state, [Note("ignored", reason="Anrufer sprach während der Weiterleitung")]
    if state.phase in FREE_SPEECH_PHASES:
        if state.phase == Phase.CALLBACK_NAME:
            return heard_callback_name(state, understanding, ctx)
        return heard_callback_number(state, understanding, ctx)
    if state.phase == Phase.TRANSFER_FAILED:
        choice = transfer_failed_choice(state, understanding, ctx)
        if choice is not None:
            return choice
    special = _anywhere(state, understanding, ctx)
    if special is not None:
        return special
    if state.phase == Phase.CONFIRM:
        return heard_confirm(state, understanding, ctx)
    if state.phase == Phase.CHOOSE:
        return heard_choose(state, understanding, ctx)
    if state.phase == Phase.CALLBACK_OFFER:
        return heard_callback_offer(state, understanding, ctx)
    if state.phase == Phase.TRANSFER_FAILED:
        return heard_transfer_failed(state, understanding, ctx)
    return heard_question(state, understanding, ctx)


def _anywhere(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply | None:
    """Requests that work in every phase: a person, a department by name, "repeat that", goodbye."""
    signals = understanding.signals
    best = understanding.best
    sure_topic = best is not None and best.score >= ctx.settings.answer_threshold
    if Signal.HUMAN in signals:
        return switchboard(state, ctx, "Anrufer verlangte Mitarbeiter")
    named = understanding.department
    if named is not None and Signal.CONNECT in signals:
        return transfer_to(state, ctx, named, None, f"Anrufer verlangte {department_name(ctx.content, named)}")
    if Signal.REPEAT in signals and not sure_topic:
        return repeat(state, ctx)
    if Signal.GOODBYE in signals and not sure_topic and (state.phase == Phase.LISTENING or Signal.NO not in signals):
        return goodbye(state, ctx, "Anrufer verabschiedete sich")
    return None


def _digit(state: DialogueState, digit: str, ctx: DialogueContext) -> Reply:
    """Keypad: callback number digits, ``0`` for the switchboard, menu digits for departments and topics."""
    if state.phase == Phase.CALLBACK_NUMBER:
        if digit == "#":
            return callback_done(state, ctx, state.callback_digits)
        if digit == "*":
            state = replace(state, callback_digits="")
            return speak(state, Note("callback", reason="Rufnummer gelöscht"), say(ctx, "callback_number"))
        return replace(state, callback_digits=state.callback_digits + digit), [
            Note("callback", reason="Rufnummer wird eingegeben")
        ]
    if digit == "0":
        return switchboard(state, ctx, "Anrufer drückte 0")
    for department in ctx.content.departments:
        if department.dtmf == digit:
            return transfer_to(state, ctx, department.id, None, f"Taste {digit}: {department.name}")
    for topic in ctx.content.topics:
        if topic.dtmf == digit:
            return answer_topic(state, ctx, topic.id, f"Taste {digit}: {topic.title}")
    return failed(state, ctx, f"Taste {digit} ist nicht belegt")


def _silence(state: DialogueState, ctx: DialogueContext) -> Reply:
    """Nothing said: ask again (repeating an open question), or say goodbye after too many silent turns."""
    no_inputs = state.no_inputs + 1
    if no_inputs >= ctx.settings.max_no_input:
        return goodbye(replace(state, no_inputs=no_inputs), ctx, f"{no_inputs}-mal keine Eingabe")
    note = Note("no_input", state.pending_topic, state.pending_department, "keine Eingabe")
    again = state.last_said if state.phase in REPEAT_PHASES else ()
    return replace(state, no_inputs=no_inputs), [note, say(ctx, "no_input"), *again]


def _transfer_done(state: DialogueState, event: TransferDone, ctx: DialogueContext) -> Reply:
    """A transfer ended: done when it worked; else say so and offer switchboard, another try or a callback."""
    result = event.result
    department = state.pending_department or SWITCHBOARD
    if result.ok:  # perhaps the switchboard instead (a bridge that fell back); a failure stays the department's
        reached = result.to or department
        name = department_name(ctx.content, reached)
        reason = f"über den Bot verbunden mit {name}" if result.bridged else f"weitervermittelt an {name}"
        state = replace(state, phase=Phase.ENDED, transferred_to=reached, ended_reason=reason)
        action = "bridged" if result.bridged else "transferred"
        return state, [Note(action, state.pending_topic, reached, reason), HangUp(reason)]
    reason = f"Weiterleitung gescheitert ({result.status} {result.reason})".strip()
    failures = state.failures + 1
    name = department_name(ctx.content, department)
    notice = say(ctx, "transfer_failed", department=name)
    note = Note("transfer_failed", state.pending_topic, department, reason)
    if department == SWITCHBOARD or result.exhausted or failures >= ctx.settings.max_failures:
        state = replace(state, phase=Phase.CALLBACK_OFFER, failures=failures, pending_department=department)
        return speak(state, note, notice, say(ctx, "callback_offer"))
    state = replace(state, phase=Phase.TRANSFER_FAILED, failures=failures, pending_department=department)
    return speak(state, note, notice)


def _time_up(state: DialogueState, ctx: DialogueContext) -> Reply:
    """The call is too long: say so and hand over to the switchboard (goodbye when it is closed)."""
    reason = "maximale Gesprächsdauer erreicht"
    new_state, commands = switchboard(state, ctx, reason)
    if new_state.phase != Phase.TRANSFERRING:
        state = replace(state, phase=Phase.ENDED, ended_reason=reason)
        return speak(
            state, Note("goodbye", reason=reason), say(ctx, "max_duration"), say(ctx, "goodbye"), HangUp(reason)
        )
    return new_state, [commands[0], say(ctx, "max_duration"), *commands[1:]]


__all__ = ["step"]
