"""``voicebot bench accuracy|engines|language|turn-gap|capacity|all``: measure, print a table, write JSON and PNG.

Every run prints the machine (cores, CPU model), writes ``<out>/<bench>.json`` (default ``var/bench/``)
plus PNG plots, and compares its ratios with the committed ``bench/voicebot_bench/results/<bench>.json``.
``--save`` also copies the result there (commit it to make it the new reference).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot_bench import report

BENCHES = ("accuracy", "engines", "language", "turn-gap", "capacity")
"""Benchmarks in the order ``all`` runs them."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Subcommands and their options."""
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", type=Path, default=None, help="folder for JSON and PNG (default: var/bench/)")
    common.add_argument("--save", action="store_true", help="also store the result in bench/voicebot_bench/results/")
    accuracy = sub.add_parser("accuracy", parents=[common], help="route accuracy (text, spoken) vs baseline; ASR WER")
    accuracy.add_argument("--text-only", action="store_true", help="only the typed text (fast, no ASR)")
    accuracy.add_argument("--no-wer", action="store_true", help="skip the WER on ../shared/eval/speech_de")
    accuracy.add_argument("--versions", default="16k,8k", help="committed fixture versions to transcribe (16k,8k)")
    accuracy.add_argument(
        "--conditions",
        default="alaw,g722,noise,loss",
        help="conditions generated at run time, every case in the sweep voices ('none': skip)",
    )
    accuracy.add_argument("--no-rescore", action="store_true", help="skip the acoustic rescoring (Whisper)")
    accuracy.add_argument("--engine", default=None, help="ASR engine (default: the configured preference list)")
    accuracy.add_argument("--eval-dir", type=Path, default=None, help="folder with transcripts.tsv")
    accuracy.add_argument("--limit", type=int, default=None, help="only the first N fixtures/clips")
    accuracy.add_argument(
        "--record-known-failures", action="store_true", help="write this run's misses into the manifest"
    )
    engines = sub.add_parser("engines", parents=[common], help="ASR/TTS real-time factors, time to first audio, cache")
    engines.add_argument("--quick", action="store_true", help="only 8 clips")
    language = sub.add_parser(
        "language", parents=[common], help="language identification cost per turn; English vs German turn gap"
    )
    language.add_argument("-n", type=int, default=6, help="utterances per language (at most 6)")
    language.add_argument("--quick", action="store_true", help="2 utterances per language")
    language.add_argument("--no-gaps", action="store_true", help="only the identification cost (no simulated calls)")
    for name, text in (("turn-gap", "turn gap on the wire over real SIP"), ("capacity", "calls per machine")):
        bench = sub.add_parser(name, parents=[common], help=text)
        default = "whisper,vosk,vosk+grammar" if name == "turn-gap" else "vosk"
        bench.add_argument(
            "--engines",
            "--engine",
            default=default,
            help="ASR engines: whisper, vosk, vosk+grammar, vosk-grammar-proxy (Korean model + grammar of its words)",
        )
        bench.add_argument("--quick", action="store_true", help="fewer calls and levels (a smoke run)")
        if name == "turn-gap":
            bench.add_argument("--concurrency", default="1,4,8,16", help="concurrent call levels")
        else:
            bench.add_argument("--levels", default="1,2,4,6,8,12,16", help="concurrency levels to try")
        bench.add_argument(
            "--instances",
            type=int,
            default=1,
            help="SIP instances behind Kamailio's dispatcher: forked workers of one `voicebot run --workers N`",
        )
        bench.add_argument(
            "--separate", action="store_true", help="with --instances: N processes that each load their own model"
        )
        bench.add_argument(
            "--callers",
            choices=("inprocess", "independent"),
            default="inprocess",
            help="inprocess: every call on the bench's event loop; independent: one caller process per call",
        )
        bench.add_argument("--turns", type=int, default=1, help="questions per call (n per level)")
        bench.add_argument(
            "--stagger",
            type=float,
            default=None,
            help="seconds between the starts of a level's calls (default 0.05: at once)",
        )
    calibrate = sub.add_parser(
        "calibrate", parents=[common], help="fit the rescoring fusion's constants on the spoken fixtures (Whisper)"
    )
    calibrate.add_argument("--versions", default="8k", help="fixture versions to decode (8k, 16k)")
    calibrate.add_argument("--quick", action="store_true", help="every sixth fixture only (a smoke run)")
    calibrate.add_argument(
        "--evidence", type=Path, default=None, help="keep the decoded, scored fixtures here and reuse them next time"
    )
    all_ = sub.add_parser("all", parents=[common], help="every benchmark, one after the other")
    all_.add_argument("--quick", action="store_true", help="smoke-run sizes")


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark(s)."""
    settings = load_settings(args.config)
    out_dir: Path = args.out or settings.resolve("var/bench")
    names = BENCHES if args.bench == "all" else (args.bench,)
    info = report.machine_info()
    print(report.machine_line(info))
    status = 0
    for name in names:
        print(f"\n=== voicebot bench {name} ===")
        document = _RUNNERS[name](settings, args, out_dir)
        document["machine"] = info
        result = str(document.get("result_name", name))
        path = report.write_json(out_dir, result, document)
        for line in report.compare_ratios(document.get("ratios", {}), report.load_previous(result)):
            print(line)
        print(f"written: {path}" + "".join(f", {p}" for p in document.get("plots", []) if p))
        if args.save:
            report.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, report.RESULTS_DIR / path.name)
            print(f"saved as the new reference: {report.RESULTS_DIR / path.name}")
        status = max(status, int(document.get("status", 0)))
    return status


def _accuracy(settings: Settings, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    from voicebot_bench.accuracy_bench import EVAL_DIR, AccuracyOptions, run_accuracy

    options = AccuracyOptions(
        spoken=not getattr(args, "text_only", False),
        versions=tuple(v.strip() for v in getattr(args, "versions", "16k,8k").split(",") if v.strip()),
        conditions=_conditions(getattr(args, "conditions", "alaw,g722,noise,loss")),
        wer=not getattr(args, "text_only", False) and not getattr(args, "no_wer", False),
        eval_dir=getattr(args, "eval_dir", None) or EVAL_DIR,
        engine=getattr(args, "engine", None),
        limit=getattr(args, "limit", None),
        record_known=getattr(args, "record_known_failures", False),
        rescore=not getattr(args, "no_rescore", False),
    )
    document = run_accuracy(settings, options, out_dir)
    document["plots"] = [document.get("plot")]
    return document


def _conditions(text: str) -> tuple[str, ...]:
    from voicebot_bench.fixture_audio import CONDITIONS

    names = tuple(name.strip() for name in text.split(",") if name.strip() and name.strip() != "none")
    unknown = [name for name in names if name not in CONDITIONS]
    if unknown:
        raise SystemExit(f"unknown condition(s) {', '.join(unknown)}: choose from {', '.join(CONDITIONS)} or none")
    return names


def _engines(settings: Settings, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    try:
        module = importlib.import_module("voicebot_bench.engines")
    except ImportError as error:
        print(f"engine benchmark not available: {error}")
        return {"ratios": {}, "status": 1}
    max_clips = 8 if getattr(args, "quick", False) else None
    document: dict[str, Any] = module.run_engine_bench(settings, max_clips=max_clips, log=_progress)
    print(module.engine_table(document))
    plot = report.bar_chart(
        out_dir / "engines.png",
        "Real-time factor per engine (lower is faster)",
        [*document.get("asr", {}), *document.get("tts", {})],
        {
            "RTF": [
                float(v.get("rtf") or 0.0)
                for v in [*document.get("asr", {}).values(), *document.get("tts", {}).values()]
            ]
        },
        "processing time / audio time",
    )
    document["plots"] = [str(plot) if plot else None]
    return document


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _language(settings: Settings, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    from voicebot_bench.language_bench import LanguageOptions, run_language_bench

    n = 2 if getattr(args, "quick", False) else getattr(args, "n", 6)
    options = LanguageOptions(n=n, gaps=not getattr(args, "no_gaps", False))
    return run_language_bench(settings, options, out_dir, log=_progress)


def _turn_gap(settings: Settings, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    from voicebot_bench.turngap import TurnGapOptions, run_turn_gap

    options = TurnGapOptions.from_args(args)
    return run_turn_gap(settings, options, out_dir)


def _capacity(settings: Settings, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    from voicebot_bench.capacity import CapacityOptions, run_capacity

    options = CapacityOptions.from_args(args)
    return run_capacity(settings, options, out_dir)


def _calibrate(settings: Settings, args: argparse.Namespace, _out_dir: Path) -> dict[str, Any]:
    from voicebot_bench.calibrate import run_calibrate

    versions = tuple(v.strip() for v in args.versions.split(",") if v.strip())
    return run_calibrate(settings, versions, quick=args.quick, evidence_file=args.evidence)


_RUNNERS: dict[str, Callable[[Settings, argparse.Namespace, Path], dict[str, Any]]] = {
    "accuracy": _accuracy,
    "calibrate": _calibrate,
    "engines": _engines,
    "language": _language,
    "turn-gap": _turn_gap,
    "capacity": _capacity,
}
