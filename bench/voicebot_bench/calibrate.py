"""``voicebot bench calibrate``: fit the fusion's constants (``voicebot.understand.fusion.Calibration``) on the
spoken fixtures, the way the product decodes them.

1. Every fixture (committed telephone-band versions, default 8 kHz A-law) is decoded by the configured Whisper
   path (short window), encoded once by the scorer, and the rescorer's candidate texts are scored on it — the
   expensive part, done once.
2. Every calibration on a small grid re-fuses those scores (pure, milliseconds) and decides the first turn with
   the shipped dialogue settings.
3. The fit uses only the cases not tagged ``heldout``: no confident answer (answer or transfer) on out-of-scope,
   noise or silence is allowed at all; then the most right routes, where a wrong confident route or a
   confirmation offered on out-of-scope/noise costs two right ones (``WRONG_COSTS``). The held-out cases are
   reported beside it, never used for the choice.

The printed constants go into ``Calibration``'s defaults by hand (a reviewed change), not automatically.
"""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicebot.audio import read_wav, resample
from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.dialogue.decide import first_decision
from voicebot.ports import AcousticScorer, Transcriber
from voicebot.understand.fusion import Calibration, Scored, fuse
from voicebot.understand.matcher import Matcher
from voicebot.understand.rescore import Rescorer
from voicebot.understand.understanding import Understanding
from voicebot_bench.accuracy import transcribe_pcm
from voicebot_bench.fixtures import Fixture, Manifest
from voicebot_bench.report import ratio
from voicebot_bench.rescoring import NEVER_CONFIDENT

CONFIDENT = frozenset({"answer", "transfer"})

GRID: dict[str, tuple[Any, ...]] = {
    "temperature": (0.3, 0.5, 0.7, 1.0),
    "none_offset": (1.0, 1.5, 2.0, 2.5, 3.0),
    "repair_bias": (-0.6, -0.3, 0.0),
    "adopt": (0.7, 0.8, 0.9),
    "repair_spread": (True, False),
}
"""The calibrations tried (every combination)."""


@dataclass(frozen=True)
class CaseEvidence:
    """One fixture's transcript reading and its scored candidate texts (empty: nothing was heard)."""

    case: Fixture
    version: str
    text: str
    plain: Understanding
    scored: tuple[Scored, ...]


@dataclass(frozen=True)
class Tally:
    """How one calibration routes a set of cases."""

    cases: int = 0
    right: int = 0
    false_confident: int = 0
    """Answers or transfers on out-of-scope, noise or silence."""
    wrong_confident: int = 0
    """Answers or transfers to the wrong topic/department on a question."""
    false_confirm: int = 0
    """Confirmations or choices offered on out-of-scope, noise or silence (a wrong question back to the caller)."""

    def add(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))

    @property
    def accuracy(self) -> float:
        return self.right / self.cases if self.cases else 0.0


def collect(
    manifest: Manifest,
    transcriber: Transcriber,
    scorer: AcousticScorer,
    content: Content,
    limit: int,
    versions: Sequence[str] = ("8k",),
    progress: Callable[[str], None] | None = None,
) -> list[CaseEvidence]:
    """Decode, encode and score every fixture once (see the module docstring)."""
    matcher = Matcher(content)
    rescorer = Rescorer(content, matcher.understand, limit=limit)
    found: list[CaseEvidence] = []
    for case in manifest.cases:
        for version in versions:
            pcm, rate = read_wav(case.path(version, manifest.root))
            text, _ms = transcribe_pcm(transcriber, pcm, rate)
            audio = resample(pcm, rate, scorer.sample_rate) if rate != scorer.sample_rate else pcm
            result = rescorer.understand(text, scorer.listen(audio) if text.strip() else None)
            found.append(CaseEvidence(case, version, text, result.text_only, result.scored))
            if progress is not None:
                progress(f"{case.id} [{version}] {text!r}: {len(result.scored)} texts scored")
    return found


def tally(evidence: Iterable[CaseEvidence], calibration: Calibration, content: Content, settings: Settings) -> Tally:
    """Route every case with ``calibration`` and count."""
    total = Tally()
    for item in evidence:
        reading = fuse(item.plain, item.scored, calibration) if item.scored else item.plain
        decision = first_decision(reading, content, settings.dialogue)
        got = (decision.action, decision.topic, decision.department)
        expected = item.case.expect.route()
        never = item.case.kind != "speech" or bool(NEVER_CONFIDENT & set(item.case.tags))
        total = total.add(
            Tally(
                cases=1,
                right=int(got == expected),
                false_confident=int(never and decision.action in CONFIDENT),
                wrong_confident=int(not never and decision.action in CONFIDENT and got != expected),
                false_confirm=int(never and decision.action in ("confirm", "choose")),
            )
        )
    return total


def candidates(grid: dict[str, tuple[Any, ...]] = GRID) -> list[Calibration]:
    """Every calibration of the grid (other constants at their defaults)."""
    names = list(grid)
    return [Calibration(**dict(zip(names, values, strict=True))) for values in itertools.product(*grid.values())]


