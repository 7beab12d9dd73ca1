"""The matcher over the shipped FAQ base: realistic caller sentences, departments, humans, out-of-scope, signals.

The sentences are not copied from the phrasings: colloquial, with recogniser-like errors (missing umlauts,
split or joined words, wrong endings). Each row names what ``first_decision`` must do with it.
"""

from __future__ import annotations

import re

import pytest
from voicebot_bench.baseline import baseline_understand

from tests.matcher_cases import (
    DEPARTMENT_CASES,
    FRESH_CASES,
    HUMAN_CASES,
    KNOWN_MISSES,
    OUT_OF_SCOPE,
    SIGNAL_CASES,
    TOPIC_CASES,
    VAGUE,
)
from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.dialogue.decide import Decision, first_decision
from voicebot.language.compounds import split_compound
from voicebot.understand.matcher import Matcher
from voicebot.understand.understanding import Signal


@pytest.fixture(scope="module")
def content(settings: Settings) -> Content:
    """The shipped FAQ base."""
    from voicebot.content.load import load_content

    return load_content(settings)


@pytest.fixture(scope="module")
def matcher(content: Content) -> Matcher:
    return Matcher(content)


def decide(matcher: Matcher, content: Content, settings: Settings, text: str) -> Decision:
    return first_decision(matcher.understand(text), content, settings.dialogue)


def route(decision: Decision) -> tuple[str, str | None, str | None]:
    return decision.action, decision.topic, decision.department


@pytest.mark.parametrize(
    ("text", "action", "topic", "department"),
    [row for row in TOPIC_CASES if row[0] not in KNOWN_MISSES],
)
def test_topic_sentences(
    matcher: Matcher, content: Content, settings: Settings, text: str, action: str, topic: str, department: str | None
) -> None:
    assert route(decide(matcher, content, settings, text)) == (action, topic, department)


def test_table_covers_every_topic(content: Content) -> None:
    tested = {row[2] for row in TOPIC_CASES} | {"mitarbeiter"}
    assert tested == {topic.id for topic in content.topics}
    phrasings = {phrasing.lower() for topic in content.topics for phrasing in topic.phrasings}
    assert not [row[0] for row in TOPIC_CASES if row[0].lower() in phrasings]


@pytest.mark.parametrize(("text", "department"), DEPARTMENT_CASES)
def test_department_requests(
    matcher: Matcher, content: Content, settings: Settings, text: str, department: str
) -> None:
    understanding = matcher.understand(text)
    assert understanding.department == department
    decision = first_decision(understanding, content, settings.dialogue)
    assert (decision.action, decision.department) == ("transfer", department)


def test_every_department_is_requested(content: Content) -> None:
    assert {row[1] for row in DEPARTMENT_CASES} == {department.id for department in content.departments}


@pytest.mark.parametrize("text", HUMAN_CASES)
def test_human_requests(matcher: Matcher, content: Content, settings: Settings, text: str) -> None:
    assert route(decide(matcher, content, settings, text)) == ("transfer", "mitarbeiter", "zentrale")


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_out_of_scope_is_not_answered(matcher: Matcher, content: Content, settings: Settings, text: str) -> None:
    decision = decide(matcher, content, settings, text)
    assert decision.action == "reprompt", decision


@pytest.mark.parametrize("text", VAGUE)
def test_vague_is_not_answered(matcher: Matcher, content: Content, settings: Settings, text: str) -> None:
    assert decide(matcher, content, settings, text).action in ("reprompt", "confirm", "choose")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("wohn gelt", "wohngeld"),
        ("sperr mül", "sperrmuell"),
        ("fürerschein verloren", "fuehrerschein-verloren"),
        ("kfz zulasung", "kfz-anmeldung"),
        ("einbürgerun", "einbuergerung"),
        ("elterngelt beantragen", "elterngeld"),
    ],
)
def test_misheard_words_still_answer(
    matcher: Matcher, content: Content, settings: Settings, text: str, topic: str
) -> None:
    assert route(decide(matcher, content, settings, text)) == ("answer", topic, None)


def test_topic_with_department_word_stays_topic(matcher: Matcher, content: Content, settings: Settings) -> None:
    """Naming the office while asking a question answers the question."""
    decision = decide(matcher, content, settings, "wann kommt die Müllabfuhr in unsere Straße")
    assert route(decision) == ("answer", "abfuhrkalender", None)


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("Ich brauche einen Mitarbeiter vom Bauamt", "bauamt"),
        ("kann ich einen Sachbearbeiter der Ausländerbehörde sprechen", "auslaenderamt"),
    ],
)
def test_person_of_a_department_is_that_department(
    matcher: Matcher, content: Content, settings: Settings, text: str, department: str
) -> None:
    assert route(decide(matcher, content, settings, text)) == ("transfer", None, department)


def test_department_beats_generic_connect_phrasing(matcher: Matcher, content: Content, settings: Settings) -> None:
    decision = decide(matcher, content, settings, "können Sie mich bitte mit der Führerscheinstelle verbinden")
    assert route(decision) == ("transfer", None, "fuehrerschein")


def test_candidates_are_distinct_ranked_and_bounded(matcher: Matcher) -> None:
    understanding = matcher.understand("Führerschein")
    topics = [candidate.topic for candidate in understanding.candidates]
    assert len(topics) == len(set(topics)) <= 5
    scores = [candidate.score for candidate in understanding.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert {"fuehrerschein-antrag", "fuehrerschein-verloren"} <= set(topics)


def test_exact_phrasing_scores_one(matcher: Matcher, content: Content) -> None:
    for topic in content.topics:
        best = matcher.understand(topic.phrasings[0]).best
        assert best is not None and best.topic == topic.id and best.score == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "signals"), SIGNAL_CASES)
