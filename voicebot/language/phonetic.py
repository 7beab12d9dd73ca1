"""Kölner Phonetik (Cologne phonetics, Postel 1969): a sound code for German words. Pure.

Letters map to digits by their neighbours (e.g. "c" before "a" is 4, after "s" is 8), repeated digits
collapse, and vowels (0) are dropped except at the start. So "Führerschein", "Fuehrerschein" and the
recogniser's "Fuhrerschein" all give 37786; "Müller-Lüdenscheidt" gives 65752682.
"""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower().translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_COLOGNE_SIMPLE = {
    **dict.fromkeys("aeijouy", "0"),
    "b": "1",
    **dict.fromkeys("fvw", "3"),
    **dict.fromkeys("gkq", "4"),
    "l": "5",
    **dict.fromkeys("mn", "6"),
    "r": "7",
    **dict.fromkeys("sz", "8"),
}


def cologne_phonetic(word: str) -> str:
    """Kölner Phonetik code of ``word`` (or of several words written together), e.g. "Wikipedia" → "3412"."""
    letters = [ch for ch in _fold(word) if ch.isalpha()]
    codes: list[str] = []
    for i, ch in enumerate(letters):
        prev = letters[i - 1] if i > 0 else ""
        nxt = letters[i + 1] if i + 1 < len(letters) else ""
        codes.append(_cologne_code(ch, prev, nxt, i == 0))
    collapsed: list[str] = []
    for digit in "".join(codes):
        if not collapsed or collapsed[-1] != digit:
            collapsed.append(digit)
    if not collapsed:
        return ""
    head, rest = collapsed[0], "".join(collapsed[1:])
    return head + rest.replace("0", "")


def _cologne_code(ch: str, prev: str, nxt: str, initial: bool) -> str:
    if ch == "h":
        return ""
    if ch == "p":
        return "3" if nxt == "h" else "1"
    if ch in "dt":
        return "8" if nxt in ("c", "s", "z") and nxt else "2"
    if ch == "c":
        if initial:
            return "4" if nxt in tuple("ahkloqrux") and nxt else "8"
        if prev in ("s", "z"):
            return "8"
        return "4" if nxt in tuple("ahkoqux") and nxt else "8"
    if ch == "x":
        return "8" if prev in ("c", "k", "q") and prev else "48"
    return _COLOGNE_SIMPLE.get(ch, "")


__all__ = ["cologne_phonetic"]
