"""The language-specific word knowledge of the matcher, one ``Lexicon`` per language. Pure.

The matcher's logic is the same for every language; what differs is here: how text is folded and
normalised, which words say nothing (stopwords) or little (question words, generic verbs), which words name
another authority, how words are stemmed and split, and how yes/no/repeat/... are said. ``lexicon_for``
picks the one for a ``Content``'s language (German for an unknown code: its content cannot be matched
anyway, its calls are put through).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from voicebot.language.compounds import compound_parts, split_compound
from voicebot.language.english import fold_en, normalize_en, stem_en
from voicebot.language.text import DOMAIN_WORDS, fold, normalize
from voicebot.understand.signals import asks_to_be_put_through, detect_signals
from voicebot.understand.signals_en import asks_to_be_put_through_en, detect_signals_en
from voicebot.understand.understanding import Signal
from voicebot.understand.words import FOREIGN_STEMS, FOREIGN_WORDS, LIGHT_WORDS, QUESTION_WORDS, STOPWORDS, stem


@dataclass(frozen=True)
class Lexicon:
    """What the matcher needs to know about one language."""

    language: str
    fold: Callable[[str], str]
    """Light folding: every word kept (signals are read here)."""
    normalize: Callable[[str, Collection[str] | None], str]
    """Match form of an utterance or phrasing, towards a vocabulary."""
    domain_words: frozenset[str]
    """Words known besides the FAQ base's own."""
    stopwords: frozenset[str]
    question_words: frozenset[str]
    light_words: frozenset[str]
    foreign_stems: frozenset[str]
    foreign_words: frozenset[str]
    stem: Callable[[str], str]
    split: Callable[[str, Collection[str]], list[str]]
    """A known word into known parts (German compounds); ``[word]`` where a language has none."""
    parts: Callable[[str, Collection[str]], list[str]]
    """An unknown word into parts, the last being its head (for modifiers of unknown compounds)."""
    signals: Callable[[list[str]], tuple[frozenset[Signal], bool]]
    put_through: Callable[[list[str]], bool]


def _whole(word: str, _vocabulary: Collection[str]) -> list[str]:
    return [word]


GERMAN = Lexicon(
    language="de",
    fold=fold,
    normalize=normalize,
    domain_words=DOMAIN_WORDS,
    stopwords=STOPWORDS,
    question_words=QUESTION_WORDS,
    light_words=LIGHT_WORDS,
    foreign_stems=FOREIGN_STEMS,
    foreign_words=FOREIGN_WORDS,
    stem=stem,
    split=lambda word, vocabulary: list(split_compound(word, set(vocabulary))),
    parts=lambda word, vocabulary: list(compound_parts(word, vocabulary)),
    signals=detect_signals,
    put_through=asks_to_be_put_through,
)
"""German: ``voicebot.language.text``, ``voicebot.understand.words`` and ``voicebot.understand.signals``."""

_EN_QUESTION = frozenset(str.split("when where how long much cost costs today tomorrow new"))
_EN_GENERIC = frozenset(str.split("get got do does did make go come take give bring put"))
_EN_STOPWORDS = (
    frozenset(
        str.split(
            "i me my mine myself you your yours we us our he him his she her they them their it its a an the "
            "and or but if so to of in on at by for from with about into over than then there here this that "
            "these those what which who whom whose why is am are was were be been being have has had having "
            "do does did can could would should will shall may might must not no yes please thanks thank hello "
            "want wanted wants need needs needed like would know tell ask asking question questions information "
            "info some any anything something just also still again very really all one ones any way do "
            "regarding concerning about help"
        )
    )
    - _EN_QUESTION
    - _EN_GENERIC
)
_EN_FOREIGN_STEMS = frozenset(
    str.split(
        "taxoffice incometax jobcentre jobcenter unemployment police hospital pharmacy court lawyer solicitor "
        "insurance doctor dentist"
    )
)
_EN_FOREIGN_WORDS = _EN_FOREIGN_STEMS | frozenset(
    str.split("pizza taxi football weather burglary speeding hairdresser hotel train flight")
)

ENGLISH = Lexicon(
    language="en",
    fold=fold_en,
    normalize=normalize_en,
    domain_words=frozenset(),
    stopwords=_EN_STOPWORDS,
    question_words=_EN_QUESTION,
    light_words=_EN_QUESTION | _EN_GENERIC,
    foreign_stems=_EN_FOREIGN_STEMS,
    foreign_words=_EN_FOREIGN_WORDS,
    stem=stem_en,
    split=_whole,
    parts=_whole,
    signals=detect_signals_en,
    put_through=asks_to_be_put_through_en,
)
"""English: ``voicebot.language.english`` and ``voicebot.understand.signals_en``."""

LEXICONS = {"de": GERMAN, "en": ENGLISH}
"""Languages the matcher understands."""


def lexicon_for(language: str) -> Lexicon:
    """The lexicon of ``language`` (German when there is none for it)."""
    return LEXICONS.get(language, GERMAN)


__all__ = ["ENGLISH", "GERMAN", "LEXICONS", "Lexicon", "lexicon_for"]
