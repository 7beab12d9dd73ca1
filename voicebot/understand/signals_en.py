"""Conversational signals in an English utterance: the counterpart of ``voicebot.understand.signals``. Pure.

Detected on ``voicebot.language.english.fold_en`` words; the same signals, the same meaning for the dialogue.
"""

from __future__ import annotations

from voicebot.understand.signals import _has_pair_apart, _has_phrase
from voicebot.understand.understanding import Signal


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


_YES_WORDS = _w("yes yeah yep yup ya correct right exactly sure absolutely indeed okay ok certainly definitely")
_YES_PHRASES = (("that", "is", "right"), ("of", "course"), ("that", "is", "it"))
_NO_WORDS = _w("no nope nah wrong incorrect")
_NO_PHRASES = (
    ("not", "quite"),
    ("not", "really"),
    ("not", "right"),
    ("not", "that"),
    ("something", "else"),
    ("not", "what", "i"),
    ("no", "thanks"),
)
_STRONG_HUMAN = _w("operator switchboard receptionist reception human")
_WEAK_HUMAN = _w("person staff employee agent advisor adviser clerk")
_HUMAN_PHRASES = (
    ("real", "person"),
    ("not", "a", "robot"),
    ("not", "a", "machine"),
    ("member", "of", "staff"),
    ("to", "someone"),
    ("to", "somebody"),
    ("with", "someone"),
    ("with", "somebody"),
)
_REPEAT_WORDS = _w("repeat pardon")
_REPEAT_PHRASES = (
    ("say", "that", "again"),
    ("say", "it", "again"),
    ("come", "again"),
    ("did", "not", "catch"),
    ("did", "not", "understand"),
    ("once", "more"),
    ("one", "more", "time"),
    ("what", "did", "you", "say"),
    ("sorry", "what"),
)
_REPEAT_SHORT = _w("what sorry huh eh pardon")
_REPEAT_SHORT_CORE = _w("what huh pardon")
_GOODBYE_WORDS = _w("bye goodbye cheers")
_GOODBYE_PHRASES = (
    ("that", "is", "all"),
    ("that", "is", "it", "thanks"),
    ("nothing", "else"),
    ("no", "thanks"),
    ("no", "thank", "you"),
    ("have", "a", "nice", "day"),
    ("that", "was", "all"),
)
_THANKS_ONLY = _w("thanks thank you very much great ok okay fine good many")
_FIRST_WORDS = _w("former firstly")
_FIRST_SHORT = _w("first one 1")
_FIRST_PHRASES = (("the", "first"), ("first", "one"), ("number", "one"), ("option", "one"))
_SECOND_WORDS = _w("latter secondly")
_SECOND_SHORT = _w("second two 2 other last")
_SECOND_PHRASES = (("the", "second"), ("second", "one"), ("number", "two"), ("option", "two"), ("the", "other"))
_CONNECT_WORDS = _w("connect connected transfer forward")
_CONNECT_PHRASES = (("put", "me", "through"), ("put", "through"), ("speak", "to"), ("talk", "to"), ("speak", "with"))
_SHORT = 4


def detect_signals_en(words: list[str]) -> tuple[frozenset[Signal], bool]:
    """Signals in folded English words, and whether a human was asked for only with a weak word ("someone")."""
    found: set[Signal] = set()
    short = len(words) <= _SHORT
    if _has_phrase(words, _NO_PHRASES) or any(word in _NO_WORDS for word in words):
        found.add(Signal.NO)
    elif (short and any(word in _YES_WORDS for word in words)) or _has_phrase(words, _YES_PHRASES):
        found.add(Signal.YES)
    strong_human = any(word in _STRONG_HUMAN for word in words)
    weak_human = any(word in _WEAK_HUMAN for word in words) or _has_phrase(words, _HUMAN_PHRASES)
    if strong_human or weak_human:
        found.add(Signal.HUMAN)
    bare_question = 0 < len(words) <= 2 and all(word in _REPEAT_SHORT for word in words)
    if (
        any(word in _REPEAT_WORDS for word in words)
        or _has_phrase(words, _REPEAT_PHRASES)
        or (bare_question and any(word in _REPEAT_SHORT_CORE for word in words))
    ):
        found.add(Signal.REPEAT)
    thanks_only = bool(words) and all(word in _THANKS_ONLY for word in words) and "thank" in " ".join(words)
    if thanks_only or any(word in _GOODBYE_WORDS for word in words) or _has_phrase(words, _GOODBYE_PHRASES):
        found.add(Signal.GOODBYE)
    if (
        any(word in _FIRST_WORDS for word in words)
        or _has_phrase(words, _FIRST_PHRASES)
        or (short and any(word in _FIRST_SHORT for word in words))
    ):
        found.add(Signal.FIRST)
    if (
        any(word in _SECOND_WORDS for word in words)
        or _has_phrase(words, _SECOND_PHRASES)
        or (short and any(word in _SECOND_SHORT for word in words))
    ):
        found.add(Signal.SECOND)
    if any(word in _CONNECT_WORDS for word in words) or _has_phrase(words, _CONNECT_PHRASES):
        found.add(Signal.CONNECT)
    return frozenset(found), weak_human and not strong_human


def asks_to_be_put_through_en(words: list[str]) -> bool:
    """Folded words that sound like "put me through to ...": a badly heard office name is worth asking back."""
    return (
        _has_pair_apart(words, "put", "through")
        or _has_pair_apart(words, "connect", "to")
        or ("transfer" in words and "me" in words)
    )


__all__ = ["asks_to_be_put_through_en", "detect_signals_en"]
