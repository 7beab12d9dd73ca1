"""Which language is a typed or recognised sentence in? A cheap detector on words, German or English. Pure.

Counts the sentence's words that are common function words of each language (and letters only one of them
uses: ä ö ü ß are German). A sentence with no telling word at all ("Kfz", "BAföG", "okay") stays
undecided: the caller's language is then kept. For speech, Whisper's language identification decides
(``voicebot.ports.Transcript.language``); this detector is for typed text (``voicebot match``, the
simulator, the web's "Satz testen") and a second opinion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+(?:'[a-z]+)?", re.UNICODE)

GERMAN_WORDS = frozenset(
    str.split(
        "ich du sie er es wir ihr mich mir mein meine meinen meinem meiner dich dir sich uns unser ihre ihren "
        "ihrem der die das den dem des ein eine einen einem einer eines und oder aber nicht kein keine wie was "
        "wo wann wer warum welche welcher welches ist sind bin bist war hat habe haben hab kann koennen "
        "muss will moechte wuerde soll zu zum zur von vom mit bei beim fuer auf im ins aus nach ueber noch "
        "schon auch nur denn doch gibt geht dass ob wenn weil bis jetzt dann ja nein bitte danke hallo gruess "
        "gott guten tschuess brauche brauch mal halt einen sprechen deutsch verbinden"
    )
)
"""Common German words (folded: ä → ae) that are not English words."""

ENGLISH_WORDS = frozenset(
    str.split(
        "i me my you your we our they their he she his her it its the a an and or but not no is are am was "
        "were be been have has had do does did can could would should will shall may might must to of in on "
        "at by for from with about what which who when where why how this that these those there here yes "
        "please thank thanks hello hi want need like get got my i'm i'd i've don't can't it's what's where's "
        "speak english put through talk someone anyone just"
    )
)
"""Common English words that are not German words."""

AMBIGUOUS = frozenset(str.split("in so was also hand man will bin alle an am hat die war"))
"""Words both languages use: they count for neither."""


@dataclass(frozen=True)
class Guess:
    """A language guess with how sure it is."""

    language: str
    """ISO code, or "" when the sentence says nothing about its language."""
    confidence: float
    """0..1: the share of telling words that point to ``language``."""
    evidence: int = 0
    """How many telling words there were."""


def _fold(word: str) -> str:
    return word.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss").replace("’", "'")


def guess_language(text: str) -> Guess:
    """German or English by function words (see the module docstring)."""
    german = english = 0
    for raw in _WORD.findall(text.replace("’", "'")):
        if any(ch in raw for ch in "äöüßÄÖÜ"):
            german += 1
            continue
        word = _fold(raw)
        if word in AMBIGUOUS:
            continue
        german += word in GERMAN_WORDS
        english += word in ENGLISH_WORDS
    total = german + english
    if total == 0:
        return Guess("", 0.0, 0)
    if german == english:
        return Guess("", 0.5, total)
    language, count = ("de", german) if german > english else ("en", english)
    return Guess(language, count / total, total)


__all__ = ["AMBIGUOUS", "ENGLISH_WORDS", "GERMAN_WORDS", "Guess", "guess_language"]
