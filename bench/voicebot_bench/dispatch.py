"""Several ``voicebot run`` instances behind Kamailio's dispatcher, as a district deploys them.

``BotPool`` starts N SIP instances, as a district would: by default one ``voicebot run --workers N`` (N
forked workers sharing one loaded model), with ``separate`` N :class:`~voicebot_bench.botproc.BotProcess`
processes each loading its own (each ``--instance bot-<i>``); for N > 1 Kamailio with
``sip/kamailio/dispatcher.cfg`` (round robin over the active instances, OPTIONS health checks) goes in front;
callers dial ``target``, which is Kamailio's address (or the single bot's for N = 1). ``memory_mb`` sums the
PSS of every process. ``instance_of`` tells from a call's Contact which instance answered.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from voicebot.config.settings import Settings
from voicebot_bench.botproc import BotProcess
from voicebot_bench.kamailio import Kamailio, dispatcher_config


class BotPool:
    """N bot instances, behind Kamailio's dispatcher when N > 1 (async context manager)."""

    def __init__(
        self,
        settings: Settings,
        engine: str,
        instances: int = 1,
        *,
        changes: Mapping[str, Mapping[str, Any]] | None = None,
        separate: bool = False,
        keep_log: Path | None = None,
    ) -> None:
        """``keep_log``: keep each process's log there (``-<i>`` added with ``separate``) and its records beside."""
        if instances < 1:
            raise ValueError("instances must be at least 1")
        if separate or instances == 1:
            self.bots = [
                BotProcess.for_bench(
                    settings,
                    engine,
                    changes=changes,
                    extra_args=("--instance", f"bot-{index + 1}"),
                    keep_log=_numbered(keep_log, index, instances),
                )
                for index in range(instances)
            ]
        else:
            self.bots = [
                BotProcess.for_bench(
                    settings,
                    engine,
                    changes=changes,
                    extra_args=("--instance", "bot"),
                    workers=instances,
                    keep_log=keep_log,
                )
            ]
        self.ports = [port for bot in self.bots for port in bot.ports]
        """SIP ports of every instance (worker or process), in order."""
        self.kamailio: Kamailio | None = None
        self._work = tempfile.TemporaryDirectory(prefix="voicebot-dispatcher-")
        self.started_at = 0.0
        """``time.monotonic()`` when the first instance was started."""
        self.startup_s = 0.0
        """Start -> every instance answers OPTIONS (seconds)."""

    @property
    def target(self) -> str:
        """Where callers dial: Kamailio, or the only instance."""
        return self.kamailio.target if self.kamailio is not None else self.bots[0].target

    def instance_of(self, contact: str) -> str:
        """``bot-<i>`` of the instance whose port is in a Contact URI ('' when none matches)."""
        for index, port in enumerate(self.ports):
            if f":{port}" in contact:
                return f"bot-{index + 1}"
        return ""

    def memory_mb(self) -> float:
        """Memory of every instance process and worker: PSS, summed (MB)."""
        return sum(bot.memory_mb() for bot in self.bots)

    async def settle(self, timeout_s: float = 90.0, idle_percent: float = 20.0) -> float:
        """Wait until the instances are idle (summed CPU below ``idle_percent`` of one core over 1 s), so
        a step does not start while the previous one's decoding backlog still runs; the seconds waited."""
        import psutil

        started = time.monotonic()
        processes = [process for bot in self.bots for process in bot.processes()]
        for process in processes:
            process.cpu_percent(None)
        while time.monotonic() - started < timeout_s:
            await asyncio.sleep(1.0)
            busy = 0.0
            for process in processes:
                try:
                    busy += process.cpu_percent(None)
                except psutil.Error:
                    continue
            if busy < idle_percent:
                break
        return time.monotonic() - started

    async def __aenter__(self) -> BotPool:
        self.started_at = time.monotonic()
        started: list[BotProcess] = []
        try:
            # One after the other: on 2 cores parallel model loads only slow each other down.
            for bot in self.bots:
                await bot.__aenter__()
                started.append(bot)
            self.startup_s = time.monotonic() - self.started_at
            if len(self.ports) > 1:
                work = Path(self._work.name)
                # Instances start out active (flags 0); one health-check round marks any dead one.
                self.kamailio = await Kamailio(dispatcher_config(work, self.ports), work, settle_s=1.5).__aenter__()
        except BaseException:
            for bot in started:
                await bot.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.kamailio is not None:
            await self.kamailio.__aexit__(None, None, None)
        self._work.cleanup()
        for bot in self.bots:
            await bot.stop()


def _numbered(path: Path | None, index: int, count: int) -> Path | None:
    """``path`` with ``-<index + 1>`` before its suffix when there are several processes."""
    if path is None or count == 1:
        return path
    return path.with_name(f"{path.stem}-{index + 1}{path.suffix}")
