"""What did the caller mean? Layered matching of one utterance against the FAQ base. Pure.

Layers, each scoring every topic 0..1; a topic's score is the best layer plus a small bonus when layers agree:

- ``exact``: the normalised utterance is a normalised phrasing.
- ``fuzzy`` / ``phonetic``: a soft, weighted word overlap between the utterance and each phrasing. Words count
  by how specific they are to one topic (inverse topic frequency); two words are alike when equal, equal after
  stripping German endings ("anmelden"/"anmeldung"), close by rapidfuzz's ratio, or equal in Kölner
  Phonetik ("fuhrerschein"/"fuehrerschein", "wohngelt"/"wohngeld") — see ``voicebot.understand.words``. Words
  the recogniser split ("fuhrer schein") are tried joined. The score mixes how much of the phrasing was said
  (coverage) with how much of the utterance the topic's vocabulary explains (precision); whole-string
  rapidfuzz (token_sort) on the content words is a second opinion. ``phonetic`` marks a match that needed
  inexact words.
- ``keyword``: a topic keyword heard (also inside a compound or split in two) reaches the confirm threshold on
  its own and the answer threshold when no other topic shares it.

Negative evidence: a keyword heard only as the modifier of an unknown compound ("Klasse" in "Klassenfahrt")
counts half, a compound of the same head but another modifier ("Grundsteuer"/"Hundesteuer") only as related,
and a word naming another authority ("Finanzamt", "Jobcenter") keeps every topic from being answered.

``voicebot.understand.calibrate`` then calibrates the ranked scores (clear lead, vague pairs, foreign matters), so
the thresholds of ``[dialogue]`` (answer 0.80, confirm 0.55, margin 0.06) mean what they say. Department
names and synonyms are matched the same way and weighed in ``voicebot.understand.departments``; signals come
from ``voicebot.understand.signals``.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from voicebot.content.model import SWITCHBOARD, Content
from voicebot.understand.calibrate import calibrate
from voicebot.understand.departments import HUMAN_TOPIC, weigh_department, without_human
from voicebot.understand.lexicon import lexicon_for
from voicebot.understand.understanding import MAX_CANDIDATES, Candidate, Signal, Understanding
from voicebot.understand.words import LIGHT_WEIGHT, Heard, WordIndex, content_words, foreign_words, loose_name

KEYWORD_UNIQUE = 0.86
"""Score of a topic whose own keyword was heard and no other topic has it."""
KEYWORD_SHARED_STEP = 0.1
"""Each further topic sharing the keyword lowers that score by this much (never below KEYWORD_FLOOR)."""
KEYWORD_FLOOR = 0.56
KEYWORD_ALONE = 0.7
"""Share of a keyword's score kept when the rest of the utterance is foreign to the topic (all of it when
the topic's vocabulary explains the whole utterance)."""
KEYWORD_CONFLICT = 0.05
"""Lowered per other topic whose keyword was heard in the same utterance."""
KEYWORD_EXTRA = 0.03
"""Raised per further keyword of the same topic heard."""
UNKNOWN_WEIGHT = 1.6
"""Weight of an utterance word the FAQ base does not know ("Pizza"): lowers precision."""
MODIFIER_FACTOR = 0.5
"""A keyword heard only as the first part of an unknown compound ("Klassenfahrt") counts this much."""
PAIR_FACTOR = 0.9
"""Two words heard as one known word ("fuhrer schein") count a little less than the word itself."""
SPARSE_FACTOR = 0.6
"""Weight factor of a word found in only one phrasing of its topics and in no keyword or title."""
AGREEMENT_BONUS = 0.3
"""Share of the remaining gap to 1.0 closed when a second layer also supports the topic."""
PRECISION_SHARE = 0.5
"""How much of a phrasing's score depends on the topic explaining the rest of the utterance."""
NAME_MIN_SIM = 0.85
"""Every word of a keyword or department name must be heard at least this well."""
DEPARTMENT_MIN_SIM = 0.8
"""Every word of a department name must be heard at least this well (names are long and distinctive:
"Baulamt" is the Bauamt) when they have at least DEPARTMENT_LONG_NAME letters ("Klasse" is not "Kasse")."""
DEPARTMENT_LONG_NAME = 6
WHOLE_MIN_COVERAGE = 0.6
"""Whole-string similarity to a phrasing counts only when the phrasing's words were heard this well
("wie hoch ist die Grundsteuer" is spelled like "wie hoch ist die Hundesteuer" but is not it)."""
WEAK_HUMAN_TOPIC_SCORE = 0.7
"""A topic this sure makes a bare "Mitarbeiter"/"Sachbearbeiter" a topic request, not a switchboard request."""


