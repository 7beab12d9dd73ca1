"""German number words read as values, for ``voicebot.language.text.normalize``. Pure.

Works on folded words (``voicebot.language.text.fold``: lowercase, umlauts as ``ae``/``oe``/``ue``, ``ß`` as ``ss``):
cardinals up to 999 999 ("zweitausendsechsundzwanzig" → 2026), ordinals ("erste" → 1, "zwanzigsten" → 20),
and number words a recogniser wrote apart ("sechs und zwanzig" → 26).
"""

from __future__ import annotations

_UNITS = {
    "null": 0,
    "eins": 1,
    "ein": 1,
    "eine": 1,
    "zwei": 2,
    "zwo": 2,
    "drei": 3,
    "vier": 4,
    "fuenf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
}
_TEENS = {
    "zehn": 10,
    "elf": 11,
    "zwoelf": 12,
    "dreizehn": 13,
    "vierzehn": 14,
    "fuenfzehn": 15,
    "sechzehn": 16,
    "siebzehn": 17,
    "achtzehn": 18,
    "neunzehn": 19,
}
_TENS = {
    "zwanzig": 20,
    "dreissig": 30,
    "vierzig": 40,
    "fuenfzig": 50,
    "sechzig": 60,
    "siebzig": 70,
    "achtzig": 80,
    "neunzig": 90,
}
_ARTICLES = frozenset({"ein", "eine", "einen", "einem", "einer", "eines"})
"""Standalone articles are not the number one."""

_ORDINAL_SPECIAL = {"erst": 1, "dritt": 3, "siebt": 7, "acht": 8}
_ORDINAL_ENDINGS = ("en", "er", "es", "em", "e")


def parse_number(word: str) -> int | None:
    """The value of one folded German number word ("zweitausendsechsundzwanzig" → 2026), else None."""
    if word.isdigit():
        return int(word)
    return _parse_below_million(word)


def _parse_below_million(word: str) -> int | None:
    if "tausend" in word:
        head, _, tail = word.partition("tausend")
        thousands = 1 if head in ("", "ein", "eins") else _parse_below_thousand(head)
        rest = 0 if tail == "" else _parse_below_thousand(tail)
        if thousands is None or rest is None:
            return None
        return thousands * 1000 + rest
    return _parse_below_thousand(word)


def _parse_below_thousand(word: str) -> int | None:
    if "hundert" in word:
        head, _, tail = word.partition("hundert")
        hundreds = 1 if head in ("", "ein", "eins") else _UNITS.get(head)
        rest = 0 if tail == "" else _parse_below_hundred(tail)
        if hundreds is None or hundreds == 0 or rest is None:
            return None
        return hundreds * 100 + rest
    return _parse_below_hundred(word)


def _parse_below_hundred(word: str) -> int | None:
    if word in _UNITS:
        return _UNITS[word]
    if word in _TEENS:
        return _TEENS[word]
    if word in _TENS:
        return _TENS[word]
    if "und" in word:
        unit, _, tens = word.partition("und")
        if unit in _UNITS and tens in _TENS and _UNITS[unit] > 0:
            return _UNITS[unit] + _TENS[tens]
    return None


def parse_ordinal(word: str) -> int | None:
    """The value of a folded German ordinal ("erste" → 1, "zwanzigsten" → 20), else None."""
    for ending in _ORDINAL_ENDINGS:
        if not word.endswith(ending):
            continue
        stem = word[: -len(ending)]
        if stem in _ORDINAL_SPECIAL:
            return _ORDINAL_SPECIAL[stem]
        if stem.endswith("st"):
            value = parse_number(stem[:-2])
            if value is not None and value >= 20:
                return value
        if stem.endswith("t"):
            value = parse_number(stem[:-1])
            if value is not None and 2 <= value < 20 and stem[:-1] not in ("sieben", "acht"):
                return value
    return None


_MAX_NUMBER_RUN = 7


def number_words_to_digits(words: list[str]) -> list[str]:
    """Number words → digits; number words a recogniser wrote apart are read as one ("sechs und zwanzig" → 26)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        joined = _number_run(words, i)
        if joined is not None:
            value, size = joined
            out.append(str(value))
            i += size
            continue
        word = words[i]
        number = None if word in _ARTICLES else parse_number(word)
        if number is None and not word.isdigit():
            number = parse_ordinal(word)
        out.append(word if number is None else str(number))
        i += 1
    return out


def _number_run(words: list[str], start: int) -> tuple[int, int] | None:
    """The longest run of two or more words from ``start`` that reads as one number word, with its length."""
    if words[start] == "und" or words[start].isdigit():
        return None
    for end in range(min(len(words), start + _MAX_NUMBER_RUN), start + 1, -1):
        run = words[start:end]
        if run[-1] == "und" or any(word.isdigit() for word in run):
            continue
        value = parse_number("".join(run))
        if value is not None:
            return value, end - start
    return None


__all__ = ["number_words_to_digits", "parse_number", "parse_ordinal"]
