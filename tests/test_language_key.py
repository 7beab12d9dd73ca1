"""Key 9 switches a call to English (``key:`` in ``prompts/en.yaml``); ``voicebot check`` refuses a clash.

Simulated calls through the real session and dialogue; copies of the shipped content files for the check.
"""

from __future__ import annotations

from pathlib import Path

from tests.admin_helpers import copy_content
from tests.sample_content import OPEN_NOW
from voicebot.call.bot import Bot
from voicebot.call.language import CallLanguage
from voicebot.call.simulate import Turn, simulate_call
from voicebot.config.settings import Settings
from voicebot.content.check import greeting_until_question, is_warning
from voicebot.content.languages import load_languages, translation_problems
from voicebot.content.load import load_content
from voicebot.engines.fakes import EnergySpeechDetector, FakeSynthesizer, FakeTranscriber
from voicebot.speak.cache import SpeechCache

RATE = 8000


def _bot(settings: Settings, tmp_path: Path) -> Bot:
    speech = SpeechCache(FakeSynthesizer(RATE), tmp_path / "tts", RATE)
    return Bot(settings, load_content(settings), FakeTranscriber([], RATE), speech, EnergySpeechDetector)


def test_english_has_key_9_and_no_department_or_topic_has_it(settings: Settings) -> None:
    base = load_content(settings)
    contents = load_languages(settings, base)
    assert (base.key, contents["en"].key, contents["tr"].key) == ("", "9", "")
    assert not [d.id for d in base.departments if d.dtmf == "9"]
    assert not [t.id for t in base.topics if t.dtmf == "9"]
    greeting = base.prompts["greeting"]
    hint = greeting[len(greeting_until_question(greeting)) :]
    assert "press 9" in hint and "English" in hint  # the key is named after the German question


def test_check_reports_a_department_that_has_the_english_key(tmp_path: Path) -> None:
    settings = copy_content(tmp_path)
    departments = settings.resolve(settings.content.departments)
    text = departments.read_text(encoding="utf-8")
    departments.write_text(text.replace('    dtmf: "8"\n', '    dtmf: "9"\n'), encoding="utf-8")
    problems = [p for p in translation_problems(settings, load_content(settings)) if not is_warning(p)]
    assert [(Path(p.file).name, p.field) for p in problems] == [("en.yaml", "key")]
    assert "department bauamt" in problems[0].message and "dtmf" in problems[0].message


def test_check_reports_a_key_that_is_no_key(tmp_path: Path) -> None:
    settings = copy_content(tmp_path)
    prompts = settings.resolve(settings.content.prompts).with_name("en.yaml")
    prompts.write_text(prompts.read_text(encoding="utf-8").replace('key: "9"', 'key: "42"'), encoding="utf-8")
    problems = [p for p in translation_problems(settings, load_content(settings)) if not is_warning(p)]
    assert [p.field for p in problems] == ["key"]


async def test_key_9_switches_the_call_to_english(settings: Settings, tmp_path: Path) -> None:
    bot = _bot(settings, tmp_path)
    result = await simulate_call(
        bot, [Turn.keys("9"), Turn.say("opening hours"), Turn.say("no thanks")], start=OPEN_NOW
    )
    actions = [(turn.action, turn.dtmf, turn.language) for turn in result.turns]
    assert actions[:2] == [("greeting", "", "de"), ("language", "9", "en")], actions
    assert result.turns[1].reply == "Yes, of course. How can I help you?"
    assert (result.turns[2].action, result.turns[2].topic) == ("answer", "oeffnungszeiten")
    assert result.turns[2].reply.startswith("The Lindenberg District Office is open")
    assert result.extra["language"] == "en" and result.outcome.language == "en"


async def test_a_german_caller_without_the_key_stays_german(settings: Settings, tmp_path: Path) -> None:
    bot = _bot(settings, tmp_path)
    result = await simulate_call(bot, [Turn.keys("1")], start=OPEN_NOW)
    assert result.extra["language"] == "de"
    assert (result.turns[1].action, result.turns[1].department) == ("transfer", "zulassung")


def test_9_is_a_digit_of_a_callback_number(settings: Settings, tmp_path: Path) -> None:
    language = CallLanguage(_bot(settings, tmp_path))
    assert language.on_key("9", keying_number=True) is None
    assert language.current == "de"
    assert language.on_key("5") is None
    commands = language.on_key("9")
    assert commands is not None and language.current == "en" and language.settled
    assert language.on_key("") is None
