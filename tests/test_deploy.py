"""``voicebot deploy``: the server layout from the shipped files, the units checked by ``systemd-analyze verify``."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from voicebot.cli.deploy import UNITS, deploy, shipped
from voicebot.config.load import load_settings
from voicebot.sdnotify import keep_watchdog, notify, watchdog_seconds

SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")


def _layout(tmp_path: Path) -> tuple[Path, Path, Path, list[str]]:
    etc, data, units = tmp_path / "etc" / "voicebot", tmp_path / "var" / "lib" / "voicebot", tmp_path / "units"
    report = deploy(etc, data, units, "voicebot", Path(sys.executable).parent / "voicebot")
    return etc, data, units, report


def test_deploy_lays_out_config_content_and_data_and_keeps_them_on_an_upgrade(tmp_path: Path) -> None:
    etc, data, units, report = _layout(tmp_path)
    settings = load_settings(etc / "voicebot.toml")
    assert settings.data_dir() == data
    assert settings.resolve_data(settings.records.database) == data / "records.sqlite3"
    assert settings.resolve_data(settings.asr.vosk_model) == data / "models" / "vosk-model-small-de-0.15"
    assert settings.resolve(settings.content.faq) == etc / "grammars" / "faq.yaml"
    assert (etc / "prompts" / "de.yaml").is_file() and (data / "models").is_dir()
    assert all(line.startswith("new ") for line in report if "units" in line)
    # an admin edits the FAQ base; deploying the next version keeps the edit and puts the shipped file beside it
    faq = etc / "grammars" / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    again = deploy(etc, data, units, "voicebot", Path(sys.executable).parent / "voicebot")
    assert faq.read_text(encoding="utf-8").endswith("# edited\n")
    assert (etc / "grammars" / "faq.yaml.dist").is_file()
    assert any(line.startswith("kept ") and "faq.yaml" in line for line in again)


def test_a_config_under_etc_keeps_its_data_under_var_lib(tmp_path: Path) -> None:
    from voicebot.config.settings import Settings

    settings = load_settings(shipped() / "voicebot.toml")
    moved = Settings(
        path=Path("/etc/voicebot/voicebot.toml"),
        district=settings.district,
        closed=settings.closed,
        departments=settings.departments,
    )
    assert moved.resolve_data("records.sqlite3") == Path("/var/lib/voicebot/records.sqlite3")
    assert moved.resolve("grammars/faq.yaml") == Path("/etc/voicebot/grammars/faq.yaml")


@pytest.mark.skipif(not SYSTEMD_ANALYZE.exists(), reason="systemd-analyze is not installed")
def test_the_unit_files_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    _etc, _data, units, _report = _layout(tmp_path)
    files = [str(units / unit) for unit in UNITS]
    result = subprocess.run([str(SYSTEMD_ANALYZE), "verify", *files], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    text = (units / "voicebot.service").read_text(encoding="utf-8")
    for line in ("Type=notify", "WatchdogSec=", "User=voicebot", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert line in text
    # the check can fail: a unit whose command does not exist is refused
    broken = tmp_path / "broken.service"
    shutil.copy(shipped() / "voicebot.service", broken)
    refused = subprocess.run([str(SYSTEMD_ANALYZE), "verify", str(broken)], capture_output=True, text=True)
    assert refused.returncode != 0 and "/opt/voicebot/venv/bin/voicebot" in refused.stderr


def test_sd_notify_sends_datagrams_to_the_notify_socket_and_pings_the_watchdog(tmp_path: Path) -> None:
    address = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        server.settimeout(2)
        assert notify("READY=1", {"NOTIFY_SOCKET": address})
        assert server.recv(256) == b"READY=1"
        assert not notify("READY=1", {})  # outside systemd: nothing
        env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "300000", "WATCHDOG_PID": str(os.getpid())}
        timeout = watchdog_seconds(env)
        assert timeout == 0.3
        assert watchdog_seconds({"WATCHDOG_USEC": "300000", "WATCHDOG_PID": "1"}, pids=(2, 3)) is None

        async def pings(healthy: bool) -> int:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(0.5, stop.set)
            return await keep_watchdog(stop, 0.3, lambda: healthy, lambda m: notify(m, env))

        sent = asyncio.run(pings(True))
        assert sent >= 3 and server.recv(256) == b"WATCHDOG=1"
        assert asyncio.run(pings(False)) == 0  # an unhealthy bot lets systemd restart it
        # nobody reads: the queue fills and further messages are dropped at once instead of blocking the loop
        results = [notify("WATCHDOG=1", env) for _ in range(2000)]
        assert results[-1] is False
