"""speakable(): written German rewritten for the ear (table-driven)."""

from __future__ import annotations

import pytest

from voicebot.speak.spoken import ordinal, speakable

CASES = [
    # times
    ("Wir öffnen um 7:30 Uhr.", "Wir öffnen um 7 Uhr 30."),
    ("Wir öffnen um 7.30 Uhr.", "Wir öffnen um 7 Uhr 30."),
    ("Ab 13:30 geöffnet", "Ab 13 Uhr 30 geöffnet"),
    ("bis 12 Uhr", "bis 12 Uhr"),
    ("um 8:05 Uhr", "um 8 Uhr 5"),
    ("um 8:00 Uhr", "um 8 Uhr"),
    ("von 9 bis 18 Uhr", "von 9 bis 18 Uhr"),
    ("geöffnet 8–12 Uhr", "geöffnet 8 Uhr bis 12 Uhr"),
    ("7:30-16:00 Uhr", "7 Uhr 30 bis 16 Uhr"),
    ("Montag bis Freitag von 7:30 Uhr bis 12 Uhr", "Montag bis Freitag von 7 Uhr 30 bis 12 Uhr"),
    # dates
    ("am 24.12. geschlossen", "am vierundzwanzigsten Dezember geschlossen"),
    ("ab 01.01.2027", "ab ersten Januar 2027"),
    ("bis zum 3.10.", "bis zum dritten Oktober."),
    ("Frist bis 3.10. Danach nicht mehr.", "Frist bis dritten Oktober. Danach nicht mehr."),
    ("am 3.10. geschlossen", "am dritten Oktober geschlossen"),
    ("der 31.3.27 ist Stichtag", "der einunddreißigste März 2027 ist Stichtag"),
    ("am 2026-12-24", "am vierundzwanzigsten Dezember 2026"),
    ("am 7. Mai", "am siebten Mai"),
    ("Frist: 20. Juni", "Frist: zwanzigsten Juni"),
    # phone numbers and postcodes
    ("Rufen Sie 08381 920-0 an.", "Rufen Sie 0 8 3 8 1, 9 2 0, 0 an."),
    ("Telefon 08381/920-123", "Telefon 0 8 3 8 1, 9 2 0, 1 2 3"),
    ("+49 8381 9200", "plus 4 9, 8 3 8 1, 9 2 0 0"),
    ("Kreisallee 1, 87450 Lindenberg", "Kreisallee 1, 8 7 4 5 0 Lindenberg"),
    ("Es gibt 12000 Einwohner.", "Es gibt 12000 Einwohner."),
    # abbreviations and acronyms
    ("z.B. ein Pass", "zum Beispiel ein Pass"),
    ("z. B. ein Pass", "zum Beispiel ein Pass"),
    ("ca. 5 km", "circa 5 Kilometer"),
    ("Zimmer Nr. 12", "Zimmer Nummer 12"),
    ("Ausweis bzw. Pass", "Ausweis beziehungsweise Pass"),
    ("Pass, Ausweis usw.", "Pass, Ausweis und so weiter."),
    ("inkl. Porto", "inklusive Porto"),
    ("d.h. morgen", "das heißt morgen"),
    ("Bahnhofstr. 3", "Bahnhofstraße 3"),
    ("Hauptstr. 3", "Hauptstraße 3"),
    ("Die Kfz-Zulassung", "Die Ka Ef Zett Zulassung"),
    ("Ihr KFZ", "Ihr Ka Ef Zett"),
    ("als PDF", "als Pe De Ef"),
    ("Mo.-Fr. 8-12 Uhr", "Montag bis Freitag 8 Uhr bis 12 Uhr"),
    ("BAföG beantragen", "Bafög beantragen"),
    ("Reise in die USA", "Reise in die U Es A"),
    ("im 2. Stock", "im zweiten Stock"),
    ("Die 1. Mahnung", "Die erste Mahnung"),
    ("ab dem 18. Lebensjahr", "ab dem achtzehnten Lebensjahr"),
    # money, paragraphs, symbols
    ("Das kostet 28,60 €.", "Das kostet 28 Euro 60."),
    ("Das kostet 28,00 €.", "Das kostet 28 Euro."),
    ("Gebühr: 1.250,50 EUR", "Gebühr: 1250 Euro 50"),
    ("nur € 5,05", "nur 5 Euro 5"),
    ("10 Euro", "10 Euro"),
    ("nach § 43 StVZO", "nach Paragraf 43 StVZO"),
    ("§§ 1 bis 3", "Paragrafen 1 bis 3"),
    ("50 % Ermäßigung", "50 Prozent Ermäßigung"),
    ("Bus & Bahn", "Bus und Bahn"),
    ("1.500 Anträge", "1500 Anträge"),
    # web and mail addresses: never letter by letter
    ("Siehe https://www.landkreis-lindenberg.de", "Siehe w w w punkt landkreis minus lindenberg punkt de"),
    ("auf landkreis-lindenberg.de/abfall", "auf landkreis minus lindenberg punkt de Schrägstrich abfall"),
    ("Mail an poststelle@landkreis-lindenberg.de", "Mail an poststelle at landkreis minus lindenberg punkt de"),
    # untouched
    ("Guten Tag, hier ist das Landratsamt.", "Guten Tag, hier ist das Landratsamt."),
    ("", ""),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_speakable(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


@pytest.mark.parametrize(
    ("day", "ending", "word"),
    [
        (1, "en", "ersten"),
        (3, "en", "dritten"),
        (7, "e", "siebte"),
        (8, "en", "achten"),
        (19, "en", "neunzehnten"),
        (20, "en", "zwanzigsten"),
        (21, "en", "einundzwanzigsten"),
        (30, "e", "dreißigste"),
        (31, "en", "einunddreißigsten"),
    ],
)
def test_ordinal(day: int, ending: str, word: str) -> None:
    assert ordinal(day, ending) == word


def test_idempotent_on_its_own_output() -> None:
    for written, _ in CASES:
        once = speakable(written)
        assert speakable(once) == once, written
