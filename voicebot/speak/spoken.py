"""Text for the ear: rewrite written German so a synthesiser (espeak-ng, piper) says it the way a person would.

Pure functions, no engine. ``speakable`` rewrites, in this order:

* e-mail addresses and web addresses: never letter by letter ("www." is "w w w punkt", "-" is "minus",
  "." is "punkt"; the scheme is dropped) — better still, answers use the district's spoken facts;
* abbreviations ("z. B." → "zum Beispiel", "Nr." → "Nummer", "Mo.–Fr." → "Montag bis Freitag") and
  acronyms that are spelled ("Kfz" → "Ka Ef Zett", "PDF" → "Pe De Ef");
* euro amounts ("28,60 €" → "28 Euro 60"), "§ 43" → "Paragraf 43", "%" → "Prozent";
* times ("7:30 Uhr", "7.30 Uhr" and "13:30" → "7 Uhr 30"; "12 Uhr" stays; "8–12 Uhr" → "8 bis 12 Uhr");
* dates ("24.12." → "vierundzwanzigsten Dezember", "01.01.2027" → "ersten Januar 2027"): the engines read
  "24." as a cardinal, so the ordinal is written out (dative "-sten" after "am/bis zum/vom", "-ste" after "der");
* phone numbers digit by digit in their groups ("08381 920-0" → "0 8 3 8 1, 9 2 0, 0") and postcodes
  before a place name digit by digit; thousands separators are dropped ("1.500" → "1500").

Numbers themselves are left to the engine, which reads German cardinals well.
"""

from __future__ import annotations

import re

from voicebot.config.hours import MONTHS_DE

_MONTHS = MONTHS_DE
_WEEKDAYS = {
    "Mo": "Montag",
    "Di": "Dienstag",
    "Mi": "Mittwoch",
    "Do": "Donnerstag",
    "Fr": "Freitag",
    "Sa": "Samstag",
    "So": "Sonntag",
}
_ONES = ("", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
_ORDINAL_STEMS = {
    1: "ers",
    2: "zwei",
    3: "drit",
    4: "vier",
    5: "fünf",
    6: "sechs",
    7: "sieb",
    8: "ach",
    9: "neun",
    10: "zehn",
    11: "elf",
    12: "zwölf",
    13: "dreizehn",
    14: "vierzehn",
    15: "fünfzehn",
    16: "sechzehn",
    17: "siebzehn",
    18: "achtzehn",
    19: "neunzehn",
}

_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    # (written form with dots; spaces between the parts are optional, spoken form)
    ("z.B.", "zum Beispiel"),
    ("u.a.", "unter anderem"),
    ("d.h.", "das heißt"),
    ("u.U.", "unter Umständen"),
    ("i.d.R.", "in der Regel"),
    ("z.Zt.", "zurzeit"),
    ("e.V.", "eingetragener Verein"),
    ("ca.", "circa"),
    ("Nr.", "Nummer"),
    ("bzw.", "beziehungsweise"),
    ("usw.", "und so weiter"),
    ("inkl.", "inklusive"),
    ("zzgl.", "zuzüglich"),
    ("ggf.", "gegebenenfalls"),
    ("evtl.", "eventuell"),
    ("vgl.", "vergleiche"),
    ("Tel.", "Telefon"),
    ("Str.", "Straße"),
    ("Abs.", "Absatz"),
    ("mind.", "mindestens"),
    ("max.", "maximal"),
    ("Std.", "Stunden"),
    ("Min.", "Minuten"),
)
_ACRONYMS: tuple[tuple[str, str], ...] = (
    # (word as written, case-insensitive; how it is said)
    ("Kfz", "Ka Ef Zett"),
    ("Pkw", "Pe Ka We"),
    ("Lkw", "El Ka We"),
    ("PDF", "Pe De Ef"),
    ("EU", "E U"),
    ("ÖPNV", "Ö Pe En Fau"),
    ("DSGVO", "De Es Ge Fau O"),
    ("SGB", "Es Ge Be"),
    ("GmbH", "Ge Em Be Ha"),
    ("BAföG", "Bafög"),
    ("TÜV", "Tüff"),
    ("IBAN", "Iban"),
    ("USA", "U Es A"),
    ("DRK", "De Er Ka"),
    ("ADAC", "A De A Ce"),
    ("AOK", "A O Ka"),
    ("BGB", "Be Ge Be"),
    ("KiTa", "Kita"),
)
_ORDINAL_NOUNS = "Stock|Etage|Obergeschoss|Untergeschoss|Geschoss|Klasse|Mahnung|Quartal|Halbjahr|Lebensjahr"
"""Nouns after which "2." is an ordinal ("im 2. Stock" = "im zweiten Stock")."""
_UNITS = {"km": "Kilometer", "kg": "Kilogramm", "qm": "Quadratmeter", "m²": "Quadratmeter", "ha": "Hektar"}
_TLDS = "de|com|org|net|eu|info|bayern|berlin|nrw"


