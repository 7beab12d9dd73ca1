"""German text normalisation shared by matching and grammar building. Pure.

Two levels:

- ``fold(text)``: lowercase, ``ß`` → ``ss``, umlauts → ``ae``/``oe``/``ue``, accents dropped, punctuation and
  hyphens → spaces. Keeps every word; the matcher detects yes/no and other signals on this form.
- ``normalize(text, vocabulary)``: ``fold`` plus filler words removed, spelled-out letters joined
  ("ka ef zett" → "kfz"), number words → digits ("einundzwanzig" → "21", "erste" → "1") and compounds
  brought into the form the vocabulary knows (split words joined: "wohn geld" → "wohngeld"; unknown long
  words split into known parts: "kfzzulassung" → "kfz zulassung").

Number words are read in ``voicebot.language.numbers_de``, compounds fitted in ``voicebot.language.compounds``.

Umlauts fold to ``ae``/``oe``/``ue``; a recogniser that drops them ("Fuhrerschein") still meets the
FAQ word through ``voicebot.language.phonetic.cologne_phonetic`` (Kölner Phonetik ignores vowels after the first letter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

from voicebot.language.compounds import fit_compounds
from voicebot.language.numbers_de import number_words_to_digits

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
    words = number_words_to_digits(words)
    words = fit_compounds(words, vocab)
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
    "fold",
    "normalize",
    "tokens",
    "vocabulary_of",
]
