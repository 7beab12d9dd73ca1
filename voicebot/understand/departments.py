"""Department request or topic question? How the matcher weighs a department the caller named. Pure."""

from __future__ import annotations

from voicebot.content.model import SWITCHBOARD
from voicebot.understand.understanding import Signal

HUMAN_TOPIC = "mitarbeiter"
"""Topic id of "I want to talk to a person"."""
NAMED_ONLY_DAMPING = 0.7
"""Topic scores are scaled by this when the utterance only names a department (or asks to be put through)."""
NAMED_DEPARTMENT_DAMPING = 0.9
NAMED_REQUEST_BELOW = 0.45
"""A department named with no topic scoring this much is a request to be put through."""
HUMAN_WITH_DEPARTMENT = 0.4
"""The "talk to a person" topic counts this much when the caller names a department (the person is there)."""
TOPIC_AS_NAME = 0.85
"""A bare name that is also this good a topic match ("Kfz-Zulassung") is the topic, not the office."""
TOPIC_OVER_DEPARTMENT = 0.55
"""A topic of the named department this sure wins over the department (no transfer asked for)."""


def without_human(scores: dict[str, tuple[float, str]]) -> dict[str, tuple[float, str]]:
    """The scores with the "talk to a person" topic weighed down (the caller named an office: the person is
    there)."""
    if HUMAN_TOPIC not in scores:
        return scores
    score, method = scores[HUMAN_TOPIC]
    return {**scores, HUMAN_TOPIC: (score * HUMAN_WITH_DEPARTMENT, method)}


def weigh_department(
    department: str,
    dept_words: set[str],
    words: tuple[str, ...],
    scores: dict[str, tuple[float, str]],
    signals: frozenset[Signal],
    topic_department: dict[str, str],
) -> tuple[str | None, dict[str, tuple[float, str]], frozenset[Signal]]:
    """Department request or topic question? Returns the department (or None), topic scores and signals."""
    rest = [word for word in words if word not in dept_words]
    own = max(
        (score for topic, (score, _m) in scores.items() if topic_department.get(topic) == department),
        default=0.0,
    )
    if Signal.CONNECT not in signals and own >= (TOPIC_AS_NAME if not rest else TOPIC_OVER_DEPARTMENT):
        # "Kfz-Zulassung", "wann kommt die Müllabfuhr": a question to that office, not a request for it
        return None, scores, signals
    best = max((score for topic, (score, _m) in scores.items() if topic != HUMAN_TOPIC), default=0.0)
    if department == SWITCHBOARD:
        signals = signals | {Signal.HUMAN}  # "mit der Telefoncentrale" (misheard): the switchboard is people
    elif not rest or best < NAMED_REQUEST_BELOW:
        # a bare department name, or one with no question about anything ("Geben Sie mir das Jugendamt")
        signals = signals | {Signal.CONNECT}
    if Signal.CONNECT in signals:
        damping = NAMED_DEPARTMENT_DAMPING if rest else NAMED_ONLY_DAMPING
        scores = {topic: (score * damping, method) for topic, (score, method) in scores.items()}
    if department != SWITCHBOARD:
        scores = without_human(scores)
    return department, scores, signals


__all__ = ["HUMAN_TOPIC", "weigh_department", "without_human"]
