"""Health and metrics of a real ``voicebot run --workers 2 --line-test --web`` answering real SIP calls (SIPp).

The web app runs in worker 1; the numbers and the status of worker 2 reach it through prometheus_client's
multiprocess files and the lines' status files. A worker that stops reporting (SIGSTOP) turns /health to 503
until it runs again.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from voicebot_bench.netports import free_tcp_port, free_udp_port
from voicebot_bench.sipcaller import CallPlan, Step, place_call

from tests.sip_helpers import SIPP, BotProcess, free_rtp_base, run_sipp, write_config
from voicebot.audio import read_wav, resample
from voicebot.call.status import STALE_AFTER_S
from voicebot.call.workers import RTP_PORTS_PER_WORKER

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.sip, pytest.mark.skipif(SIPP is None, reason="SIPp (sip-tester) is not installed")]


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""No proxy from the environment: the web app is on loopback."""


def get(url: str) -> tuple[int, str]:
    """(status, body); status 0 while nothing listens."""
    try:
        with OPENER.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError as error:
        return 0, str(error)


def sample(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" ([0-9.e+-]+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def wait_until(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(0.25)
    return False


def test_metrics_count_real_calls_of_both_workers_and_health_sees_a_stalled_worker(tmp_path: Path) -> None:
    port, web_port = free_udp_port(), free_tcp_port()
    config = write_config(tmp_path, sip={"port": port, "rtp_port": free_rtp_base(count=2 * RTP_PORTS_PER_WORKER)})
    base = f"http://127.0.0.1:{web_port}"
    env = {"RUNTIME_DIRECTORY": str(tmp_path / "run")}
    with BotProcess(config, "--workers", "2", "--line-test", "--web", "--web-port", str(web_port), env=env) as bot:
        assert bot.wait_log("worker-2 INFO voicebot.call.switch: listening on", timeout=60), bot.log
        assert wait_until(lambda: get(f"{base}/health")[0] == 200, 20), get(f"{base}/health")
        status, text = get(f"{base}/health")
        health = json.loads(text)
        assert health["status"] == "ok" and health["workers"] == {"expected": 2, "alive": 2}, health
        assert [line["sip_port"] for line in health["lines"]] == [port, port + 1]
        assert all(line["listening"] and line["registered"] is None for line in health["lines"])
        assert health["records"]["writes"] is True

        for target in (port, port + 1):  # one call to each worker
            result = run_sipp("uac", f"127.0.0.1:{target}", workdir=tmp_path)
            assert result.returncode == 0, result.stderr
        status, text = get(f"{base}/metrics")
        assert status == 200
        ended = 'outcome="hung_up"'
        assert wait_until(lambda: sample(get(f"{base}/metrics")[1], "voicebot_calls_total", ended) >= 2, 10), text
        text = get(f"{base}/metrics")[1]
        assert sample(text, "voicebot_live_calls") == 0.0
        assert "# TYPE voicebot_turn_gap_seconds histogram" in text
        assert sample(text, "voicebot_engine_fallback", 'kind="asr"') == 0.0  # line test: no engines

        pids = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"worker (\d): pid (\d+)", bot.log)}
        os.kill(pids[2], signal.SIGSTOP)
        try:
            assert wait_until(lambda: get(f"{base}/health")[0] == 503, STALE_AFTER_S + 10)
            health = json.loads(get(f"{base}/health")[1])
            assert health["status"] == "fail" and health["workers"]["alive"] == 1, health
            assert any("Leitung 2" in problem for problem in health["problems"]), health
        finally:
            os.kill(pids[2], signal.SIGCONT)
        assert wait_until(lambda: get(f"{base}/health")[0] == 200, 10)
        assert "+49" not in get(f"{base}/health")[1]


@pytest.mark.model
@pytest.mark.slow
async def test_a_spoken_turn_shows_in_the_metrics_and_a_fallback_engine_in_the_health(tmp_path: Path) -> None:
    """The real bot with vosk's and piper's model files missing: Whisper and espeak-ng run instead (fallbacks);
    a caller asks a question over SIP; the turn, its gap and the fallbacks show in /metrics and /health."""
    port, web_port = free_udp_port(), free_tcp_port()
    config = write_config(
        tmp_path,
        sip={"port": port, "rtp_port": free_rtp_base(count=RTP_PORTS_PER_WORKER)},
        asr={"vosk_model": str(tmp_path / "no-vosk-model")},
        tts={"piper_voice": str(tmp_path / "no-voice.onnx")},
    )
    base = f"http://127.0.0.1:{web_port}"
    pcm, rate = read_wav(ROOT / "audio_fixtures" / "16k" / "q-anfahrt-1.wav")
    # the first run in a checkout fills the espeak speech cache (var/cache/tts): minutes on a shared machine
    with BotProcess(config, "--web", "--web-port", str(web_port), "--grace", "1", ready_timeout_s=400) as bot:
        assert wait_until(lambda: get(f"{base}/health")[0] == 200, 30), get(f"{base}/health")
        health = json.loads(get(f"{base}/health")[1])
        [line] = health["lines"]
        assert health["status"] == "degraded", health
        assert (line["asr"], line["asr_fallback"], line["tts"], line["tts_fallback"]) == (
            "whisper", True, "espeak", True
        )  # fmt: skip
        plan = CallPlan(
            bot.uri,
            steps=(Step("question", pcm8k=resample(pcm, rate, 8000)),),
            quiet_ms=2500,
            reply_timeout_s=60,
            leave_on_reply=True,
        )
        report = await place_call(plan)
        assert report.answered, report
        assert wait_until(lambda: sample(get(f"{base}/metrics")[1], "voicebot_turns_total") >= 1, 30), bot.log_tail()
        text = get(f"{base}/metrics")[1]
        assert sample(text, "voicebot_turn_gap_seconds_count") >= 1, text
        assert 0 < sample(text, "voicebot_turn_gap_seconds_sum") < 30
        assert sample(text, "voicebot_engine", 'engine="whisper",kind="asr"') == 1.0
        assert sample(text, "voicebot_engine_fallback", 'kind="asr"') == 1.0
        assert wait_until(lambda: sample(get(f"{base}/metrics")[1], "voicebot_live_calls") == 0.0, 30)
        assert (
            sum(
                sample(get(f"{base}/metrics")[1], "voicebot_calls_total", f'outcome="{outcome}"')
                for outcome in ("answered", "hung_up", "transferred")
            )
            == 1
        )
