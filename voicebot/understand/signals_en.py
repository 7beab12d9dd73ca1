"""Conversational signals in an English utterance: the counterpart of ``voicebot.understand.signals``. Pure.

Detected on ``voicebot.language.english.fold_en`` words; the same signals, the same meaning for the dialogue.
"""

from __future__ import annotations

from voicebot.understand.signals import SignalWords, _has_pair_apart, detect
from voicebot.understand.understanding import Signal


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH = SignalWords(
    yes_words=_w("yes yeah yep yup ya correct right exactly sure absolutely indeed okay ok certainly definitely"),
    yes_phrases=(("that", "is", "right"), ("of", "course"), ("that", "is", "it")),
    yes_only_short=True,
    no_words=_w("no nope nah wrong incorrect"),
    no_phrases=(
        ("not", "quite"),
        ("not", "really"),
        ("not", "right"),
        ("not", "that"),
        ("something", "else"),
        ("not", "what", "i"),
        ("no", "thanks"),
    ),
    strong_human=_w("operator switchboard receptionist reception human"),
    weak_human=_w("person staff employee agent advisor adviser clerk"),
    human_phrases=(
        ("real", "person"),
        ("not", "a", "robot"),
        ("not", "a", "machine"),
        ("member", "of", "staff"),
        ("to", "someone"),
        ("to", "somebody"),
        ("with", "someone"),
        ("with", "somebody"),
    ),
    repeat_words=_w("repeat pardon"),
    repeat_phrases=(
        ("say", "that", "again"),
        ("say", "it", "again"),
        ("come", "again"),
        ("did", "not", "catch"),
        ("did", "not", "understand"),
        ("once", "more"),
        ("one", "more", "time"),
        ("what", "did", "you", "say"),
        ("sorry", "what"),
    ),
    repeat_short=_w("what sorry huh eh pardon"),
    repeat_short_core=_w("what huh pardon"),
    goodbye_words=_w("bye goodbye cheers"),
    goodbye_phrases=(
        ("that", "is", "all"),
        ("that", "is", "it", "thanks"),
        ("nothing", "else"),
        ("no", "thanks"),
        ("no", "thank", "you"),
        ("have", "a", "nice", "day"),
        ("that", "was", "all"),
    ),
    thanks_only=_w("thanks thank you very much great ok okay fine good many"),
    thanks_stem="thank",
    first_words=_w("former firstly"),
    first_short=_w("first one 1"),
    first_phrases=(("the", "first"), ("first", "one"), ("number", "one"), ("option", "one")),
    second_words=_w("latter secondly"),
    second_short=_w("second two 2 other last"),
    second_phrases=(("the", "second"), ("second", "one"), ("number", "two"), ("option", "two"), ("the", "other")),
    connect_words=_w("connect connected transfer forward"),
    connect_phrases=(("put", "me", "through"), ("put", "through"), ("speak", "to"), ("talk", "to"), ("speak", "with")),
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
