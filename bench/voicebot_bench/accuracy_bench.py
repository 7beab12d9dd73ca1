"""``voicebot bench accuracy``: run the accuracy measurements, print the tables, build the result file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from voicebot.config.settings import Settings
from voicebot_bench import report
from voicebot_bench.accuracy import (
    Heard,
    RouteResult,
    decide_all,
    deciders,
    speech_wer,
    summarize,
    text_inputs,
    transcribe_fixtures,
)
from voicebot_bench.fixtures import KnownFailure, Manifest, load_manifest, replace_known_failures

log = logging.getLogger(__name__)

EVAL_DIR = Path(__file__).resolve().parent.parent.parent.parent / "shared" / "eval" / "speech_de"
"""``../shared/eval/speech_de`` relative to the checkout."""


@dataclass(frozen=True)
class AccuracyOptions:
    """What to measure."""

    spoken: bool = True
    """Transcribe the fixture WAVs and decide on the transcripts."""
    versions: tuple[str, ...] = ("16k", "8k")
    """Fixture versions to transcribe."""
    wer: bool = True
    """Measure WER on the human clips."""
    eval_dir: Path = EVAL_DIR
    """Folder with ``transcripts.tsv`` and the clips."""
    engine: str | None = None
    """ASR engine (None: the configuration's preference list)."""
    limit: int | None = None
    """Use only the first N fixtures / clips (quick runs)."""
    rescore: bool = True
    """With Whisper: also decide with acoustic rescoring (``[asr] rescore_candidates`` texts per turn)."""
    record_known: bool = False
    """Rewrite ``known_failures:`` in the manifest with this run's matcher misses (reasons kept where listed)."""


def run_accuracy(
    settings: Settings, options: AccuracyOptions, out_dir: Path, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measure, print, write JSON and PNG into ``out_dir``; returns the result document."""
    from voicebot.content.load import load_content

    content = load_content(settings)
    manifest = load_manifest()
    if options.limit is not None:
        manifest = type(manifest)(
            manifest.root, manifest.voices, manifest.cases[: options.limit], manifest.known_failures
        )
    decide = deciders(content, settings)
    results = decide_all(manifest, text_inputs(manifest), decide)
    heard: list[Heard] = []
    rescore_timing: dict[str, Any] | None = None
    engine_name = ""
    wer_rows: list[list[Any]] = []
    wer_data: list[dict[str, Any]] = []
    ratios: dict[str, dict[str, Any]] = {}
    if options.spoken or options.wer:
        from voicebot.engines import load_transcriber

        transcriber = load_transcriber(settings, [options.engine] if options.engine else None)
        engine_name = transcriber.name
        if options.spoken:
            heard = transcribe_fixtures(manifest, transcriber, options.versions, progress=log.debug)
            by_id = {case.id: case for case in manifest.cases}
            results += decide_all(manifest, ((by_id[h.case], h.stage, h.text) for h in heard), decide)
            if options.rescore:
                from voicebot.engines import make_scorer
                from voicebot_bench.rescoring import rescore_fixtures

                scorer = make_scorer(settings, transcriber)
                if scorer is not None:
                    rescored, timing = rescore_fixtures(manifest, heard, scorer, content, settings, log.debug)
                    results += rescored
                    rescore_timing = asdict(timing)
                    say(
                        f"rescoring: {timing.turns} turns, K = {timing.candidates} candidate texts (+ transcript "
                        f"and short answers): encode p50 {timing.encode_ms_p50:.0f} ms, score p50 "
                        f"{timing.score_ms_p50:.0f} ms, total p50 {timing.total_ms_p50:.0f} ms, "
                        f"p95 {timing.total_ms_p95:.0f} ms"
                    )
        if options.wer:
            if (options.eval_dir / "transcripts.tsv").is_file():
                for item in speech_wer(options.eval_dir, transcriber, options.limit):
                    errors = item.errors
                    rtf = item.decode_s / item.seconds if item.seconds else 0.0
                    wer_rows.append(
                        [
                            item.condition,
                            item.clips,
                            round(item.seconds, 1),
                            errors.wer * 100,
                            errors.substitutions,
                            errors.deletions,
                            errors.insertions,
                            rtf,
                        ]
                    )
                    wer_data.append({**asdict(item), "wer": errors.wer, "rtf": rtf})
                    ratios[f"wer_speech_de_{item.condition}"] = report.ratio(errors.wer, "lower")
            else:
                say(f"WER on human speech skipped: {options.eval_dir}/transcripts.tsv not found")
    summaries = summarize(results)
    for summary in summaries:
        ratios[f"route_{summary.stage}_{summary.system}"] = report.ratio(summary.accuracy, "higher")
    say(
        f"route accuracy on {len(manifest.cases)} fixtures (route = action, topic, department of the first decision)"
        + (f"; ASR engine: {engine_name}" if engine_name else "")
    )
    rows = [
        [s.stage, s.system, s.correct, s.total, s.accuracy * 100, s.target_ok, s.known, s.accuracy_unlisted * 100]
        for s in summaries
    ]
    say(report.table(["input", "understander", "right", "of", "%", "target right", "known fail", "% w/o known"], rows))
    _print_fixture_asr(heard, manifest.voices, {c.id: c.voice for c in manifest.cases}, ratios, say)
    if wer_rows:
        say("")
        say(f"ASR word error rate on human German speech ({options.eval_dir}), engine {engine_name}:")
        say(report.table(["condition", "clips", "audio s", "WER %", "sub", "del", "ins", "RTF"], wer_rows))
    _print_false_confident(results, manifest, say)
    _print_misses(results, say)
    if options.record_known and options.limit is None:
        failures = known_from(results, manifest)
        path = manifest.root / "manifest.yaml"
        path.write_text(replace_known_failures(path.read_text(encoding="utf-8"), failures), encoding="utf-8")
        say(f"recorded {len(failures)} known failures in {path}")
    plot = report.bar_chart(
        out_dir / "accuracy.png",
        "Route accuracy: matcher vs baseline",
        sorted({s.stage for s in summaries}, key=[s.stage for s in summaries].index),
        {
            system: [s.accuracy for s in summaries if s.system == system]
            for system in ("matcher", "baseline")  # "rescored" has no typed-text bar
        },
        "share of right routes",
    )
    document: dict[str, Any] = {
        "engine": engine_name,
        "fixtures": len(manifest.cases),
        "ratios": ratios,
        "summary": [{**asdict(s), "accuracy": s.accuracy} for s in summaries],
        "wer": wer_data,
        "rescore_timing": rescore_timing,
        "transcripts": [asdict(h) for h in heard],
        "decisions": [{**asdict(r), "correct": r.correct} for r in results],
        "plot": str(plot) if plot else None,
    }
    return document


def _print_fixture_asr(
    heard: list[Heard],
    voices: Any,
    voice_of: dict[str, str],
    ratios: dict[str, dict[str, Any]],
    say: Callable[[str], None],
) -> None:
    speech = [h for h in heard if voice_of.get(h.case)]
    if not speech:
        return
    say("")
    say("ASR on the espeak-ng fixtures (mean WER per voice profile; espeak is a harsh stand-in for a caller):")
    rows: list[list[Any]] = []
    for name in voices:
        row: list[Any] = [name]
        for stage in ("asr16k", "asr8k"):
            values = [h.wer for h in speech if voice_of[h.case] == name and h.stage == stage]
            row.append(sum(values) / len(values) * 100 if values else None)
        rows.append(row)
    for stage in ("asr16k", "asr8k"):
        values = [h.wer for h in speech if h.stage == stage]
        if values:
            ratios[f"fixture_wer_{stage}"] = report.ratio(sum(values) / len(values), "lower")
    rows.append(["all", *(ratios.get(f"fixture_wer_{s}", {}).get("value", 0.0) * 100 for s in ("asr16k", "asr8k"))])
    say(report.table(["voice", "WER % 16k", "WER % 8k"], rows))


def _print_false_confident(results: list[RouteResult], manifest: Manifest, say: Callable[[str], None]) -> None:
    from voicebot_bench.rescoring import false_confident

    counts = false_confident(results, manifest)
    if not counts:
        return
    say("")
    say("confident answers (answer/transfer) on out-of-scope, noise and silence cases (goal: 0):")
    rows = [[stage, system, wrong, total] for (stage, system), (wrong, total) in counts.items()]
    say(report.table(["input", "understander", "confident", "of"], rows))


def _print_misses(results: list[RouteResult], say: Callable[[str], None]) -> None:
    misses = [r for r in results if r.system == "matcher" and not r.correct and r.known is None]
    if not misses:
        return
    say("")
    say(f"matcher misses not listed as known failures ({len(misses)}):")
    for r in misses:
        got = "/".join(str(part) for part in r.got)
        want = "/".join(str(part) for part in r.expected)
        say(f"  {r.stage:7} {r.case:34} got {got:40} want {want:40} heard {r.heard[:70]!r}")


def known_from(results: list[RouteResult], manifest: Manifest) -> list[KnownFailure]:
    """The matcher's misses as known failures; an already listed reason is kept, else what was decided/heard."""
    failures: list[KnownFailure] = []
    for r in results:
        if r.system != "matcher" or r.correct:
            continue
        got = "/".join(str(part) for part in r.got)
        if r.stage == "text":
            reason = f"matcher decides {got}"
        else:
            reason = f"ASR heard {r.heard[:80]!r} -> {got}" if r.heard else f"ASR heard nothing -> {got}"
        failures.append(KnownFailure(r.case, r.stage, manifest.known(r.case, r.stage) or reason))
    return failures
