"""The call session's content: reload while running (a broken edit kept out), every text to pre-render."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.sample_content import sample_content
from tests.session_helpers import RATE, READINGS, ScriptedMatcher, call, make_bot
from voicebot.call.bot import Bot
from voicebot.config.settings import ContentPaths, Settings
from voicebot.content.model import Content
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.errors import ContentError, Problem
from voicebot.speak.cache import SpeechCache


async def test_content_reload_takes_effect_and_broken_edit_is_kept_out(settings: Settings, tmp_path: Path) -> None:
    faq = tmp_path / "faq.yaml"
    faq.write_text("Willkommen, Version eins.", encoding="utf-8")
    paths = ContentPaths(faq=str(faq), departments=str(faq), prompts=str(faq))
    local = dataclasses.replace(settings, content=paths)

    def loader(current: Settings) -> Content:
        text = Path(current.content.faq).read_text(encoding="utf-8")
        if "KAPUTT" in text:
            raise ContentError([Problem(str(faq), 1, "prompts.greeting", "kaputt")])
        base = sample_content()
        return dataclasses.replace(base, prompts={**base.prompts, "greeting": text})

    bot = Bot(
        local,
        loader(local),
        FakeTranscriber(),
        SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE),
        EnergySpeechDetector,
        matcher_factory=lambda _content: ScriptedMatcher(READINGS),
        content_loader=loader,
    )
    assert not bot.maybe_reload()
    faq.write_text("Willkommen, Version zwei.", encoding="utf-8")
    assert bot.maybe_reload()
    assert bot.prompt_text("greeting") == "Willkommen, Version zwei."
    faq.write_text("KAPUTT", encoding="utf-8")
    assert not bot.maybe_reload()
    assert bot.prompt_text("greeting") == "Willkommen, Version zwei."
    assert bot.reload_problems and "kaputt" in bot.reload_problems[0]
    result = await call(bot)
    assert result.turns[0].reply == "Willkommen, Version zwei."


def test_speech_texts_cover_prompts_variants_menu_and_answers(settings: Settings, tmp_path: Path) -> None:
    bot = make_bot(settings, tmp_path)
    texts = bot.speech_texts()
    assert bot.prompt_text("greeting") in texts
    assert "Ich verbinde Sie mit das Bauamt." in texts  # transfer{department} for every department
    assert any("Taste drücken" in text and "Die 1 für die Kfz-Zulassungsstelle." in text for text in texts)
    assert "Abmelden geht auch online." in texts
    assert not any("{" in text for text in texts)
