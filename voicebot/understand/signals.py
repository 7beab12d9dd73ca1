"""Conversational signals in an utterance: yes, no, a human, repeat, goodbye, first/second, connect. Pure.

Detected on the lightly folded text (``voicebot.language.text.fold``), which still holds "ja", "nein", "bitte" and the
other words ``normalize`` drops as fillers. The dialogue decides what a signal means in its state; this
module only reports what was said.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from voicebot.understand.understanding import Signal


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


_YES_WORDS = _w(
    "ja jawohl jep jo genau richtig stimmt korrekt exakt klar natuerlich sicher freilich passt yes okay ok "
    "einverstanden gerne bitteschoen"
)
_YES_PHRASES = (("auf", "jeden", "fall"), ("das", "stimmt"), ("ganz", "genau"))
_NO_WORDS = _w("nein nee noe noee falsch keineswegs niemals")
_NO_SHORT = _w("ne no noe")
"""Only in short answers: "ne" is also colloquial for "eine"."""
_NO_PHRASES = (
    ("nicht", "ganz"),
    ("stimmt", "nicht"),
    ("nicht", "richtig"),
    ("auf", "keinen", "fall"),
    ("eben", "nicht"),
    ("nicht", "wirklich"),
    ("eher", "nicht"),
    ("gar", "nicht"),
    ("nicht", "gemeint"),
    ("nicht", "das"),
    ("etwas", "anderes"),
    ("was", "anderes"),
)
_STRONG_HUMAN = _w("telefonzentrale zentrale vermittlung menschen menschlichen operator rezeption pforte")
_WEAK_HUMAN = _w(
    "mensch mitarbeiter mitarbeiterin mitarbeitern mitarbeiterinnen sachbearbeiter sachbearbeiterin person"
)
_HUMAN_PHRASES = (
    ("mit", "jemandem"),
    ("mit", "jemand"),
    ("echten", "person"),
    ("kein", "roboter"),
    ("keine", "maschine"),
    ("keinen", "computer"),
    ("keinen", "roboter"),
)
_REPEAT_WORDS = _w("nochmal nochmals wiederholen wiederholung")
_REPEAT_PHRASES = (
    ("wie", "bitte"),
    ("noch", "mal"),
    ("noch", "einmal"),
    ("nicht", "verstanden"),
    ("was", "haben", "sie", "gesagt"),
    ("bitte", "was"),
    ("wie", "war", "das"),
    ("nicht", "mitbekommen"),
)
_REPEAT_SHORT = _w("was wie hae haeh haeh bitte")
"""A bare "Was?", "Wie?", "Hä?" asks to repeat ("Bitte?" alone too, unless it comes with yes/no)."""
_REPEAT_SHORT_CORE = _w("was wie hae haeh")
_GOODBYE_WORDS = _w("tschuess tschuessi tschues tschau ciao wiederhoeren wiederschauen adieu")
_GOODBYE_PHRASES = (
    ("auf", "wiederhoeren"),
    ("auf", "wiedersehen"),
    ("das", "wars"),
    ("das", "war", "s"),
    ("das", "war", "alles"),
    ("das", "waere", "alles"),
    ("das", "waers"),
    ("war", "alles"),
    ("sonst", "nichts"),
    ("nichts", "mehr"),
    ("schoenen", "tag", "noch"),
    ("nein", "danke"),
    ("ne", "danke"),
    ("nee", "danke"),
    ("noe", "danke"),
    ("danke", "nein"),
)
_THANKS_ONLY = _w("danke dank vielen vielmals schoen sehr herzlichen recht ok okay gut alles klar")
_FIRST_WORDS = _w("erstens erstere ersteres ersterem ersteren")
_FIRST_SHORT = _w("erste ersten erstes erster eins oberste obere")
_FIRST_PHRASES = (("nummer", "eins"), ("option", "eins"), ("das", "erste"), ("die", "erste"), ("der", "erste"))
_SECOND_WORDS = _w("zweitens letztere letzteres letzterem letzteren")
_SECOND_SHORT = _w("zweite zweiten zweites zweiter zwei letzte letzten letztes andere anderes")
_SECOND_PHRASES = (
    ("nummer", "zwei"),
    ("option", "zwei"),
    ("das", "zweite"),
    ("die", "zweite"),
    ("der", "zweite"),
    ("das", "andere"),
    ("das", "letzte"),
)
_CONNECT_WORDS = _w(
    "verbinden verbinde verbindet verbunden weiterverbinden durchstellen durchverbinden weiterleiten "
    "weiterleiten weitergeleitet durchgestellt weiterverbunden"
)
_CONNECT_PHRASES = (("stellen", "durch"), ("sprechen", "mit"), ("mit", "sprechen"), ("leiten", "weiter"))
_FUZZY_CONNECT = 85.0
"""rapidfuzz ratio from which a word is a misheard "verbinden" ("verwinden", "verminden")."""
_FUZZY_MIN_LENGTH = 7
_SHORT = 4
"""Utterances up to this many words may pick an option with a bare "erste"/"zweite"."""


def _has_phrase(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    for phrase in phrases:
        size = len(phrase)
        for i in range(len(words) - size + 1):
            if tuple(words[i : i + size]) == phrase:
                return True
    return False


def _has_pair_apart(words: list[str], first: str, second: str, gap: int = 6) -> bool:
    """``first`` followed by ``second`` within ``gap`` words ("mit dem Jugendamt sprechen")."""
    return any(word == first and second in words[i + 1 : i + 1 + gap] for i, word in enumerate(words))


def detect_signals(words: list[str]) -> tuple[frozenset[Signal], bool]:
    """Signals in the folded words, and whether a human was asked for only with a weak word ("Mitarbeiter").

    A weak human request is meant for the switchboard only when no department or topic is named; the
    matcher decides that.
    """
    found: set[Signal] = set()
    short = len(words) <= _SHORT
    negated = _has_phrase(words, _NO_PHRASES)
    if negated or any(word in _NO_WORDS or (short and word in _NO_SHORT) for word in words):
        found.add(Signal.NO)
    elif any(word in _YES_WORDS for word in words) or _has_phrase(words, _YES_PHRASES):
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
    thanks_only = bool(words) and all(word in _THANKS_ONLY for word in words) and "danke" in words
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
    if (
        any(word in _CONNECT_WORDS for word in words)
        or _has_phrase(words, _CONNECT_PHRASES)
        or _has_pair_apart(words, "mit", "sprechen")
        or _has_pair_apart(words, "stellen", "durch")
    ):
        found.add(Signal.CONNECT)
    return frozenset(found), weak_human and not strong_human


def asks_to_be_put_through(words: list[str]) -> bool:
    """Folded words that sound like "verbinden Sie mich mit ..." even when misheard ("verwinden",
    "serbimden Sie mich ... mit"): the caller wants an office, so a badly heard office name is worth asking
    back about."""
    if any(
        len(word) >= _FUZZY_MIN_LENGTH
        and process.extractOne(word, _CONNECT_WORDS, scorer=fuzz.ratio, score_cutoff=_FUZZY_CONNECT)
        for word in words
    ):
        return True
    return _has_pair_apart(words, "sie", "mich") and "mit" in words


__all__ = ["asks_to_be_put_through", "detect_signals"]
