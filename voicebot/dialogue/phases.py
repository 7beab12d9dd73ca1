"""What the caller's words mean in each phase of the conversation. Pure; used by ``voicebot.dialogue.policy.step``.

- listening: an open question (``first_decision``: answer, confirm, choose, transfer, ask again).
- confirm: yes/no to "Sie möchten …?"; a new question is taken as such.
- choose: first/second or a topic name.
- callback_offer, transfer_failed: the caller's choice after a closed department or a failed transfer.
- callback_name, callback_number: free speech taken as data.
"""

from __future__ import annotations

import re
from dataclasses import replace

from voicebot.content.model import SWITCHBOARD, render_text
from voicebot.dialogue.decide import Decision, first_decision
from voicebot.dialogue.replies import (
    Reply,
    answer_topic,
    ask_callback_name,
    callback_done,
    department_name,
    failed,
    failures_reason,
    goodbye,
    say,
    say_first,
    speak,
    spoken_digits,
    switchboard,
    transfer_to,
)
from voicebot.dialogue.types import DialogueContext, DialogueState, Note, Phase, Say
from voicebot.understand.understanding import Signal, Understanding

_OWN_NUMBER = re.compile(
    r"(von der ich anrufe|von der aus ich anrufe|mit der ich anrufe|diese nummer|dieselbe|die gleiche|gleiche nummer"
    r"|meine nummer|angezeigte|die hier|unter der ich anrufe)"
)
_RETRY = re.compile(r"(noch ?mal|noch einmal|erneut|wieder versuchen|nochmals|probieren sie)")
_CALLBACK = re.compile(r"(r(ü|ue)ckruf|zur(ü|ue)ckruf|rufen sie mich)")
_SWITCHBOARD_WORDS = re.compile(r"(zentrale|vermittlung)")

MIN_CALLBACK_DIGITS = 4
"""Fewer spoken digits than this are not taken as a phone number."""


