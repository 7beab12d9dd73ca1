"""Route accuracy of the matcher against the plain baseline, on typed and on spoken fixtures; ASR WER.

A route is (action, topic, department) of ``voicebot.dialogue.decide.first_decision``: right when all
three equal the manifest's expectation. The project's matcher (``voicebot.understand.matcher.Matcher``) and the
baseline (``voicebot_bench.baseline.baseline_understand``: rapidfuzz over the raw phrasings) decide the same
inputs in the same run, through the same policy and thresholds:

* ``text``: the manifest's text as typed;
* ``asr16k`` / ``asr8k``: what the ASR engine heard in the committed 16 kHz and 8 kHz A-law WAV (each
  case in its own voice profile);
* ``asr-alaw``, ``asr-g722``, ``asr-noise``, ``asr-loss``: what it heard in the conditions generated at run
  time (``voicebot_bench.fixture_audio.CONDITIONS``; the voices rotate through the manifest's sweep voices).

``speech_wer`` measures the engine's word error rate on human speech (``../shared/eval/speech_de``),
at 16 kHz, after the telephone band (8 kHz, A-law) and through G.722 (50–7000 Hz, 64 kbit/s).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voicebot.audio import read_wav, resample, telephone_band
from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.dialogue.decide import Decision, first_decision
from voicebot.ports import Transcriber
from voicebot.understand.matcher import Matcher
from voicebot_bench.baseline import baseline_understand
from voicebot_bench.fixture_audio import CONDITIONS, condition_audio, g722, sweep_voice
from voicebot_bench.fixtures import Fixture, Manifest
from voicebot_bench.wer import WordErrors, corpus_errors, word_errors

SYSTEMS = ("matcher", "baseline", "rescored")
"""The understanders compared (``rescored``: spoken inputs only, ``voicebot_bench.rescoring``)."""

Route = tuple[str, str | None, str | None]
"""(action, topic, department)."""


@dataclass(frozen=True)
class RouteResult:
    """One decision on one input by one understander."""

    case: str
    """Fixture id."""
    stage: str
    """``text``, ``asr16k`` or ``asr8k``."""
    system: str
    """``matcher`` or ``baseline``."""
    heard: str
    """The text decided on (typed text or transcript)."""
    expected: Route
    """The right route."""
    got: Route
    """The decided route."""
    score: float
    """Score of the best candidate."""
    known: str | None = None
    """Reason, if the case is a listed known failure at this stage."""

    @property
    def correct(self) -> bool:
        """Action, topic and department all right."""
        return self.got == self.expected

    @property
    def target_ok(self) -> bool:
        """Right, or topic and department right with a confirm instead of an answer/transfer."""
        return self.correct or (self.got[1:] == self.expected[1:] and self.got[0] == "confirm")


@dataclass(frozen=True)
class Heard:
    """A transcript of one fixture version."""

    case: str
    stage: str
    text: str
    wer: float
    """Word error rate against the manifest text (speech cases only)."""
    decode_ms: float
    voice: str = ""
    """Voice profile that spoke it (empty for silence and noise)."""


def route(decision: Decision) -> Route:
    """The route of a decision."""
    return (decision.action, decision.topic, decision.department)


def deciders(content: Content, settings: Settings) -> dict[str, Callable[[str], Decision]]:
    """The matcher's and the baseline's first decision for a text, with the same policy settings."""
    matcher = Matcher(content)

    def by_matcher(text: str) -> Decision:
        return first_decision(matcher.understand(text), content, settings.dialogue)

    def by_baseline(text: str) -> Decision:
        return first_decision(baseline_understand(content, text), content, settings.dialogue)

    return {"matcher": by_matcher, "baseline": by_baseline}


def decide_all(
    manifest: Manifest, inputs: Iterable[tuple[Fixture, str, str]], decide: dict[str, Callable[[str], Decision]]
) -> list[RouteResult]:
    """Decide every (fixture, stage, text) with every understander."""
    results: list[RouteResult] = []
    for fixture, stage, text in inputs:
        for system, function in decide.items():
            decision = function(text)
            known = manifest.known(fixture.id, stage)
            results.append(
                RouteResult(
                    fixture.id, stage, system, text, fixture.expect.route(), route(decision), decision.score, known
                )
            )
    return results


def text_inputs(manifest: Manifest) -> list[tuple[Fixture, str, str]]:
    """The typed text of every case (silence and noise as empty text)."""
    return [(case, "text", case.text) for case in manifest.cases]


def transcribe_pcm(transcriber: Transcriber, pcm: bytes, rate: int) -> tuple[str, float]:
    """Recognise a whole utterance: (text, decode milliseconds)."""
    session = transcriber.open_session()
    audio = resample(pcm, rate, transcriber.sample_rate) if rate != transcriber.sample_rate else pcm
    step = transcriber.sample_rate // 50 * 2 * 10  # feed 200 ms at a time, like a call would
    started = time.perf_counter()
    for start in range(0, len(audio), step):
        session.accept(audio[start : start + step])
    transcript = session.finish()
    return transcript.text.strip(), (time.perf_counter() - started) * 1000.0


def transcribe_fixtures(
    manifest: Manifest,
    transcriber: Transcriber,
    versions: Sequence[str] = ("16k", "8k"),
    progress: Callable[[str], None] | None = None,
) -> list[Heard]:
    """Transcribe every case's WAV in each version."""
    heard: list[Heard] = []
    for case in manifest.cases:
        for version in versions:
            pcm, rate = read_wav(case.path(version, manifest.root))
            text, decode_ms = transcribe_pcm(transcriber, pcm, rate)
            error = word_errors(case.text, text).wer if case.kind == "speech" else 0.0
            voice = case.voice if case.kind == "speech" else ""
            heard.append(Heard(case.id, f"asr{version}", text, error, decode_ms, voice))
            if progress is not None:
                progress(f"{case.id} [{version}] {text!r}")
    return heard


