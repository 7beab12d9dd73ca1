"""``voicebot bench capacity``: how many calls one machine carries, and what happens beyond.

Against a real ``voicebot run`` (vosk engine by default: the Korean model re-prompts every German turn at
the real streaming cost):

* **capacity search**: 1, 2, 4, 6, 8, 12, 16 calls at once, each waits for the greeting and says one
  sentence. A level passes when the p95 turn gap is within the goal (end-of-turn silence + 300 ms) and
  no outgoing frame of the bot was late (an inter-arrival gap above 40 ms at the caller while the bot
  speaks). Capacity = the largest passing level. ``max_calls`` is raised for the search.
* **overflow**: with ``max_calls`` lowered to 3 (cheap to show), 6 callers at once: the extra callers
  are transferred to the switchboard (REFER to the ``zentrale`` target) while the others keep their turn
  gap.
* **memory per call**: PSS of the bot's processes (psutil; shared model pages counted once) idle vs with N
  calls in progress.
* **start-up**: process start -> first call answered (200 OK), with the TTS cache warm.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from voicebot.config.settings import Settings
from voicebot.content.model import SWITCHBOARD
from voicebot_bench import report
from voicebot_bench.botproc import GRAMMAR_PROXY, BotProcess
from voicebot_bench.callerproc import place_calls_by
from voicebot_bench.dispatch import BotPool
from voicebot_bench.fixtures import Manifest, load_manifest
from voicebot_bench.sipcaller import CallPlan, CallReport, Step, place_call, place_calls
from voicebot_bench.turngap import P95_SLACK_MS, pcm8k, stats

MEMORY_CALLS = 4
"""Calls held at once for the memory reading (memory per call divides by the calls actually answered)."""
MEMORY_GOAL_MB = 20.0
"""Goal: memory per additional call (MB)."""
STARTUP_GOAL_S = 5.0
"""Goal: start-up to first answered call with the cache warm (seconds)."""
CAPACITY_GOAL = 16
"""Goal: concurrent calls with vosk without late frames."""
PROXY_LABEL = (
    "PROXY: vosk-grammar-proxy = the Korean vosk model restricted to ~850 of its own words, standing in for the "
    "cost of the German FAQ grammar (no German vosk model here); it measures decode cost and the bot's reaction "
    "(a re-prompt), not understanding."
)
"""Printed with (and stored in) every grammar-proxy result."""


@dataclass(frozen=True)
class CapacityOptions:
    """What to measure."""

    engine: str = "vosk"
    levels: tuple[int, ...] = (1, 2, 4, 6, 8, 12, 16)
    overflow_extra: int = 3
    overflow_max_calls: int = 3
    """``max_calls`` of the overflow demonstration (lowered so the overflow is cheap to show)."""
    instances: int = 1
    """SIP instances; more than one run behind Kamailio's dispatcher (``sip/kamailio/dispatcher.cfg``) as the
    forked workers of one ``voicebot run --workers N``, sharing the loaded model."""
    separate: bool = False
    """With ``instances`` > 1: separate processes that each load their own model instead of forked workers."""
    callers: str = "inprocess"
    """``inprocess``: every call on the bench's one event loop; ``independent``: one process per call."""
    turns: int = 1
    """Questions per call at each level (each one turn gap)."""
    stagger_s: float | None = None
    """Seconds between the starts of a level's calls (None: 0.05 with independent callers, else 0)."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CapacityOptions:
        """From ``voicebot bench capacity`` arguments (the first of ``--engines``)."""
        engine = str(getattr(args, "engines", "vosk")).split(",")[-1].strip() or "vosk"
        levels = tuple(int(c) for c in str(getattr(args, "levels", "1,2,4,6,8,12,16")).split(",") if c.strip())
        instances = max(1, int(getattr(args, "instances", 1) or 1))
        separate = bool(getattr(args, "separate", False))
        callers = str(getattr(args, "callers", "inprocess"))
        turns = max(1, int(getattr(args, "turns", 1)))
        given = getattr(args, "stagger", None)
        stagger = None if given is None else max(0.0, float(given))
        if getattr(args, "quick", False):
            quick = tuple(c for c in levels if c <= 4) or (2,)
            return cls(engine, quick, 2, 2, instances, separate, callers, turns, stagger)
        return cls(
            engine, levels, instances=instances, separate=separate, callers=callers, turns=turns, stagger_s=stagger
        )

    @property
    def result_name(self) -> str:
        """Result file name: ``capacity`` (one process) or ``capacity-instances-<engine>``."""
        return "capacity" if self.instances == 1 else f"capacity-instances-{self.engine.replace('+', '-')}"

    def bot_changes(self) -> dict[str, dict[str, Any]]:
        """Configuration changes of the search: one process takes every level (the pjsua cap still holds);
        behind the dispatcher every instance runs all 4 of its lines as conversations (a full instance
        answers 486, the district's overflow policy sits in front of the pool)."""
        if self.instances == 1:
            return {"sip": {"max_calls": max(self.levels) + 8}}
        return {"sip": {"max_calls": 4, "overflow": "reject"}}


@dataclass(frozen=True)
class Level:
    """One concurrency level of the capacity search."""

    calls: int
    answered: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    silent: int
    late_frames: int
    max_gap_ms: float
    caller_late_sends: int
    passed: bool
    instances_used: int = 1
    """Distinct bot instances that answered calls of this level."""
    turns: int = 0
    """Turn gaps measured at this level (n of the percentiles)."""


def _plans(target: str, manifest: Manifest, count: int, hold_s: float = 0.0, turns: int = 1) -> list[CallPlan]:
    questions = manifest.tagged("question")
    return [
        CallPlan(
            target,
            tuple(
                Step("reprompt", pcm8k(questions[(i * turns + turn) % len(questions)], manifest))
                for turn in range(turns)
            ),
            reply_timeout_s=30.0,
            leave_on_reply=hold_s == 0.0,
            hold_s=hold_s,
        )
        for i in range(count)
    ]


def _level(count: int, reports: list[CallReport], goal_ms: float, pool: BotPool | None = None) -> Level:
    gaps = [turn.gap_ms for call in reports for turn in call.turns]
    summary = stats("", count, "", gaps)
    late = sum(call.quality.late for call in reports if call.quality)
    max_gap = max((call.quality.max_gap_ms for call in reports if call.quality), default=0.0)
    answered = sum(1 for call in reports if call.answered)
    passed = answered == count and summary.p95_ms is not None and summary.p95_ms <= goal_ms and late == 0
    passed = passed and summary.silent == 0
    return Level(
        count,
        answered,
        summary.p50_ms,
        summary.p95_ms,
        summary.max_ms,
        summary.silent,
        late,
        max_gap,
        sum(call.caller_late_sends for call in reports),
        passed,
        len({pool.instance_of(call.contact) for call in reports if call.answered}) if pool else 1,
        summary.count,
    )


async def run_level(
    pool: BotPool,
    manifest: Manifest,
    count: int,
    goal_ms: float,
    callers: str = "inprocess",
    turns: int = 1,
    stagger_s: float | None = None,
) -> Level:
    """One step: ``count`` calls at once at the pool's address, each waits for the greeting and says
    ``turns`` sentences (the reaction is measured on the wire) by ``callers`` (``callerproc.CALLER_MODES``)."""
    plans = _plans(pool.target, manifest, count, turns=turns)
    if stagger_s is None:
        stagger_s = 0.05 if callers == "independent" else 0.0
    reports = await place_calls_by(callers, plans, count, stagger_s=stagger_s)
    return _level(count, reports, goal_ms, pool)


async def _search(
    settings: Settings, options: CapacityOptions, manifest: Manifest, goal_ms: float, say: Callable[[str], None]
) -> tuple[list[Level], dict[str, float]]:
    """Capacity levels plus memory and start-up readings (one bot process with max_calls raised)."""
    levels: list[Level] = []
    extra: dict[str, float] = {}
    pool = BotPool(
        settings, options.engine, options.instances, changes=options.bot_changes(), separate=options.separate
    )
    async with pool as bot:
        first = await place_call(CallPlan(bot.target, (), wait_greeting=True, reply_timeout_s=15.0))
        # Process start -> OPTIONS answered, plus the first call's set-up; separate instances start one after
        # the other, so it is the slowest one's, not the sum (the benchmark's own preparation, e.g. the proxy
        # grammar, is not the bot's start-up).
        extra["startup_to_first_answer_s"] = max(b.startup_s for b in bot.bots) + first.setup_ms / 1000.0
        extra["startup_to_options_s"] = bot.startup_s
        await asyncio.sleep(1.0)
        extra["memory_idle_mb"] = bot.memory_mb()
        held_calls = MEMORY_CALLS * options.instances
        held = asyncio.ensure_future(place_calls(_plans(bot.target, manifest, held_calls, hold_s=6.0), held_calls))
        peak = 0.0
        while not held.done():
            peak = max(peak, bot.memory_mb())
            await asyncio.sleep(0.25)
        answered = sum(1 for call in await held if call.answered) or 1
        extra["memory_with_calls_mb"] = peak
        extra["memory_calls"] = answered
        extra["memory_per_call_mb"] = max(0.0, peak - extra["memory_idle_mb"]) / answered
        say(
            f"start-up {extra['startup_to_first_answer_s']:.1f} s, idle memory (PSS) {extra['memory_idle_mb']:.0f} MB, "
            f"{answered} calls in progress {peak:.0f} MB"
        )
        failures = 0
        for count in options.levels:
            waited = await bot.settle()
            if waited > 2.0:
                say(f"(waited {waited:.0f} s for the instances to finish decoding the previous calls)")
            level = await run_level(bot, manifest, count, goal_ms, options.callers, options.turns, options.stagger_s)
            levels.append(level)
            say(
                f"{count} calls: {level.answered} answered by {level.instances_used} instance(s), "
                f"n {level.turns}, p50 {level.p50_ms} ms, p95 {level.p95_ms} ms, late frames {level.late_frames}, "
                f"{'pass' if level.passed else 'FAIL'}"
            )
            failures += 0 if level.passed else 1
            hopeless = level.answered < count or level.p95_ms is None or level.p95_ms > 2 * goal_ms
            if failures >= 2 and (options.instances == 1 or hopeless):
                break
    return levels, extra


async def _overflow(settings: Settings, options: CapacityOptions, manifest: Manifest, goal_ms: float) -> dict[str, Any]:
    """``max_calls + extra`` callers at once against a bot with ``max_calls`` lines."""
    limit = min(settings.sip.max_calls, options.overflow_max_calls)
    count = limit + options.overflow_extra
    async with BotProcess.for_bench(settings, options.engine, changes={"sip": {"max_calls": limit}}) as bot:
        reports = await place_calls(_plans(bot.target, manifest, count), count, stagger_s=0.05)
    switchboard = settings.departments[SWITCHBOARD].target if SWITCHBOARD in settings.departments else ""
    overflowed = [call for call in reports if call.refer_to and call.refer_to == switchboard and not call.turns]
    served = [call for call in reports if call.turns]
    level = _level(len(served), served, goal_ms)
    return {
        "max_calls": limit,
        "callers": count,
        "served_by_bot": len(served),
        "sent_to_switchboard": len(overflowed),
        "refer_targets": sorted({call.refer_to for call in reports if call.refer_to}),
        "served_p95_ms": level.p95_ms,
        "served_late_frames": level.late_frames,
        "statuses": sorted(str(call.status) for call in reports),
        "not_answered": sum(1 for call in reports if not call.answered),
    }


def run_capacity(
    settings: Settings, options: CapacityOptions, out_dir: Path, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Measure, print, plot; the result document."""
    manifest = load_manifest()
    goal_ms = settings.vad.end_silence_ms + P95_SLACK_MS
    levels, extra = asyncio.run(_search(settings, options, manifest, goal_ms, say))
    # The overflow demonstration is a property of one process; the pool run leaves it out.
    overflow = asyncio.run(_overflow(settings, options, manifest, goal_ms)) if options.instances == 1 else None
    passing = [level.calls for level in levels if level.passed]
    capacity = max(passing) if passing else 0
    kind = "separate processes" if options.separate else "forked workers sharing the model"
    where = "one process" if options.instances == 1 else f"{options.instances} {kind} behind Kamailio's dispatcher"
    if options.engine == GRAMMAR_PROXY:
        say(PROXY_LABEL)
    say(f"capacity with {options.engine}, {where} (goal: p95 turn gap <= {goal_ms:.0f} ms and no late frame):")
    rows = [
        [
            lv.calls,
            lv.answered,
            lv.turns,
            lv.p50_ms,
            lv.p95_ms,
            lv.max_ms,
            lv.silent,
            lv.late_frames,
            lv.max_gap_ms,
            lv.caller_late_sends,
            lv.instances_used,
            "pass" if lv.passed else "FAIL",
        ]
        for lv in levels
    ]
    say(
        report.table(
            [
                "calls",
                "answered",
                "n",
                "p50 ms",
                "p95 ms",
                "max ms",
                "silent",
                "late frames",
                "max gap ms",
                "caller late",
                "instances",
                "verdict",
            ],
            rows,
        )
    )
    say(
        f"=> capacity: {capacity} concurrent calls (goal >= {CAPACITY_GOAL}: "
        + ("ok" if capacity >= CAPACITY_GOAL else f"missed by {CAPACITY_GOAL - capacity} calls")
        + ")"
    )
    say("")
    if overflow is not None:
        say(
            f"overflow: {overflow['callers']} callers at once, max_calls = {overflow['max_calls']}: "
            f"{overflow['served_by_bot']} served by the bot (p95 {overflow['served_p95_ms']} ms, "
            f"{overflow['served_late_frames']} late frames), {overflow['sent_to_switchboard']} transferred to the "
            f"switchboard {overflow['refer_targets']}, {overflow['not_answered']} not answered "
            f"(final statuses {', '.join(overflow['statuses'])})"
        )
    memory_verdict = (
        "ok"
        if extra["memory_per_call_mb"] <= MEMORY_GOAL_MB
        else (f"missed by {extra['memory_per_call_mb'] - MEMORY_GOAL_MB:.1f} MB")
    )
    startup_verdict = (
        "ok"
        if extra["startup_to_first_answer_s"] <= STARTUP_GOAL_S
        else (f"missed by {extra['startup_to_first_answer_s'] - STARTUP_GOAL_S:.1f} s")
    )
    say(
        report.table(
            ["measure", "value", "goal", "verdict"],
            [
                ["memory per additional call (MB)", extra["memory_per_call_mb"], MEMORY_GOAL_MB, memory_verdict],
                [
                    "start-up to first answered call (s)",
                    extra["startup_to_first_answer_s"],
                    STARTUP_GOAL_S,
                    startup_verdict,
                ],
                [f"idle memory (PSS), {options.instances} instance(s) (MB)", extra["memory_idle_mb"], None, ""],
            ],
        )
    )
    plot = report.bar_chart(
        out_dir / f"{options.result_name}.png",
        f"Turn gap p95 by concurrent calls ({options.engine}, {options.instances} instance(s))",
        [str(lv.calls) for lv in levels],
        {"p95 ms": [lv.p95_ms or 0.0 for lv in levels]},
        "ms",
        goal=goal_ms,
    )
    ratios = {
        "capacity_over_goal": report.ratio(capacity / CAPACITY_GOAL, "higher"),
        "memory_per_call_over_goal": report.ratio(extra["memory_per_call_mb"] / MEMORY_GOAL_MB, "lower"),
        "startup_over_goal": report.ratio(extra["startup_to_first_answer_s"] / STARTUP_GOAL_S, "lower"),
    }
    return {
        "engine": options.engine,
        "result_name": options.result_name,
        "instances": options.instances,
        "separate_processes": options.separate,
        "callers": options.callers,
        "turns_per_call": options.turns,
        "stagger_s": options.stagger_s,
        "note": PROXY_LABEL if options.engine == GRAMMAR_PROXY else "",
        "goal_p95_ms": goal_ms,
        "capacity": capacity,
        "levels": [asdict(level) for level in levels],
        "overflow": overflow,
        **extra,
        "ratios": ratios,
        "plots": [str(plot) if plot else None],
    }
