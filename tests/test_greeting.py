"""The greeting lets callers talk: office, how to reach a person and the question in at most 6 s of speech.

A data check on the shipped prompt (the content check's speaking-time estimate), not a timing assert; the
spoken length with the real TTS is printed by ``voicebot bench accuracy`` ("greeting: N.N s of speech").
"""

from __future__ import annotations

import dataclasses

from voicebot.config.settings import Settings
from voicebot.content.check import (
    MAX_GREETING_SECONDS,
    check_content,
    greeting_until_question,
    is_warning,
    speaking_seconds,
)
from voicebot.content.load import load_content
from voicebot.content.model import render_text


def test_the_shipped_greeting_is_at_most_six_seconds(settings: Settings) -> None:
    content = load_content(settings)
    whole = render_text(content.prompts["greeting"], content.facts)
    spoken = greeting_until_question(whole)
    assert speaking_seconds(spoken) <= MAX_GREETING_SECONDS == 6, spoken
    assert content.facts["name"] in spoken
    assert "Mitarbeiter" in spoken and "0" in spoken  # how to reach a person
    assert spoken.rstrip().endswith("?")  # the German part ends with the question that hands the turn over
    assert speaking_seconds(whole[len(spoken) :]) <= 2, whole  # then at most a short hint in English
    assert not [p for p in check_content(content, settings) if p.field == "prompts.greeting"]


def test_examples_of_questions_come_after_a_failed_turn(settings: Settings) -> None:
    content = load_content(settings)
    assert "zum Beispiel" in content.prompts["reprompt"]
    assert "zum Beispiel" not in content.prompts["greeting"] and "Taste 1" not in content.prompts["greeting"]


def test_a_long_greeting_is_a_warning_with_its_length(settings: Settings) -> None:
    content = load_content(settings)
    long = "Grüß Gott und willkommen beim {name}. Ich bin der digitale Telefonassistent. Stellen Sie Ihre Frage."
    problems = [
        p
        for p in check_content(dataclasses.replace(content, prompts={**content.prompts, "greeting": long}), settings)
        if p.field == "prompts.greeting"
    ]
    assert len(problems) == 1 and is_warning(problems[0])
    assert "about 8.9 s" in problems[0].message and "under 6 s" in problems[0].message
