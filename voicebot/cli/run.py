"""``voicebot run``: answer SIP calls (and serve the web app with ``--web``) until SIGINT/SIGTERM.

Start-up: load the configuration, load the speech engines and content (``Bot.from_settings``), open the
call record store, pre-render the fixed prompts, then listen. Records older than ``[records] retention_days``
are deleted at start and every few hours while it runs (with ``--web`` the web app does that, on the same
store). On SIGTERM/SIGINT no new calls are taken (503), calls in progress get ``--grace`` seconds to finish
and are then handed to the switchboard.
``--line-test`` answers with tones and an echo instead of the speech pipeline (no models needed):
the installer's check that SIP, audio, DTMF and transfers work.
``--workers N`` loads the recogniser once and forks N SIP workers sharing it (ports ``[sip] port`` ..
``port + N - 1``, for Kamailio's dispatcher): see :mod:`voicebot.call.workers`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn
from zoneinfo import ZoneInfo

from voicebot.call.metrics import MetricsRecorder
from voicebot.cli.logs import formatter
from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.records.calls import CallRecorder

if TYPE_CHECKING:
    from voicebot.call.bot import Bot
    from voicebot.call.status import StatusBoard
    from voicebot.call.switch import Switch
    from voicebot.call.workers import Shared, WorkerSpec

_LOGGER: Final = logging.getLogger("voicebot.run")

GIL_SWITCH_INTERVAL_S: Final = 0.001
"""How long one Python thread may keep the GIL while another waits (seconds; CPython's default 0.005).
pjmedia's clock thread needs the GIL twice per call every 20 ms (caller frame in, bot frame out); with the
default a busy loop or decode thread can hold each hand-over back 5 ms. Measured at 16 calls on 4 workers,
3 runs each: largest inter-arrival gap of the bot's audio 31.8-34.0 ms instead of 33.6-39.3 ms."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot run``."""
    parser.add_argument("--web", action="store_true", help="also serve the switchboard/admin web app")
    parser.add_argument("--bind", default=None, help="SIP/RTP address (overrides [sip] bind_host)")
    parser.add_argument("--port", type=int, default=None, help="SIP UDP port (overrides [sip] port)")
    parser.add_argument("--rtp-port", type=int, default=None, help="first RTP port (overrides [sip] rtp_port)")
    parser.add_argument("--web-port", type=int, default=None, help="web app TCP port (overrides [web] port)")
    parser.add_argument(
        "--instance", default=None, help="name of this instance in the call records (default: host:port)"
    )
    parser.add_argument("--grace", type=float, default=30.0, help="seconds running calls may finish after SIGTERM")
    parser.add_argument(
        "--line-test", action="store_true", help="answer with tones and an echo instead of speech (no models needed)"
    )
    parser.add_argument("--pj-log", type=int, default=1, help="pjsua2 log level 0..6 (default 1: errors)")
    parser.add_argument(
        "--workers",
        type=workers_argument,
        default=1,
        help="SIP worker processes sharing one loaded recogniser (4 calls each; ports [sip] port .. port+N-1); "
        "'auto': from the recogniser's measured cost, 2 per CPU core with vosk and its FAQ grammar, 1 per 2 cores "
        "with Whisper (voicebot.call.workers)",
    )


AUTO_WORKERS = 0
"""``--workers auto``: decided once the configuration says which recogniser runs (:func:`workers_for`)."""


def workers_argument(text: str) -> int:
    """``--workers``: a number, or ``auto`` (:data:`AUTO_WORKERS`)."""
    if text.strip().lower() == "auto":
        return AUTO_WORKERS
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or 'auto', not {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"at least 1 worker (or 'auto'), not {count}")
    return count


def workers_for(settings: Settings, workers: int, cores: int | None = None) -> int:
    """``workers`` as given, or for ``--workers auto`` the count the recogniser in use carries on ``cores``."""
    if workers != AUTO_WORKERS:
        return workers
    from voicebot.call.workers import asr_engine_in_use, recommended_workers

    engine = asr_engine_in_use(settings)
    cores = cores or os.cpu_count() or 1
    count = recommended_workers(cores, engine)
    _LOGGER.info("--workers auto: %d worker(s) for %s on %d core(s)", count, engine, cores)
    return count


def run(args: argparse.Namespace) -> int:
    """Serve until a signal arrives; 0 after a clean stop."""
    settings = override(load_settings(args.config), args)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    args.workers = workers_for(settings, args.workers)
    if args.workers != 1:
        return _run_workers(settings, args)
    asyncio.run(_main(settings, args))
    return 0


def _run_workers(settings: Settings, args: argparse.Namespace) -> int:
    """Load the shareable recogniser, fork the workers and supervise them (see :mod:`voicebot.call.workers`)."""
    from voicebot.call.workers import (
        Shared,
        die_with_parent,
        fill_speech_cache,
        load_shared,
        share_cores,
        supervise,
        worker_specs,
    )

    run_dir = prepare_run_dir()  # before anything imports prometheus_client (multiprocess mode)
    args.run_dir = str(run_dir / "status")
    pids: dict[int, int] = {}
    instance = args.instance or f"{socket.gethostname()}:{settings.sip.port}"
    specs = worker_specs(settings, args.workers, instance)
    settings = share_cores(settings, len(specs), os.cpu_count() or 1)
    shared = Shared() if args.line_test else load_shared(settings)
    if not args.line_test and shared.bot is None:
        fill_speech_cache(settings)  # once, not in every worker at the same time

    def fork(spec: WorkerSpec) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            die_with_parent(parent)
            _worker(settings, args, spec, shared)
        pids[spec.index] = pid
        _LOGGER.info("worker %d: pid %d, SIP port %d, RTP from %d", spec.index + 1, pid, spec.port, spec.rtp_port)
        return pid

    database = settings.resolve_data(settings.records.database)

    def on_death(spec: WorkerSpec, status: int) -> None:
        from voicebot.call.metrics import mark_dead
        from voicebot.records.orphans import close_calls_of_dead_worker

        if spec.index in pids:
            mark_dead(pids[spec.index])
        close_calls_of_dead_worker(database, spec.instance, dt.datetime.now(dt.UTC), status)

    try:
        return supervise(specs, fork, on_death=on_death)
    finally:
        if not os.environ.get("RUNTIME_DIRECTORY"):  # systemd removes its own; a temporary one is ours
            shutil.rmtree(run_dir, ignore_errors=True)


def prepare_run_dir() -> Path:
    """The supervisor's run folder (``$RUNTIME_DIRECTORY`` from systemd's ``RuntimeDirectory=``, else a new
    temporary one): ``status/`` for the lines' health reports, ``metrics/`` for prometheus_client's
    multiprocess files (``$PROMETHEUS_MULTIPROC_DIR`` wins if set); both emptied of an earlier run's files."""
    from voicebot.call.metrics import prepare_multiprocess

    base = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    run_dir = Path(base) if base else Path(tempfile.mkdtemp(prefix="voicebot-run-"))
    status = run_dir / "status"
    status.mkdir(parents=True, exist_ok=True)
    for old in status.glob("line-*.json"):
        old.unlink()
    prepare_multiprocess(str(run_dir / "metrics"))
    return run_dir


def _worker(settings: Settings, args: argparse.Namespace, spec: WorkerSpec, shared: Shared) -> NoReturn:
    """The forked child: one ``voicebot run`` on the worker's ports; never returns."""
    from voicebot.call.workers import reset_signals_in_worker

    code = 1
    try:
        reset_signals_in_worker()  # default actions until the worker's loop installs its own
        label = f"worker-{spec.index + 1}"
        for handler in logging.getLogger().handlers:
            handler.setFormatter(formatter(label))
        sip = dataclasses.replace(settings.sip, port=spec.port, rtp_port=spec.rtp_port)
        worker_args = argparse.Namespace(
            **{**vars(args), "instance": spec.instance, "web": args.web and spec.index == 0, "worker": spec.index + 1}
        )
        main = _main(dataclasses.replace(settings, sip=sip), worker_args, shared, housekeeping=spec.index == 0)
        asyncio.run(main)
        code = 0
    except BaseException:
        _LOGGER.exception("worker %d failed", spec.index + 1)
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(code)


def override(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with the command-line overrides applied."""
    sip_changes: dict[str, Any] = {}
    if args.bind is not None:
        sip_changes["bind_host"] = args.bind
    if args.port is not None:
        sip_changes["port"] = args.port
    if args.rtp_port is not None:
        sip_changes["rtp_port"] = args.rtp_port
    settings = dataclasses.replace(settings, sip=dataclasses.replace(settings.sip, **sip_changes))
    if args.web_port is not None:
        settings = dataclasses.replace(settings, web=dataclasses.replace(settings.web, port=args.web_port))
    return settings


async def _main(
    settings: Settings, args: argparse.Namespace, shared: Shared | None = None, *, housekeeping: bool = True
) -> None:
    """Serve one SIP line (with what the supervisor loaded before the fork, if anything); ``housekeeping``:
    purge old records."""
    from voicebot.call.switch import serve

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    instance = args.instance or f"{socket.gethostname()}:{settings.sip.port}"
    recorder = open_recorder(settings)
    counted = MetricsRecorder(recorder)  # calls, turns, turn gap, callbacks and overflow for /metrics
    bot: Bot | None = None
    run_session = None
    prompt_audio = None
    if args.line_test:
        from voicebot.call.linetest import line_test_prompt, line_test_runner

        run_session = line_test_runner(settings, counted, instance)
        rate = settings.audio.line_rate
        prompt_audio = lambda _prompt_id: line_test_prompt(rate)  # noqa: E731
        _LOGGER.info("line test mode: tones and echo instead of speech")
    else:
        from voicebot.call.bot import Bot

        if shared is not None and shared.bot is not None:
            bot = shared.bot
        else:
            transcriber = shared.transcriber if shared is not None else None
            bot = await asyncio.to_thread(Bot.from_settings, settings, transcriber=transcriber)
            # side by side: reading the speech cache is Python, the warm-up runs inside the engine
            await asyncio.gather(asyncio.to_thread(prerender, bot, stop.is_set), asyncio.to_thread(bot.warm_up))
    board, on_switch, report = line_report(settings, args, bot, stop)
    web_task: asyncio.Task[None] | None = None
    if args.web:
        from voicebot.records.store import RecordStore
        from voicebot.web.server import serve as serve_web

        store = recorder if isinstance(recorder, RecordStore) else None  # one store: the web app purges it
        web_task = loop.create_task(serve_web(settings, stop, bot=bot, store=store, board=board), name="web")
    purge_task = start_purging(recorder, settings, stop, web=args.web) if housekeeping else None
    listening = asyncio.Event()
    systemd_task = loop.create_task(_systemd(listening, stop, notifies=housekeeping), name="systemd")
    try:
        await serve(
            settings,
            bot,
            counted,
            stop,
            run_session=run_session,
            prompt_audio=prompt_audio,
            grace_seconds=args.grace,
            pj_log_level=args.pj_log,
            instance=instance,
            on_switch=on_switch,
            listening=listening,
        )
    finally:
        stop.set()
        await report
        await systemd_task
        if web_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await web_task
        if purge_task is not None:
            await purge_task
        close = getattr(recorder, "close", None)
        if callable(close):
            close()
    _LOGGER.info("voicebot stopped")


def line_report(
    settings: Settings, args: argparse.Namespace, bot: Bot | None, stop: asyncio.Event
) -> tuple[StatusBoard, Callable[[Switch], None], asyncio.Task[None]]:
    """The health report of this SIP line: the board the web app reads, the hook that hands over the
    switch, and the task writing the line's status every few seconds until ``stop``."""
    from voicebot.call import metrics
    from voicebot.call.status import LineStatus, StatusBoard, keep_reporting, now

    run_dir = getattr(args, "run_dir", None)
    board = StatusBoard(Path(run_dir) if run_dir else None, max(1, int(getattr(args, "workers", 1))))
    asr = bot.transcriber.name if bot is not None else ""
    synth = getattr(bot.speech, "synth", None) if bot is not None else None  # SpeechCache's synthesiser
    tts = str(getattr(synth, "name", "")) if synth is not None else ""
    asr_first, tts_first = (settings.asr.engines[0], settings.tts.engines[0]) if bot is not None else ("", "")
    metrics.engines_running(asr, asr_first, tts, tts_first)
    switches: list[Switch] = []

    def status() -> LineStatus | None:
        if not switches:
            return None
        listening, registered = switches[0].line_state()
        worker = int(getattr(args, "worker", 1))
        return LineStatus(
            worker, os.getpid(), settings.sip.port, listening, registered, switches[0].live_calls,
            asr, asr_first, tts, tts_first, now(),
        )  # fmt: skip

    task = asyncio.get_running_loop().create_task(keep_reporting(board, status, stop), name="line-status")
    return board, switches.append, task


async def _systemd(listening: asyncio.Event, stop: asyncio.Event, *, notifies: bool) -> None:
    """Under systemd (``Type=notify``): READY=1 once SIP listens, watchdog pings from this loop. With ``--workers``
    the first worker speaks for the service (``NotifyAccess=all``)."""
    from voicebot.sdnotify import service_notifications

    if notifies:
        await service_notifications(listening, stop)


def _on_signal(stop: asyncio.Event, signum: int) -> None:
    _LOGGER.info("%s received: stopping", signal.Signals(signum).name)
    stop.set()


def open_recorder(settings: Settings) -> CallRecorder:
    """The SQLite record store of the configuration (in-memory records if the store is not installed)."""
    try:
        from voicebot.records.store import RecordStore
    except ImportError as error:
        from voicebot.records.calls import MemoryRecorder

        _LOGGER.warning("call records are kept in memory only: the record store is not available (%s)", error)
        return MemoryRecorder()
    path = settings.resolve_data(settings.records.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    store: CallRecorder = RecordStore(path)
    _LOGGER.info("call records go to %s", path)
    return store


def start_purging(
    recorder: CallRecorder,
    settings: Settings,
    stop: asyncio.Event,
    *,
    web: bool,
    clock: Callable[[], dt.datetime] | None = None,
) -> asyncio.Task[int] | None:
    """Delete records older than ``[records] retention_days`` now and every few hours until ``stop``.

    None when there is nothing to purge here: records kept in memory, or ``web`` (``--web``: the web app
    purges the same store itself, see ``voicebot.web.server.serve``). ``clock`` (UTC) is for tests.
    """
    from voicebot.records.retention import keep_purging
    from voicebot.records.store import RecordStore

    if web or not isinstance(recorder, RecordStore):
        return None
    days = settings.records.retention_days
    tz = ZoneInfo(settings.timezone)
    purging = (
        keep_purging(recorder, days, stop, tz=tz)
        if clock is None
        else keep_purging(recorder, days, stop, clock=clock, tz=tz)
    )
    _LOGGER.info("records older than %d days are deleted at start and every few hours", days)
    return asyncio.get_running_loop().create_task(purging, name="purge")


def prerender(bot: Bot, stop: Callable[[], bool] | None = None) -> None:
    """Render every fixed prompt and answer into the speech cache until ``stop()`` (a failure is logged, the line
    still starts)."""
    try:
        bot.prerender(stop=stop)
    except Exception as error:  # a broken text must not stop the line; it is logged
        _LOGGER.warning("the speech cache could not be filled completely: %s", error)
