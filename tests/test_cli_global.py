"""Global options anywhere on the command line, and ``voicebot --version``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicebot import __version__
from voicebot.cli import hoist_global_options


def test_config_and_verbose_are_found_after_the_subcommand() -> None:
    assert hoist_global_options(["run", "--web", "-c", "/etc/v.toml"]) == ["-c", "/etc/v.toml", "run", "--web"]
    assert hoist_global_options(["models", "list", "--config=/x.toml", "-v"]) == [
        "--config=/x.toml",
        "-v",
        "models",
        "list",
    ]
    assert hoist_global_options(["-c", "a.toml", "check"]) == ["-c", "a.toml", "check"]
    assert hoist_global_options(["simulate", "--", "-c"]) == ["simulate", "--", "-c"]  # after --: the command's


def test_check_reads_the_file_named_after_the_subcommand(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    result = subprocess.run(
        [sys.executable, "-m", "voicebot", "check", "-c", str(missing)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "nowhere.toml" in result.stdout + result.stderr


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "voicebot", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"voicebot {__version__}"


def test_without_any_configuration_the_error_says_how_to_get_one(tmp_path: Path) -> None:
    from voicebot.config.load import SYSTEM_CONFIG

    if SYSTEM_CONFIG.exists():
        pytest.skip(f"{SYSTEM_CONFIG} exists on this machine")
    env = {key: value for key, value in os.environ.items() if key != "VOICEBOT_CONFIG"}
    result = subprocess.run(
        [sys.executable, "-m", "voicebot", "check"], capture_output=True, text=True, check=False, cwd=tmp_path, env=env
    )
    assert result.returncode == 1 and "`voicebot deploy`" in result.stdout + result.stderr