@dataclass(frozen=True)
class _Phrase:
    topic: str
    words: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class _Named:
    """A keyword or a department name: words that all have to be heard."""

    key: str
    words: tuple[str, ...]
    compact: str


class Matcher:
    """Matches utterances against one loaded ``Content`` (build once, reuse for every call)."""

    def __init__(self, content: Content) -> None:
        self.language = content.language
        """ISO code of the language this matcher understands (the content's)."""
        self.lexicon = lex = lexicon_for(content.language)
        texts: list[str] = []
        for topic in content.topics:
            texts += [*topic.phrasings, topic.title, *topic.keywords]
        for department in content.departments:
            texts += [department.name, *department.synonyms]
        self.vocabulary: frozenset[str] = frozenset({w for t in texts for w in lex.fold(t).split()} | lex.domain_words)
        self._exact: dict[str, str] = {}
        strong: dict[str, bool] = defaultdict(bool)
        """Words in a keyword or title, or in more than one phrasing of a topic."""
        phrasing_count: dict[tuple[str, str], int] = defaultdict(int)
        self._phrases: list[_Phrase] = []
        topics_of: dict[str, set[str]] = defaultdict(set)
        for topic in content.topics:
            for text in (*topic.phrasings, topic.title):
                norm = self.normalize(text)
                self._exact.setdefault(norm, topic.id)
                words = self._content_words(norm)
                if words:
                    self._phrases.append(_Phrase(topic.id, words, " ".join(words)))
                    for word in words:
                        topics_of[word].add(topic.id)
                        phrasing_count[(topic.id, word)] += 1
                        if text == topic.title or phrasing_count[(topic.id, word)] > 1:
                            strong[word] = True
        self._keywords: list[tuple[_Named, frozenset[str]]] = []
        keyword_topics: dict[str, set[str]] = defaultdict(set)
        named: dict[str, _Named] = {}
        for topic in content.topics:
            for keyword in topic.keywords:
                item = self._named(keyword, keyword)
                if item.words:
                    named[item.compact] = item
                    keyword_topics[item.compact].add(topic.id)
                    for word in item.words:
                        topics_of[word].add(topic.id)
                        strong[word] = True
        self._topic_words: dict[str, frozenset[str]] = {
            topic: frozenset(word for word, ids in topics_of.items() if topic in ids)
            for topic in {topic.id for topic in content.topics}
        }
        phrase_topics: dict[str, set[str]] = defaultdict(set)
        for phrase in self._phrases:
            for word in phrase.words:
                phrase_topics[word].add(phrase.topic)
        for key, ids in keyword_topics.items():
            sharing = [phrase_topics.get(word, set()) for word in named[key].words]
            ids.update(set.intersection(*sharing) if sharing else set())
        self._keywords = [(named[key], frozenset(ids)) for key, ids in keyword_topics.items()]
        self._departments = [
            self._named(department.id, text)
            for department in content.departments
            for text in (department.name, *department.synonyms)
        ]
        self._departments = [item for item in self._departments if item.words]
        self._topic_department = {topic.id: topic.department for topic in content.topics}
        self._switchboard = SWITCHBOARD
        total = max(1, len(content.topics))
        self._weights = {
            word: math.log(1.0 + total / len(ids)) * (1.0 if strong[word] else SPARSE_FACTOR)
            for word, ids in topics_of.items()
        }
        known = set(self._weights) | {w for d in self._departments for w in d.words}
        self._index = WordIndex(known, self.vocabulary, lex.stem, lex.split)
        topic_words = {topic: set(words) for topic, words in self._topic_words.items()}
        for word, parts in self._index.parts.items():
            for owner in topics_of.get(word, ()):
                topic_words[owner].update(parts)  # "platz" explains a "kitaplatz" topic too
        self._topic_words = {topic: frozenset(words) for topic, words in topic_words.items()}

    def normalize(self, text: str) -> str:
        """``voicebot.language.text.normalize`` (or the content language's) with this FAQ base's vocabulary."""
        return self.lexicon.normalize(text, self.vocabulary)

    def _content_words(self, norm: str) -> tuple[str, ...]:
        return content_words(norm, self.lexicon.stopwords)

    def _named(self, key: str, text: str) -> _Named:
        words = self._content_words(self.normalize(text))
        return _Named(key, words, "".join(words))

    def weight(self, word: str, said: bool = True) -> float:
        """How specific a word is to one topic (unknown words: UNKNOWN_WEIGHT).

        Light words weigh at most LIGHT_WEIGHT; generic verbs only when said (``said=False``: a phrasing's
        word the caller may have left out).
        """
        value = self._weights.get(word, UNKNOWN_WEIGHT)
        light = self.lexicon.light_words if said else self.lexicon.question_words
        return min(value, LIGHT_WEIGHT) if word in light else value

    def similar(self, word: str, fuzzy: bool = True) -> dict[str, float]:
        """Known words alike to ``word`` with their similarity (``voicebot.understand.words.WordIndex.similar``)."""
        return self._index.similar(word, fuzzy)

    def understand(self, text: str) -> Understanding:
        """Candidates, named department and signals for one utterance."""
        lex = self.lexicon
        light = lex.fold(text).split()
        norm = self.normalize(text)
        signals, weak_human = lex.signals(light)
        words = self._content_words(norm)
        sims = {word: self.similar(word) for word in words}
        # split words the recogniser broke apart ("fuhrer schein"): a pair may stand for one known word
        pairs: dict[tuple[str, str], dict[str, float]] = {}
        for first, second in itertools.pairwise(words):
            joined = self.similar(first + second, fuzzy=False)
            if joined:
                pairs[(first, second)] = {word: sim * PAIR_FACTOR for word, sim in joined.items()}
        modifiers = self._modifiers(light)
        scores, explained = self._topic_scores(norm, words, sims, pairs, modifiers)
        department, dept_words = self._department(words, sims)
        if department is None and lex.put_through(light):
            # "Verwinden Sie mich mit der Zurasusstelle": a guess, so confirmed (no CONNECT), never transferred
            department = loose_name(words, ((item.key, item.compact) for item in self._departments))
            if department is not None:
                signals -= {Signal.CONNECT}
                scores = without_human(scores)
        elif department is not None:
            if weak_human and department != self._switchboard:
                signals = signals | {Signal.CONNECT}  # "einen Mitarbeiter vom Bauamt": put through to that office
            department, scores, signals = weigh_department(
                department, dept_words, words, scores, signals, self._topic_department
            )
        ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_CANDIDATES]
        foreign = foreign_words(light, lex.foreign_words, lex.foreign_stems)
        ranked = calibrate(ranked, explained, foreign=bool(foreign))
        candidates = tuple(Candidate(topic, round(score, 4), method) for topic, (score, method) in ranked if score > 0)
        if weak_human and (
            department is not None
            or (candidates and candidates[0].topic != HUMAN_TOPIC and candidates[0].score >= WEAK_HUMAN_TOPIC_SCORE)
        ):
            signals -= {Signal.HUMAN}
        return Understanding(text, norm, candidates, department, frozenset(signals), self.language)

    def _modifiers(self, folded: list[str]) -> frozenset[str]:
        """Words heard only as the first part of a compound the FAQ base does not know ("klasse" in
        "Klassenfahrt", "hund" in "Hundetrainer"): the compound is another thing, not that word."""
        first_parts: set[str] = set()
        for word in folded:
            if word not in self.vocabulary:
                first_parts.update(self.lexicon.parts(word, self.vocabulary)[:-1])
        return frozenset(first_parts - set(folded))

    def _topic_scores(
        self,
        norm: str,
        words: tuple[str, ...],
        sims: dict[str, dict[str, float]],
        pairs: dict[tuple[str, str], dict[str, float]],
        modifiers: frozenset[str] = frozenset(),
    ) -> tuple[dict[str, tuple[float, str]], dict[str, float]]:
        """Per topic (score, method), and per topic the share of the utterance its vocabulary explains."""
        scores: dict[str, tuple[float, str]] = {}
        if norm in self._exact:
            scores[self._exact[norm]] = (1.0, "exact")
        if not words:
            return scores, {}
        u_weights = {word: self.weight(word) for word in words}
        u_total = sum(u_weights.values())
        explained = self._explained(words, sims, pairs, u_weights, u_total)
        fuzzy: dict[str, tuple[float, str]] = {}
        u_text = " ".join(words)
        best, single = WordIndex.best(sims, pairs)
        heard_of: dict[str, float] = {}
        for phrase in self._phrases:
            covered = 0.0
            total = 0.0
            phonetic = False
            for target in phrase.words:
                w = self.weight(target, said=False)
                if target not in heard_of:
                    heard_of[target] = self._index.word_sim(target, best, single)
                sim = heard_of[target]
                covered += w * sim
                total += w
                phonetic = phonetic or 0 < sim < 1
            coverage = covered / total if total else 0.0
            if coverage <= 0:
                continue
            score = coverage * (1.0 - PRECISION_SHARE + PRECISION_SHARE * explained.get(phrase.topic, 0.0))
            whole = fuzz.token_sort_ratio(u_text, phrase.text) / 100.0
            if coverage >= WHOLE_MIN_COVERAGE:
                score = max(score, whole * 0.95 if whole >= 0.85 else 0.0)
            method = "phonetic" if phonetic and score < 0.999 else "fuzzy"
            if score > fuzzy.get(phrase.topic, (0.0, ""))[0]:
                fuzzy[phrase.topic] = (score, method)
        if modifiers:  # a keyword heard only as a compound's modifier is a part of something else
            damped = {
                word: {other: sim * MODIFIER_FACTOR for other, sim in found.items()} if word in modifiers else found
                for word, found in sims.items()
            }
            best, single = WordIndex.best(damped, pairs)
        keyword = self._keyword_scores(best, single, explained)
        for topic in set(fuzzy) | set(keyword):
            a, method_a = fuzzy.get(topic, (0.0, "fuzzy"))
            b = keyword.get(topic, 0.0)
            high, low = max(a, b), min(a, b)
            combined = high + (1.0 - high) * AGREEMENT_BONUS * low
            method = method_a if a >= b else "keyword"
            if combined > scores.get(topic, (0.0, ""))[0]:
                scores[topic] = (min(1.0, combined), method)
        return scores, explained

    def _explained(
        self,
        words: tuple[str, ...],
        sims: dict[str, dict[str, float]],
        pairs: dict[tuple[str, str], dict[str, float]],
        u_weights: dict[str, float],
        u_total: float,
    ) -> dict[str, float]:
        """Per topic: the weighted share of the utterance its vocabulary explains (0..1)."""
        result: dict[str, float] = {}
        if u_total <= 0:
            return result
        for topic, vocab in self._topic_words.items():
            explained = 0.0
            for word in words:
                sim = max((value for other, value in sims[word].items() if other in vocab), default=0.0)
                for pair, pair_sims in pairs.items():
                    if word in pair:
                        sim = max(sim, max((v for other, v in pair_sims.items() if other in vocab), default=0.0))
                explained += u_weights[word] * sim
            if explained > 0:
                result[topic] = explained / u_total
        return result

    def _heard(self, item: _Named, best: Heard, single: Heard, minimum: float = NAME_MIN_SIM) -> float:
        """How well every word of a keyword/department name was heard (0..1; 0 below ``minimum``)."""
        worst = 1.0
        for target in item.words:
            worst = min(worst, self._index.word_sim(target, best, single))
            if worst < minimum:
                return 0.0
        return worst

    def _keyword_scores(self, best: Heard, single: Heard, explained: dict[str, float]) -> dict[str, float]:
        scores: dict[str, float] = {}
        hits: dict[str, int] = defaultdict(int)
        for item, topics in self._keywords:
            heard = self._heard(item, best, single)
            if heard <= 0:
                continue
            base = max(KEYWORD_FLOOR, KEYWORD_UNIQUE - KEYWORD_SHARED_STEP * (len(topics) - 1))
            for topic in topics:
                share = KEYWORD_ALONE + (1.0 - KEYWORD_ALONE) * explained.get(topic, 0.0)
                scores[topic] = max(scores.get(topic, 0.0), base * heard * share)
                hits[topic] += 1
        # keywords of several topics heard at once: each counts less, a topic with more hits a little more
        if len(scores) > 1:
            scores = {
                topic: score - KEYWORD_CONFLICT * (len(scores) - 1) + KEYWORD_EXTRA * (hits[topic] - 1)
                for topic, score in scores.items()
            }
        return scores

    def _department(self, words: tuple[str, ...], sims: dict[str, dict[str, float]]) -> tuple[str | None, set[str]]:
        """The department named, and the utterance words that named it."""
        best: tuple[int, str] | None = None
        used: set[str] = set()
        _both, single = WordIndex.best(sims, {})
        for item in self._departments:
            minimum = DEPARTMENT_MIN_SIM if len(item.compact) >= DEPARTMENT_LONG_NAME else NAME_MIN_SIM
            if self._heard(item, single, single, minimum) <= 0:
                continue
            size = len(item.compact)
            if best is None or size > best[0]:
                best = (size, item.key)
                used = {w for w in words if any(sims[w].get(t, 0.0) >= 0.8 for t in item.words)}
                used |= {w for w in words if w in item.compact}
        return (best[1] if best else None), used


__all__ = ["Matcher"]