def _cardinal(number: int) -> str:
    """German cardinal 20..99 as a word (only what ordinals of days need)."""
    tens_words = {2: "zwanzig", 3: "dreißig"}
    tens, ones = divmod(number, 10)
    tens_word = tens_words.get(tens, str(tens * 10))
    return tens_word if ones == 0 else f"{_ONES[ones]}und{tens_word}"


def ordinal(day: int, ending: str = "en") -> str:
    """The ordinal of a day of the month as a word: ``ordinal(24)`` = "vierundzwanzigsten"."""
    if day in _ORDINAL_STEMS:
        return f"{_ORDINAL_STEMS[day]}t{ending}"
    return f"{_cardinal(day)}st{ending}"


def _minutes(value: str) -> str:
    return str(int(value))


def _clock(hours: str, minutes: str | None) -> str:
    spoken = f"{int(hours)} Uhr"
    if minutes is not None and int(minutes) != 0:
        spoken += f" {_minutes(minutes)}"
    return spoken


def _spell_address(text: str) -> str:
    spoken = re.sub(r"^https?://", "", text.lower()).rstrip("/")
    spoken = re.sub(r"^www\.", "w w w punkt ", spoken)
    spoken = spoken.replace("@", " at ").replace(".", " punkt ").replace("-", " minus ").replace("/", " Schrägstrich ")
    return spoken.replace("_", " Unterstrich ")


def _addresses(text: str) -> str:
    text = re.sub(rf"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b", lambda m: _spell_address(m.group(0)), text)
    pattern = rf"(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/[\w/-]*(?:\.[\w]+)?)?"
    return re.sub(pattern, lambda m: _spell_address(m.group(0)), text, flags=re.IGNORECASE)


def _abbreviations(text: str) -> str:
    text = re.sub(
        r"\b(Mo|Di|Mi|Do|Fr|Sa|So)\.?\s*[-–]\s*(Mo|Di|Mi|Do|Fr|Sa|So)\.",
        lambda m: f"{_WEEKDAYS[m.group(1)]} bis {_WEEKDAYS[m.group(2)]}",
        text,
    )
    text = re.sub(r"\b(Mo|Di|Mi|Do|Fr|Sa)\.(?=\s*(?:\d|,|und|bis))", lambda m: _WEEKDAYS[m.group(1)], text)
    for written, spoken in _ABBREVIATIONS:
        parts = [re.escape(part) for part in written.rstrip(".").split(".")]
        pattern = r"(?<![\w.])" + r"\.\s?".join(parts) + r"\.(?=\W|$)"
        text = re.sub(pattern + r"\s*$", spoken + ".", text)
        text = re.sub(pattern, spoken, text)
    text = re.sub(r"(?<=[a-zäöü])str\.", "straße", text)
    for word, spoken in _ACRONYMS:
        pattern = rf"(?<![\w]){re.escape(word)}(?:-(?=\w)|(?![\w]))"
        text = re.sub(pattern, spoken + " ", text, flags=re.IGNORECASE)
    for unit, spoken in _UNITS.items():
        text = re.sub(rf"(?<=\d)\s*{re.escape(unit)}(?![\w²])", f" {spoken}", text)
    return text


def _euros(text: str) -> str:
    def amount(euros: str, cents: str | None) -> str:
        spoken = f"{euros.replace('.', '')} Euro"
        if cents and cents.strip("-") and int(cents) != 0:
            spoken += f" {int(cents)}"
        return spoken

    number = r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{2}|-{1,2}))?"
    text = re.sub(number + r"\s*(?:€|EUR\b|Euro\b)", lambda m: amount(m.group(1), m.group(2)), text)
    text = re.sub(r"(?:€|EUR\b)\s*" + number, lambda m: amount(m.group(1), m.group(2)), text)
    return text.replace("€", " Euro ")


def _symbols(text: str) -> str:
    text = re.sub(r"§§\s*", "Paragrafen ", text)
    text = re.sub(r"§\s*", "Paragraf ", text)
    text = re.sub(r"\s*%", " Prozent", text)
    return text.replace("&", " und ")