def test_signals(matcher: Matcher, text: str, signals: set[Signal]) -> None:
    assert set(matcher.understand(text).signals) == signals


def test_weak_human_word_with_topic_is_a_topic(matcher: Matcher, content: Content, settings: Settings) -> None:
    text = "ich möchte den Sachbearbeiter für meinen Bauantrag sprechen, wie weit der ist"
    assert route(decide(matcher, content, settings, text)) == ("transfer", "bauantrag-stand", "bauamt")


def asr_variant(text: str, vocabulary: frozenset[str]) -> str:
    """What a recogniser without umlauts might return: lowercase, ä→a, compounds split, "-en" cut to "-e"."""
    plain = text.lower().translate(str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s"}))
    words: list[str] = []
    for word in re.sub(r"[^a-z ]+", " ", plain).split():
        words += split_compound(word, vocabulary - {word}) if len(word) >= 9 else [word]
    return " ".join(word[:-1] if word.endswith("en") and len(word) > 6 else word for word in words)


def test_asr_variants_of_every_phrasing_keep_their_topic(matcher: Matcher, content: Content) -> None:
    total = kept = 0
    misses = []
    for topic in content.topics:
        for phrasing in topic.phrasings:
            variant = asr_variant(phrasing, matcher.vocabulary)
            if variant == phrasing.lower():
                continue
            total += 1
            best = matcher.understand(variant).best
            if best is not None and best.topic == topic.id:
                kept += 1
            else:
                misses.append((variant, topic.id, best))
    assert total > 200
    assert kept >= 0.97 * total, misses


def test_held_out_batch_is_ranked_right_and_never_answered_wrong(
    matcher: Matcher, content: Content, settings: Settings
) -> None:
    ranked_first = 0
    wrong = []
    for text, action, topic, department in FRESH_CASES:
        understanding = matcher.understand(text)
        ranked_first += understanding.best is not None and understanding.best.topic == topic
        decision = first_decision(understanding, content, settings.dialogue)
        if decision.action in ("answer", "transfer") and route(decision) != (action, topic, department):
            wrong.append((text, route(decision)))
    assert not wrong
    assert ranked_first >= 0.95 * len(FRESH_CASES)


def test_matcher_beats_baseline(matcher: Matcher, content: Content, settings: Settings) -> None:
    """Count correct topics on the table: the layered matcher must clearly beat plain rapidfuzz."""
    ours = sum(
        1
        for text, action, topic, department in TOPIC_CASES
        if route(decide(matcher, content, settings, text)) == (action, topic, department)
    )
    base = 0
    base_top = ours_top = 0
    for text, action, topic, department in TOPIC_CASES:
        understanding = baseline_understand(content, text)
        decision = first_decision(understanding, content, settings.dialogue)
        base += route(decision) == (action, topic, department)
        base_top += understanding.best is not None and understanding.best.topic == topic
        best = matcher.understand(text).best
        ours_top += best is not None and best.topic == topic
    assert ours >= 0.9 * len(TOPIC_CASES), ours
    assert ours >= base + 0.15 * len(TOPIC_CASES), (ours, base)
    assert ours_top >= base_top + 0.1 * len(TOPIC_CASES), (ours_top, base_top)


def tiny_content() -> Content:
    """A three-topic FAQ base, independent of the shipped files (the mechanics, not the content)."""
    from voicebot.content.model import Department, Topic

    def topic(topic_id: str, department: str, phrasings: tuple[str, ...], keywords: tuple[str, ...]) -> Topic:
        return Topic(topic_id, "answer", department, topic_id, phrasings, "Antwort.", keywords)

    return Content(
        (
            topic("wohngeld", "sozialamt", ("Wohngeld beantragen", "Zuschuss zur Miete"), ("Wohngeld",)),
            topic("fs-neu", "fs", ("Führerschein beantragen", "Führerschein machen"), ("Fahrschule",)),
            topic("fs-weg", "fs", ("Führerschein verloren", "Führerschein gestohlen"), ("Ersatzführerschein",)),
        ),
        (
            Department("sozialamt", "Sozialamt", ("Wohngeldstelle",)),
            Department("fs", "Führerscheinstelle", ()),
        ),
        {},
    )


@pytest.mark.parametrize(
    ("text", "topic", "method"),
    [
        ("Wohngeld beantragen", "wohngeld", "exact"),
        ("Ähm, Wohngeld beantragen, bitte!", "wohngeld", "exact"),
        ("ich möchte Wohngeld beantragen", "wohngeld", "fuzzy"),
        ("Fuhrerschein verloren", "fs-weg", "phonetic"),
        ("wohn gelt", "wohngeld", "phonetic"),
        ("Ersatz Führerschein", "fs-weg", "keyword"),
    ],
)
def test_layers_on_a_tiny_base(text: str, topic: str, method: str) -> None:
    best = Matcher(tiny_content()).understand(text).best
    assert best is not None
    assert (best.topic, best.method) == (topic, method)


def test_shared_word_is_ambiguous_and_unique_keyword_is_sure(settings: Settings) -> None:
    content = tiny_content()
    matcher = Matcher(content)
    understanding = matcher.understand("Führerschein")
    assert {c.topic for c in understanding.candidates[:2]} == {"fs-neu", "fs-weg"}
    assert first_decision(understanding, content, settings.dialogue).action in ("choose", "confirm")
    assert first_decision(matcher.understand("Wohngeld"), content, settings.dialogue).action == "answer"


def test_department_synonym_on_a_tiny_base() -> None:
    understanding = Matcher(tiny_content()).understand("verbinden Sie mich mit der Wohngeld Stelle")
    assert understanding.department == "sozialamt"
    assert Signal.CONNECT in understanding.signals
