"""German text normalisation shared by matching and grammar building. Pure.

Two levels:

- ``fold(text)``: lowercase, ``ß`` → ``ss``, umlauts → ``ae``/``oe``/``ue``, accents dropped, punctuation and
  hyphens → spaces. Keeps every word; the matcher detects yes/no and other signals on this form.
- ``normalize(text, vocabulary)``: ``fold`` plus filler words removed, spelled-out letters joined
  ("ka ef zett" → "kfz"), number words → digits ("einundzwanzig" → "21", "erste" → "1") and compounds
  brought into the form the vocabulary knows (split words joined: "wohn geld" → "wohngeld"; unknown long
  words split into known parts: "kfzzulassung" → "kfz zulassung").

Umlauts fold to ``ae``/``oe``/``ue``; a recogniser that drops them ("Fuhrerschein") still meets the
FAQ word through ``cologne_phonetic`` (Kölner Phonetik ignores vowels after the first letter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

from voicebot.phonetic import cologne_phonetic

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FILLER_WORDS = _words(
    "aeh aehm aem oeh oehm eh ehm hm hmm hmmm mh mhm oh ah also halt mal ja jaja bitte gerne gern eigentlich quasi "
    "sozusagen hallo moin servus tach naja na nun okay ok irgendwie einfach"
)
"""Single words that carry no topic (removed by ``normalize``; ``fold`` keeps them for signals)."""

FILLER_PHRASES = (
    ("guten", "tag"),
    ("guten", "morgen"),
    ("guten", "abend"),
    ("gruess", "gott"),
    ("gruss", "gott"),
    ("schoenen", "guten", "tag"),
    ("schoenen", "tag"),
)
"""Multi-word greetings removed by ``normalize`` (in folded form)."""

PARAPHRASES = (
    (("um", "wie", "viel", "uhr"), ("wann",)),
    (("wie", "viel", "uhr"), ("wann",)),
    (("wieviel", "uhr"), ("wann",)),
    (("zu", "welcher", "uhrzeit"), ("wann",)),
    (("welche", "uhrzeit"), ("wann",)),
)
"""Ways of asking the same thing written one way by ``normalize`` ("bis wie viel Uhr" → "bis wann")."""

_WEEKDAYS = "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag"
_DAYPARTS = "vormittag vormittags nachmittag nachmittags mittag mittags abends"
SYNONYMS = {
    "wagen": "auto",
    "pkw": "auto",
    "karre": "auto",
    **dict.fromkeys(_WEEKDAYS.split(), "wochentag"),
    **dict.fromkeys(_DAYPARTS.split(), "tageszeit"),
}
"""Colloquial words for one thing, written one way by ``normalize`` (whole words only, after compounds).
Weekdays and parts of the day become one word each: "am Samstag Vormittag" asks what "am Freitagnachmittag"
asks."""

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

LETTER_NAMES = {
    "a": "a",
    "be": "b",
    "ce": "c",
    "de": "d",
    "e": "e",
    "ef": "f",
    "eff": "f",
    "ge": "g",
    "ha": "h",
    "i": "i",
    "jot": "j",
    "ka": "k",
    "el": "l",
    "em": "m",
    "en": "n",
    "o": "o",
    "pe": "p",
    "ku": "q",
    "er": "r",
    "es": "s",
    "te": "t",
    "u": "u",
    "vau": "v",
    "we": "w",
    "ix": "x",
    "ypsilon": "y",
    "zett": "z",
    "zet": "z",
}
"""German spoken letter names → letter (for spelled abbreviations: "pe ka we" → "pkw")."""
_COMMON_LETTER_WORDS = frozenset({"a", "e", "i", "o", "u", "de", "en", "er", "es", "we", "el", "em"})
"""Letter names that are also ordinary words or ASR noise; a spelled run needs other letters too."""

DOMAIN_WORDS = _words(
    "kfz auto fahrzeug wagen pkw motorrad anhaenger zulassung zulassungsstelle anmeldung anmelden abmeldung abmelden "
    "ummeldung ummelden umschreibung halter halterwechsel kennzeichen wunsch kurzzeit nummernschild schild "
    "fuehrerschein fuehrer schein antrag umtausch ersatz verlust verloren international reise pass "
    "wohngeld wohn geld eltern elterngeld kind kinder kita platz betreuung tages mutter pflege unterhalt vorschuss "
    "sperrmuell sperr muell tonne abfall abfuhr kalender wertstoff hof gruen gut schrott elektro bau schutt "
    "grundsicherung sozial hilfe amt stelle behoerde bafoeg schueler ausbildung foerderung "
    "gesundheit zeugnis belehrung masern schutz impfung impf beratung sprechstunde "
    "bauantrag genehmigung stand "
    "tier haltung seuche waffe waffen besitz karte schein fischerei jagd schule bus fahrkarte weg "
    "zahlung rechnung gebuehr mahnung bank verbindung kasse kreis "
    "personal ausweis wohnsitz melde bescheinigung geburt urkunde heirat sterbe hund steuer schwerbehinderten "
    "aufenthalt titel erlaubnis einbuergerung auslaender jugend veterinaer ordnung termin oeffnungs zeiten "
    "anfahrt adresse parken landratsamt mitarbeiter zentrale vermittlung " + _WEEKDAYS + " " + _DAYPARTS
)
"""Default vocabulary for compound handling when no FAQ vocabulary is given."""

_LINKS = ("", "s", "es", "n", "en")
"""German linking elements (Fugenelemente) allowed between compound parts."""
_MIN_PART = 3


def fold(text: str) -> str:
    """Lowercase, fold ß/umlauts/accents, turn punctuation and hyphens into single spaces."""
    lowered = text.lower().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def tokens(text: str) -> list[str]:
    """The words of ``normalize(text)``."""
    return normalize(text).split()


def normalize(text: str, vocabulary: Collection[str] | None = None) -> str:
    """Match form of an utterance or phrasing (see module docstring).

    ``vocabulary`` holds the folded words the FAQ base knows; compounds are joined or split towards it
    (default: ``DOMAIN_WORDS``).
    """
    vocab = DOMAIN_WORDS if vocabulary is None else vocabulary
    words = _drop_fillers(fold(text).split())
    words = _join_letters(words)
    words = _numbers(words)
    words = _compounds(words, vocab)
    return " ".join(SYNONYMS.get(word, word) for word in words)


def _drop_fillers(words: list[str]) -> list[str]:
    """Fillers and greetings out, PARAPHRASES in their one form."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase, replacement in (*((p, ()) for p in FILLER_PHRASES), *PARAPHRASES):
            if tuple(words[i : i + len(phrase)]) == phrase:
                out.extend(replacement)
                i += len(phrase)
                break
        else:
            if words[i] not in FILLER_WORDS:
                out.append(words[i])
            i += 1
    return out


def _join_letters(words: list[str]) -> list[str]:
    """Join runs of spelled letter names into one word ("ka ef zett" → "kfz")."""
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and words[j] in LETTER_NAMES:
            j += 1
        run = words[i:j]
        distinctive = sum(1 for w in run if w not in _COMMON_LETTER_WORDS)
        if len(run) >= 2 and distinctive * 2 >= len(run) and distinctive >= 1:
            out.append("".join(LETTER_NAMES[w] for w in run))
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


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


def _numbers(words: list[str]) -> list[str]:
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


def _compounds(words: list[str], vocab: Collection[str]) -> list[str]:
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


def vocabulary_of(texts: Iterable[str]) -> set[str]:
    """Folded words of ``texts`` (the vocabulary compound handling aims at)."""
    words: set[str] = set()
    for text in texts:
        words.update(fold(text).split())
    return words


__all__ = [
    "DOMAIN_WORDS",
    "FILLER_WORDS",
    "PARAPHRASES",
    "SYNONYMS",
    "cologne_phonetic",
    "compound_parts",
    "fold",
    "normalize",
    "parse_number",
    "parse_ordinal",
    "split_compound",
    "tokens",
    "vocabulary_of",
]
