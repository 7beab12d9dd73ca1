"""English text normalisation, the counterpart of ``voicebot.language.text`` for English calls. Pure.

- ``fold_en(text)``: lowercase, contractions spelled out ("can't" → "can not", "I'm" → "i am"), the
  possessive/"is" ``'s`` dropped ("driver's" → "driver"), accents dropped, punctuation and hyphens → spaces.
  Keeps every word: the matcher detects yes/no and other signals on this form.
- ``normalize_en(text, vocabulary)``: ``fold_en`` plus filler words and greetings removed, number words →
  digits ("twenty one" → "21", "second" → "2"), British and American spellings made one ("license" →
  "licence", "center" → "centre") and a few colloquial words written one way ("garbage" → "rubbish").
- ``stem_en(word)``: a crude suffix stripper ("registration"/"register" → "regist", "vaccinations" →
  "vaccin"), for the matcher's word similarity.

English has no compounds to split the German way; ``vocabulary`` is accepted for the same signature as the
German ``normalize`` and joins two words the vocabulary knows as one ("check up" → "checkup").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

_NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "´": "'"})

CONTRACTIONS = (
    ("won't", "will not"),
    ("can't", "can not"),
    ("cannot", "can not"),
    ("shan't", "shall not"),
    ("n't", " not"),
    ("'m", " am"),
    ("'re", " are"),
    ("'ll", " will"),
    ("'ve", " have"),
    ("'d", " would"),
    ("'s", ""),
)
"""Contractions spelled out, in this order ("won't" before "n't"); ``'s`` is dropped (possessive or "is")."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FILLER_WORDS = _words(
    "uh uhm um umm er erm ehm hm hmm mhm ah oh eh well so please hello hi hey hiya okay ok yeah actually "
    "basically just like kindly"
)
"""Single words that carry no topic (removed by ``normalize_en``; ``fold_en`` keeps them for signals)."""

FILLER_PHRASES = (
    ("good", "morning"),
    ("good", "afternoon"),
    ("good", "evening"),
    ("good", "day"),
    ("excuse", "me"),
    ("you", "know"),
    ("i", "mean"),
    ("thank", "you"),
    ("sort", "of"),
    ("kind", "of"),
)
"""Multi-word fillers and greetings removed by ``normalize_en`` (folded form)."""

PARAPHRASES = (
    (("what", "time"), ("when",)),
    (("at", "what", "time"), ("when",)),
    (("how", "late"), ("when",)),
    (("driver", "license"), ("driving", "licence")),
    (("driver", "licence"), ("driving", "licence")),
    (("drivers", "license"), ("driving", "licence")),
    (("drivers", "licence"), ("driving", "licence")),
    (("number", "plate"), ("plate",)),
    (("number", "plates"), ("plate",)),
    (("licence", "plate"), ("plate",)),
    (("licence", "plates"), ("plate",)),
    (("license", "plate"), ("plate",)),
    (("license", "plates"), ("plate",)),
    (("registration", "plate"), ("plate",)),
)
"""Ways of saying the same thing written one way ("what time" → "when", "number plate" → "plate")."""

SPELLINGS = {
    "license": "licence",
    "licenses": "licences",
    "licensed": "licenced",
    "center": "centre",
    "centers": "centres",
    "organization": "organisation",
    "naturalization": "naturalisation",
    "naturalize": "naturalise",
    "naturalized": "naturalised",
    "personalized": "personalised",
    "immunization": "immunisation",
    "authorization": "authorisation",
    "garbage": "rubbish",
    "trash": "rubbish",
    "refuse": "rubbish",
    "automobile": "car",
    "vehicle": "car",
    "vehicles": "cars",
    "motorcycle": "motorbike",
    "auto": "car",
    "favor": "favour",
    "color": "colour",
    "daycare": "nursery",
    "kita": "nursery",
    "id": "identity",
    **dict.fromkeys(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend"], "weekday"
    ),
    **dict.fromkeys(["morning", "afternoon", "evening", "noon", "lunchtime", "midday"], "daytime"),
}
"""British/American spellings and colloquial words, written one way (whole words). Weekdays and parts of the
day become one word each, as in German: "on Saturday morning" asks what "on Friday afternoon" asks."""

_UNITS = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}


def fold_en(text: str) -> str:
    """Lowercase, spell out contractions, drop accents, turn punctuation and hyphens into single spaces."""
    lowered = text.lower().translate(_APOSTROPHES)
    for short, long in CONTRACTIONS:
        lowered = lowered.replace(short, long)
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def number_words_en(words: list[str]) -> list[str]:
    """Number words → digits: "twenty one" → "21", "fifteen" → "15", "fifth" → "5" ("oh" only between digits)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _TENS:
            value = _TENS[word]
            following = words[i + 1] if i + 1 < len(words) else ""
            unit = _UNITS.get(following, _ORDINALS.get(following, 0)) if following != "oh" else 0
            if 0 < unit < 10:
                value += unit
                i += 1
            out.append(str(value))
        elif word in _UNITS and word != "oh":
            out.append(str(_UNITS[word]))
        elif word == "oh" and out and out[-1].isdigit():
            out.append("0")
        elif word in _ORDINALS:
            out.append(str(_ORDINALS[word]))
        else:
            out.append(word)
        i += 1
    return out


def normalize_en(text: str, vocabulary: Collection[str] | None = None) -> str:
    """Match form of an English utterance or phrasing (see module docstring)."""
    words = _drop_fillers(fold_en(text).split())
    words = [SPELLINGS.get(word, word) for word in words]
    words = number_words_en(words)
    if vocabulary:
        words = _join_known(words, vocabulary)
    return " ".join(words)


def _drop_fillers(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    rules = (*((phrase, ()) for phrase in FILLER_PHRASES), *PARAPHRASES)
    while i < len(words):
        for phrase, replacement in rules:
            if tuple(words[i : i + len(phrase)]) == phrase:
                out.extend(replacement)
                i += len(phrase)
                break
        else:
            if words[i] not in FILLER_WORDS:
                out.append(words[i])
            i += 1
    return out


def _join_known(words: list[str], vocabulary: Collection[str]) -> list[str]:
    """Two words the vocabulary knows only as one ("check up" → "checkup"; not "car park" → "carpark"
    unless only "carpark" is known)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words):
            joined = words[i] + words[i + 1]
            if joined in vocabulary and (words[i] not in vocabulary or words[i + 1] not in vocabulary):
                out.append(joined)
                i += 2
                continue
        out.append(words[i])
        i += 1
    return out


_SUFFIXES = (
    "ational",
    "rations",
    "ration",
    "ations",
    "ation",
    "ated",
    "ates",
    "ate",
    "ments",
    "ment",
    "ings",
    "ing",
    "ers",
    "er",
    "ies",
    "ied",
    "ed",
    "es",
    "s",
    "e",
    "y",
)


def stem_en(word: str) -> str:
    """Crude English stem: up to two suffixes stripped while four letters remain
    ("registration" → "regist", "registered" → "regist", "vaccinated" → "vaccin")."""
    for _round in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


__all__ = ["FILLER_WORDS", "fold_en", "normalize_en", "number_words_en", "stem_en"]
