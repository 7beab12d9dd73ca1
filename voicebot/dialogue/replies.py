"""Building blocks of the policy's replies: answer, transfer (or "closed, callback?"), ask again, say goodbye.

Pure. Each function takes the state and context and returns the new state plus the turn's commands.
"""

from __future__ import annotations

import re
from dataclasses import replace

from voicebot.config.hours import describe_next_opening, describe_next_opening_en, is_open, next_opening
from voicebot.content.model import SWITCHBOARD, Content, render_text
from voicebot.dialogue.types import (
    Command,
    DialogueContext,
    DialogueState,
    HangUp,
    Note,
    Phase,
    RecordCallback,
    Say,
    Transfer,
)

Reply = tuple[DialogueState, list[Command]]
"""The new state and the commands of one turn."""


def say(ctx: DialogueContext, prompt: str, **values: str) -> Say:
    """A prompt from the content, with district facts and ``values`` filled in."""
    merged = {**ctx.content.facts, **values}
    return Say(prompt, render_text(ctx.content.prompts[prompt], merged))


def say_first(ctx: DialogueContext, prompts: tuple[str, ...], **values: str) -> Say:
    """The first of ``prompts`` the content has (for optional prompt ids with a standard fallback)."""
    for prompt in prompts:
        if prompt in ctx.content.prompts:
            return say(ctx, prompt, **values)
    return say(ctx, prompts[-1], **values)


def department_name(content: Content, department_id: str) -> str:
    """Spoken name of a department (its id if unknown)."""
    try:
        return content.department(department_id).name
    except KeyError:
        return department_id


def speak(state: DialogueState, note: Note | None, *commands: Command) -> Reply:
    """A turn's reply; remembers what was said for "repeat that" and resets the silence counter."""
    said = tuple(c for c in commands if isinstance(c, Say))
    if said:
        state = replace(state, last_said=said)
    head: list[Command] = [note] if note is not None else []
    return replace(state, no_inputs=0), head + list(commands)


def answer_topic(state: DialogueState, ctx: DialogueContext, topic_id: str, reason: str) -> Reply:
    """Speak a topic's answer and ask for more, or transfer for transfer-kind topics."""
    topic = ctx.content.topic(topic_id)
    if topic.kind == "transfer":
        return transfer_to(state, ctx, topic.department, topic.id, reason)
    answer = Say(f"answer:{topic.id}", render_text(topic.answer, ctx.content.facts))
    offer = bool(topic.details) and "offer_details" in ctx.content.prompts
    state = replace(
        state,
        phase=Phase.LISTENING,
        pending_topic=None,
        pending_department=None,
        options=(),
        failures=0,
        answered=(*state.answered, topic.id),
        details_topic=topic.id if offer else None,
    )
    note = Note("answer", topic.id, None, reason)
    return speak(state, note, answer, say(ctx, "offer_details" if offer else "anything_else"))


def department_open(ctx: DialogueContext, department_id: str) -> bool:
    """Whether the department takes calls now (no schedule = always)."""
    schedule = ctx.schedules.get(department_id)
    return schedule is None or is_open(schedule.hours, schedule.closed, ctx.now)


def next_opening_text(ctx: DialogueContext, department_id: str) -> str:
    """When the department opens next, for the ear ("morgen um 8 Uhr")."""
    schedule = ctx.schedules.get(department_id)
    opening = None if schedule is None else next_opening(schedule.hours, schedule.closed, ctx.now)
    if ctx.content.language == "en":
        return "not in the next few days" if opening is None else describe_next_opening_en(opening, ctx.now)
    return "in den nächsten Tagen nicht" if opening is None else describe_next_opening(opening, ctx.now)


def transfer_to(
    state: DialogueState, ctx: DialogueContext, department_id: str, topic_id: str | None, reason: str
) -> Reply:
    """Announce and transfer when the department is open; otherwise say when it opens and offer a callback."""
    name = department_name(ctx.content, department_id)
    state = replace(
        state, pending_department=department_id, pending_topic=topic_id, options=(), failures=0, menu_offered=False
    )
    if department_open(ctx, department_id):
        state = replace(state, phase=Phase.TRANSFERRING)
        announce = (
            say(ctx, "transfer_switchboard") if department_id == SWITCHBOARD else say(ctx, "transfer", department=name)
        )
        if topic_id is not None and _untranslated(ctx.content, topic_id):  # no answer in the caller's language
            announce = say_first(ctx, ("transfer_untranslated", "transfer"), department=name)
        return speak(
            state, Note("transfer", topic_id, department_id, reason), announce, Transfer(department_id, reason)
        )
    opening = next_opening_text(ctx, department_id)
    closed = (
        say(ctx, "switchboard_closed", next_opening=opening)
        if department_id == SWITCHBOARD
        else say(ctx, "department_closed", department=name, next_opening=opening)
    )
    state = replace(state, phase=Phase.CALLBACK_OFFER)
    note = Note("callback", topic_id, department_id, f"{reason}; {name} geschlossen, Rückruf angeboten")
    return speak(state, note, closed, say(ctx, "callback_offer"))


