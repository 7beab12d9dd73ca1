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
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from voicebot.config.settings import Settings
from voicebot_bench.botproc import BotProcess, free_udp_port, terminate
from voicebot_bench.sipdialog import options_ping

DISPATCHER_CFG = Path(__file__).resolve().parents[2] / "sip" / "kamailio" / "dispatcher.cfg"
"""The checkout's dispatcher configuration (its list file path is replaced by a temporary one)."""
LIST_PLACEHOLDER = "/etc/kamailio/dispatcher.list"


def dispatcher_list(ports: list[int], host: str = "127.0.0.1") -> str:
    """``dispatcher.list`` text: every instance in set 1."""
    return "".join(f"1 sip:{host}:{port} 0 0\n" for port in ports)


class Kamailio:
    """Kamailio in the foreground with the dispatcher configuration, on a free UDP port (async context)."""

    def __init__(self, ports: list[int], host: str = "127.0.0.1", ready_timeout_s: float = 15.0) -> None:
        binary = shutil.which("kamailio")
        if binary is None:
            raise RuntimeError("kamailio is not installed (apt-get install kamailio; .ci/setup does it)")
        self.binary = binary
        self.host = host
        self.ports = ports
        self.port = free_udp_port(host)
        self.ready_timeout_s = ready_timeout_s
        self._work = tempfile.TemporaryDirectory(prefix="voicebot-kamailio-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def target(self) -> str:
        """Where callers dial."""
        return f"sip:voicebot@{self.host}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        """The end of Kamailio's log."""
        try:
            text = (Path(self._work.name) / "kamailio.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def __aenter__(self) -> Kamailio:
        work = Path(self._work.name)
        (work / "dispatcher.list").write_text(dispatcher_list(self.ports, self.host), encoding="utf-8")
        config = DISPATCHER_CFG.read_text(encoding="utf-8").replace(LIST_PLACEHOLDER, str(work / "dispatcher.list"))
        (work / "kamailio.cfg").write_text(config, encoding="utf-8")
        argv = [self.binary, "-f", str(work / "kamailio.cfg"), "-DD", "-E", "-l", f"udp:{self.host}:{self.port}"]
        argv += ["-Y", str(work), "-P", str(work / "kamailio.pid"), "-m", "32", "-M", "8"]
        self._process = self._spawn(argv, work)
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if await options_ping(f"sip:{self.host}:{self.port}", self.host, timeout_s=0.5):
                # Instances start out active (flags 0); one health-check round marks any dead one.
                await asyncio.sleep(1.5)
                return self
            await asyncio.sleep(0.2)
        await self.stop()
        raise RuntimeError(f"kamailio did not come up:\n{self.log_tail()}")

    @staticmethod
    def _spawn(argv: list[str], work: Path) -> subprocess.Popen[bytes]:
        with (work / "kamailio.log").open("wb") as log:
            return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=work)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """SIGTERM, SIGKILL after 10 s; removes the temporary folder."""
        await terminate(self._process)
        self._work.cleanup()


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
    ) -> None:
        if instances < 1:
            raise ValueError("instances must be at least 1")
        if separate or instances == 1:
            self.bots = [
                BotProcess(settings, engine, changes=changes, extra_args=("--instance", f"bot-{index + 1}"))
                for index in range(instances)
            ]
        else:
            self.bots = [
                BotProcess(settings, engine, changes=changes, extra_args=("--instance", "bot"), workers=instances)
            ]
        self.ports = [port for bot in self.bots for port in bot.ports]
        """SIP ports of every instance (worker or process), in order."""
        self.kamailio: Kamailio | None = None
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
                self.kamailio = await Kamailio(self.ports).__aenter__()
        except BaseException:
            for bot in started:
                await bot.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.kamailio is not None:
            await self.kamailio.stop()
        for bot in self.bots:
            await bot.stop()
