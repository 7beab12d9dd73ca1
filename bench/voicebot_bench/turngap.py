"""``voicebot bench turn-gap``: the bot's reaction time measured on the wire, over real SIP.

A real ``voicebot run`` (``botproc.BotProcess``) is called by the pure-Python caller (``sipcaller``) with
1, 4, 8 and 16 calls at once. Each call waits for the greeting, then says 8 kHz A-law fixtures; the turn
gap is the time from the send of the caller's last voiced RTP frame to the arrival of the bot's first
audible RTP frame. What is measured with which engine:

* ``whisper``: answered questions (``answer``), the confirmation question for an unsure match
  (``confirm``) and the caller's "ja" after it (``answer after yes``), department requests (``transfer``);
* ``vosk`` / ``vosk+grammar``: the only vosk model here is Korean, so every German sentence ends in a
  re-prompt (``reprompt``) — measured at the real streaming cost of vosk, with free recognition and with
  the recogniser restricted to the FAQ vocabulary (``[asr] vosk_grammar``).

Which fixture is used for which label comes from the spoken-fixture decisions of the last
``bench accuracy`` run (8 kHz transcripts the matcher routed as intended) when available, else from the
manifest's expectations.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicebot.audio import read_wav
from voicebot.config.settings import Settings
from voicebot_bench import report
from voicebot_bench.botproc import BotProcess
from voicebot_bench.callerproc import place_calls_by
from voicebot_bench.dispatch import BotPool
from voicebot_bench.fixtures import Fixture, Manifest, load_manifest
from voicebot_bench.linehealth import LineHealth, summarise
from voicebot_bench.sipcaller import CallPlan, CallReport, Step

P95_SLACK_MS = 300.0
"""Goal: p95 turn gap <= end-of-turn silence + this (milliseconds), at 8 calls with vosk."""
P50_SLACK_MS = 150.0
"""Goal: p50 turn gap <= end-of-turn silence + this (milliseconds)."""
GOAL_LEVEL = 8
"""Concurrency at which the goals are checked."""


@dataclass(frozen=True)
class TurnGapOptions:
    """What to measure."""

    engines: tuple[str, ...] = ("whisper", "vosk", "vosk+grammar")
    levels: tuple[int, ...] = (1, 4, 8, 16)
    min_calls: int = 4
    """At least this many calls per level (a level of c places max(c, min_calls) calls, c at once)."""
    log_dir: Path | None = None
    """Where the bot's log is kept (None: not kept)."""
    instances: int = 1
    """SIP instances; more than one run behind Kamailio's dispatcher (``sip/kamailio/dispatcher.cfg``) as the
    forked workers of one ``voicebot run --workers N``, sharing the loaded model."""
    separate: bool = False
    """With ``instances`` > 1: separate processes that each load their own model instead of forked workers."""
    callers: str = "inprocess"
    """``inprocess``: every call on the bench's one event loop; ``independent``: one process per call
    (``voicebot_bench.callerproc``), as independent phones."""
    turns: int = 1
    """Questions per call (each one turn gap; whisper calls ask ``turns - 1`` answered questions before their
    scenario's last step)."""
    stagger_s: float = 0.05
    """Seconds between the starts of a level's calls (0.05: all at once, their first questions collide; a
    switchboard's callers start independently, e.g. ``--stagger 2``)."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> TurnGapOptions:
        """From ``voicebot bench turn-gap`` arguments."""
        engines = tuple(
            e.strip() for e in str(getattr(args, "engines", "whisper,vosk,vosk+grammar")).split(",") if e.strip()
        )
        levels = tuple(int(c) for c in str(getattr(args, "concurrency", "1,4,8,16")).split(",") if c.strip())
        instances = max(1, int(getattr(args, "instances", 1) or 1))
        separate = bool(getattr(args, "separate", False))
        extra = {
            "callers": str(getattr(args, "callers", "inprocess")),
            "turns": max(1, int(getattr(args, "turns", 1))),
            "stagger_s": max(0.0, float(0.05 if getattr(args, "stagger", None) is None else args.stagger)),
        }
        if getattr(args, "quick", False):
            quick = tuple(c for c in levels if c <= 4) or (1,)
            return cls(engines, quick, 3, instances=instances, separate=separate, **extra)  # type: ignore[arg-type]
        return cls(engines, levels, instances=instances, separate=separate, **extra)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GapStats:
    """Turn gaps of one label at one level with one engine."""

    engine: str
    level: int
    label: str
    count: int
    """Turns where the bot reacted."""
    silent: int
    """Turns where the bot stayed silent within the timeout."""
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None


def stats(engine: str, level: int, label: str, gaps: Sequence[float | None]) -> GapStats:
    """Percentiles of the measured gaps."""
    values = [g for g in gaps if g is not None]
    silent = len(gaps) - len(values)
    if not values:
        return GapStats(engine, level, label, 0, silent, None, None, None)
    array = np.array(values)
    return GapStats(
        engine,
        level,
        label,
        len(values),
        silent,
        float(np.percentile(array, 50)),
        float(np.percentile(array, 95)),
        float(array.max()),
    )


def pcm8k(fixture: Fixture, manifest: Manifest) -> bytes:
    """The 8 kHz telephone version of a fixture as PCM."""
    pcm, rate = read_wav(fixture.path("8k", manifest.root))
    assert rate == 8000
    return pcm


def pick_cases(manifest: Manifest, accuracy: dict[str, Any] | None) -> dict[str, list[Fixture]]:
    """Fixtures per scenario: ``answer``, ``confirm``, ``transfer`` (whisper) and ``any`` (vosk)."""
    chosen: dict[str, list[Fixture]] = {"answer": [], "confirm": [], "transfer": []}
    decisions = [
        d for d in (accuracy or {}).get("decisions", []) if d.get("stage") == "asr8k" and d.get("system") == "matcher"
    ]
    by_id = {case.id: case for case in manifest.cases}
    for decision in decisions:
        case = by_id.get(decision["case"])
        if case is None:
            continue
        got, expected = list(decision["got"]), list(decision["expected"])
        if got == expected and got[0] in ("answer", "transfer") and case.kind == "speech":
            chosen[got[0]].append(case)
        elif got[0] == "confirm" and got[1:] == expected[1:] and expected[0] == "answer":
            chosen["confirm"].append(case)
    for case in manifest.cases:
        scenario = case.expect.action
        if scenario in ("answer", "transfer") and len(chosen[scenario]) < 3 and case not in chosen[scenario]:
            chosen[scenario].append(case)
    if not chosen["confirm"]:
        chosen["confirm"] = list(manifest.tagged("question")[:3])
    chosen["any"] = [case for case in manifest.tagged("question")]
    return chosen


def plans_for(
    engine: str, target: str, count: int, manifest: Manifest, cases: dict[str, list[Fixture]], turns: int = 1
) -> list[CallPlan]:
    """``count`` call plans for one engine, cycling through the scenarios and fixtures, ``turns`` questions
    per call (whisper: ``turns - 1`` answered questions, then the scenario's steps)."""
    yes = pcm8k(manifest.tagged("yes")[0], manifest)
    plans: list[CallPlan] = []
    pool_any = cases["any"]
    for index in range(count):
        if engine.startswith("vosk"):
            picked = [pool_any[(index * turns + turn) % len(pool_any)] for turn in range(turns)]
            steps: tuple[Step, ...] = tuple(Step("reprompt", pcm8k(case, manifest)) for case in picked)
        else:
            scenario = ("answer", "confirm", "transfer")[index % 3]
            pool = cases[scenario]
            case = pool[(index // 3) % len(pool)]
            answers = cases["answer"]
            before = tuple(
                Step("answer", pcm8k(answers[(index * turns + turn + 1) % len(answers)], manifest))
                for turn in range(turns - 1)
            )
            if scenario == "confirm":
                steps = (*before, Step("confirm", pcm8k(case, manifest)), Step("answer after yes", yes))
            else:
                steps = (*before, Step(scenario, pcm8k(case, manifest)))
        plans.append(CallPlan(target, steps, leave_on_reply=True, reply_timeout_s=30.0))
    return plans


def load_accuracy(out_dir: Path) -> dict[str, Any] | None:
    """The latest accuracy result (this run's output folder first, then the committed one)."""
    for path in (out_dir / "accuracy.json", report.RESULTS_DIR / "accuracy.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict):
            return data
    return None


async def measure_engine(
    settings: Settings,
    engine: str,
    options: TurnGapOptions,
    manifest: Manifest,
    cases: dict[str, list[Fixture]],
    say: Callable[[str], None],
) -> tuple[list[GapStats], list[dict[str, Any]], float]:
    """All levels for one engine against one bot process: stats, per-call data, start-up seconds."""
    changes: dict[str, dict[str, Any]] = {"sip": {"max_calls": max(options.levels) + 4}}
    results: list[GapStats] = []
    calls: list[dict[str, Any]] = []
    log = options.log_dir / f"turn-gap-{engine}-bot.log" if options.log_dir and options.instances == 1 else None
    bots: BotProcess | BotPool = BotProcess.for_bench(settings, engine, changes=changes, keep_log=log)
    if options.instances > 1:
        # Every instance runs its 4 pjsua lines as conversations, Kamailio's dispatcher in front.
        changes = {"sip": {"max_calls": 4, "overflow": "reject"}}
        pool_log = options.log_dir / f"turn-gap-{engine}-instances-bot.log" if options.log_dir else None
        bots = BotPool(
            settings, engine, options.instances, changes=changes, separate=options.separate, keep_log=pool_log
        )
    async with bots as bot:
        say(f"{engine}: {options.instances} instance(s) answered OPTIONS after {bot.startup_s:.1f} s")
        processes = bot.bots if isinstance(bot, BotPool) else [bot]
        marks: list[tuple[int, list[int]]] = []
        # warm every instance (first decode, caches) with one call each; not measured
        await place_calls_by("inprocess", plans_for(engine, bot.target, options.instances, manifest, cases), 1)
        for level in options.levels:
            if isinstance(bot, BotPool):
                await bot.settle()  # start-up work and the previous level's decoding done
            count = max(level, options.min_calls)
            marks.append((level, [len(process.lines) for process in processes]))
            plans = plans_for(engine, bot.target, count, manifest, cases, options.turns)
            reports = await place_calls_by(options.callers, plans, level, stagger_s=options.stagger_s)
            by_label: dict[str, list[float | None]] = {}
            for call in reports:
                for turn in call.turns:
                    by_label.setdefault(turn.label, []).append(turn.gap_ms)
                calls.append(call_record(engine, level, call))
            failed = sorted(call.status for call in reports if not call.answered)
            if failed:
                say(f"{engine} x{level}: {len(failed)} of {count} calls not answered (final statuses {failed})")
            results += [stats(engine, level, label, gaps) for label, gaps in by_label.items()]
        startup = bot.startup_s
        await asyncio.sleep(1.0)  # the last calls' line-health lines
    ends = [len(process.lines) for process in processes]
    for index, (level, starts) in enumerate(marks):
        stops = marks[index + 1][1] if index + 1 < len(marks) else ends
        health = summarise(
            line for process, a, b in zip(processes, starts, stops, strict=True) for line in process.lines[a:b]
        )
        say(f"{engine} x{level}: {describe(health)}")
    text = log.read_text(encoding="utf-8", errors="replace") if log is not None and log.is_file() else ""
    if engine.endswith("+grammar") and "recognising freely" in text:
        say(f"{engine}: no FAQ word is in the model's vocabulary, so the bot recognised freely (= vosk)")
    return results, calls, startup


def describe(health: LineHealth) -> str:
    """The bot's jitter buffers of one level in one line."""
    if not health.calls:
        return "no line-health lines in the bot's log"
    return (
        f"bot's jitter buffer over {health.calls} calls: mean delay {health.mean_delay_ms:.0f} ms, "
        f"max {health.max_delay_ms} ms, {health.full_calls} calls averaging >= 400 ms, "
        f"{health.discarded} packets discarded; caller frames waiting for a session at most "
        f"{health.max_backlog_frames}"
    )


def call_record(engine: str, level: int, call: CallReport) -> dict[str, Any]:
    """One call as JSON-ready data."""
    quality = call.quality
    return {
        "engine": engine,
        "level": level,
        "status": call.status,
        "refer_to": call.refer_to,
        "turns": [[t.label, t.gap_ms] for t in call.turns],
        "late_frames": quality.late if quality else None,
        "max_gap_ms": quality.max_gap_ms if quality else None,
        "caller_late_sends": call.caller_late_sends,
        "error": call.error,
    }


def goal_verdict(value: float | None, goal: float) -> str:
    """``ok`` or by how much the goal is missed."""
    if value is None:
        return "no data"
    return "ok" if value <= goal else f"missed by {value - goal:.0f} ms"


def run_turn_gap(
    settings: Settings, options: TurnGapOptions, out_dir: Path, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measure every engine, print the table and the goal check, plot; the result document."""
    manifest = load_manifest()
    cases = pick_cases(manifest, load_accuracy(out_dir))
    if options.log_dir is None:
        options = dataclasses.replace(options, log_dir=out_dir)
    silence = settings.vad.end_silence_ms
    all_stats: list[GapStats] = []
    calls: list[dict[str, Any]] = []
    startup: dict[str, float] = {}
    for engine in options.engines:
        try:
            found, records, started = asyncio.run(measure_engine(settings, engine, options, manifest, cases, say))
        except RuntimeError as error:
            say(f"{engine}: could not measure: {error}")
            continue
        all_stats += found
        calls += records
        startup[engine] = started
    say(
        f"turn gap on the wire (caller's last voiced frame -> bot's first audible frame), end-of-turn silence {silence} ms"
    )
    say("whisper rows: real answers/confirmations/transfers; vosk rows: Korean model, every German turn is a re-prompt")
    say(f"{options.callers} callers, {options.turns} question(s) per call, calls started {options.stagger_s:g} s apart")
    rows = [[s.engine, s.level, s.label, s.count, s.silent, s.p50_ms, s.p95_ms, s.max_ms] for s in all_stats]
    say(report.table(["engine", "calls", "turn", "n", "silent", "p50 ms", "p95 ms", "max ms"], rows))
    late = {(c["engine"], c["level"]): 0 for c in calls}
    for call in calls:
        late[(call["engine"], call["level"])] += call["late_frames"] or 0
    ratios: dict[str, dict[str, Any]] = {}
    goals: list[list[Any]] = []
    for s in all_stats:
        if s.p50_ms is not None and s.p95_ms is not None:
            key = f"{s.engine}_x{s.level}_{s.label.replace(' ', '_')}"
            ratios[f"p50_over_silence_{key}"] = report.ratio(s.p50_ms / silence, "lower")
            ratios[f"p95_over_silence_{key}"] = report.ratio(s.p95_ms / silence, "lower")
        if s.level == GOAL_LEVEL:
            goals.append(
                [
                    s.engine,
                    s.label,
                    s.p50_ms,
                    goal_verdict(s.p50_ms, silence + P50_SLACK_MS),
                    s.p95_ms,
                    goal_verdict(s.p95_ms, silence + P95_SLACK_MS),
                ]
            )
    say("")
    say(
        f"goals at {GOAL_LEVEL} calls: p50 <= {silence + P50_SLACK_MS:.0f} ms, p95 <= {silence + P95_SLACK_MS:.0f} ms "
        "(the goal is stated for vosk)"
    )
    say(report.table(["engine", "turn", "p50 ms", "p50 goal", "p95 ms", "p95 goal"], goals))
    say(
        "late outgoing frames (gap > 40 ms next to audible audio) per engine and level: "
        + ", ".join(f"{e} x{lvl}: {n}" for (e, lvl), n in late.items())
    )
    plots = []
    for engine in options.engines:
        mine = [s for s in all_stats if s.engine == engine]
        labels = sorted({s.label for s in mine})
        if not labels:
            continue
        series = {
            f"{label} p95": [
                next((s.p95_ms or 0.0 for s in mine if s.label == label and s.level == lvl), 0.0)
                for lvl in options.levels
            ]
            for label in labels
        }
        plot = report.bar_chart(
            out_dir / f"turn-gap-{engine}.png",
            f"Turn gap p95, {engine}",
            [f"{lvl} calls" for lvl in options.levels],
            series,
            "ms",
            goal=silence + P95_SLACK_MS,
        )
        plots.append(str(plot) if plot else None)
    return {
        "result_name": "turn-gap" if options.instances == 1 else "turn-gap-instances",
        "instances": options.instances,
        "separate_processes": options.separate,
        "callers": options.callers,
        "turns_per_call": options.turns,
        "stagger_s": options.stagger_s,
        "end_silence_ms": silence,
        "ratios": ratios,
        "stats": [s.__dict__ for s in all_stats],
        "startup_s": startup,
        "late_frames": {f"{e}_x{lvl}": n for (e, lvl), n in late.items()},
        "calls": calls,
        "plots": plots,
    }
