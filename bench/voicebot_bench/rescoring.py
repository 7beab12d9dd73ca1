"""Route accuracy with acoustic rescoring (``voicebot.understand.rescore``) next to the transcript alone.

For every spoken fixture already transcribed (``voicebot_bench.accuracy.Heard``) the utterance is encoded once
by the scorer and the rescorer's candidate texts are scored on it; the fused reading is decided by the same
``first_decision`` and reported as the understander ``rescored``. Also counted: confident answers (``answer``
or ``transfer``) on cases that must never get one (out of scope, noise, silence), for each understander, and the
rescoring time per turn (encode + K candidate texts).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from voicebot.audio import read_wav, resample
from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.dialogue.decide import first_decision
from voicebot.ports import AcousticScorer
from voicebot.understand.matcher import Matcher
from voicebot.understand.rescore import Rescorer
from voicebot_bench.accuracy import Heard, RouteResult, route
from voicebot_bench.fixtures import Manifest

NEVER_CONFIDENT = frozenset({"out_of_scope", "noise", "silence"})
"""Tags of cases on which an answer or transfer is a false confident answer."""


@dataclass(frozen=True)
class RescoreTiming:
    """Rescoring time per turn."""

    turns: int
    candidates: int
    """Candidate texts per turn (the configured K; the transcript and fixed short answers come on top)."""
    encode_ms_p50: float
    score_ms_p50: float
    total_ms_p50: float
    total_ms_p95: float


def rescore_fixtures(
    manifest: Manifest,
    heard: Iterable[Heard],
    scorer: AcousticScorer,
    content: Content,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[RouteResult], RescoreTiming]:
    """The ``rescored`` decisions of every transcribed fixture, and the time it took per turn."""
    matcher = Matcher(content)
    limit = max(1, settings.asr.rescore_candidates)
    rescorer = Rescorer(content, matcher.understand, limit=limit)
    by_id = {case.id: case for case in manifest.cases}
    results: list[RouteResult] = []
    encode: list[float] = []
    score: list[float] = []
    for item in heard:
        case = by_id[item.case]
        pcm, rate = read_wav(case.path(item.stage.removeprefix("asr"), manifest.root))
        pcm = resample(pcm, rate, scorer.sample_rate) if rate != scorer.sample_rate else pcm
        started = time.perf_counter()
        evidence = scorer.listen(pcm) if item.text.strip() else None
        encoded = time.perf_counter()
        reading = rescorer.understand(item.text, evidence).understanding
        done = time.perf_counter()
        if evidence is not None:
            encode.append(1000 * (encoded - started))
            score.append(1000 * (done - encoded))
        decision = first_decision(reading, content, settings.dialogue)
        known = manifest.known(case.id, item.stage)
        results.append(
            RouteResult(
                case.id, item.stage, "rescored", item.text, case.expect.route(), route(decision), decision.score, known
            )
        )
        if progress is not None:
            progress(f"{case.id} [{item.stage}] rescored -> {route(decision)}")
    totals = [a + b for a, b in zip(encode, score, strict=True)]
    timing = RescoreTiming(len(totals), limit, _p(encode, 50), _p(score, 50), _p(totals, 50), _p(totals, 95))
    return results, timing


def false_confident(results: Sequence[RouteResult], manifest: Manifest) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (stage, understander): (confident answers, cases) on the cases tagged NEVER_CONFIDENT."""
    tags = {case.id: set(case.tags) for case in manifest.cases}
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for result in results:
        if not tags.get(result.case, set()) & NEVER_CONFIDENT:
            continue
        wrong, total = counts.get((result.stage, result.system), (0, 0))
        counts[(result.stage, result.system)] = (wrong + (result.got[0] in ("answer", "transfer")), total + 1)
    return counts


def _p(values: Sequence[float], percent: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


__all__ = ["NEVER_CONFIDENT", "RescoreTiming", "false_confident", "rescore_fixtures"]
