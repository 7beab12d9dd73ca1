"""Kamailio from Debian on 127.0.0.1 with a given configuration: the one Kamailio helper of the benchmark and
the tests (as the district's proxy/registrar, or as the dispatcher in front of several bot instances).

Runs in the foreground (``-DD -E``) on a free UDP port, logs kept; ready when it answers OPTIONS. A sync
(tests) and an async (benchmark) context manager. :func:`dispatcher_config` makes the configuration of the
shipped ``sip/kamailio/dispatcher.cfg`` for a list of bot ports.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

from voicebot_bench.netports import free_udp_port
from voicebot_bench.sipdialog import options_ping

KAMAILIO_DIR = Path(__file__).resolve().parents[2] / "sip" / "kamailio"
"""The checkout's example Kamailio configurations."""
DISPATCHER_CFG = KAMAILIO_DIR / "dispatcher.cfg"
LIST_PLACEHOLDER = "/etc/kamailio/dispatcher.list"
PBX_PLACEHOLDER = "192.0.2.0/24"
"""The shipped configuration lets no one in until the admin names the PBX's network."""


def dispatcher_list(ports: list[int], host: str = "127.0.0.1") -> str:
    """``dispatcher.list`` text: every instance in set 1."""
    return "".join(f"1 sip:{host}:{port} 0 0\n" for port in ports)


def dispatcher_config(
    folder: Path,
    ports: list[int],
    host: str = "127.0.0.1",
    *,
    pbx_network: str = "127.0.0.1/32",
    limits: dict[str, int] | None = None,
    cfg: Path = DISPATCHER_CFG,
) -> str:
    """The dispatcher configuration with its list file written into ``folder`` (instances at ``ports``), the
    callers' network ``pbx_network`` let in, and ``limits`` (``PIKE_DENSITY``, ``INVITE_RATE``) if given."""
    (folder / "dispatcher.list").write_text(dispatcher_list(ports, host), encoding="utf-8")
    text = cfg.read_text(encoding="utf-8").replace(LIST_PLACEHOLDER, str(folder / "dispatcher.list"))
    text = text.replace(f"!PBX_NETWORK!{PBX_PLACEHOLDER}!", f"!PBX_NETWORK!{pbx_network}!")
    for name, value in (limits or {}).items():
        text = re.sub(rf"!{name}!\d+!", f"!{name}!{value}!", text)
    return text


class Kamailio:
    """Kamailio with the configuration text ``config`` on ``host:port`` (a free port when 0)."""

    def __init__(
        self,
        config: str,
        folder: Path | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        ready_timeout_s: float = 15.0,
        settle_s: float = 0.0,
    ) -> None:
        binary = shutil.which("kamailio")
        if binary is None:
            raise RuntimeError("kamailio is not installed (apt-get install kamailio; .ci/setup does it)")
        self.binary = binary
        self._tmp = tempfile.TemporaryDirectory(prefix="voicebot-kamailio-") if folder is None else None
        self.folder = folder if folder is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.host = host
        self.port = port or free_udp_port(host)
        self.path = self.folder / "kamailio.cfg"
        self.path.write_text(config, encoding="utf-8")
        self.ready_timeout_s = ready_timeout_s
        self.settle_s = settle_s
        """Wait after the first OPTIONS answer (the dispatcher's first health-check round)."""
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    @property
    def target(self) -> str:
        """Where callers dial."""
        return f"sip:voicebot@{self.host}:{self.port}"

    @property
    def log(self) -> str:
        """Everything Kamailio logged so far."""
        return "\n".join(self.lines)

    def log_tail(self, lines: int = 30) -> str:
        """The end of Kamailio's log."""
        return "\n".join(self.lines[-lines:])

    def start(self) -> Kamailio:
        """Start and wait until it answers OPTIONS; raises with the log when it does not."""
        args = [self.binary, "-f", str(self.path), "-DD", "-E", "-l", f"udp:{self.host}:{self.port}"]
        args += ["-Y", str(self.folder), "-P", str(self.folder / "kamailio.pid"), "-m", "32", "-M", "8"]
        self.process = subprocess.Popen(
            args, cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if asyncio.run(options_ping(f"sip:{self.host}:{self.port}", self.host, timeout_s=0.5)):
                time.sleep(self.settle_s)
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kamailio did not come up:\n{self.log}")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> None:
        """SIGTERM, SIGKILL after 10 s; removes a temporary folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Kamailio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Kamailio:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


__all__ = ["DISPATCHER_CFG", "KAMAILIO_DIR", "Kamailio", "dispatcher_config", "dispatcher_list"]
