"""Prometheus metrics of the calls (``prometheus-client``, from the ``web`` extra; without it they are off).

Counted where they happen: calls, turns and the turn gap by :class:`MetricsRecorder` around the call
recorder (so every session and overflow hand-over is counted without touching their code), recognition and
speech errors and transfer results by the call session, the running engines when a line starts.

Several workers (``voicebot run --workers N``): prometheus_client's multiprocess mode. The supervisor sets
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before anything imports the library (it decides at import),
every worker writes its numbers there (memory-mapped files), ``/metrics`` in worker 1 adds them up
(``multiprocess.MultiProcessCollector``), and a dead worker's live gauges are dropped (``mark_dead``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from voicebot.records.calls import CallbackRequest, CallOutcome, CallRecorder, TurnRecord

if TYPE_CHECKING:
    import prometheus_client

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
GAP_BUCKETS_S: Final = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
"""Turn-gap histogram buckets (seconds from the end of the caller's speech to the bot's first audio)."""


@dataclass(frozen=True)
class Metrics:
    """The metric objects (one set per process)."""

    live_calls: prometheus_client.Gauge
    calls: prometheus_client.Counter
    turns: prometheus_client.Counter
    turn_gap: prometheus_client.Histogram
    asr_errors: prometheus_client.Counter
    tts_errors: prometheus_client.Counter
    engine: prometheus_client.Gauge
    fallback: prometheus_client.Gauge
    transfers: prometheus_client.Counter
    overflow: prometheus_client.Counter
    callbacks: prometheus_client.Counter


_METRICS: list[Metrics | None] = []


def get() -> Metrics | None:
    """This process's metrics, created on first use; None without prometheus-client."""
    if _METRICS:
        return _METRICS[0]
    try:
        import prometheus_client as prom
    except ImportError:
        _METRICS.append(None)
        return None
    made = Metrics(
        live_calls=prom.Gauge("voicebot_live_calls", "Calls in progress", multiprocess_mode="livesum"),
        calls=prom.Counter("voicebot_calls", "Calls ended, by outcome", ["outcome"]),
        turns=prom.Counter("voicebot_turns", "Turns (caller utterance and bot reaction)"),
        turn_gap=prom.Histogram(
            "voicebot_turn_gap_seconds", "End of caller speech to first bot audio", buckets=GAP_BUCKETS_S
        ),
        asr_errors=prom.Counter("voicebot_asr_errors", "Recognitions that failed"),
        tts_errors=prom.Counter("voicebot_tts_errors", "Speech syntheses that failed"),
        engine=prom.Gauge(
            "voicebot_engine", "Speech engines running (1)", ["kind", "engine"], multiprocess_mode="livemax"
        ),
        fallback=prom.Gauge(
            "voicebot_engine_fallback",
            "1 when a line runs another engine than the first of its preference list",
            ["kind"],
            multiprocess_mode="livemax",
        ),
        transfers=prom.Counter("voicebot_transfers", "Transfers to departments, by result", ["result"]),
        overflow=prom.Counter("voicebot_overflow", "Calls sent on to the switchboard because every line was busy"),
        callbacks=prom.Counter("voicebot_callbacks", "Callback requests taken"),
    )
    _METRICS.append(made)
    return made


def engines_running(asr: str, asr_preferred: str, tts: str, tts_preferred: str) -> None:
    """A line started with these engines."""
    metrics = get()
    if metrics is None:
        return
    for kind, name, preferred in (("asr", asr, asr_preferred), ("tts", tts, tts_preferred)):
        if name:
            metrics.engine.labels(kind, name).set(1)
            metrics.fallback.labels(kind).set(1 if name != preferred else 0)


def asr_error() -> int:
    """A recognition failed; returns 1 (the session adds it to its own error count in the same line)."""
    if (metrics := get()) is not None:
        metrics.asr_errors.inc()
    return 1


def tts_error() -> int:
    """A synthesis failed; returns 1 (the session adds it to its own error count in the same line)."""
    if (metrics := get()) is not None:
        metrics.tts_errors.inc()
    return 1


def transfer(ok: bool) -> None:
    """A transfer ended (put through or not)."""
    if (metrics := get()) is not None:
        metrics.transfers.labels("ok" if ok else "failed").inc()


class MetricsRecorder:
    """A ``CallRecorder`` that counts what passes through and hands everything on to ``inner``."""

    def __init__(self, inner: CallRecorder) -> None:
        self.inner = inner

    def call_started(self, call_id: str, caller: str, at: dt.datetime, instance: str = "") -> None:
        if (metrics := get()) is not None:
            metrics.live_calls.inc()
        self.inner.call_started(call_id, caller, at, instance)

    def turn(self, call_id: str, turn: TurnRecord) -> None:
        if (metrics := get()) is not None:
            metrics.turns.inc()
            gap = turn.timings_ms.get("gap_ms")
            if gap is not None:
                metrics.turn_gap.observe(gap / 1000)
        self.inner.turn(call_id, turn)

    def callback(self, request: CallbackRequest) -> None:
        if (metrics := get()) is not None:
            metrics.callbacks.inc()
        self.inner.callback(request)

    def call_ended(self, call_id: str, outcome: CallOutcome) -> None:
        if (metrics := get()) is not None:
            metrics.live_calls.dec()
            metrics.calls.labels(outcome.outcome).inc()
            if outcome.outcome == "overflow":
                metrics.overflow.inc()
        self.inner.call_ended(call_id, outcome)


def prepare_multiprocess(directory: str) -> str:
    """In the supervisor, before any import of prometheus_client: the folder for every worker's numbers
    (``$PROMETHEUS_MULTIPROC_DIR`` if set, else ``directory``), emptied of an earlier run's files."""
    folder = os.environ.setdefault(MULTIPROC_ENV, directory)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))
    return folder


def mark_dead(pid: int) -> None:
    """In the supervisor: a worker died; its live gauges no longer count."""
    if os.environ.get(MULTIPROC_ENV):
        try:
            from prometheus_client import multiprocess
        except ImportError:
            return
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def exposition() -> tuple[bytes, str]:
    """The metrics of this process, or of every worker in multiprocess mode: (body, content type)."""
    import prometheus_client as prom

    get()
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return prom.generate_latest(registry), prom.CONTENT_TYPE_LATEST
    return prom.generate_latest(), prom.CONTENT_TYPE_LATEST


__all__ = [
    "GAP_BUCKETS_S",
    "MULTIPROC_ENV",
    "Metrics",
    "MetricsRecorder",
    "asr_error",
    "engines_running",
    "exposition",
    "get",
    "mark_dead",
    "prepare_multiprocess",
    "transfer",
    "tts_error",
]
