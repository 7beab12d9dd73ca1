"""English calls: the matcher on the English content (``tests/matcher_english.py``), the English
normalisation and signals, and the word-based language guess on every German and English fixture sentence.

Numbers when written: blind 62/70 right (0.886), 0 confidently wrong; after the fixes the misses showed (a
bare "someone" is no request for a person, "restaurant", "ticket" and "pension" name no foreign matter,
weekdays and parts of the day written one way as in German) 66/70 (0.943), 0 confidently wrong.
"""

from __future__ import annotations

import pytest
import yaml

from tests import matcher_cases, matcher_english, matcher_heldout
from tests.conftest import ROOT
from voicebot.config.settings import Settings
from voicebot.content.languages import load_languages
from voicebot.content.load import load_content
from voicebot.content.model import Content
from voicebot.dialogue.decide import first_decision
from voicebot.language.detect import guess_language
from voicebot.language.english import fold_en, normalize_en, stem_en
from voicebot.understand.matcher import Matcher
from voicebot.understand.understanding import Signal

ENGLISH_SHARE = 0.9
"""Share of the English rows that must get exactly the right first decision (issue 11: at least 90 %)."""


@pytest.fixture(scope="module")
def english(settings: Settings) -> Content:
    return load_languages(settings, load_content(settings))["en"]


@pytest.fixture(scope="module")
def matcher(english: Content) -> Matcher:
    return Matcher(english)


def test_english_questions_route_right_and_never_confidently_wrong(
    matcher: Matcher, english: Content, settings: Settings
) -> None:
    right, wrong = 0, []
    for kind, row in matcher_english.rows():
        understanding = matcher.understand(row[0])
        assert understanding.language == "en"
        decision = first_decision(understanding, english, settings.dialogue)
        route = (decision.action, decision.topic, decision.department)
        right += matcher_heldout.correct(kind, row, *route)
        if matcher_heldout.confidently_wrong(row, *route):
            wrong.append((row[0], route))
    assert len(matcher_english.rows()) >= 60
    assert not wrong
    assert right >= ENGLISH_SHARE * len(matcher_english.rows()), right


def test_every_topic_is_asked_in_english(english: Content) -> None:
    asked = {row[2] for row in matcher_english.TOPICS}
    assert asked == {topic.id for topic in english.topics}


@pytest.mark.parametrize("text", matcher_english.OUT_OF_SCOPE)
def test_english_out_of_scope_is_never_answered(
    matcher: Matcher, english: Content, settings: Settings, text: str
) -> None:
    decision = first_decision(matcher.understand(text), english, settings.dialogue)
    assert decision.action in ("reprompt", "confirm", "choose"), decision


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("yes", {Signal.YES}),
        ("yeah that's right", {Signal.YES}),
        ("no, something else", {Signal.NO}),
        ("sorry, could you say that again?", {Signal.REPEAT}),
        ("thanks, bye", {Signal.GOODBYE}),
        ("the second one", {Signal.SECOND}),
        ("I want to talk to a human", {Signal.HUMAN, Signal.CONNECT}),
    ],
)
def test_english_signals(matcher: Matcher, text: str, signals: set[Signal]) -> None:
    assert signals <= matcher.understand(text).signals


def test_someone_who_stole_is_no_request_for_a_person(matcher: Matcher) -> None:
    assert Signal.HUMAN not in matcher.understand("Someone stole my wallet").signals


def test_english_normalisation() -> None:
    assert fold_en("I can't find my driver's licence!") == "i can not find my driver licence"
    assert normalize_en("Uh, what time do you open on the twenty first?") == "when do you open on the 21"
    assert normalize_en("my driver's license") == "my driving licence"
    assert normalize_en("on Saturday morning") == normalize_en("on Friday afternoon") == "on weekday daytime"
    assert stem_en("registration") == stem_en("registered") == stem_en("register")


def test_german_matching_is_unchanged_by_the_language_field(settings: Settings) -> None:
    content = load_content(settings)
    assert content.language == "de"
    understanding = Matcher(content).understand("Ich möchte mein Auto anmelden")
    assert understanding.language == "de"
    assert understanding.best is not None and understanding.best.topic == "kfz-anmeldung"


def _german_sentences() -> list[str]:
    texts = [row[0] for row in (*matcher_cases.TOPIC_CASES, *matcher_cases.FRESH_CASES)]
    texts += [row[1][0] for row in matcher_heldout.rows()]
    manifest = yaml.safe_load((ROOT / "audio_fixtures/manifest.yaml").read_text(encoding="utf-8"))
    texts += [case["text"] for case in manifest["cases"] if case.get("text")]
    faq = yaml.safe_load((ROOT / "grammars/faq.yaml").read_text(encoding="utf-8"))
    return texts + [phrase for topic in faq["topics"] for phrase in topic["phrasings"]]


def _english_sentences() -> list[str]:
    faq = yaml.safe_load((ROOT / "grammars/faq.en.yaml").read_text(encoding="utf-8"))
    return [row[1][0] for row in matcher_english.rows()] + [p for t in faq["topics"] for p in t["phrasings"]]


def test_no_german_fixture_sentence_is_taken_for_english() -> None:
    sentences = _german_sentences()
    guesses = [guess_language(text) for text in sentences]
    assert not [text for text, guess in zip(sentences, guesses, strict=True) if guess.language == "en"]
    assert sum(guess.language == "de" for guess in guesses) >= 0.75 * len(sentences)


def test_no_english_sentence_is_taken_for_german() -> None:
    sentences = _english_sentences()
    guesses = [guess_language(text) for text in sentences]
    assert not [text for text, guess in zip(sentences, guesses, strict=True) if guess.language == "de"]
    assert sum(guess.language == "en" for guess in guesses) >= 0.75 * len(sentences)


def test_a_sentence_without_telling_words_is_undecided() -> None:
    assert guess_language("Kfz-Zulassung").language == ""
    assert guess_language("BAföG").language == "de"  # an umlaut is German
