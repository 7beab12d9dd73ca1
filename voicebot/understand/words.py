"""Word level of the matcher: which words count, how much, and which known words a heard word is like. Pure.

Two words are alike (similarity 0..1) when they are equal (1.0), equal after a crude German stemming
("anmelden"/"anmeldung", "parkplaetze"/"parkplatz": STEM_SIM), close in spelling by rapidfuzz's ratio, equal
in Kölner Phonetik and still fairly close in spelling ("fuhrerschein"/"fuehrerschein": PHONETIC_SIM), or
one is a part of the other as a compound ("tonne"/"muelltonne": PART_SIM).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable

from rapidfuzz import fuzz, process

from voicebot.language.compounds import split_compound
from voicebot.language.phonetic import cologne_phonetic

QUESTION_WORDS = frozenset(str.split("wann wo wohin auf heute morgen lange viel kostet neu neue neuen"))
"""Question words and the like: they help a little (at most LIGHT_WEIGHT) but never decide."""
GENERIC_VERBS = frozenset(str.split("kommen kommt gehen gehe machen mache macht tun lassen holen geben"))
"""Verbs that say little when a caller uses them; a phrasing that needs one ("Führerschein machen") still
misses it when it is not said."""
LIGHT_WORDS = QUESTION_WORDS | GENERIC_VERBS
LIGHT_WEIGHT = 0.6

STOPWORDS = (
    frozenset(
        str.split(
            "ich du sie er es wir ihr man mich mir mein meine meinen meinem meiner meines dich dir sich uns unser "
            "unsere ihre ihren ihrem ihrer der die das den dem des ein eine einen einem einer eines ne nen "
            "und oder aber wie was wo wann wer warum wieso weshalb welche welcher welches welchen wohin woher "
            "ist sind bin bist war waren wird werden wurde hat habe haben hab hast hatte haette kann koennen "
            "koennte koennten kannst muss muessen musste will wollte wollen moechte moechten moecht wuerde wuerden "
            "soll sollte sollen darf duerfen zu zum zur von vom mit bei beim fuer auf an am im in ins aus nach "
            "ueber um da dort hier so noch schon auch nur denn doch wegen gibt geht gehts dass ob wenn weil "
            "bis jetzt dann nicht kein keine keinen sagen fragen frage wissen gerne bitte sie ihnen danke "
            "mal ja nein genau information informationen infos info thema anliegen bzw etwas was sowas "
            "brauche brauchen benoetige benoetigen suche erfahren erkundigen brauch braucht brauchst braeuchte "
            "kriege krieg kriegt kriegen bekomme bekommt bekommen gern einfach bisschen denn dran da"
        )
    )
    - LIGHT_WORDS
)
"""Words that say nothing about the topic (left out by ``content_words``)."""

FOREIGN_STEMS = frozenset(
    str.split(
        "finanzamt steuererklaerung grundsteuer einkommensteuer lohnsteuer steuerberater "
        "rentenversicherung rentenantrag rentenkasse rentenerhoehung rentenzahlung "
        "krankenkasse krankenversicherung pflegekasse arbeitsamt arbeitsagentur jobcenter buergergeld "
        "arbeitslosengeld polizei eingebrochen amtsgericht landgericht "
        "arzttermin apotheke krankenhaus notaufnahme krankmeldung knoellchen "
        "strafzettel falschparken parkticket schlagloch strassenlaterne stromanbieter hundetrainer hundeschule "
        "hundebiss fahrrad"
    )
)
"""Distinctive words that name another authority or a matter the FAQ base has no answer for ("Grundsteuer",
"Jobcenter"), heard alone or as the start or end of a compound ("Grundsteuerbescheid", "Amtsgerichts")."""
FOREIGN_WORDS = FOREIGN_STEMS | frozenset(
    str.split(
        "hartz einbruch gericht anwalt notar wetter regnet hautarzt zahnarzt hausarzt kinderarzt facharzt "
        "augenarzt frauenarzt lehrer lehrerin entlaufen gebissen bissig beisst pizza taxi fussball"
    )
)
"""FOREIGN_STEMS and shorter words that count only as whole words ("Lehrer", not "Fahrlehrer"). Heard in an
utterance, no topic may be answered or confirmed straight away: negative evidence for out-of-scope questions
that share a word with a topic ("Termin beim Hautarzt", "Rentenantrag", "Grundsteuer")."""


def foreign_words(
    folded: Iterable[str], words: frozenset[str] = FOREIGN_WORDS, stems: frozenset[str] = FOREIGN_STEMS
) -> set[str]:
    """The words of a folded utterance (``voicebot.language.text.fold(...).split()``) that name a foreign matter
    (``words``/``stems``: another language's lists)."""
    return {
        word for word in folded if word in words or any(word.startswith(stem) or word.endswith(stem) for stem in stems)
    }


FUZZY_CUTOFF = 78.0
"""rapidfuzz ratio (0..100) from which two words count as alike in spelling."""
STEM_SIM = 0.9
"""Similarity of two words with the same stem."""
PHONETIC_SIM = 0.85
"""Similarity of two words with the same Kölner Phonetik code (and PHONETIC_MIN_RATIO spelling)."""
PHONETIC_MIN_RATIO = 80.0
"""Equal Kölner Phonetik counts only for words at least this alike in spelling ("anmelden" is not "ummelden")."""
PART_SIM = 0.45
"""Similarity of a compound to one of its parts ("tonne"/"papiertonne"): related, not the same."""
COMPOUND_FACTOR = 0.9
"""A known compound whose parts were all heard apart ("Platz ... Kita" for "Kitaplatz") counts this much."""

_MIN_HEAD = 5
"""A common ending this long is a compound head that decides what a compound is ("steuer", "zeichen")."""
_MIN_MODIFIER = 3
_SAME_MODIFIER = 75.0
"""Modifiers at least this alike in spelling (rapidfuzz ratio) are one word misheard."""
_ENDINGS = ("ungen", "ung", "ern", "est", "en", "er", "es", "em", "et", "e", "n", "s", "t")
_PREFIXES = ("an", "ab", "auf", "aus", "ein", "um", "zu", "vor", "nach", "mit", "weg", "still", "")
_UMLAUT_PAIRS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def stem(word: str) -> str:
    """Crude German stem of a folded word.

    Umlauts merge with their base vowel ("parkplaetze"/"parkplatz"), the participle "ge" after a separable
    prefix goes ("angemeldet"/"anmelden"), and one inflection ending is stripped when four letters remain.
    """
    for first, second in _UMLAUT_PAIRS:
        word = word.replace(first, second)
    for prefix in _PREFIXES:
        if word.startswith(prefix + "ge") and len(word) - len(prefix) >= 6:
            word = prefix + word[len(prefix) + 2 :]
            break
    for _round in range(3):  # "kleinere" → "kleiner" → "klein" → "klei", as "klein" → "klei"
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                word = word[: -len(ending)]
                break
        else:
            break
    return word


def content_words(normalized: str, stopwords: frozenset[str] = STOPWORDS) -> tuple[str, ...]:
    """The words of a normalised text that are not stopwords, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in normalized.split():
        if word not in stopwords:
            seen.setdefault(word, None)
    return tuple(seen)


Heard = dict[str, float]
"""Known word -> best similarity of anything in the utterance to it."""


class WordIndex:
    """The known words of an FAQ base, indexed by stem, phonetic code and compound parts."""

    def __init__(
        self,
        known: Iterable[str],
        vocabulary: Iterable[str],
        stem_of: Callable[[str], str] | None = None,
        split: Callable[[str, Collection[str]], list[str]] = split_compound,
    ) -> None:
        """``known``: words of phrasings, keywords and names; ``vocabulary``: all words compounds may split into;
        ``stem_of`` and ``split``: the language's stemmer and compound splitter (German by default)."""
        words = set(known)
        splitting = words | set(vocabulary)
        self._stem = stem_of or stem
        self.parts: dict[str, tuple[str, ...]] = {}
        """Known compound -> its parts ("kitaplatz" -> ("kita", "platz"))."""
        self._compounds_of: dict[str, list[str]] = defaultdict(list)
        for word in sorted(words):
            parts = split(word, splitting - {word})
            if len(parts) > 1:
                self.parts[word] = tuple(parts)
                for part in parts:
                    self._compounds_of[part].append(word)
        self.words: frozenset[str] = frozenset(words | {part for parts in self.parts.values() for part in parts})
        """Known words and the parts of known compounds."""
        self._sorted = sorted(self.words)
        self._stems: dict[str, list[str]] = defaultdict(list)
        self._codes: dict[str, list[str]] = defaultdict(list)
        for word in self._sorted:
            self._stems[self._stem(word)].append(word)
            code = cologne_phonetic(word)
            if len(code) >= 3:
                self._codes[code].append(word)

    def similar(self, word: str, fuzzy: bool = True) -> dict[str, float]:
        """Known words alike to ``word`` with their similarity (see module docstring).

        ``fuzzy=False`` leaves out mere spelling closeness (for two words joined on trial).
        """
        found: dict[str, float] = {}

        def note(other: str, sim: float) -> None:
            if sim > found.get(other, 0.0):
                found[other] = sim

        if word in self.words:
            note(word, 1.0)
        if word.isdigit():
            return found
        for other in self._stems.get(self._stem(word), ()):
            note(other, 1.0 if other == word else STEM_SIM)
        if fuzzy and len(word) >= 4:
            for other, ratio, _index in process.extract(
                word, self._sorted, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=8
            ):
                sim = 1.0 if other == word else max(0.0, (ratio / 100.0 - 0.5) * 2.0)
                if (other in word or word in other) and abs(len(other) - len(word)) >= 3:
                    sim = min(sim, PART_SIM)  # "antrag" in "bauantrag": a part, not a misspelling
                elif sim < 1.0 and self._other_compound(word, other):
                    sim = min(sim, PART_SIM)  # "grundsteuer" is not a misheard "hundesteuer"
                note(other, sim)
        code = cologne_phonetic(word)
        if len(code) >= 3:
            for other in self._codes.get(code, ()):
                if fuzz.ratio(word, other) >= PHONETIC_MIN_RATIO:
                    note(other, PHONETIC_SIM)
        for compound in self._compounds_of.get(word, ()):
            note(compound, PART_SIM)
        for head in self.parts.get(word, ())[-1:]:
            note(head, PART_SIM)
        return found

    @staticmethod
    def _other_compound(word: str, other: str) -> bool:
        """Do ``word`` and ``other`` share a compound head but start with different-sounding modifiers?

        ("grundsteuer"/"hundesteuer", "kennzeichen"/"kassenzeichen": another thing of the same kind, not a
        misheard word; "gebrauchwagen"/"gebrauchtwagen" is a misheard word.)
        """
        size = 0
        while size < min(len(word), len(other)) and word[-1 - size] == other[-1 - size]:
            size += 1
        if size < _MIN_HEAD:
            return False
        mine, theirs = word[:-size], other[:-size]
        if len(mine) < _MIN_MODIFIER or len(theirs) < _MIN_MODIFIER:
            return False
        return cologne_phonetic(mine) != cologne_phonetic(theirs) and fuzz.ratio(mine, theirs) < _SAME_MODIFIER

    @staticmethod
    def best(sims: dict[str, dict[str, float]], pairs: dict[tuple[str, str], dict[str, float]]) -> tuple[Heard, Heard]:
        """Per known word the best similarity heard: from words and pairs, and from single words only."""
        single: Heard = {}
        for word_sims in sims.values():
            for other, sim in word_sims.items():
                if sim > single.get(other, 0.0):
                    single[other] = sim
        both = dict(single)
        for pair_sims in pairs.values():
            for other, sim in pair_sims.items():
                if sim > both.get(other, 0.0):
                    both[other] = sim
        return both, single

    def word_sim(self, target: str, best: Heard, single: Heard) -> float:
        """How well ``target`` was heard: itself, as a pair of words, or as all its compound parts apart."""
        value = best.get(target, 0.0)
        parts = self.parts.get(target)
        if parts and value < STEM_SIM:
            heard = min(single.get(part, 0.0) for part in parts)
            if heard >= 0.8:
                value = max(value, heard * COMPOUND_FACTOR)
        return value


LOOSE_NAME_RATIO = 78.0
"""rapidfuzz ratio from which a word (or two or three words run together) may be a badly heard office name."""
LOOSE_NAME_LENGTH = 9
"""Only office names this long are guessed from a bad hearing ("zurasusstelle" → "zulassungsstelle")."""


def loose_name(words: Iterable[str], names: Iterable[tuple[str, str]]) -> str | None:
    """The key of the name (``(key, compact name)``) a word or run of up to three words is most alike to,
    if at least LOOSE_NAME_RATIO alike and the name is at least LOOSE_NAME_LENGTH long."""
    heard = list(words)
    runs = {"".join(heard[i : i + size]) for size in (1, 2, 3) for i in range(len(heard) - size + 1)}
    best: tuple[float, int, str] | None = None
    for key, compact in names:
        if len(compact) < LOOSE_NAME_LENGTH:
            continue
        for run in runs:
            ratio = fuzz.ratio(run, compact)
            if ratio >= LOOSE_NAME_RATIO and (best is None or (ratio, len(compact)) > best[:2]):
                best = (ratio, len(compact), key)
    return best[2] if best else None


__all__ = [
    "FOREIGN_STEMS",
    "FOREIGN_WORDS",
    "GENERIC_VERBS",
    "LIGHT_WEIGHT",
    "LIGHT_WORDS",
    "QUESTION_WORDS",
    "STOPWORDS",
    "WordIndex",
    "content_words",
    "foreign_words",
    "loose_name",
    "stem",
]
