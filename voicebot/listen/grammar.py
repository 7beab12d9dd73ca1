"""The recogniser's phrase list built from the FAQ base (for vosk's grammar mode). Pure.

Vosk works on the spoken spelling as its model writes words: lowercase with umlauts and ß ("führerschein",
"dreißig"). So the grammar keeps that spelling (``spoken``), separate from the folded match form of
``voicebot.language.text.normalize``; both drop punctuation and fillers the same way, and the matcher normalises
whatever the recogniser returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from voicebot.content.model import Content
from voicebot.language.compounds import split_compound

_NOT_SPOKEN = re.compile(r"[^a-zäöüß0-9]+")
_DIGIT_RUN = re.compile(r"\d+")

HESITATIONS = frozenset({"äh", "ähm", "öh", "öhm", "eh", "ehm", "hm", "hmm", "mh", "mhm"})
"""Hesitation sounds dropped from the grammar (other fillers such as "also", "mal" are real words callers say)."""

SIGNAL_PHRASES = (
    "ja",
    "jawohl",
    "genau",
    "richtig",
    "stimmt",
    "korrekt",
    "nein",
    "nee",
    "falsch",
    "nicht ganz",
    "stimmt nicht",
    "mitarbeiter",
    "einen mitarbeiter",
    "einen menschen",
    "sachbearbeiter",
    "telefonzentrale",
    "vermittlung",
    "mit jemandem sprechen",
    "wie bitte",
    "noch einmal",
    "nochmal",
    "wiederholen",
    "tschüss",
    "auf wiederhören",
    "danke",
    "vielen dank",
    "das war alles",
    "nein danke",
    "das erste",
    "erstens",
    "das zweite",
    "zweitens",
    "letzteres",
    "verbinden",
    "verbinden sie mich mit",
    "durchstellen",
    "weiterleiten",
    "sprechen mit",
    "ich möchte",
    "ich will",
    "bitte",
)
"""What callers say besides topics: yes/no, a human, repeat, goodbye, options, being put through."""

_ONES = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
_TEENS = ("zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn")
_TENS = ("", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig")


def number_words(value: int) -> str:
    """German number word for 0..999999 ("21" → "einundzwanzig"); larger numbers digit by digit."""
    if value < 0 or value >= 1_000_000:
        return " ".join(_ONES[int(digit)] for digit in str(abs(value)))
    if value < 10:
        return _ONES[value]
    if value < 20:
        return _TEENS[value - 10]
    if value < 100:
        tens, ones = divmod(value, 10)
        if ones == 0:
            return _TENS[tens]
        return ("ein" if ones == 1 else _ONES[ones]) + "und" + _TENS[tens]
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        head = "ein" if hundreds == 1 else _ONES[hundreds]
        return head + "hundert" + (number_words(rest) if rest else "")
    thousands, rest = divmod(value, 1000)
    head = "ein" if thousands == 1 else number_words(thousands)
    return head + "tausend" + (number_words(rest) if rest else "")


def spoken(text: str) -> str:
    """Spoken spelling of a text: lowercase, umlauts and ß kept, punctuation gone, digits as words, no \"äh\"."""
    lowered = _DIGIT_RUN.sub(lambda match: f" {number_words(int(match.group()))} ", text.lower())
    words = _NOT_SPOKEN.sub(" ", lowered).split()
    return " ".join(word for word in words if word not in HESITATIONS)


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def phrases(content: Content) -> list[str]:
    """Every phrase the recogniser should expect, in spoken spelling, without repeats.

    Phrasings, titles and keywords of all topics, department names and synonyms, signal phrases, the
    number words up to twenty, and every single word on its own (so callers may combine them freely).
    """
    texts: list[str] = []
    for topic in content.topics:
        texts += [*topic.phrasings, topic.title, *topic.keywords]
    for department in content.departments:
        texts += [department.name, *department.synonyms]
    texts += SIGNAL_PHRASES
    texts += [number_words(value) for value in range(21)]
    full = _unique(spoken(text) for text in texts)
    words = _unique(word for phrase in full for word in phrase.split())
    return _unique([*full, *words])


def vocabulary(content: Content) -> set[str]:
    """The words of ``phrases(content)``."""
    return {word for phrase in phrases(content) for word in phrase.split()}


def fit_word(word: str, model_words: set[str]) -> list[str]:
    """``word`` as the model can say it: itself, its compound parts the model knows ("dreiundvierzig" →
    "drei und vierzig", "führerscheinstelle" → "führerschein stelle"), or nothing."""
    if word in model_words:
        return [word]
    parts = split_compound(word, model_words)
    return parts if len(parts) > 1 else []


def vosk_grammar(content: Content, model_words: set[str] | None = None) -> str:
    """The phrase list as vosk's grammar JSON (``ensure_ascii=False``).

    With ``model_words`` (the model's ``words.txt``), words the model does not know are split into parts it
    knows or else dropped from each phrase, and ``"[unk]"`` is appended when the model has it, so unexpected
    speech is not forced onto a phrase.
    """
    items = phrases(content)
    if model_words is not None:
        items = _unique(
            " ".join(part for word in phrase.split() for part in fit_word(word, model_words)) for phrase in items
        )
        if "[unk]" in model_words:
            items.append("[unk]")
    return json.dumps(items, ensure_ascii=False)


def missing_words(content: Content, model_words: set[str]) -> list[str]:
    """Grammar words the model can say neither whole nor in parts, sorted (for ``voicebot grammar``)."""
    return sorted(word for word in vocabulary(content) if not fit_word(word, model_words))


__all__ = [
    "HESITATIONS",
    "SIGNAL_PHRASES",
    "fit_word",
    "missing_words",
    "number_words",
    "phrases",
    "spoken",
    "vocabulary",
    "vosk_grammar",
]
