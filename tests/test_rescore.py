"""Acoustic rescoring without a model: candidate texts (``voicebot.understand.hypotheses``), the fusion and its
calibration (``voicebot.understand.fusion``), the rescorer's fall-backs and vosk's n-best choice
(``voicebot.understand.rescore``), and the call session handing a turn's audio to the scorer.

The scorer is ``FakeAcousticScorer``: a text scores by its letter similarity to what the audio "says"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.sample_content import OPEN_NOW, sample_content
from voicebot.call.bot import Bot
from voicebot.call.simulate import Turn, simulate_call
from voicebot.config.settings import Settings
from voicebot.content.load import load_content
from voicebot.content.model import Content
from voicebot.dialogue.decide import first_decision
from voicebot.engines.fakes import (
    EnergySpeechDetector,
    FakeAcousticScorer,
    FakeSynthesizer,
    FakeTranscriber,
    noise_burst,
)
from voicebot.speak.cache import SpeechCache
from voicebot.understand.fusion import Calibration, Scored, changed_share, fuse, key_of, posteriors
from voicebot.understand.hypotheses import SIGNAL_TEXTS, Hypotheses, Hypothesis
from voicebot.understand.matcher import Matcher
from voicebot.understand.rescore import Rescorer, best_alternative
from voicebot.understand.understanding import Candidate, Signal, Understanding

WUNSCH = "Kann ich bei Ihnen ein Wunschkennzeichen reservieren?"
GARBLED = "Kann ich meine Einwunsch konzahlen in den Wien?"


@pytest.fixture(scope="module")
def content(settings: Settings) -> Content:
    return load_content(settings)


@pytest.fixture(scope="module")
def matcher(content: Content) -> Matcher:
    return Matcher(content)


def decide(understanding: Understanding, content: Content, settings: Settings) -> tuple[str, str | None, str | None]:
    decision = first_decision(understanding, content, settings.dialogue)
    return decision.action, decision.topic, decision.department


# --- candidate texts -------------------------------------------------------------------------------------


def test_candidates_start_with_the_transcript_hold_the_signals_and_stay_bounded(
    content: Content, matcher: Matcher
) -> None:
    hypotheses = Hypotheses(content, limit=12).build(GARBLED, matcher.understand(GARBLED))
    assert hypotheses[0] == Hypothesis(GARBLED, "transcript")
    assert {h.text for h in hypotheses if h.kind == "signal"} == set(SIGNAL_TEXTS)
    assert len(hypotheses) <= 13 and len({h.text for h in hypotheses}) == len(hypotheses)


def test_a_misheard_domain_word_is_repaired_by_its_sound(content: Content, matcher: Matcher) -> None:
    heard = "Verwinden Sie mich bitte mit der Zurasusstelle."
    texts = [h.text for h in Hypotheses(content).build(heard, matcher.understand(heard)) if h.kind == "repair"]
    assert any("Zulassungsstelle" in text and text.startswith("Verwinden Sie mich bitte") for text in texts)


def test_the_sound_of_the_transcript_brings_the_right_topic_s_phrasings(content: Content, matcher: Matcher) -> None:
    hypotheses = Hypotheses(content, limit=24).build(GARBLED, matcher.understand(GARBLED))
    assert "wunschkennzeichen" in {h.topic for h in hypotheses if h.kind == "phrasing"}


# --- fusion and calibration (pure) ----------------------------------------------------------------------


def scored(text: str, kind: str, acoustic: float, reading: Understanding) -> Scored:
    return Scored(Hypothesis(text, kind), acoustic, reading)


def reading(topic: str | None = None, score: float = 1.0, **other: object) -> Understanding:
    candidates = (Candidate(topic, score, "exact"),) if topic else ()
    return Understanding("x", "x", candidates, **other)  # type: ignore[arg-type]


def test_a_candidate_near_the_free_transcript_and_clear_of_the_others_is_likely() -> None:
    items = [
        scored("heard", "transcript", -1.0, reading()),
        scored("a", "phrasing", -1.3, reading("wohngeld")),
        scored("b", "phrasing", -3.0, reading("elterngeld")),
    ]
    probs = posteriors(items, -1.0, Calibration(temperature=0.35, none_offset=0.9))
    assert probs[("topic", "wohngeld")] > 0.8 > 0.01 > probs[("topic", "elterngeld")]


def test_when_nothing_fits_nearly_as_well_as_the_free_transcript_the_mass_goes_to_none() -> None:
    items = [scored("heard", "transcript", -0.5, reading()), scored("a", "phrasing", -3.5, reading("wohngeld"))]
    assert posteriors(items, -0.5, Calibration(temperature=0.35, none_offset=0.9))[("topic", "wohngeld")] < 0.01
    assert posteriors(items, -0.5, Calibration())[("topic", "wohngeld")] < Calibration().name


def test_two_equally_good_topics_share_the_posterior_so_neither_is_answered() -> None:
    items = [
        scored("heard", "transcript", -1.0, reading()),
        scored("a", "phrasing", -1.0, reading("kfz-anmeldung")),
        scored("b", "phrasing", -1.0, reading("kfz-abmeldung")),
    ]
    fused = fuse(reading("kfz-anmeldung", 0.3), items, Calibration())
    assert fused.best is not None and fused.best.score < 0.8


def test_fusion_is_a_noisy_or_of_text_and_acoustic_evidence() -> None:
    items = [scored("heard", "transcript", -1.0, reading()), scored("a", "phrasing", -1.0, reading("wohngeld"))]
    calibration = Calibration(temperature=0.35, none_offset=0.9)
    p = posteriors(items, -1.0, calibration)[("topic", "wohngeld")]
    fused = fuse(reading("wohngeld", 0.5), items, calibration)
    assert fused.best == Candidate("wohngeld", round(1 - 0.5 * (1 - p), 4), "acoustic")


def test_without_candidates_or_with_only_the_transcript_the_text_reading_stands() -> None:
    text = reading("wohngeld", 0.7)
    assert fuse(text, [], Calibration()) is text
    assert fuse(text, [scored("heard", "transcript", -1.0, text)], Calibration()) is text


def test_a_repair_is_judged_by_the_words_it_changed() -> None:
    heard = "Können wir mit einem Taxi zum Bahnhof rufen?"
    repair = "Können wir mit einem Taxi zum Bahnhof aufhaben?"  # one word of eight changed
    assert changed_share(repair, heard) == 8.0
    assert changed_share(heard, heard) == 8.0  # nothing changed: the whole text counts as one change
    items = [scored(heard, "transcript", -2.5, reading()), scored(repair, "repair", -2.8, reading("oeffnungszeiten"))]
    spread = posteriors(items, -2.5, Calibration(repair_bias=0.0))[("topic", "oeffnungszeiten")]
    mean = posteriors(items, -2.5, Calibration(repair_bias=0.0, repair_spread=False))[("topic", "oeffnungszeiten")]
    assert mean > 0.9  # as a mean over every token one wrong word costs almost nothing
    assert spread < 0.4  # spread over the one word it changed, it fits worse than the transcript: no answer


def test_a_likely_department_or_signal_is_taken_over_into_the_reading() -> None:
    named = Understanding("x", "x", (), "zulassung", frozenset({Signal.CONNECT}))
    items = [scored("heard", "transcript", -1.0, reading()), scored("repair", "repair", -0.9, named)]
    fused = fuse(reading(), items, Calibration())
    assert fused.department == "zulassung" and Signal.CONNECT in fused.signals
    human = Understanding("x", "x", (), None, frozenset({Signal.HUMAN}))
    items = [scored("heard", "transcript", -1.0, reading()), scored(SIGNAL_TEXTS[2], "signal", -0.9, human)]
    assert Signal.HUMAN in fuse(reading(), items, Calibration()).signals
    assert key_of(items[1], 0.55) == ("signal", "human", 1.0)


# --- the rescorer: right phrasing, fall-backs, n-best --------------------------------------------------


def test_the_rescorer_finds_the_phrasing_the_audio_holds(
    content: Content, matcher: Matcher, settings: Settings
) -> None:
    rescorer = Rescorer(content, matcher.understand)
    assert decide(matcher.understand(GARBLED), content, settings)[0] == "reprompt"
    evidence = FakeAcousticScorer(lambda _pcm: WUNSCH, spread=8.0).listen(b"")
    result = rescorer.understand(GARBLED, evidence)
    assert decide(result.understanding, content, settings) == ("answer", "wunschkennzeichen", None)
    assert result.text_only == matcher.understand(GARBLED) and len(result.scored) <= 25


def test_an_out_of_scope_question_stays_unanswered(content: Content, matcher: Matcher, settings: Settings) -> None:
    said = "Ich möchte eine große Pizza mit Salami bestellen."
    result = Rescorer(content, matcher.understand).understand(
        said, FakeAcousticScorer(lambda _pcm: said, spread=8.0).listen(b"")
    )
    assert decide(result.understanding, content, settings)[0] not in ("answer", "transfer")


def test_a_failing_or_absent_scorer_leaves_the_text_reading(content: Content, matcher: Matcher) -> None:
    rescorer = Rescorer(content, matcher.understand)
    scorer = FakeAcousticScorer(lambda _pcm: WUNSCH)
    scorer.fail = True
    failed = rescorer.understand(GARBLED, scorer.listen(b""))
    assert failed.understanding == matcher.understand(GARBLED) and "told to fail" in failed.error
    assert rescorer.understand(GARBLED).understanding == matcher.understand(GARBLED)


def test_the_matcher_picks_the_alternative_it_understands_best(matcher: Matcher) -> None:
    texts = ["ich möchte wohnen geld", "ich möchte Wohngeld beantragen", "ich möchte wohnen gelb"]
    assert best_alternative(matcher.understand, texts).text == texts[1]
    assert best_alternative(matcher.understand, ["bla", "blub"]).text == "bla"  # ties: the engine's order


def test_the_rescorer_reads_vosk_alternatives_without_audio(content: Content, matcher: Matcher) -> None:
    result = Rescorer(content, matcher.understand).understand("wohnen geld", None, ("wohnen geld", "Wohngeld"))
    assert result.understanding.best is not None and result.understanding.best.topic == "wohngeld"


# --- the call path: the session hands the turn's audio to the scorer ----------------------------------


async def test_a_call_turn_is_rescored_with_its_audio(settings: Settings, tmp_path: Path) -> None:
    rate = 16000
    settings = dataclasses.replace(
        settings,
        vad=dataclasses.replace(settings.vad, speculate_ms=0),
        asr=dataclasses.replace(settings.asr, rescore_candidates=24),
    )
    scorer = FakeAcousticScorer(lambda _pcm: "auto anmelden", rate)
    content = sample_content()
    bot = Bot(
        settings,
        content,
        FakeTranscriber(["ausser melden"], rate, streaming=False),
        SpeechCache(FakeSynthesizer(rate), tmp_path / "tts", rate),
        EnergySpeechDetector,
        content_loader=lambda _settings: content,
        scorer=scorer,
    )
    result = await simulate_call(
        bot, [Turn("audio", pcm=noise_burst(rate, 1500), label="auto anmelden")], start=OPEN_NOW
    )
    turn = result.turns[1]
    assert (turn.transcript, turn.topic) == ("ausser melden", "kfz-anmeldung")
    assert scorer.listened == 1 and scorer.scored > 0


def test_a_department_only_fairly_likely_is_named_for_confirmation_without_the_request_to_connect() -> None:
    named = Understanding("x", "x", (), "zulassung", frozenset({Signal.CONNECT}))
    items = [
        scored("heard", "transcript", -1.0, reading()),
        scored("repair", "repair", -1.0, named),
        scored("a", "phrasing", -1.6, reading("wohngeld")),
    ]
    calibration = Calibration(temperature=0.35, none_offset=0.9)
    p = posteriors(items, -1.0, calibration)[("department", "zulassung")]
    assert calibration.name <= p < calibration.adopt
    fused = fuse(reading(), items, calibration)
    assert fused.department == "zulassung" and Signal.CONNECT not in fused.signals