def heard_question(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """An open question in the listening phase (after an answer with details: yes speaks them)."""
    signals = understanding.signals
    decision = first_decision(understanding, ctx.content, ctx.settings)
    if state.details_topic is not None:
        topic_id, state = state.details_topic, replace(state, details_topic=None)
        if decision.action == "reprompt" and Signal.YES in signals and Signal.NO not in signals:
            details = Say(f"details:{topic_id}", render_text(ctx.content.topic(topic_id).details, ctx.content.facts))
            note = Note("details", topic_id, None, "Anrufer wollte mehr dazu hören")
            return speak(state, note, details, say(ctx, "anything_else"))
        if decision.action == "reprompt" and Signal.NO in signals:
            return speak(
                state, Note("listen", reason="Anrufer wollte nicht mehr dazu hören"), say(ctx, "anything_else")
            )
    if decision.action == "reprompt":
        if Signal.NO in signals and state.answered:
            return goodbye(state, ctx, "Anrufer hat keine weiteren Fragen")
        if Signal.YES in signals and state.answered:
            note = Note("listen", reason="Anrufer hat eine weitere Frage")
            return speak(state, note, say_first(ctx, ("ask_question", "anything_else")))
        return failed(state, ctx, decision.reason)
    return decide(state, decision, ctx)


def decide(state: DialogueState, decision: Decision, ctx: DialogueContext) -> Reply:
    """Act on a decision about a new question (answer, confirm, choose, transfer), counting the question."""
    if decision.action == "transfer":
        department = decision.department or SWITCHBOARD
        return transfer_to(state, ctx, department, decision.topic, decision.reason)
    limit = ctx.settings.max_questions
    if state.questions >= limit:
        return switchboard(state, ctx, f"mehr als {limit} Fragen in einem Anruf")
    state = replace(state, questions=state.questions + 1)
    if decision.action == "answer" and decision.topic is not None:
        return answer_topic(state, ctx, decision.topic, decision.reason)
    if decision.action == "choose" and len(decision.options) == 2:
        first, second = (ctx.content.topic(option).title for option in decision.options)
        state = replace(
            state, phase=Phase.CHOOSE, options=decision.options, pending_topic=None, pending_department=None
        )
        note = Note("choose", decision.topic, None, decision.reason)
        return speak(state, note, say(ctx, "choose", first=first, second=second))
    # confirm: a topic, or a department the caller named without asking to be put through
    state = replace(state, phase=Phase.CONFIRM, pending_topic=decision.topic, pending_department=decision.department)
    note = Note("confirm", decision.topic, decision.department, decision.reason)
    if decision.topic is not None:
        question = say(ctx, "confirm_topic", title=ctx.content.topic(decision.topic).title)
    else:
        question = say(ctx, "confirm_department", department=department_name(ctx.content, decision.department or ""))
    return speak(state, note, question)


def heard_confirm(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """Yes or no to "Sie möchten …?"; anything that is clearly a question of its own is taken as one."""
    signals = understanding.signals
    yes, no = Signal.YES in signals, Signal.NO in signals
    if yes and not no:
        if state.pending_topic is not None:
            return answer_topic(state, ctx, state.pending_topic, "vom Anrufer bestätigt")
        department = state.pending_department or SWITCHBOARD
        return transfer_to(state, ctx, department, None, f"{department_name(ctx.content, department)} bestätigt")
    decision = first_decision(understanding, ctx.content, ctx.settings)
    if decision.action != "reprompt" and not _same_as_pending(state, decision):
        return decide(replace(state, phase=Phase.LISTENING), decision, ctx)
    if no and not yes:
        return failed(state, ctx, "Anrufer verneinte die Rückfrage", prompt="reprompt_after_no")
    if decision.action != "reprompt":  # the caller repeated the same topic: take it as a yes
        return heard_confirm(replace(state), _with_yes(understanding), ctx)
    return unclear(state, ctx, "Antwort auf die Rückfrage unklar")


def heard_choose(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """The first, the second, or one of the two by name."""
    signals = understanding.signals
    options = state.options
    picked: str | None = None
    if Signal.FIRST in signals and Signal.SECOND not in signals and options:
        picked = options[0]
    elif Signal.SECOND in signals and Signal.FIRST not in signals and len(options) > 1:
        picked = options[1]
    else:
        for candidate in understanding.candidates:
            if candidate.topic in options and candidate.score >= ctx.settings.confirm_threshold:
                picked = candidate.topic
                break
    if picked is not None:
        return answer_topic(state, ctx, picked, "vom Anrufer ausgewählt")
    if Signal.NO in signals:
        return failed(state, ctx, "keine der beiden Möglichkeiten", prompt="reprompt_after_no")
    decision = first_decision(understanding, ctx.content, ctx.settings)
    if decision.action != "reprompt":
        return decide(replace(state, phase=Phase.LISTENING, options=()), decision, ctx)
    return unclear(state, ctx, "Auswahl unklar")


def heard_callback_offer(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """Yes to the callback offer starts taking it; no goes back to "anything else?"."""
    signals = understanding.signals
    if (Signal.YES in signals and Signal.NO not in signals) or _CALLBACK.search(understanding.text.lower()):
        return ask_callback_name(state, ctx)
    if Signal.NO in signals:
        state = replace(state, phase=Phase.LISTENING, pending_topic=None, pending_department=None)
        return speak(state, Note("listen", reason="Rückruf abgelehnt"), say(ctx, "anything_else"))
    decision = first_decision(understanding, ctx.content, ctx.settings)
    if decision.action != "reprompt":
        return decide(replace(state, phase=Phase.LISTENING), decision, ctx)
    return unclear(state, ctx, "Antwort auf das Rückrufangebot unklar")


def transfer_failed_choice(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply | None:
    """The caller's explicit choice after a failed transfer ("Zentrale", "noch einmal", "Rückruf"), if any."""
    text = understanding.text.lower()
    department = state.pending_department or SWITCHBOARD
    if _SWITCHBOARD_WORDS.search(text):
        return switchboard(state, ctx, "Anrufer wählte nach gescheiterter Weiterleitung die Zentrale")
    if _CALLBACK.search(text):
        return ask_callback_name(state, ctx)
    if _RETRY.search(text) or (Signal.YES in understanding.signals and Signal.NO not in understanding.signals):
        retry, commands = transfer_to(state, ctx, department, state.pending_topic, "neuer Versuch")
        return replace(retry, failures=state.failures), commands
    return None


def heard_transfer_failed(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """After a failed transfer: the switchboard, another try, or a callback; else "anything else?" or a new question."""
    choice = transfer_failed_choice(state, understanding, ctx)
    if choice is not None:
        return choice
    if Signal.NO in understanding.signals:
        state = replace(state, phase=Phase.LISTENING, pending_topic=None, pending_department=None)
        return speak(state, Note("listen", reason="kein neuer Versuch"), say(ctx, "anything_else"))
    decision = first_decision(understanding, ctx.content, ctx.settings)
    if decision.action != "reprompt":
        return decide(replace(state, phase=Phase.LISTENING), decision, ctx)
    return unclear(state, ctx, "Antwort nach gescheiterter Weiterleitung unklar")


def heard_callback_name(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """Whatever was said is the name; then ask for the number."""
    name = understanding.text.strip()
    if not name:
        return unclear(state, ctx, "Name nicht verstanden")
    state = replace(state, phase=Phase.CALLBACK_NUMBER, callback_name=name, callback_digits="")
    note = Note("callback", state.pending_topic, state.pending_department, "Name für Rückruf aufgenommen")
    return speak(state, note, say(ctx, "callback_number"))


def heard_callback_number(state: DialogueState, understanding: Understanding, ctx: DialogueContext) -> Reply:
    """Spoken digits, or "the number I am calling from"."""
    text = understanding.text.lower()
    if _OWN_NUMBER.search(text):
        return callback_done(state, ctx, "")
    digits = state.callback_digits + spoken_digits(text)
    if len(digits) >= MIN_CALLBACK_DIGITS:
        return callback_done(state, ctx, digits)
    return unclear(replace(state, callback_digits=""), ctx, "Rufnummer nicht verstanden")


def unclear(state: DialogueState, ctx: DialogueContext, reason: str) -> Reply:
    """An answer the bot cannot use: one more failure; ask the open question again or hand over."""
    failures = state.failures + 1
    if failures >= ctx.settings.max_failures:
        return switchboard(state, ctx, failures_reason(failures, reason))
    state = replace(state, failures=failures)
    note = Note("reprompt", state.pending_topic, state.pending_department, reason)
    again = state.last_said or (say(ctx, "reprompt"),)
    return speak(state, note, *again)


def _same_as_pending(state: DialogueState, decision: Decision) -> bool:
    """The decision is about what is being confirmed already (the caller said the topic again)."""
    if state.pending_topic is not None:
        return decision.topic == state.pending_topic
    return decision.topic is None and decision.department == state.pending_department


def _with_yes(understanding: Understanding) -> Understanding:
    return replace(understanding, signals=frozenset({*understanding.signals, Signal.YES}))


__all__ = [
    "MIN_CALLBACK_DIGITS",
    "decide",
    "heard_callback_name",
    "heard_callback_number",
    "heard_callback_offer",
    "heard_choose",
    "heard_confirm",
    "heard_question",
    "heard_transfer_failed",
    "transfer_failed_choice",
    "unclear",
]
