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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before tests that start whole bots (marked ``sip`` or ``model``): fill the checkout's speech cache once,
    the way ``voicebot run --workers`` does before forking (every language by its voice). On a fresh checkout
    this takes a minute or more; each bot those tests start would otherwise render it all again before it
    answers, against the harness's start-up timeout."""
    if session.config.option.collectonly:
        return
    if not any(item.get_closest_marker(name) for item in session.items for name in ("sip", "model")):
        return
    from voicebot.call.workers import fill_speech_cache

    fill_speech_cache(load_settings(ROOT / "voicebot.toml"))
