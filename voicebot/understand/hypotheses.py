"""Candidate texts for acoustic rescoring, from a cheap first pass over the free transcript. Pure.

Whisper's free transcript loses domain words ("Wunschkennzeichen" heard as "Grundken zeigen"); scoring every
FAQ phrasing against the audio would find them again but costs ~20 ms per text. This module picks a bounded set
of texts worth scoring (``Hypotheses.texts``, best first, at most ``limit``), from what the transcript still
carries:

- **topics** ranked three ways, taken in turns: the matcher's candidates on the transcript, the Kölner
  Phonetik codes of the transcript's words (and of two or three words joined: "grundken zeigen") against the
  sound codes of each topic's keywords and title words, and rapidfuzz's partial similarity of the transcript
  to each phrasing. Of each topic the phrasings most like the transcript are taken (``per_topic``);
- **repairs**: the transcript with one stretch of words replaced by a topic keyword or department name whose
  sound code is alike ("Verwinden Sie mich mit der Zurasusstelle" -> "... mit der Zulassungsstelle"), so a
  caller's own wording of a question outside the phrasings can still be recovered;
- **signals**: short answers and the request for a person (``SIGNAL_TEXTS``), always.

Each text carries where it came from (``Hypothesis.kind``) for the fusion (``voicebot.understand.fusion``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from voicebot.content.model import Content
from voicebot.language.phonetic import cologne_phonetic
from voicebot.language.text import fold
from voicebot.understand.understanding import Understanding
from voicebot.understand.words import STOPWORDS

SIGNAL_TEXTS = ("Ja, genau.", "Nein.", "Ich möchte mit einem Mitarbeiter sprechen.")
"""Short conversational answers scored on every utterance (yes, no, a person)."""
MIN_CODE = 3
"""Sound codes shorter than this are too common to name a topic ("Amt" is 06)."""
MIN_SOUND_SIM = 0.6
"""Codes must be at least this alike (rapidfuzz ratio 0..1) to rank a topic."""
MIN_REPAIR_SIM = 0.72
"""A stretch is repaired by a term only when their sound codes and letters are this alike on average."""
MIN_REPAIR_LETTERS = 6
"""Terms shorter than this never repair a stretch ("offen" for "Ofen" would turn a baking question into one
about opening hours: short words sound like too many others)."""
LENGTH_RATIO = 0.6
"""A stretch and the term replacing it differ in letters by at most this factor (either way)."""
MAX_SPAN = 3
"""Words of the transcript joined at most to compare with one term ("Grund ken zeigen")."""


@dataclass(frozen=True)
class Hypothesis:
    """One text to score against the audio."""

    text: str
    kind: str
    """``transcript``, ``phrasing``, ``repair`` or ``signal``."""
    topic: str | None = None
    """The topic whose phrasing it is (``phrasing`` only)."""


@dataclass(frozen=True)
class _Term:
    text: str
    code: str
    owner: str
    """Topic id or ``dept:<id>``."""
    whole: bool
    """A keyword or department name (repairs use only these; title words only rank topics)."""


class Hypotheses:
    """The candidate generator for one ``Content`` (build once, reuse for every utterance)."""

    def __init__(self, content: Content, *, limit: int = 24, per_topic: int = 2, repairs: int = 4) -> None:
        self.limit = limit
        self.per_topic = per_topic
        self.repairs = repairs
        self._phrasings: dict[str, list[tuple[str, str]]] = {}
        terms: list[_Term] = []
        for topic in content.topics:
            texts = list(dict.fromkeys((*topic.phrasings, topic.title)))
            self._phrasings[topic.id] = [(text, fold(text)) for text in texts]
            for keyword in topic.keywords:
                terms += _terms(keyword, topic.id, whole=True)
            terms += _terms(topic.title, topic.id, whole=False)
        for department in content.departments:
            for name in (department.name, *department.synonyms):
                terms += _terms(name, f"dept:{department.id}", whole=True)
        self._terms = list({(term.text, term.owner): term for term in terms}.values())

    def build(self, transcript: str, understanding: Understanding) -> list[Hypothesis]:
        """The texts to score for one utterance (the transcript itself first), at most ``limit`` + 1."""
        folded = fold(transcript)
        words = folded.split()
        spans = _spans(words)
        sounds = self._sound_topics(spans)
        result: dict[str, Hypothesis] = {}
        if transcript.strip():
            result[transcript.strip()] = Hypothesis(transcript.strip(), "transcript")
        for text in SIGNAL_TEXTS:
            result.setdefault(text, Hypothesis(text, "signal"))
        for text in self._repairs(transcript, words, spans):
            result.setdefault(text, Hypothesis(text, "repair"))
        matcher_topics = [candidate.topic for candidate in understanding.candidates]
        spelled = self._spelled_topics(folded)
        budget = self.limit + 1
        for topic in _interleave(matcher_topics, sounds, spelled):
            if len(result) >= budget:
                break
            phrasings = self._phrasings.get(topic, [])
            ranked = sorted(phrasings, key=lambda item: -fuzz.token_set_ratio(folded, item[1]))
            for text, _ in ranked[: self.per_topic]:
                if len(result) < budget:
                    result.setdefault(text, Hypothesis(text, "phrasing", topic))
        return list(result.values())[:budget]

    def _sound_topics(self, spans: list[tuple[int, int, str]]) -> list[str]:
        """Topics by how alike their terms sound to a stretch of the transcript, best first."""
        best: dict[str, float] = {}
        for term in self._terms:
            if term.owner.startswith("dept:"):
                continue
            sim = max((_code_sim(code, term.code) for _, _, code in spans), default=0.0)
            if sim >= MIN_SOUND_SIM and sim > best.get(term.owner, 0.0):
                best[term.owner] = sim
        return sorted(best, key=lambda topic: (-best[topic], topic))

    def _spelled_topics(self, folded: str) -> list[str]:
        """Topics by rapidfuzz's partial similarity of the transcript to their phrasings, best first."""
        if not folded:
            return []
        best = {
            topic: max(fuzz.partial_token_set_ratio(folded, text) for _, text in items) if items else 0.0
            for topic, items in self._phrasings.items()
        }
        return sorted(best, key=lambda topic: (-best[topic], topic))[:8]

    def _repairs(self, transcript: str, words: list[str], spans: list[tuple[int, int, str]]) -> list[str]:
        """The transcript with its stretch most like a term replaced by that term, best repairs first."""
        found: list[tuple[float, int, int, str]] = []
        for term in self._terms:
            if not term.whole or len(fold(term.text).replace(" ", "")) < MIN_REPAIR_LETTERS:
                continue
            spelled = fold(term.text).replace(" ", "")
            for start, end, code in spans:
                stretch = "".join(words[start:end])
                if not LENGTH_RATIO <= len(stretch) / len(spelled) <= 1 / LENGTH_RATIO or stretch == spelled:
                    continue
                sim = (_code_sim(code, term.code) + fuzz.ratio(stretch, spelled) / 100.0) / 2
                if sim >= MIN_REPAIR_SIM:
                    found.append((sim, start, end, term.text))
        found.sort(key=lambda item: (-item[0], item[3]))
        texts: list[str] = []
        tokens = transcript.split()
        token_of = [index for index, token in enumerate(tokens) for _ in fold(token).split()]
        for _sim, start, end, text in found:
            first, last = token_of[start], token_of[end - 1]
            ending = tokens[last][-1] if tokens[last][-1] in ".,?!" else ""
            repaired = " ".join([*tokens[:first], text + ending, *tokens[last + 1 :]])
            if repaired not in texts:
                texts.append(repaired)
            if len(texts) >= self.repairs:
                break
        return texts