def _untranslated(content: Content, topic_id: str) -> bool:
    try:
        return content.topic(topic_id).untranslated
    except KeyError:
        return False


def switchboard(state: DialogueState, ctx: DialogueContext, reason: str) -> Reply:
    """Put the caller through to the human switchboard (or offer a callback when it is closed)."""
    return transfer_to(state, ctx, SWITCHBOARD, None, reason)


def dtmf_menu(ctx: DialogueContext) -> Say | None:
    """The keypad menu read out from the departments' digits, or None when no department has one."""
    departments = sorted((d for d in ctx.content.departments if d.dtmf), key=lambda d: d.dtmf)
    if not departments:
        return None
    options = " ".join(say(ctx, "dtmf_option", digit=d.dtmf, name=d.name).text for d in departments)
    return say(ctx, "dtmf_menu", options=options)


def failed(state: DialogueState, ctx: DialogueContext, reason: str, prompt: str = "reprompt") -> Reply:
    """One more failed attempt: ask again (with the keypad menu the first time), or hand over to the switchboard."""
    failures = state.failures + 1
    if failures >= ctx.settings.max_failures:
        return switchboard(state, ctx, failures_reason(failures, reason))
    state = replace(state, phase=Phase.LISTENING, failures=failures, pending_topic=None, pending_department=None)
    menu = None if state.menu_offered else dtmf_menu(ctx)
    note = Note("reprompt" if menu is None else "menu", None, None, reason)
    if menu is None:
        return speak(state, note, say(ctx, prompt))
    return speak(replace(state, menu_offered=True), note, say(ctx, prompt), menu)


_COUNT_WORDS = ("null", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn")


def failures_reason(failures: int, reason: str) -> str:
    """Transfer reason after too many failed attempts: "zwei Fehlversuche in Folge (nicht verstanden)"."""
    count = _COUNT_WORDS[failures] if failures < len(_COUNT_WORDS) else str(failures)
    word = "Fehlversuch" if failures == 1 else "Fehlversuche"
    return f"{count} {word} in Folge ({reason})"


def goodbye(state: DialogueState, ctx: DialogueContext, reason: str) -> Reply:
    """Say goodbye and hang up."""
    state = replace(state, phase=Phase.ENDED, ended_reason=reason)
    return speak(state, Note("goodbye", None, None, reason), say(ctx, "goodbye"), HangUp(reason))


def repeat(state: DialogueState, ctx: DialogueContext) -> Reply:
    """Say again what was said last (the counters stay as they are)."""
    said = state.last_said or (say(ctx, "nothing_to_repeat"),)
    return replace(state, no_inputs=0), [
        Note("repeat", state.pending_topic, state.pending_department, "Anrufer bat um Wiederholung"),
        *said,
    ]


def ask_callback_name(state: DialogueState, ctx: DialogueContext) -> Reply:
    """Start taking a callback request: ask for the name."""
    state = replace(state, phase=Phase.CALLBACK_NAME, failures=0, callback_name="", callback_digits="")
    note = Note("callback", state.pending_topic, state.pending_department, "Anrufer wünscht Rückruf")
    return speak(state, note, say(ctx, "callback_name"))


def callback_done(state: DialogueState, ctx: DialogueContext, number: str) -> Reply:
    """Store the callback request, confirm it and hang up."""
    department = state.pending_department or SWITCHBOARD
    name = department_name(ctx.content, department)
    reason = "Rückruf vereinbart" if number else "Rückruf vereinbart (Rufnummer des Anrufers)"
    state = replace(state, phase=Phase.ENDED, callback_recorded=True, ended_reason=reason)
    request = RecordCallback(state.callback_name, number, department, state.pending_topic)
    note = Note("callback", state.pending_topic, department, reason)
    return speak(state, note, request, say(ctx, "callback_done", department=name), say(ctx, "goodbye"), HangUp(reason))


_DIGIT_WORDS = {
    "null": "0",
    "eins": "1",
    "ein": "1",
    "eine": "1",
    "zwei": "2",
    "zwo": "2",
    "drei": "3",
    "vier": "4",
    "fünf": "5",
    "fuenf": "5",
    "sechs": "6",
    "sieben": "7",
    "acht": "8",
    "neun": "9",
    **{
        word: str(digit)
        for digit, word in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    },
    "oh": "0",
}


def spoken_digits(text: str) -> str:
    """The digits in a spoken or typed phone number: "null acht drei 81" -> "08381" (English digit words too:
    "zero eight three" -> "083")."""
    digits: list[str] = []
    for word in re.findall(r"\d+|[^\W\d]+", text.lower()):
        if word.isdigit():
            digits.append(word)
        elif word in _DIGIT_WORDS:
            digits.append(_DIGIT_WORDS[word])
    return "".join(digits)
