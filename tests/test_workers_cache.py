"""Before forking workers that load their own engines, the supervisor fills the speech cache once, in a child
``voicebot prerender`` (every language by its own voice), so the workers start from a full cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sip_helpers import write_config
from voicebot.call.bot import Bot
from voicebot.call.workers import fill_speech_cache
from voicebot.config.load import load_settings


@pytest.mark.slow
def test_the_supervisor_fills_the_cache_for_every_language_before_the_fork(tmp_path: Path) -> None:
    config = write_config(tmp_path, tts={"cache_dir": str(tmp_path / "tts")})
    settings = load_settings(config)
    assert fill_speech_cache(settings)
    bot = Bot.from_settings(settings)
    assert len(bot.languages) >= 2  # German and the further languages of the shipped content
    for language in bot.languages:
        speech = bot.speech_for(language)
        missing = [text for text in bot.speech_texts_for(language) if not speech.is_cached(text)]
        assert missing == [], (language, missing[:3])


def test_a_failing_prerender_is_reported_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write_config(tmp_path, tts={"cache_dir": str(tmp_path / "tts")})
    settings = load_settings(config)
    config.unlink()  # the child cannot read the configuration: it fails, the supervisor goes on
    assert not fill_speech_cache(settings)
    assert "could not be filled" in caplog.text and str(config) in caplog.text
