"""The reference matcher the benchmarks and tests compare ``voicebot.understand.matcher.Matcher`` against. Pure."""

from __future__ import annotations

from rapidfuzz import fuzz

from voicebot.content.model import Content
from voicebot.understand.understanding import MAX_CANDIDATES, Candidate, Understanding


def baseline_understand(content: Content, text: str) -> Understanding:
    """Plain rapidfuzz (WRatio of the lowercased utterance against each raw phrasing), no normalisation.

    The reference the benchmark compares the matcher against.
    """
    query = text.lower()
    scores: dict[str, float] = {}
    for topic in content.topics:
        for phrasing in topic.phrasings:
            score = fuzz.WRatio(query, phrasing.lower()) / 100.0
            if score > scores.get(topic.id, 0.0):
                scores[topic.id] = score
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:MAX_CANDIDATES]
    candidates = tuple(Candidate(topic, round(score, 4), "fuzzy") for topic, score in ranked if score > 0)
    return Understanding(text, query, candidates)


__all__ = ["baseline_understand"]
