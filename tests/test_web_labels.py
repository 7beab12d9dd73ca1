"""Every internal code the dialogue and the call session write has German words for staff (``web/labels.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voicebot.dialogue.types import Event, Phase
from voicebot.records.calls import OUTCOMES
from voicebot.web.labels import (
    ACTION_LABELS,
    ENGINE_LABELS,
    EVENT_LABELS,
    OUTCOME_LABELS,
    PHASE_LABELS,
    TIMING_LABELS,
    action_label,
    decision_basis,
    reason_label,
    timing_rows,
)

ROOT = Path(__file__).resolve().parent.parent / "voicebot"
SOURCES = sorted([*ROOT.glob("dialogue/*.py"), *ROOT.glob("call/*.py")])


def _found(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    return {match for path in SOURCES for match in regex.findall(path.read_text(encoding="utf-8"))}


def _actions() -> set[str]:
    """Actions written as ``Note("x", …)``, ``Decision("x", …)`` or computed as ``action = "x" if … else "y"``."""
    computed = _found(r'\baction = "(\w+)"') | _found(r'\baction = "\w+" if .*? else "(\w+)"')
    return _found(r'Note\(\s*"(\w+)"') | _found(r'Decision\(\s*"(\w+)"') | computed | {"menu"}


def test_the_sources_are_scanned() -> None:
    assert len(SOURCES) > 10
    assert {"greeting", "transferred", "listen"} <= _actions()


def test_every_action_the_dialogue_can_note_has_a_label() -> None:
    actions = _actions()
    assert actions - set(ACTION_LABELS) == set()


def test_every_phase_outcome_and_event_has_a_label() -> None:
    assert {phase.value for phase in Phase} == set(PHASE_LABELS)
    assert set(OUTCOMES) == set(OUTCOME_LABELS)
    assert {cls.__name__ for cls in Event.__args__} <= set(EVENT_LABELS)  # type: ignore[attr-defined]


def test_every_timing_key_and_engine_has_a_label() -> None:
    keys = _found(r'timings\["(\w+)"\]') | _found(r'timings=\{"(\w+)"')
    assert "tts_ms" in keys
    assert keys - set(TIMING_LABELS) == set()
    assert {"vosk", "whisper", "typed"} <= set(ENGINE_LABELS)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Anrufer legte auf (callback_offer)", "Anrufer legte auf (beim Rückrufangebot)"),
        ("Anrufer legte auf (listening)", "Anrufer legte auf (bei der offenen Frage)"),
        ("Gespräch schon beendet (Heard)", "Gespräch schon beendet (Anrufer sprach)"),
        ("unsicher (0.45)", "unsicher (45 %)"),
        ("Weiterleitung gescheitert (486 Busy Here)", "Weiterleitung gescheitert (486 Busy Here)"),
        ("Sprache en: identified en (0.93)", "Sprache en: erkannt: en (93 %)"),
        ("Sprache de: keep", "Sprache de: beibehalten"),
    ],
)
def test_reasons_read_in_german(reason: str, expected: str) -> None:
    assert reason_label(reason) == expected


def test_transfers_name_the_department_and_timings_have_units() -> None:
    assert action_label("transferred", "Jugendamt") == "Weiterverbunden an Jugendamt"
    assert action_label("greeting") == "Begrüßung"
    rows = timing_rows({"tts_ms": 12.4, "speculative": 1.0, "speculations_dropped": 2.0})
    assert rows == [
        ("Sprachausgabe vorbereitet", "12 ms"),
        ("Vorab erkannt", "ja"),
        ("Verworfene Vorab-Erkennungen", "2"),
    ]


def test_a_department_request_is_based_on_the_department_not_the_faq() -> None:
    assert decision_basis("transfer", None, "jugendamt", "") == "department"
    assert decision_basis("answer", "oeffnungszeiten", None, "") == "topic"
    assert decision_basis("transfer", None, "jugendamt", "3") == "dtmf"
    assert decision_basis("greeting", None, None, "") == ""
    assert decision_basis("transfer_failed", None, "jugendamt", "") == ""  # an outcome, not a decision
