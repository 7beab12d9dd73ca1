"""Conversational signals in an English utterance: the counterpart of ``voicebot.understand.signals``. Pure.

Detected on ``voicebot.language.english.fold_en`` words; the same signals, the same meaning for the dialogue.
"""

from __future__ import annotations

from voicebot.understand.signals import SignalWords, _has_pair_apart, detect
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
ENGLISH = SignalWords(
    yes_words=_YES_WORDS,
    yes_phrases=_YES_PHRASES,
    yes_only_short=True,
    no_words=_NO_WORDS,
    no_phrases=_NO_PHRASES,
    strong_human=_STRONG_HUMAN,
    weak_human=_WEAK_HUMAN,
    human_phrases=_HUMAN_PHRASES,
    repeat_words=_REPEAT_WORDS,
    repeat_phrases=_REPEAT_PHRASES,
    repeat_short=_REPEAT_SHORT,
    repeat_short_core=_REPEAT_SHORT_CORE,
    goodbye_words=_GOODBYE_WORDS,
    goodbye_phrases=_GOODBYE_PHRASES,
    thanks_only=_THANKS_ONLY,
    thanks_stem="thank",
    first_words=_FIRST_WORDS,
    first_short=_FIRST_SHORT,
    first_phrases=_FIRST_PHRASES,
    second_words=_SECOND_WORDS,
    second_short=_SECOND_SHORT,
    second_phrases=_SECOND_PHRASES,
    connect_words=_CONNECT_WORDS,
    connect_phrases=_CONNECT_PHRASES,
)


def detect_signals_en(words: list[str]) -> tuple[frozenset[Signal], bool]:
    """Signals in folded English words (``detect`` with :data:`ENGLISH`), and whether a human was asked for
    only with a weak word ("someone")."""
    return detect(words, ENGLISH)


def asks_to_be_put_through_en(words: list[str]) -> bool:
    """Folded words that sound like "put me through to ...": a badly heard office name is worth asking back."""
    return (
        _has_pair_apart(words, "put", "through")
        or _has_pair_apart(words, "connect", "to")
        or ("transfer" in words and "me" in words)
    )


__all__ = ["ENGLISH", "asks_to_be_put_through_en", "detect_signals_en"]
