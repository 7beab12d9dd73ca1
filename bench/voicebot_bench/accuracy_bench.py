"""``voicebot bench accuracy``: run the accuracy measurements, print the tables, build the result file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from voicebot.config.settings import Settings
from voicebot.errors import VoicebotError
from voicebot_bench import report
from voicebot_bench.accuracy import (
    Heard,
    RouteResult,
    decide_all,
    deciders,
    speech_wer,
    text_inputs,
    transcribe_conditions,
    transcribe_fixtures,
)
from voicebot_bench.accuracy_tables import (
    human_wer_table,
    print_misses,
    route_ratios,
    route_table,
    voice_table,
    wer_ratios,
)
from voicebot_bench.fixture_audio import CONDITIONS
from voicebot_bench.fixtures import STAGES, KnownFailure, Manifest, load_manifest, replace_known_failures
from voicebot_bench.greeting import greeting_length

log = logging.getLogger(__name__)

EVAL_DIR = Path(__file__).resolve().parent.parent.parent.parent / "shared" / "eval" / "speech_de"
"""``../shared/eval/speech_de`` relative to the checkout."""


@dataclass(frozen=True)
class AccuracyOptions:
    """What to measure."""

    spoken: bool = True
    """Transcribe the fixture WAVs and decide on the transcripts."""
    versions: tuple[str, ...] = ("16k", "8k")
    """Committed fixture versions to transcribe."""
    conditions: tuple[str, ...] = tuple(CONDITIONS)
    """Conditions generated at run time to transcribe (``voicebot_bench.fixture_audio.CONDITIONS``)."""
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
    """Add this run's new matcher misses (text, asr16k, asr8k) to ``known_failures:``; listed ones stay."""


def run_accuracy(
    settings: Settings, options: AccuracyOptions, out_dir: Path, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measure, print, write JSON and PNG into ``out_dir``; returns the result document."""
    from voicebot.content.load import load_content

    content = load_content(settings)
    manifest = load_manifest()
    if options.limit is not None:
        manifest = replace(manifest, cases=manifest.cases[: options.limit])
    previous = report.load_previous("accuracy") or {}
    before = {k: float(v["value"]) for k, v in previous.get("ratios", {}).items() if isinstance(v, dict)}
    ratios: dict[str, dict[str, Any]] = {}
    greeting = None
    try:
        greeting = greeting_length(settings, content)
        say(greeting.line())
        ratios["greeting_vs_goal"] = report.ratio(greeting.speech_s / greeting.goal_s, "lower")
    except VoicebotError as error:
        say(f"greeting: not measured ({error})")
    decide = deciders(content, settings)
    results = decide_all(manifest, text_inputs(manifest), decide)
    heard: list[Heard] = []
    rescore_timing: dict[str, Any] | None = None
    engine_name = ""
    wer_rows: list[list[Any]] = []
    wer_data: list[dict[str, Any]] = []
    if options.spoken or options.wer:
        from voicebot.engines import load_transcriber

        transcriber = load_transcriber(settings, [options.engine] if options.engine else None)
        engine_name = transcriber.name
        if options.spoken:
            heard = transcribe_fixtures(manifest, transcriber, options.versions, progress=log.debug)
            heard += transcribe_conditions(manifest, transcriber, options.conditions, progress=log.debug)
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
    heldout = {case.id for case in manifest.tagged("heldout")}
    tuned, held = route_ratios(results, heldout, ratios)
    wer_ratios(heard, heldout, ratios)
    say(
        f"route accuracy on {len(manifest.cases)} fixtures ({len(manifest.cases) - len(heldout)} tuned on, "
        f"{len(heldout)} held out; route = action, topic, department of the first decision; before = "
        f"{previous.get('created', 'no committed result')})" + (f"; ASR engine: {engine_name}" if engine_name else "")
    )
    say(route_table(tuned, held, ratios, before))
    if heard:
        say("")
        say(f"mean WER % per voice profile (own voices in 16k/8k; sweep voices {', '.join(manifest.sweep_voices)}")
        say("in the generated conditions, a Latin square; espeak-ng is a harsh stand-in for a caller):")
        say(voice_table(heard, results, ratios))
    if wer_rows:
        say("")
        say(f"ASR word error rate on human German speech ({options.eval_dir}), engine {engine_name}:")
        say(human_wer_table(wer_rows, before))
    _print_false_confident(results, manifest, say)
    print_misses(results, say, STAGES)
    if options.record_known and options.limit is None:
        failures = known_from(results, manifest)
        path = manifest.root / "manifest.yaml"
        path.write_text(replace_known_failures(path.read_text(encoding="utf-8"), failures), encoding="utf-8")
        say(f"recorded {len(failures)} known failures in {path}")
    summaries = [s for s in tuned if s.stage in STAGES or s.stage.startswith("asr-")]
    plot = report.bar_chart(
        out_dir / "accuracy.png",
        "Route accuracy (cases tuned on): matcher vs baseline",
        list(dict.fromkeys(s.stage for s in summaries)),
        {system: [s.accuracy for s in summaries if s.system == system] for system in ("matcher", "baseline")},
        "share of right routes",
    )
    document: dict[str, Any] = {
        "engine": engine_name,
        "fixtures": len(manifest.cases),
        "heldout": sorted(heldout),
        "greeting": asdict(greeting) if greeting else None,
        "ratios": ratios,
        "summary": [{**asdict(s), "accuracy": s.accuracy, "set": "tuned"} for s in tuned]
        + [{**asdict(s), "accuracy": s.accuracy, "set": "heldout"} for s in held],
        "wer": wer_data,
        "rescore_timing": rescore_timing,
        "transcripts": [asdict(h) for h in heard],
        "decisions": [{**asdict(r), "correct": r.correct} for r in results],
        "plot": str(plot) if plot else None,
    }
    return document


def _print_false_confident(results: list[RouteResult], manifest: Manifest, say: Callable[[str], None]) -> None:
    from voicebot_bench.rescoring import false_confident

    counts = false_confident(results, manifest)
    if not counts:
        return
    say("")
    say("confident answers (answer/transfer) on out-of-scope, noise and silence cases (goal: 0):")
    rows = [[stage, system, wrong, total] for (stage, system), (wrong, total) in counts.items()]
    say(report.table(["input", "understander", "confident", "of"], rows))


def known_from(results: list[RouteResult], manifest: Manifest) -> list[KnownFailure]:
    """The listed known failures (all kept, also those that pass now) plus this run's new matcher misses
    at the tracked stages (text, asr16k, asr8k), with what was decided or heard as the reason."""
    failures: list[KnownFailure] = list(manifest.known_failures)
    for r in results:
        if r.system != "matcher" or r.correct or r.stage not in STAGES or manifest.known(r.case, r.stage):
            continue
        got = "/".join(str(part) for part in r.got)
        if r.stage == "text":
            reason = f"matcher decides {got}"
        else:
            reason = f"ASR heard {r.heard[:80]!r} -> {got}" if r.heard else f"ASR heard nothing -> {got}"
        failures.append(KnownFailure(r.case, r.stage, reason))
    return failures
