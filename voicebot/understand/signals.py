"""Conversational signals in an utterance: yes, no, a human, repeat, goodbye, first/second, connect. Pure.

Detected on the lightly folded text (``voicebot.language.text.fold``), which still holds "ja", "nein", "bitte" and the
other words ``normalize`` drops as fillers. The dialogue decides what a signal means in its state; this
module only reports what was said.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from voicebot.understand.understanding import Signal


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONNECT_WORDS = _w(
    "verbinden verbinde verbindet verbunden weiterverbinden durchstellen durchverbinden weiterleiten "
    "weiterleiten weitergeleitet durchgestellt weiterverbunden"
)
_FUZZY_CONNECT = 85.0
"""rapidfuzz ratio from which a word is a misheard "verbinden" ("verwinden", "verminden")."""
_FUZZY_MIN_LENGTH = 7
SHORT = 4
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


@dataclass(frozen=True)
class SignalWords:
    """One language's words for the signals (folded, as ``detect`` gets them)."""

    yes_words: frozenset[str]
    yes_phrases: tuple[tuple[str, ...], ...]
    no_words: frozenset[str]
    no_phrases: tuple[tuple[str, ...], ...]
    strong_human: frozenset[str]
    """A human asked for outright ("Telefonzentrale")."""
    weak_human: frozenset[str]
    """Words that ask for a human only where no office is named ("Mitarbeiter")."""
    human_phrases: tuple[tuple[str, ...], ...]
    repeat_words: frozenset[str]
    repeat_phrases: tuple[tuple[str, ...], ...]
    repeat_short: frozenset[str]
    """Words a bare repeat request ("Was?", up to 2 words) consists of ..."""
    repeat_short_core: frozenset[str]
    """... of which at least one must be among these."""
    goodbye_words: frozenset[str]
    goodbye_phrases: tuple[tuple[str, ...], ...]
    thanks_only: frozenset[str]
    """An utterance only of these words, with one starting with ``thanks_stem``, says goodbye ("vielen Dank")."""
    thanks_stem: str
    first_words: frozenset[str]
    first_short: frozenset[str]
    """Pick the first option only in short utterances (``SHORT`` words)."""
    first_phrases: tuple[tuple[str, ...], ...]
    second_words: frozenset[str]
    second_short: frozenset[str]
    second_phrases: tuple[tuple[str, ...], ...]
    connect_words: frozenset[str]
    connect_phrases: tuple[tuple[str, ...], ...]
    connect_pairs: tuple[tuple[str, str], ...] = ()
    """Word pairs up to 6 words apart that ask to be connected ("mit dem Jugendamt sprechen")."""
    no_short: frozenset[str] = frozenset()
    """No-words only in short answers ("ne" is also colloquial for "eine")."""
    yes_only_short: bool = False
    """Yes-words count only in short answers (English "right", "sure" also fill long sentences)."""


def detect(words: list[str], lexicon: SignalWords) -> tuple[frozenset[Signal], bool]:
    """Signals in the folded words, and whether a human was asked for only with a weak word.

    A weak human request is meant for the switchboard only when no department or topic is named; the
    matcher decides that.
    """
    found: set[Signal] = set()
    short = len(words) <= SHORT
    if _has_phrase(words, lexicon.no_phrases) or any(
        word in lexicon.no_words or (short and word in lexicon.no_short) for word in words
    ):
        found.add(Signal.NO)
    elif ((short or not lexicon.yes_only_short) and any(word in lexicon.yes_words for word in words)) or _has_phrase(
        words, lexicon.yes_phrases
    ):
        found.add(Signal.YES)
    strong_human = any(word in lexicon.strong_human for word in words)
    weak_human = any(word in lexicon.weak_human for word in words) or _has_phrase(words, lexicon.human_phrases)
    if strong_human or weak_human:
        found.add(Signal.HUMAN)
    bare_question = 0 < len(words) <= 2 and all(word in lexicon.repeat_short for word in words)
    if (
        any(word in lexicon.repeat_words for word in words)
        or _has_phrase(words, lexicon.repeat_phrases)
        or (bare_question and any(word in lexicon.repeat_short_core for word in words))
    ):
        found.add(Signal.REPEAT)
    thanks_only = (
        bool(words)
        and all(word in lexicon.thanks_only for word in words)
        and any(word.startswith(lexicon.thanks_stem) for word in words)
    )
    if (
        thanks_only
        or any(word in lexicon.goodbye_words for word in words)
        or _has_phrase(words, lexicon.goodbye_phrases)
    ):
        found.add(Signal.GOODBYE)
    if (
        any(word in lexicon.first_words for word in words)
        or _has_phrase(words, lexicon.first_phrases)
        or (short and any(word in lexicon.first_short for word in words))
    ):
        found.add(Signal.FIRST)
    if (
        any(word in lexicon.second_words for word in words)
        or _has_phrase(words, lexicon.second_phrases)
        or (short and any(word in lexicon.second_short for word in words))
    ):
        found.add(Signal.SECOND)
    if (
        any(word in lexicon.connect_words for word in words)
        or _has_phrase(words, lexicon.connect_phrases)
        or any(_has_pair_apart(words, first, second) for first, second in lexicon.connect_pairs)
    ):
        found.add(Signal.CONNECT)
    return frozenset(found), weak_human and not strong_human