def _times(text: str) -> str:
    time = r"(\d{1,2})(?:[:.](\d{2}))?"
    text = re.sub(
        rf"(?<![\d.,:]){time}\s*[-–]\s*{time}\s*Uhr\b",
        lambda m: f"{_clock(m.group(1), m.group(2))} bis {_clock(m.group(3), m.group(4))}",
        text,
    )
    text = re.sub(r"(?<![\d.,:])(\d{1,2})[:.](\d{2})\s*Uhr\b", lambda m: _clock(m.group(1), m.group(2)), text)
    return re.sub(r"(?<![\d.,:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])", lambda m: _clock(m.group(1), m.group(2)), text)


def _dates(text: str) -> str:
    def spoken(match: re.Match[str], day: int, month: int, year: str | None) -> str:
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return match.group(0)
        before = text[: match.start()].rstrip().rsplit(" ", 1)[-1].lower()
        ending = "e" if before in ("der", "die") else "en"
        result = f"{ordinal(day, ending)} {_MONTHS[month - 1]}"
        if year:
            return f"{result} {year}"
        # "bis zum 3.10." at the end of a sentence: its last dot also ends the sentence.
        rest = match.string[match.end() :]
        return result + "." if not rest.strip() or re.match(r"\s+[A-ZÄÖÜ]", rest) else result

    text = re.sub(
        r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])",
        lambda m: spoken(m, int(m.group(3)), int(m.group(2)), m.group(1)),
        text,
    )
    text = re.sub(
        r"(?<![\d.,])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2}(?!\d))?",
        lambda m: spoken(m, int(m.group(1)), int(m.group(2)), _year(m.group(3))),
        text,
    )
    text = re.sub(
        rf"(?<![\d.,])(\d{{1,2}})\.\s+(?=(?:{_ORDINAL_NOUNS})\b)",
        lambda m: (
            (ordinal(int(m.group(1)), _ending(text, m.start())) + " ") if 1 <= int(m.group(1)) <= 31 else m.group(0)
        ),
        text,
    )
    month_names = "|".join(_MONTHS)
    return re.sub(
        rf"(?<![\d.,])(\d{{1,2}})\.\s+(?=(?:{month_names})\b)",
        lambda m: (
            (ordinal(int(m.group(1)), _ending(text, m.start())) + " ") if 1 <= int(m.group(1)) <= 31 else m.group(0)
        ),
        text,
    )


def _ending(text: str, start: int) -> str:
    before = text[:start].rstrip().rsplit(" ", 1)[-1].lower()
    return "e" if before in ("der", "die") else "en"


def _year(value: str | None) -> str | None:
    if value is None:
        return None
    return value if len(value) == 4 else f"20{value}"


def _digits(group: str) -> str:
    return " ".join(group)


def _phone_numbers(text: str) -> str:
    def spoken(match: re.Match[str]) -> str:
        raw = match.group(0)
        groups = [g for g in re.split(r"[\s/()-]+", raw) if g]
        if sum(len(g.lstrip("+")) for g in groups) < 6:
            return raw
        words = []
        for group in groups:
            words.append("plus " + _digits(group[1:]) if group.startswith("+") else _digits(group))
        return ", ".join(words)

    pattern = r"(?<![\w.,+])(?:\+\d{2,3}|0\d{2,})(?:(?:\s|\s?[/-]\s?)\(?\d+\)?)*(?![\w])"
    text = re.sub(pattern, spoken, text)
    # A postcode after the street, before the place name, is said digit by digit ("…, 8 7 4 5 0 Lindenberg").
    return re.sub(r"(?<=, )(\d{5})(?=\s+[A-ZÄÖÜ])", lambda m: _digits(m.group(1)), text)


def _thousands(text: str) -> str:
    return re.sub(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+)(?![\d]|\.\d)", lambda m: m.group(1).replace(".", ""), text)


def _tidy(text: str) -> str:
    text = text.replace("–", " – ").replace("—", " – ")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return text.strip()


def plain_spoken(text: str) -> str:
    """Text for the ear in a language without rewriting rules here (English): whitespace made single."""
    return " ".join(text.split())


def speakable(text: str) -> str:
    """Rewrite written German for a speech synthesiser (see the module docstring for what changes)."""
    text = _addresses(text)
    text = _abbreviations(text)
    text = _euros(text)
    text = _symbols(text)
    text = _phone_numbers(text)
    text = _times(text)
    text = _dates(text)
    text = _thousands(text)
    return _tidy(text)
