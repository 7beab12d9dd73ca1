"""What to do with one open question: answer, confirm, offer two, transfer or ask again. Pure.

``first_decision`` is what ``voicebot match`` prints; the policy in ``voicebot.dialogue.policy`` acts on the
same decision, so the two never disagree (opening hours aside, which only the policy knows).
"""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.config.settings import DialogueSettings
from voicebot.content.model import SWITCHBOARD, Content
from voicebot.understand.understanding import Signal, Understanding

HUMAN_TOPIC = "mitarbeiter"
"""Topic id of "I want to talk to a person" (a transfer to the switchboard)."""

ACTIONS = ("answer", "confirm", "transfer", "reprompt", "choose")
"""Possible ``Decision.action`` values."""


@dataclass(frozen=True)
class Decision:
    """What the bot would do with an utterance heard as an open question."""

    action: str
    """One of ACTIONS."""
    topic: str | None
    """Topic answered, confirmed or transferred for (the first option for ``choose``)."""
    department: str | None
    """Transfer target for ``transfer`` and for ``confirm`` of a transfer; else None."""
    score: float
    """Score of the best candidate (0..1; 0 when nothing matched)."""
    alternatives: tuple[tuple[str, float], ...] = ()
    """Other candidates (topic id, score), best first, at most four."""
    options: tuple[str, ...] = ()
    """The two topics offered for ``choose``."""
    reason: str = ""
    """Why, in German words for the staff."""


def first_decision(understanding: Understanding, content: Content, settings: DialogueSettings) -> Decision:
    """The decision for an utterance as the caller's first sentence (also used for every open question)."""
    best, runner = understanding.best, understanding.runner_up
    score = best.score if best else 0.0
    alternatives = tuple((c.topic, c.score) for c in understanding.candidates[1:5])
    topic_ids = {topic.id for topic in content.topics}
    if Signal.HUMAN in understanding.signals or (
        best and best.topic == HUMAN_TOPIC and score >= settings.confirm_threshold
    ):
        human = HUMAN_TOPIC if HUMAN_TOPIC in topic_ids else None
        return Decision("transfer", human, SWITCHBOARD, score, alternatives, reason="Anrufer verlangte Mitarbeiter")
    named = understanding.department
    if named is not None and Signal.CONNECT in understanding.signals:
        name = _department_name(content, named)
        return Decision("transfer", None, named, score, alternatives, reason=f"Anrufer verlangte {name}")
    if named is not None and score < settings.answer_threshold:
        name = _department_name(content, named)
        return Decision("confirm", None, named, score, alternatives, reason=f"Anrufer nannte {name}")
    if best is None or score < settings.confirm_threshold or best.topic not in topic_ids:
        return Decision("reprompt", None, None, score, alternatives, reason="nicht verstanden")
    topic = content.topic(best.topic)
    transfer_target = topic.department if topic.kind == "transfer" else None
    if (
        runner is not None
        and runner.topic != best.topic
        and runner.topic in topic_ids
        and runner.score >= settings.confirm_threshold
        and score - runner.score <= settings.ambiguity_margin
    ):
        return Decision(
            "choose", best.topic, None, score, alternatives, (best.topic, runner.topic), reason="zwei Themen möglich"
        )
    if score >= settings.answer_threshold:
        action = "transfer" if transfer_target else "answer"
        reason = f"Thema {topic.id} erkannt" if action == "answer" else f"Thema {topic.id} braucht Sachbearbeitung"
        return Decision(action, topic.id, transfer_target, score, alternatives, reason=reason)
    return Decision("confirm", topic.id, transfer_target, score, alternatives, reason=f"unsicher ({score:.2f})")


def _department_name(content: Content, department_id: str) -> str:
    try:
        return content.department(department_id).name
    except KeyError:
        return department_id


__all__ = ["ACTIONS", "HUMAN_TOPIC", "Decision", "first_decision"]