WRONG_COSTS = 2
"""A wrong confident route, or a confirmation offered on out-of-scope/noise, costs this many right routes."""


def rank_key(tuned: Tally) -> tuple[int, int]:
    """Order of preference: no false confident answer at all; then the most right routes less ``WRONG_COSTS``
    per wrong confident route or false confirmation (ties: the order tried, the current defaults first)."""
    return (tuned.false_confident, -(tuned.right - WRONG_COSTS * (tuned.wrong_confident + tuned.false_confirm)))


@dataclass(frozen=True)
class Fitted:
    calibration: Calibration
    tuned: Tally
    heldout: Tally


def fit(
    evidence: Sequence[CaseEvidence], content: Content, settings: Settings, options: Sequence[Calibration]
) -> list[Fitted]:
    """Every calibration with its tally on the tuning and held-out cases, best first."""
    tuning = [item for item in evidence if "heldout" not in item.case.tags]
    held = [item for item in evidence if "heldout" in item.case.tags]
    fitted = [Fitted(c, tally(tuning, c, content, settings), tally(held, c, content, settings)) for c in options]
    return sorted(fitted, key=lambda item: rank_key(item.tuned))


def describe(item: Fitted) -> str:
    c = item.calibration
    return (
        f"T={c.temperature} none={c.none_offset} repair_bias={c.repair_bias} adopt={c.adopt} "
        f"spread={c.repair_spread}: tuned {item.tuned.right}/{item.tuned.cases} right, "
        f"{item.tuned.wrong_confident} wrong confident, {item.tuned.false_confident} false confident, "
        f"{item.tuned.false_confirm} false confirm | held-out {item.heldout.right}/{item.heldout.cases} right, "
        f"{item.heldout.wrong_confident} wrong confident, {item.heldout.false_confident} false confident, "
        f"{item.heldout.false_confirm} false confirm"
    )


def run_calibrate(
    settings: Settings,
    versions: Sequence[str],
    say: Callable[[str], None] = print,
    quick: bool = False,
    evidence_file: Path | None = None,
) -> dict[str, Any]:
    """The whole benchmark; the JSON document."""
    from voicebot.content.load import load_content
    from voicebot.engines import make_scorer, make_transcriber
    from voicebot_bench.fixtures import load_manifest

    manifest = load_manifest()
    if quick:
        manifest = dataclasses.replace(manifest, cases=manifest.cases[::6])
    on = dataclasses.replace(settings, asr=dataclasses.replace(settings.asr, rescore_candidates=24))
    transcriber = make_transcriber(on, "whisper")
    scorer = make_scorer(on, transcriber)
    if scorer is None:
        raise RuntimeError("the Whisper scorer did not load: calibration needs it")
    content = load_content(settings)
    started = time.perf_counter()
    if evidence_file is not None and evidence_file.is_file():
        evidence = pickle.loads(evidence_file.read_bytes())  # noqa: S301 - this bench's own file, never input
        say(f"{len(evidence)} fixture versions read from {evidence_file} (delete it to decode again)")
    else:
        evidence = collect(manifest, transcriber, scorer, content, on.asr.rescore_candidates, versions)
        say(f"{len(evidence)} fixture versions decoded and scored in {time.perf_counter() - started:.0f} s")
        if evidence_file is not None:
            evidence_file.parent.mkdir(parents=True, exist_ok=True)
            evidence_file.write_bytes(pickle.dumps(evidence))
    fitted = fit(evidence, content, settings, [Calibration(), *candidates()])
    current = next(item for item in fitted if item.calibration == Calibration())
    alone = [dataclasses.replace(item, scored=()) for item in evidence]
    plain = fit(alone, content, settings, [Calibration()])[0]
    say("transcript alone (no acoustic key ever wins): " + describe(plain).split(": ", 1)[1])
    say("current defaults: " + describe(current))
    say("best five:")
    for item in fitted[:5]:
        say("  " + describe(item))
    best = fitted[0]
    return {
        "result_name": "calibrate",
        "versions": list(versions),
        "cases": len(evidence),
        "current": dataclasses.asdict(current.calibration)
        | {"tuned": vars(current.tuned), "heldout": vars(current.heldout)},
        "best": dataclasses.asdict(best.calibration) | {"tuned": vars(best.tuned), "heldout": vars(best.heldout)},
        "ratios": {
            "calibrate.best.tuned_right": ratio(best.tuned.accuracy, "higher"),
            "calibrate.best.heldout_right": ratio(best.heldout.accuracy, "higher"),
            "calibrate.current.tuned_right": ratio(current.tuned.accuracy, "higher"),
            "calibrate.current.heldout_right": ratio(current.heldout.accuracy, "higher"),
            "calibrate.transcript_alone.right": ratio(
                (plain.tuned.right + plain.heldout.right) / len(evidence), "higher"
            ),
        },
    }


__all__ = ["CaseEvidence", "Fitted", "Tally", "candidates", "collect", "fit", "rank_key", "run_calibrate", "tally"]
