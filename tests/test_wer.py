"""Word error rate: normalisation and the alignment counts (table-driven)."""

from __future__ import annotations

import pytest
from voicebot_bench.wer import WordErrors, align, corpus_errors, number_words, wer, wer_words, word_errors


@pytest.mark.parametrize(
    ("reference", "hypothesis", "counts"),
    [
        # (substitutions, deletions, insertions, reference words)
        ("a b c", "a b c", (0, 0, 0, 3)),
        ("a b c", "a x c", (1, 0, 0, 3)),
        ("a b c", "a c", (0, 1, 0, 3)),
        ("a b c", "a b c d", (0, 0, 1, 3)),
        ("a b c", "", (0, 3, 0, 3)),
        ("", "a b", (0, 0, 2, 0)),
        ("a b c d", "b c d e", (0, 1, 1, 4)),
        ("a b", "x y z", (2, 0, 1, 2)),
        ("wo ist das amt", "wo das amt ist", (0, 1, 1, 4)),
    ],
)
def test_alignment_counts(reference: str, hypothesis: str, counts: tuple[int, int, int, int]) -> None:
    errors = align(reference.split(), hypothesis.split())
    assert (errors.substitutions, errors.deletions, errors.insertions, errors.reference_words) == counts


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Die Kfz-Zulassung, bitte!", ["die", "kfz", "zulassung", "bitte"]),
        ("Straße", ["strasse"]),
        ("Öffnungszeiten", ["öffnungszeiten"]),
        ("3 Tonnen", ["drei", "tonnen"]),
        ("um 7:30 Uhr", ["um", "sieben", "dreissig", "uhr"]),
        ("geht's", ["gehts"]),
        ("10 % & 5 €", ["zehn", "prozent", "und", "fünf", "euro"]),
    ],
)
def test_normalisation(text: str, words: list[str]) -> None:
    assert wer_words(text) == words


@pytest.mark.parametrize(
    ("number", "word"),
    [
        (0, "null"),
        (1, "eins"),
        (21, "einundzwanzig"),
        (101, "einhunderteins"),
        (1963, "neunzehnhundertdreiundsechzig"),
        (2024, "zweitausendvierundzwanzig"),
        (1000, "eintausend"),
    ],
)
def test_number_words(number: int, word: str) -> None:
    assert number_words(number) == word


def test_spelling_a_listener_cannot_hear_is_no_error() -> None:
    assert wer("Ich möchte 2 Tonnen bestellen.", "ich möchte zwei Tonnen bestellen") == 0.0
    assert wer("Kfz-Zulassungsstelle", "Kfz Zulassungsstelle") == 0.0


def test_rates_and_corpus_weighting() -> None:
    assert wer("a b c d", "a b") == pytest.approx(0.5)
    assert word_errors("", "").wer == 0.0
    assert word_errors("", "extra").wer == 1.0
    total = corpus_errors([("a b c d", "a b c d"), ("e f", "x f")])
    assert total == WordErrors(1, 0, 0, 6)
    assert total.wer == pytest.approx(1 / 6)


def test_negative_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        number_words(-1)
