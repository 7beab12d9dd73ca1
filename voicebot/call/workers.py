"""``voicebot run --workers N``: load the recogniser once, then fork N SIP workers that share it.

The pjsua2 wheel carries 4 calls per process (``PJSUA_MAX_CALLS`` is compiled in), so a machine's lines come
from several SIP workers behind Kamailio's dispatcher (``sip/kamailio/``). Forked after the vosk model is
loaded and warmed up, the workers share its ~500 MB copy-on-write instead of loading one copy each (measured
with 4 workers: ~790 MB PSS idle for all of them instead of 2.4 GB for 4 separate processes).

The rules that make forking safe:

- Before the fork the parent starts no thread, event loop or socket of its own and never creates a pjsua2
  ``Endpoint`` (one created before the fork aborts the child). Engines that start thread pools when they
  load (CTranslate2 for Whisper, onnxruntime for piper) are loaded by each worker after the fork instead;
  only engines in :data:`FORK_SAFE_ASR` and :data:`FORK_SAFE_TTS` are shared.
- Worker ``i`` (0-based) listens on ``[sip] port + i`` with RTP from ``[sip] rtp_port + i *``
  :data:`RTP_PORTS_PER_WORKER`, is ``<instance>-<i+1>`` in the call records and writes to the same SQLite
  store (WAL). The first worker also serves the web app (``--web``) and purges old records.
- The parent only supervises: SIGTERM/SIGINT go to every worker (each drains its calls as a single process
  would), and a worker that dies is forked again from the still-warm parent; more than
  :data:`RESTART_LIMIT` deaths within :data:`RESTART_WINDOW_S` stop everything (something is broken).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Final

from voicebot.config.settings import Settings
from voicebot.errors import ConfigError, Problem
from voicebot.ports import Synthesizer, Transcriber

if TYPE_CHECKING:
    from voicebot.call.bot import Bot

_LOGGER: Final = logging.getLogger("voicebot.call.workers")

MAX_WORKERS: Final = 32
"""Most workers one ``voicebot run`` forks (4 calls each)."""
CALLS_PER_CORE: Final = 8
"""Conversations one CPU core carries within the turn-gap goal (p95 <= end-of-turn silence + 300 ms, no late
frame) with vosk restricted to the FAQ grammar, the measured cost behind ``--workers auto``. Measured with
``voicebot bench turn-gap --engines vosk-grammar-proxy --instances 4`` on 2 cores: 16 calls within the goal with
the bench's in-process caller; with one caller process per call on the same 2 cores 8 calls (p95 0.91 s) but
not 16 (p95 1.98 s, the 16 Python callers sharing the cores)."""
CALLS_PER_CORE_BY_ENGINE: Final = {"vosk": CALLS_PER_CORE, "whisper": 2}
"""Conversations per core by recogniser. Whisper base: 4 calls on 2 cores answer in p95 1.6 s, 8 calls in
5.3 s when their questions collide (``voicebot bench turn-gap --engines whisper --instances 4 --callers
independent --turns 3``): beyond 2 calls per core callers are better served by the switchboard."""
CALLS_PER_WORKER: Final = 4
"""Calls one worker's pjsua2 carries (behind Kamailio each worker takes 4: ``max_calls = 4``, ``overflow =
"reject"``; the district's overflow policy sits in front of the pool)."""


