"""German normalisation and Kölner Phonetik (pure, table-driven)."""

from __future__ import annotations

import pytest

from voicebot.language.compounds import split_compound
from voicebot.language.numbers_de import parse_number, parse_ordinal
from voicebot.language.phonetic import cologne_phonetic
from voicebot.language.text import fold, normalize, tokens

NORMALIZE_CASES = [
    ("Führerschein", "fuehrerschein"),
    ("Fuehrerschein", "fuehrerschein"),
    ("Straße", "strasse"),
    ("Kfz-Zulassung", "kfz zulassung"),
    ("Äh, ich möchte also die Kfz-Zulassung, bitte!", "ich moechte die kfz zulassung"),
    ("Guten Tag, ja hallo, ähm, Wohngeld", "wohngeld"),
    ("ka ef zett zulassung", "kfz zulassung"),
    ("pe ka we anmelden", "auto anmelden"),
    ("meine Karre", "meine auto"),
    ("Gebrauchtwagen", "gebrauchtwagen"),
    ("es ist er", "es ist er"),
    ("einundzwanzig", "21"),
    ("zweitausendsechsundzwanzig", "2026"),
    ("hundertelf", "111"),
    ("zwei tausend sechs und zwanzig", "2026"),
    ("ein hundert zwei und achtzig", "182"),
    ("drei und vier", "3 und 4"),
    ("null acht null eins", "0 8 0 1"),
    ("das erste", "das 1"),
    ("der zweite Termin", "der 2 termin"),
    ("eine Frage zu einem Auto", "eine frage zu einem auto"),
    ("kfzzulassung", "kfz zulassung"),
    ("Autoanmeldung", "auto anmeldung"),
    ("Wohngeldantrag", "wohngeld antrag"),
    ("Sperrmüllanmeldung", "sperrmuell anmeldung"),
    ("Wohn geld", "wohngeld"),
    ("Sperr Müll", "sperrmuell"),
    ("führer schein", "fuehrerschein"),
    ("Café", "cafe"),
    ("bis wie viel Uhr haben Sie auf", "bis wann haben sie auf"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE_CASES)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_fold_keeps_every_word() -> None:
    assert fold("Ja, äh – nein!") == "ja aeh nein"


def test_tokens() -> None:
    assert tokens("Ähm, Kfz-Zulassung bitte") == ["kfz", "zulassung"]


def test_vocabulary_drives_compounds() -> None:
    vocab = {"hunde", "steuer", "hundesteuer"}
    assert normalize("hunde steuer", vocab) == "hundesteuer"
    assert split_compound("hundesteuerbescheid", vocab | {"bescheid"}) == ["hundesteuer", "bescheid"]
    assert split_compound("einbuergerungsantrag", {"einbuergerung", "antrag"}) == ["einbuergerung", "antrag"]
    assert split_compound("unbekannt", vocab) == ["unbekannt"]
    # an unknown compound that starts with a known word keeps that word (the rest stays as heard)
    assert normalize("Geflügelpest", {"gefluegel"}) == "gefluegel pest"
    assert normalize("Bauantragsformular", {"bauantrag"}) == "bauantrag formular"
    assert normalize("Angelschein", {"angel"}) == "angel schein"
    assert normalize("Unbekanntes", {"unbe"}) == "unbekanntes"


@pytest.mark.parametrize(
    ("word", "value"),
    [("null", 0), ("eins", 1), ("zwoelf", 12), ("siebzehn", 17), ("neunundneunzig", 99), ("tausend", 1000)],
)
def test_parse_number(word: str, value: int) -> None:
    assert parse_number(word) == value


@pytest.mark.parametrize("word", ["tausendfuessler", "und", "heute", "einkauf"])
def test_not_a_number(word: str) -> None:
    assert parse_number(word) is None
    assert parse_ordinal(word) is None


@pytest.mark.parametrize(
    ("word", "value"), [("erste", 1), ("dritten", 3), ("siebte", 7), ("sechste", 6), ("zwanzigsten", 20)]
)
def test_parse_ordinal(word: str, value: int) -> None:
    assert parse_ordinal(word) == value


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Müller-Lüdenscheidt", "65752682"),
        ("Wikipedia", "3412"),
        ("Breschnew", "17863"),
        # edge cases of the rules, cross-checked with the PyPI package cologne-phonetics 2.0.0
        ("Chemnitz", "468"),
        ("Christian", "47826"),
        ("Xaver", "4837"),
        ("Axel", "0485"),
        ("Sachs", "848"),
        ("Accent", "0862"),
        ("Pfeffer", "1337"),
        ("Zschopau", "81"),
        ("Führerschein", "37786"),
        ("Fuhrerschein", "37786"),
        ("Fuehrerschein", "37786"),
        ("", ""),
    ],
)
def test_cologne_phonetic(word: str, code: str) -> None:
    assert cologne_phonetic(word) == code