def transcribe_conditions(
    manifest: Manifest,
    transcriber: Transcriber,
    conditions: Sequence[str] = tuple(CONDITIONS),
    progress: Callable[[str], None] | None = None,
) -> list[Heard]:
    """Transcribe every case in every generated condition (stage ``asr-<condition>``), voices in turn."""
    heard: list[Heard] = []
    for index, case in enumerate(manifest.cases):
        for name in conditions:
            voice = sweep_voice(manifest, index, name) if manifest.sweep_voices else case.voice
            pcm, rate = condition_audio(case, manifest, CONDITIONS[name], voice)
            text, decode_ms = transcribe_pcm(transcriber, pcm, rate)
            speech = case.kind == "speech"
            error = word_errors(case.text, text).wer if speech else 0.0
            heard.append(Heard(case.id, f"asr-{name}", text, error, decode_ms, voice if speech else ""))
            if progress is not None:
                progress(f"{case.id} [{name}, {voice}] {text!r}")
    return heard


@dataclass(frozen=True)
class Summary:
    """Accuracy of one understander at one stage."""

    stage: str
    system: str
    total: int
    correct: int
    target_ok: int
    known: int
    """Known failures among the cases."""
    correct_unlisted: int
    """Right among the cases that are not known failures."""

    @property
    def accuracy(self) -> float:
        """Share of right routes."""
        return self.correct / self.total if self.total else 0.0

    @property
    def accuracy_unlisted(self) -> float:
        """Share of right routes among the cases not listed as known failures."""
        rest = self.total - self.known
        return self.correct_unlisted / rest if rest else 0.0


def summarize(results: Sequence[RouteResult]) -> list[Summary]:
    """One summary per (stage, system), stages in first-seen order."""
    keys: list[tuple[str, str]] = []
    for result in results:
        if (result.stage, result.system) not in keys:
            keys.append((result.stage, result.system))
    summaries = []
    for stage, system in keys:
        rows = [r for r in results if r.stage == stage and r.system == system]
        listed = [r for r in rows if r.known is None]
        summaries.append(
            Summary(
                stage,
                system,
                len(rows),
                sum(r.correct for r in rows),
                sum(r.target_ok for r in rows),
                len(rows) - len(listed),
                sum(r.correct for r in listed),
            )
        )
    return summaries


@dataclass(frozen=True)
class WerResult:
    """Corpus word error rate of one condition."""

    condition: str
    """``16k``, ``8k_alaw`` or ``g722``."""
    errors: WordErrors
    clips: int
    seconds: float
    """Audio length (seconds)."""
    decode_s: float
    """Time spent recognising (seconds)."""
    worst: tuple[tuple[str, float, str], ...]
    """The three worst clips: (file, WER, hypothesis)."""


def read_transcripts(eval_dir: Path) -> list[tuple[Path, str]]:
    """(wav path, reference text) from ``transcripts.tsv``."""
    rows: list[tuple[Path, str]] = []
    with (eval_dir / "transcripts.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 2 or row[0] in ("file", "") or not row[0].endswith(".wav"):
                continue
            rows.append((eval_dir / row[0], row[1]))
    return rows


def speech_wer(eval_dir: Path, transcriber: Transcriber, limit: int | None = None) -> list[WerResult]:
    """WER of the engine on the human clips: 16 kHz, the telephone band (8 kHz A-law), G.722 (16 kHz)."""
    clips = read_transcripts(eval_dir)[:limit]
    results: list[WerResult] = []
    for condition in ("16k", "8k_alaw", "g722"):
        pairs: list[tuple[str, str]] = []
        per_clip: list[tuple[str, float, str]] = []
        seconds = decode_s = 0.0
        for path, reference in clips:
            pcm, rate = read_wav(path)
            if condition == "8k_alaw":
                pcm, rate = telephone_band(pcm, rate, "alaw"), 8000
            elif condition == "g722":
                pcm, rate = g722(resample(pcm, rate, 16000) if rate != 16000 else pcm), 16000
            seconds += len(pcm) / 2 / rate
            text, decode_ms = transcribe_pcm(transcriber, pcm, rate)
            decode_s += decode_ms / 1000.0
            pairs.append((reference, text))
            per_clip.append((path.name, word_errors(reference, text).wer, text))
        worst = tuple(sorted(per_clip, key=lambda item: -item[1])[:3])
        results.append(WerResult(condition, corpus_errors(pairs), len(clips), seconds, decode_s, worst))
    return results