def recommended_workers(cores: int, engine: str = "vosk") -> int:
    """``--workers auto``: enough workers for the calls per core ``engine`` carries
    (:data:`CALLS_PER_CORE_BY_ENGINE`), 1..:data:`MAX_WORKERS`."""
    per_core = CALLS_PER_CORE_BY_ENGINE.get(engine, CALLS_PER_CORE)
    wanted = -(-max(1, cores) * per_core // CALLS_PER_WORKER)
    return max(1, min(MAX_WORKERS, wanted))


def asr_engine_in_use(settings: Settings) -> str:
    """The recogniser ``voicebot run`` will use: the first of ``[asr] engines`` whose model is there (checked
    without loading it); the last one when none is (its load then reports what is missing)."""
    for engine in settings.asr.engines:
        if engine != "vosk":
            return engine
        spec = settings.asr.vosk_model
        if spec.startswith("pypi:"):
            from voicebot.engines.vosk_asr import resolve_vosk_model

            try:
                resolve_vosk_model(spec)
            except Exception as error:  # not installed: the next engine
                _LOGGER.debug("ASR vosk: %s", error)
                continue
            return engine
        if settings.resolve_data(spec).is_dir():
            return engine
    return settings.asr.engines[-1] if settings.asr.engines else "vosk"


def share_cores(settings: Settings, processes: int, cores: int) -> Settings:
    """``settings`` for one of ``processes`` workers on ``cores`` cores: an automatic Whisper thread count
    (``[asr] whisper_threads = 0``) becomes the worker's share of the cores, at least 1. Every worker loads its
    own Whisper; with a thread per core each their threads fight over the same cores (measured: 4 workers on 2
    cores, 8 calls started at once, 2 questions each: answers p50 4.7 s / p95 6.3 s against 3.9 s / 5.1 s with
    one thread each, n = 11)."""
    if processes <= 1 or settings.asr.whisper_threads:
        return settings
    asr = dataclasses.replace(settings.asr, whisper_threads=max(1, min(4, cores // processes)))
    return dataclasses.replace(settings, asr=asr)


RTP_PORTS_PER_WORKER: Final = 100
"""RTP ports set aside per worker above ``[sip] rtp_port`` (a worker's 4 calls use 16 of them)."""
FORK_SAFE_ASR: Final = ("vosk",)
"""Recognisers that start no threads when loading, so the parent can load them once for every worker."""
FORK_SAFE_TTS: Final = ("espeak",)
"""Speech engines that start no threads when loading (espeak-ng runs as a subprocess per text)."""
RESTART_LIMIT: Final = 5
"""Worker deaths within :data:`RESTART_WINDOW_S` after which the supervisor gives up."""
RESTART_WINDOW_S: Final = 60.0
"""Window for :data:`RESTART_LIMIT` (seconds)."""
PR_SET_PDEATHSIG: Final = 1
"""Linux ``prctl`` option: a signal for this process when its parent dies."""


@dataclass(frozen=True)
class WorkerSpec:
    """Where one worker listens and how the records name it."""

    index: int
    """0-based position."""
    port: int
    """SIP UDP port."""
    rtp_port: int
    """First RTP port."""
    instance: str
    """Name in the call records."""


def worker_specs(settings: Settings, count: int, instance: str) -> list[WorkerSpec]:
    """The workers' ports and names; a ConfigError when they do not fit (count, port ranges)."""
    sip = settings.sip
    problems: list[Problem] = []
    path = str(settings.path)
    if not 1 <= count <= MAX_WORKERS:
        problems.append(Problem("--workers", None, "workers", f"must be 1..{MAX_WORKERS}, got {count}"))
    elif sip.port + count - 1 > 65535 or sip.rtp_port + count * RTP_PORTS_PER_WORKER > 65535:
        problems.append(Problem(path, None, "sip.port", f"{count} workers need ports above 65535; lower the ports"))
    elif sip.rtp_port <= sip.port + count - 1 and sip.port < sip.rtp_port + count * RTP_PORTS_PER_WORKER:
        problems.append(
            Problem(
                path,
                None,
                "sip.rtp_port",
                f"the SIP ports {sip.port}..{sip.port + count - 1} fall into the RTP ports of {count} workers "
                f"({sip.rtp_port}..{sip.rtp_port + count * RTP_PORTS_PER_WORKER - 1}); move one of them",
            )
        )
    if problems:
        raise ConfigError(problems)
    return [
        WorkerSpec(i, sip.port + i, sip.rtp_port + i * RTP_PORTS_PER_WORKER, f"{instance}-{i + 1}")
        for i in range(count)
    ]


@dataclass(frozen=True)
class Shared:
    """What the parent loaded once for every worker."""

    transcriber: Transcriber | None = None
    """The recogniser (warmed up), when it is fork-safe; else each worker loads its own."""
    bot: Bot | None = None
    """The whole bot (content, matcher, speech cache pre-rendered), when the speech engine is fork-safe too."""


def load_shared(settings: Settings) -> Shared:
    """Load in the parent what the workers can share: the recogniser if the preference list's first
    loadable engine is fork-safe; then, if the speech engine is fork-safe as well, the whole bot (so four
    workers do not each build the matcher and check the speech cache at the same time on two cores)."""
    transcriber = shared_transcriber(settings)
    if transcriber is None:
        return Shared()
    from voicebot.call.bot import Bot, recogniser_phrases, warm_up
    from voicebot.content.load import load_content

    # The warm-up (~1.2 s inside vosk, which lets go of the GIL) runs while the bot is built and its speech
    # cache read; the thread is joined before anything is forked.
    phrases = recogniser_phrases(settings, load_content(settings), transcriber)
    warming = threading.Thread(target=warm_up, args=(transcriber, phrases), name="warm-up")
    warming.start()
    try:
        synthesizer = shared_synthesizer(settings)
        if synthesizer is None:
            return Shared(transcriber)
        bot = Bot.from_settings(settings, transcriber=transcriber, synthesizer=synthesizer)
        bot.prerender()
        return Shared(transcriber, bot)
    finally:
        warming.join()


def fill_speech_cache(settings: Settings, timeout_s: float = 900.0) -> bool:
    """Render the speech cache once before workers that each load their own engines are forked, in a child
    process (``voicebot prerender``: the parent stays free of engine threads), so that N workers do not each
    synthesise the same missing texts side by side on the same cores at start. The child dies with the parent.
    False (logged; each worker then renders what is missing) when it fails."""
    command = [sys.executable, "-m", "voicebot", "-c", str(settings.path), "prerender", "--quiet"]
    started = time.monotonic()
    try:
        done = subprocess.run(  # our own interpreter and fixed arguments, no caller text
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout_s,
            check=False,
            preexec_fn=_die_with_parent_in_child,  # the supervisor has started no thread yet
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        _LOGGER.warning("the speech cache could not be filled before the workers start: %s", error)
        return False
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        _LOGGER.warning("the speech cache could not be filled (exit %d): %s", done.returncode, " / ".join(tail))
        return False
    _LOGGER.info("speech cache filled for the workers in %.1f s", time.monotonic() - started)
    return True


def _die_with_parent_in_child() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def shared_transcriber(settings: Settings) -> Transcriber | None:
    """The recogniser the parent can load once for all workers: the preference list's first engine that
    loads, if it is fork-safe; else None and every worker loads its own."""
    from voicebot import engines

    for engine in settings.asr.engines:
        if engine not in FORK_SAFE_ASR:
            _LOGGER.info("ASR %s starts threads when loading: every worker loads its own copy", engine)
            return None
        try:
            return engines.load_transcriber(settings, (engine,))
        except Exception as error:  # the workers try the preference list again and log the fallback
            _LOGGER.warning("ASR %s cannot be shared by the workers: %s", engine, error)
    return None


def shared_synthesizer(settings: Settings) -> Synthesizer | None:
    """The speech engine, if the first available one is fork-safe (espeak-ng runs as a subprocess); None
    when a thread-starting engine (piper: onnxruntime) would be used, which each worker then loads."""
    from voicebot import engines

    for engine in settings.tts.engines:
        if engine in FORK_SAFE_TTS:
            try:
                return engines.load_synthesizer(settings, (engine,))
            except Exception as error:  # the workers try the preference list again and log the fallback
                _LOGGER.warning("TTS %s cannot be shared by the workers: %s", engine, error)
                continue
        if _engine_files_present(settings, engine):
            return None
    return None


def _engine_files_present(settings: Settings, engine: str) -> bool:
    """Whether a thread-starting speech engine would load (its voice file is there), without loading it."""
    if engine != "piper":
        return True
    from voicebot.engines.piper_tts import resolve_piper_voice

    spec = settings.tts.piper_voice
    try:
        path = resolve_piper_voice(spec) if spec.startswith("pypi:") else settings.resolve_data(spec)
    except Exception:  # package missing: piper will not load in the workers either
        return False
    return path.is_file()


def die_with_parent(parent_pid: int) -> None:
    """In a worker: get SIGTERM when the supervisor dies, even by SIGKILL (Linux ``PR_SET_PDEATHSIG``), so no
    orphaned worker keeps a SIP port; exits at once if the supervisor is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)
"""What stops the supervisor and, forwarded, every worker."""


def reset_signals_in_worker() -> None:
    """In a freshly forked worker: the default SIGTERM/SIGINT action again, then let them in (the supervisor
    blocks them around ``fork`` so its forwarding handler can never run in a child)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


Fork = Callable[[WorkerSpec], int]
"""Starts one worker and returns its process id (in the parent)."""
OnDeath = Callable[[WorkerSpec, int], None]
"""Told about a worker that ended without a clean stop, with its exit status (negative: the signal), before
it is forked again (the run command closes its running calls in the records: ``voicebot.records.orphans``)."""


def supervise(
    specs: list[WorkerSpec], fork: Fork, clock: Callable[[], float] = time.monotonic, on_death: OnDeath | None = None
) -> int:
    """Fork every worker and keep them running until SIGTERM/SIGINT (forwarded to each); the exit status.
    ``on_death`` hears of every worker that ended with a non-zero status (stopping or not)."""
    children: dict[int, WorkerSpec] = {}
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            _LOGGER.info("%s received: stopping %d worker(s)", signal.Signals(signum).name, len(children))
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                continue

    def start(spec: WorkerSpec) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            children[fork(spec)] = spec
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
    deaths: collections.deque[float] = collections.deque()
    status = 0
    try:
        for spec in specs:
            start(spec)
        while children:
            pid, wait_status = os.wait()
            if pid not in children:
                continue
            spec = children.pop(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            if code != 0 and on_death is not None:
                try:
                    on_death(spec, code)
                except Exception:  # the supervisor must outlive its helpers
                    _LOGGER.exception("worker %d: clean-up after its death failed", spec.index + 1)
            if stopping:
                _LOGGER.info("worker %d (port %d) stopped with status %d", spec.index + 1, spec.port, code)
                continue
            now = clock()
            deaths.append(now)
            while deaths and now - deaths[0] > RESTART_WINDOW_S:
                deaths.popleft()
            if len(deaths) > RESTART_LIMIT:
                _LOGGER.error("workers died %d times within %.0f s: stopping all", len(deaths), RESTART_WINDOW_S)
                status = 1
                forward(signal.SIGTERM, None)
                continue
            _LOGGER.error("worker %d (port %d) died with status %d: starting it again", spec.index + 1, spec.port, code)
            start(spec)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


__all__ = [
    "CALLS_PER_CORE",
    "CALLS_PER_CORE_BY_ENGINE",
    "CALLS_PER_WORKER",
    "FORK_SAFE_ASR",
    "FORK_SAFE_TTS",
    "MAX_WORKERS",
    "RTP_PORTS_PER_WORKER",
    "Fork",
    "OnDeath",
    "Shared",
    "WorkerSpec",
    "asr_engine_in_use",
    "die_with_parent",
    "fill_speech_cache",
    "load_shared",
    "recommended_workers",
    "reset_signals_in_worker",
    "share_cores",
    "shared_synthesizer",
    "shared_transcriber",
    "supervise",
    "worker_specs",
]
