"""Shared fixtures: paths of the checkout and the loaded example configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The repository's example configuration."""
    return load_settings(ROOT / "voicebot.toml")