def _terms(text: str, owner: str, whole: bool) -> list[_Term]:
    """Sound-coded terms of a keyword or name (the whole of it), or the content words of a title."""
    folded = fold(text)
    parts = [folded.replace(" ", "")] if whole else [w for w in folded.split() if w not in STOPWORDS]
    found = [_Term(text if whole else part, cologne_phonetic(part), owner, whole) for part in parts]
    return [term for term in found if len(term.code) >= MIN_CODE]


def _spans(words: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, sound code) of every stretch of one to MAX_SPAN words, stopwords alone left out."""
    spans: list[tuple[int, int, str]] = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_SPAN) + 1):
            if all(word in STOPWORDS for word in words[start:end]):
                continue
            code = cologne_phonetic("".join(words[start:end]))
            if len(code) >= MIN_CODE:
                spans.append((start, end, code))
    return spans


def _code_sim(first: str, second: str) -> float:
    return fuzz.ratio(first, second) / 100.0


def _interleave(*lists: Iterable[str]) -> list[str]:
    """The items of several rankings taken in turns, each once."""
    seen: dict[str, None] = {}
    iterators = [iter(items) for items in lists]
    while iterators:
        for iterator in list(iterators):
            item = next(iterator, None)
            if item is None:
                iterators.remove(iterator)
            else:
                seen.setdefault(item, None)
    return list(seen)


__all__ = ["SIGNAL_TEXTS", "Hypotheses", "Hypothesis"]
