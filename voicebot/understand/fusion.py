"""Fusion of acoustic evidence (candidate texts scored against the audio) with the matcher's text evidence. Pure.

Input: the matcher's reading of the free transcript, and for every candidate text (``voicebot.understand.
hypotheses``) its acoustic score (mean token log-probability, ``voicebot.ports.AcousticEvidence``) and the
matcher's reading of that text. Each candidate reading names a *key*: a topic, a department or a signal.

1. Per key the best acoustic score ``a_k``.
2. A posterior over the keys plus a *none* option, softmax with ``temperature``: the none option scores the free
   transcript's own acoustic score minus ``none_offset``. A key is likely only when it explains the audio nearly
   as well as what Whisper wrote freely *and* clearly better than the other keys: out-of-scope questions (the
   free transcript fits, no FAQ text does) and noise (nothing fits) put their mass on *none*.
3. A topic's fused score is the noisy-or of its text score and its posterior (times how surely the candidate's
   own text means the topic), so ``[dialogue] answer_threshold`` / ``confirm_threshold`` keep their meaning: the
   posterior is calibrated on the fixtures (``Calibration``; ``voicebot bench accuracy`` reports it on held-out
   cases). A department or signal key with a posterior of at least ``adopt`` is taken over into the reading.

Without acoustic evidence (scorer absent or failed) the text reading stands unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from voicebot.understand.departments import HUMAN_TOPIC
from voicebot.understand.hypotheses import Hypothesis
from voicebot.understand.understanding import MAX_CANDIDATES, Candidate, Signal, Understanding

Reader = Callable[[str], Understanding]
"""The matcher's ``understand``."""

KEY_SIGNALS = (Signal.HUMAN, Signal.YES, Signal.NO)
"""Signals a candidate text may stand for on its own."""


@dataclass(frozen=True)
class Calibration:
    """The fusion's constants, fitted on the 8 kHz A-law fixtures of ``audio_fixtures/manifest.yaml`` with an
    even index (40 cases: most right routes, no confident answer on out-of-scope, noise or silence, few wrong
    ones), checked on the 40 with an odd index (``voicebot bench accuracy`` reports all of them)."""

    temperature: float = 0.5
    """Softmax temperature over mean token log-probabilities (nats per token)."""
    none_offset: float = 2.0
    """How much worse than the free transcript (nats per token) a candidate may fit and still be as likely as
    *none*."""
    adopt: float = 0.8
    """Posterior from which a department or signal key is taken over into the reading (a department with the
    request to be put through, if the candidate text asks for it)."""
    name: float = 0.55
    """Posterior from which a department key is taken over as named only (the policy confirms it)."""
    text_floor: float = 0.55
    """A candidate text's own reading must score at least this for its topic to be its key."""
    repair_bias: float = -0.3
    """Added to the acoustic score of a repaired transcript (nats per token): a repair keeps most of what Whisper
    wrote freely, so it fits the audio better than a phrasing in the caller's own words would, right or wrong."""
    repair_spread: bool = True
    """Judge a repair by its changed words: its loss against the free transcript (a mean over every token) is
    spread over the words it changed (times all words / changed words). Otherwise one wrong word in a long
    sentence ("hufen" -> "aufhaben": a taxi question turned into opening hours) costs almost nothing."""


@dataclass(frozen=True)
class Scored:
    """One candidate text with its acoustic score and the matcher's reading of it."""

    hypothesis: Hypothesis
    acoustic: float
    reading: Understanding


def key_of(scored: Scored, floor: float) -> tuple[str, str, float] | None:
    """(kind, id, how surely the text means it) of a candidate's reading: ``topic``, ``department`` or ``signal``."""
    reading = scored.reading
    for signal in KEY_SIGNALS:
        if signal in reading.signals:
            return ("signal", signal.value, 1.0)
    if reading.department is not None and (reading.best is None or reading.best.score < floor):
        return ("department", reading.department, 1.0)
    best = reading.best
    if best is not None and best.score >= floor:
        return ("topic", best.topic, min(1.0, best.score))
    return None


