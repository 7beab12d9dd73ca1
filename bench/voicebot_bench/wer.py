"""Word error rate of a recogniser: Levenshtein distance over words after a WER normalisation.

The normalisation (``wer_words``) makes spelling conventions that a listener cannot hear count as equal:

* lower case; ``ß`` is folded to ``ss`` (Swiss and German spelling sound the same); umlauts are kept;
* punctuation is removed; hyphens and slashes separate words ("Kfz-Zulassung" = "Kfz Zulassung");
  apostrophes vanish ("geht's" = "gehts");
* digits become German number words, so "3 Tonnen" = "drei Tonnen" and "12" = "zwölf". A number is one
  word, as German writes it ("dreiundzwanzig"). Four-digit numbers from 1100 to 1999 are read as years
  ("1963" = "neunzehnhundertdreiundsechzig"); decimal and time separators split the parts ("7:30" =
  "sieben dreißig"); "%" is "prozent", "€" is "euro", "&" is "und".

This is deliberately not the matcher's normalisation (``voicebot.language.text.normalize``): WER has to stay
comparable with published numbers, so it does not fold umlauts, drop filler words or join compounds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_ONES = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
_TEENS = ("zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn")
_TENS = ("", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig")
_SYMBOLS = {"%": " prozent ", "€": " euro ", "&": " und ", "+": " plus "}


def _below_hundred(number: int) -> str:
    if number < 10:
        return _ONES[number]
    if number < 20:
        return _TEENS[number - 10]
    tens, ones = divmod(number, 10)
    if ones == 0:
        return _TENS[tens]
    unit = "ein" if ones == 1 else _ONES[ones]
    return f"{unit}und{_TENS[tens]}"


def _below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    head = "" if hundreds == 0 else ("ein" if hundreds == 1 else _ONES[hundreds]) + "hundert"
    if rest == 0:
        return head
    tail = _below_hundred(rest)
    return head + ("eins" if tail == "eins" and head else tail)


def number_words(number: int) -> str:
    """A non-negative integer as one German word ("einundzwanzig"); years 1100–1999 as years."""
    if number < 0:
        raise ValueError(f"number_words needs a non-negative integer, got {number}")
    if number < 100:
        return _below_hundred(number)
    if 1100 <= number <= 1999:
        century, rest = divmod(number, 100)
        return _below_hundred(century) + "hundert" + (_below_hundred(rest) if rest else "")
    if number < 1000:
        return _below_thousand(number)
    if number < 1_000_000:
        thousands, rest = divmod(number, 1000)
        head = ("ein" if thousands == 1 else _below_thousand(thousands)) + "tausend"
        return head + (_below_thousand(rest) if rest else "")
    # Large numbers are rare in speech; read them digit by digit rather than guess a form.
    return "".join(_ONES[int(digit)] for digit in str(number))


def wer_words(text: str) -> list[str]:
    """The words of ``text`` after the WER normalisation described in the module docstring."""
    lowered = text.lower().replace("ß", "ss")
    for symbol, word in _SYMBOLS.items():
        lowered = lowered.replace(symbol, word)
    lowered = re.sub(r"['’`´]", "", lowered)
    lowered = re.sub(r"\d+", lambda match: f" {number_words(int(match.group()))} ", lowered)
    lowered = re.sub(r"[^\w]+|_", " ", lowered)
    return [word.replace("ß", "ss") for word in lowered.split()]


@dataclass(frozen=True)
class WordErrors:
    """Alignment counts of one hypothesis against one reference."""

    substitutions: int
    """Reference words replaced by another word."""
    deletions: int
    """Reference words missing from the hypothesis."""
    insertions: int
    """Hypothesis words with no reference word."""
    reference_words: int
    """Number of words in the (normalised) reference."""

    @property
    def errors(self) -> int:
        """Substitutions + deletions + insertions."""
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        """Word error rate (0.0 = perfect; can exceed 1.0 with many insertions; 0/1 for an empty reference)."""
        if self.reference_words == 0:
            return 0.0 if self.insertions == 0 else 1.0
        return self.errors / self.reference_words

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_words + other.reference_words,
        )


def align(reference: Sequence[str], hypothesis: Sequence[str]) -> WordErrors:
    """Minimum edit alignment (Levenshtein over words) with the error kinds counted."""
    # Each cell holds (errors, substitutions, deletions, insertions); ties prefer fewer substitutions.
    previous = [(j, 0, 0, j) for j in range(len(hypothesis) + 1)]
    for i, ref_word in enumerate(reference, start=1):
        current = [(i, 0, i, 0)]
        for j, hyp_word in enumerate(hypothesis, start=1):
            diagonal = previous[j - 1]
            best = diagonal if ref_word == hyp_word else (diagonal[0] + 1, diagonal[1] + 1, diagonal[2], diagonal[3])
            up = previous[j]
            best = min(best, (up[0] + 1, up[1], up[2] + 1, up[3]))
            left = current[j - 1]
            best = min(best, (left[0] + 1, left[1], left[2], left[3] + 1))
            current.append(best)
        previous = current
    _, substitutions, deletions, insertions = previous[-1]
    return WordErrors(substitutions, deletions, insertions, len(reference))


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Normalise both texts and align them."""
    return align(wer_words(reference), wer_words(hypothesis))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one hypothesis against one reference text."""
    return word_errors(reference, hypothesis).wer


def corpus_errors(pairs: Iterable[tuple[str, str]]) -> WordErrors:
    """Summed errors over (reference, hypothesis) pairs: the corpus WER weights every word equally."""
    total = WordErrors(0, 0, 0, 0)
    for reference, hypothesis in pairs:
        total = total + word_errors(reference, hypothesis)
    return total
