"""Masking of personal data in stored texts and of caller numbers for display (table-driven)."""

from __future__ import annotations

import pytest

from voicebot.privacy import DATE, EMAIL, IBAN, PHONE, canonical_number, mask, mask_number

MASKED = [
    # phone numbers, written
    ("Meine Nummer ist 08381 920 45.", f"Meine Nummer ist {PHONE}."),
    ("Rufen Sie +49 (8381) 92045 an", f"Rufen Sie {PHONE} an"),
    ("erreichbar unter 0171/2345678", f"erreichbar unter {PHONE}"),
    ("Handy 0151-123 456 78 bitte", f"Handy {PHONE} bitte"),
    ("0 8 3 8 1 9 2 0 4 5", PHONE),
    # phone numbers, spoken digit by digit
    ("null acht drei acht eins neun zwei null vier fünf bitte", f"{PHONE} bitte"),
    ("meine nummer null eins sieben eins zwo drei vier fünf sechs", f"meine nummer {PHONE}"),
    ("plus neun vier acht drei acht eins neun zwei", PHONE),
    ("null eins fünf eins 1234 5678", PHONE),
    ("null acht drei acht eins zweiundneunzig null vier fünfundvierzig", PHONE),
    ("Rückruf unter null achtzig dreiundachtzig zwölf", f"Rückruf unter {PHONE}"),
    # dates of birth and other full dates
    ("geboren am 3.4.1980", f"geboren am {DATE}"),
    ("ich bin am 03.04.1980 geboren", f"ich bin am {DATE} geboren"),
    ("Geburtsdatum 1980-04-03", f"Geburtsdatum {DATE}"),
    ("geboren am 3. April 1980 in Kempten", f"geboren am {DATE} in Kempten"),
    ("geboren am dritten April neunzehnhundertachtzig in Kempten", f"geboren am {DATE} in Kempten"),
    ("ich bin geboren den ersten ersten neunzehnhundertneunzig", f"ich bin geboren den {DATE}"),
    ("Mein Geburtstag ist der 5. 6. 75", f"Mein Geburtstag ist der {DATE}"),
    # IBANs
    ("IBAN DE12 7335 0000 0001 2345 67 danke", f"IBAN {IBAN} danke"),
    ("DE12733500000001234567", IBAN),
    ("D E 12 7335 0000 0001 2345 67", IBAN),
    # e-mail addresses, written and spoken
    ("schreiben Sie an max.muster@web.de bitte", f"schreiben Sie an {EMAIL} bitte"),
    ("max punkt muster at web punkt de", EMAIL),
    ("die adresse ist max.muster at web.de danke", f"die adresse ist {EMAIL} danke"),
    ("Meine Mail ist max minus muster ät gmx punkt net", f"Meine Mail ist {EMAIL}"),
    ("erika unterstrich m at t minus online punkt de danke", f"{EMAIL} danke"),
]

KEPT = [
    "ich möchte ein Auto anmelden",
    "PLZ 87450, Kreisallee 1",
    "um 8:30 Uhr am 12. Mai",
    "2 Kinder und 3 Autos",
    "eins zwei drei",
    "ich habe die Nacht nicht geschlafen",
    "Termin am Montag um 10 Uhr",
    "Das kostet 26,30 Euro",
    "ich habe zwanzig Fragen und elf Kinder",
    "achtzehn Jahre alt",
    "ich war at home",
    "Sprechzeiten am Montag, Punkt acht Uhr",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text: str) -> None:
    assert mask(text) == text


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masking_is_idempotent(text: str, expected: str) -> None:
    assert mask(mask(text)) == expected


NUMBERS = [
    ("+49838192045", "+49 8381 ••• 45"),
    ("sip:+49838192045@pbx.landkreis.example", "+49 8381 ••• 45"),
    ("sip:08381920451@10.0.0.1;user=phone", "08381 ••• 51"),
    ("0171 2345678", "0171 ••• 78"),
    ("+4915112345678", "+49 151 ••• 78"),
    ("+493012345678", "+49 30 ••• 78"),
    ("0049 89 1234567", "+49 89 ••• 67"),
    ("+43 1 234567", "+43 ••• 67"),
    ("201", "••• 01"),
    ('"Max Muster" <sip:+49838192045@pbx.example;user=phone>', "+49 8381 ••• 45"),
    ("<sip:0171 2345678@10.0.0.1:5060>", "0171 ••• 78"),
    ('"Alice" <sip:alice@127.0.0.1:5062>', "unbekannt"),
    ("anonymous", "unbekannt"),
    ("", "unbekannt"),
]


@pytest.mark.parametrize(("caller", "expected"), NUMBERS)
def test_mask_number_keeps_area_and_last_two(caller: str, expected: str) -> None:
    assert mask_number(caller) == expected


def test_mask_number_never_shows_the_middle() -> None:
    for caller, _expected in NUMBERS:
        assert "234567" not in mask_number(caller)
        assert "1234" not in mask_number(caller)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [("08381 92045", "+49838192045"), ("0049838192045", "+49838192045"), ("sip:+49838192045@x", "+49838192045")],
)
def test_canonical_number_makes_formats_comparable(caller: str, expected: str) -> None:
    assert canonical_number(caller) == expected
