"""German compounds brought into the form a vocabulary knows, for ``voicebot.language.text.normalize``. Pure.

Works on folded words (``voicebot.language.text.fold``). Split words the vocabulary knows as one are joined
("wohn geld" → "wohngeld"); unknown long words are split into known parts, linking elements (Fugenelemente)
dropped ("kfzzulassung" → "kfz zulassung", "bauantragsformular" → "bauantrag formular").
"""

from __future__ import annotations

from collections.abc import Collection

_LINKS = ("", "s", "es", "n", "en")
"""German linking elements (Fugenelemente) allowed between compound parts."""
_MIN_PART = 3


def fit_compounds(words: list[str], vocab: Collection[str]) -> list[str]:
    """Join split words the vocabulary knows as one; split unknown long words into known parts."""
    joined: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2):
            if i + size <= len(words):
                candidate = "".join(words[i : i + size])
                if candidate in vocab and not candidate.isdigit():
                    joined.append(candidate)
                    i += size
                    break
        else:
            joined.append(words[i])
            i += 1
    out: list[str] = []
    for word in joined:
        out.extend(compound_parts(word, vocab))
    return out


_MIN_HEAD = 5
_MIN_REST = 4
_PARTICLES = frozenset(
    str.split("ueber unter wieder zurueck vorbei durch gegen hinter heraus herein hinaus voraus weiter nieder")
)
"""Verb particles are not compound heads ("übernommen" is not "über" + "nommen")."""


def _split_head(word: str, vocab: Collection[str]) -> list[str]:
    """An unknown compound that starts with a known word: that word and the rest ("gefluegelpest")."""
    if word in vocab or word.isdigit() or len(word) < _MIN_HEAD + _MIN_REST:
        return [word]
    for cut in range(len(word) - _MIN_REST, _MIN_HEAD - 1, -1):
        head = word[:cut]
        if head in vocab and head not in _PARTICLES:
            rest = word[cut:]
            if rest[0] == "s" and rest[1] not in "aeiouychptwz" and len(rest) > _MIN_REST:
                rest = rest[1:]  # linking s ("bauantrags|formular"), not "sch", "st", "sp"
            return [head, rest]
    return [word]


def compound_parts(word: str, vocab: Collection[str]) -> list[str]:
    """The parts ``normalize`` splits an unknown folded word into (``[word]`` if it stays whole)."""
    parts = split_compound(word, vocab)
    return parts if len(parts) > 1 else _split_head(word, vocab)


def split_compound(word: str, vocab: Collection[str]) -> list[str]:
    """``word`` as known parts ("kfzzulassung" → ["kfz", "zulassung"]) or ``[word]`` if known or unsplittable."""
    if word in vocab or len(word) < 2 * _MIN_PART or word.isdigit():
        return [word]
    for max_parts in (2, 3):
        parts = _split(word, vocab, max_parts)
        if parts is not None:
            return parts
    return [word]


def _split(word: str, vocab: Collection[str], max_parts: int) -> list[str] | None:
    """Fewest parts, then longest head first; parts are vocabulary words, linking elements dropped."""
    if word in vocab:
        return [word]
    if max_parts <= 1:
        return None
    for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
        head = word[:cut]
        if head not in vocab:
            continue
        for link in _LINKS:
            rest = word[cut:]
            if not rest.startswith(link):
                continue
            tail = rest[len(link) :]
            if len(tail) < _MIN_PART:
                continue
            parts = _split(tail, vocab, max_parts - 1)
            if parts is not None:
                return [head, *parts]
    return None


__all__ = ["compound_parts", "fit_compounds", "split_compound"]
