"""Helpers for the admin tests: a private copy of the repository's configuration and content files."""

from __future__ import annotations

import shutil
from pathlib import Path

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def copy_content(tmp_path: Path) -> Settings:
    """``voicebot.toml``, ``grammars/`` and ``prompts/`` copied into ``tmp_path``; settings loaded from there.

    Tests edit these copies, never the repository's files. The record database and the TTS cache point into
    ``tmp_path`` too (the paths in the file are relative).
    """
    shutil.copy(ROOT / "voicebot.toml", tmp_path / "voicebot.toml")
    shutil.copytree(ROOT / "grammars", tmp_path / "grammars")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return load_settings(tmp_path / "voicebot.toml")