GERMAN = SignalWords(
    yes_words=_w(
        "ja jawohl jep jo genau richtig stimmt korrekt exakt klar natuerlich sicher freilich passt yes okay ok "
        "einverstanden gerne bitteschoen"
    ),
    yes_phrases=(("auf", "jeden", "fall"), ("das", "stimmt"), ("ganz", "genau")),
    no_words=_w("nein nee noe noee falsch keineswegs niemals"),
    no_phrases=(
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
    ),
    no_short=_w("ne no noe"),
    strong_human=_w("telefonzentrale zentrale vermittlung menschen menschlichen operator rezeption pforte"),
    weak_human=_w(
        "mensch mitarbeiter mitarbeiterin mitarbeitern mitarbeiterinnen sachbearbeiter sachbearbeiterin person"
    ),
    human_phrases=(
        ("mit", "jemandem"),
        ("mit", "jemand"),
        ("echten", "person"),
        ("kein", "roboter"),
        ("keine", "maschine"),
        ("keinen", "computer"),
        ("keinen", "roboter"),
    ),
    repeat_words=_w("nochmal nochmals wiederholen wiederholung"),
    repeat_phrases=(
        ("wie", "bitte"),
        ("noch", "mal"),
        ("noch", "einmal"),
        ("nicht", "verstanden"),
        ("was", "haben", "sie", "gesagt"),
        ("bitte", "was"),
        ("wie", "war", "das"),
        ("nicht", "mitbekommen"),
    ),
    repeat_short=_w("was wie hae haeh haeh bitte"),
    repeat_short_core=_w("was wie hae haeh"),
    goodbye_words=_w("tschuess tschuessi tschues tschau ciao wiederhoeren wiederschauen adieu"),
    goodbye_phrases=(
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
    ),
    thanks_only=_w("danke dank vielen vielmals schoen sehr herzlichen recht ok okay gut alles klar"),
    thanks_stem="danke",
    first_words=_w("erstens erstere ersteres ersterem ersteren"),
    first_short=_w("erste ersten erstes erster eins oberste obere"),
    first_phrases=(("nummer", "eins"), ("option", "eins"), ("das", "erste"), ("die", "erste"), ("der", "erste")),
    second_words=_w("zweitens letztere letzteres letzterem letzteren"),
    second_short=_w("zweite zweiten zweites zweiter zwei letzte letzten letztes andere anderes"),
    second_phrases=(
        ("nummer", "zwei"),
        ("option", "zwei"),
        ("das", "zweite"),
        ("die", "zweite"),
        ("der", "zweite"),
        ("das", "andere"),
        ("das", "letzte"),
    ),
    connect_words=_CONNECT_WORDS,
    connect_phrases=(("stellen", "durch"), ("sprechen", "mit"), ("mit", "sprechen"), ("leiten", "weiter")),
    connect_pairs=(("mit", "sprechen"), ("stellen", "durch")),
)


def detect_signals(words: list[str]) -> tuple[frozenset[Signal], bool]:
    """Signals in folded German words (:func:`detect` with :data:`GERMAN`)."""
    return detect(words, GERMAN)


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


__all__ = ["GERMAN", "SHORT", "SignalWords", "asks_to_be_put_through", "detect", "detect_signals"]
