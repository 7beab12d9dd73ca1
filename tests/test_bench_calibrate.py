"""The calibration fit of ``voicebot bench calibrate`` (pure part): it never prefers a calibration that answers an
out-of-scope question, and it keeps held-out cases out of the choice."""

from __future__ import annotations

from voicebot_bench.calibrate import CaseEvidence, candidates, fit, tally
from voicebot_bench.fixtures import Expected, Fixture

from voicebot.config.settings import Settings
from voicebot.content.load import load_content
from voicebot.understand.fusion import Calibration, Scored
from voicebot.understand.hypotheses import Hypothesis
from voicebot.understand.understanding import Candidate, Understanding


def _reading(topic: str | None = None) -> Understanding:
    return Understanding("x", "x", (Candidate(topic, 1.0, "exact"),) if topic else ())


def _case(case_id: str, expect: Expected, tags: tuple[str, ...], phrasing_score: float) -> CaseEvidence:
    scored = (
        Scored(Hypothesis("heard", "transcript"), -2.0, _reading()),
        Scored(
            Hypothesis("Wann haben Sie geöffnet?", "phrasing", "oeffnungszeiten"),
            phrasing_score,
            _reading("oeffnungszeiten"),
        ),
    )
    fixture = Fixture(case_id, "speech", "…", "v", expect, tags)
    return CaseEvidence(fixture, "8k", "heard", _reading(), scored)


def test_the_fit_refuses_a_calibration_that_answers_out_of_scope(settings: Settings) -> None:
    content = load_content(settings)
    question = _case("q", Expected("answer", "oeffnungszeiten"), ("question",), -1.9)
    taxi = _case("oos", Expected("reprompt"), ("out_of_scope",), -2.9)  # fits a little worse than the question
    loose, strict = Calibration(none_offset=3.0, temperature=1.0), Calibration(none_offset=0.5, temperature=0.3)
    assert tally([taxi], loose, content, settings).false_confident == 1
    assert tally([taxi], strict, content, settings).false_confident == 0
    best = fit([question, taxi], content, settings, [loose, strict])[0]
    assert best.calibration == strict and best.tuned.false_confident == 0 and best.tuned.right == 2


def test_held_out_cases_are_reported_but_never_chosen_by(settings: Settings) -> None:
    content = load_content(settings)
    held = _case("oos", Expected("reprompt"), ("out_of_scope", "heldout"), -2.9)
    question = _case("q", Expected("answer", "oeffnungszeiten"), ("question",), -1.9)
    loose = Calibration(none_offset=3.0, temperature=1.0)
    [fitted] = fit([question, held], content, settings, [loose])
    assert (fitted.tuned.cases, fitted.heldout.cases, fitted.heldout.false_confident) == (1, 1, 1)
    assert len(candidates()) == 4 * 5 * 3 * 3 * 2