def changed_share(repair: str, transcript: str) -> float:
    """All words of ``repair`` / the words it changed in ``transcript`` (common beginning and end kept), >= 1."""
    new, old = repair.split(), transcript.split()
    head = 0
    while head < min(len(new), len(old)) and new[head] == old[head]:
        head += 1
    tail = 0
    while tail < min(len(new), len(old)) - head and new[-1 - tail] == old[-1 - tail]:
        tail += 1
    return max(1.0, len(new) / max(1, len(new) - head - tail))


def posteriors(scored: Sequence[Scored], reference: float, calibration: Calibration) -> dict[tuple[str, str], float]:
    """Per key the calibrated probability that the utterance means it (the rest is *none*)."""
    best: dict[tuple[str, str], float] = {}
    transcript = next((item.hypothesis.text for item in scored if item.hypothesis.kind == "transcript"), "")
    for item in scored:
        if item.hypothesis.kind == "transcript":
            continue
        key = key_of(item, calibration.text_floor)
        if key is None:
            continue
        k = (key[0], key[1])
        value = item.acoustic
        if item.hypothesis.kind == "repair":
            if calibration.repair_spread and transcript:
                value = reference + (value - reference) * changed_share(item.hypothesis.text, transcript)
            value += calibration.repair_bias
        best[k] = max(best.get(k, -math.inf), value)
    if not best:
        return {}
    t = calibration.temperature
    top = max([*best.values(), reference - calibration.none_offset])
    weights = {k: math.exp((value - top) / t) for k, value in best.items()}
    total = sum(weights.values()) + math.exp((reference - calibration.none_offset - top) / t)
    return {k: weight / total for k, weight in weights.items()}


def fuse(text: Understanding, scored: Sequence[Scored], calibration: Calibration) -> Understanding:
    """The reading of the utterance from its transcript's reading and the scored candidates (see module doc)."""
    reference = next((item.acoustic for item in scored if item.hypothesis.kind == "transcript"), None)
    if reference is None:
        reference = max((item.acoustic for item in scored), default=0.0)
    probs = posteriors(scored, reference, calibration)
    if not probs:
        return text
    sureness: dict[str, float] = {}
    for item in scored:
        key = key_of(item, calibration.text_floor)
        if key is not None and key[0] == "topic":
            sureness[key[1]] = max(sureness.get(key[1], 0.0), key[2])
    scores = {candidate.topic: (candidate.score, candidate.method) for candidate in text.candidates}
    for (kind, ident), p in probs.items():
        if kind != "topic" or (ident == HUMAN_TOPIC and p < calibration.adopt):
            continue  # the person topic is an action (transfer at the confirm threshold): only on sure evidence
        support = p * sureness.get(ident, 1.0)
        old, method = scores.get(ident, (0.0, "acoustic"))
        fused = 1.0 - (1.0 - old) * (1.0 - support)
        scores[ident] = (fused, method if support <= old else "acoustic")
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_CANDIDATES]
    candidates = tuple(Candidate(topic, round(score, 4), method) for topic, (score, method) in ranked if score > 0)
    department, signals = text.department, set(text.signals)
    winner, p = max(probs.items(), key=lambda item: item[1])
    if winner[0] == "department" and calibration.name <= p < calibration.adopt:
        department = department or winner[1]
    elif p >= calibration.adopt and winner[0] != "topic":
        source = next(
            item.reading
            for item in sorted(scored, key=lambda item: -item.acoustic)
            if (key := key_of(item, calibration.text_floor)) is not None and key[:2] == winner
        )
        if winner[0] == "department":
            department = department or source.department
            signals |= source.signals & {Signal.CONNECT}
        else:
            signals.add(Signal(winner[1]))
    return replace(text, candidates=candidates, department=department, signals=frozenset(signals))


__all__ = ["KEY_SIGNALS", "Calibration", "Reader", "Scored", "changed_share", "fuse", "key_of", "posteriors"]
