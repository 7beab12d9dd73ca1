"""What the call session records: every turn with a reason, the call outcome rules (``call_outcome``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.sample_content import OPEN_NOW
from tests.session_helpers import make_bot
from voicebot.call.simulate import Turn, simulate_call
from voicebot.call.turns import call_outcome
from voicebot.config.settings import Settings
from voicebot.dialogue.types import DialogueState, Phase
from voicebot.records.calls import MemoryRecorder


@pytest.mark.parametrize("texts", [["auto anmelden"], ["bauantrag"]])
async def test_every_turn_is_recorded_with_a_reason(settings: Settings, tmp_path: Path, texts: list[str]) -> None:
    bot = make_bot(settings, tmp_path)
    recorder = MemoryRecorder()
    await simulate_call(bot, [Turn.say(text) for text in texts], start=OPEN_NOW, recorder=recorder)
    turns = recorder.calls["sim-1"].turns
    assert [t.index for t in turns] == list(range(len(turns)))
    assert all(t.reason for t in turns)


@pytest.mark.parametrize(
    ("state", "ended", "expected"),
    [
        (
            DialogueState(phase=Phase.ENDED, transferred_to="bauamt", pending_department="bauamt", ended_reason="x"),
            "bot",
            ("transferred", "bauamt"),
        ),
        (DialogueState(phase=Phase.LISTENING, answered=("wohngeld",)), "handed_over", ("transferred", "zentrale")),
        (
            DialogueState(phase=Phase.ENDED, callback_recorded=True, pending_department="bauamt", ended_reason="y"),
            "bot",
            ("callback", "bauamt"),
        ),
        (DialogueState(phase=Phase.CONFIRM, pending_topic="wohngeld"), "failed", ("failed", None)),
        (DialogueState(phase=Phase.LISTENING, answered=("wohngeld",)), "caller", ("answered", None)),
        (DialogueState(phase=Phase.CONFIRM, pending_topic="wohngeld"), "caller", ("hung_up", None)),
        (DialogueState(phase=Phase.ENDED, ended_reason="2-mal keine Eingabe"), "bot", ("hung_up", None)),
    ],
)
def test_call_outcome(state: DialogueState, ended: str, expected: tuple[str, str | None]) -> None:
    outcome = call_outcome(state, ended, "interner Fehler" if ended == "failed" else "", OPEN_NOW)
    assert (outcome.outcome, outcome.department) == expected
    assert outcome.reason and outcome.ended_at == OPEN_NOW


def test_the_phase_is_stored_as_the_plain_word_it_always_was(tmp_path: Path) -> None:
    """``Phase`` is a StrEnum: the outcome reason, JSON and SQLite hold ``confirm``, not ``Phase.CONFIRM``."""
    outcome = call_outcome(DialogueState(phase=Phase.CONFIRM), "caller", "", OPEN_NOW)
    assert outcome.reason == "Anrufer legte auf (confirm)"
    assert json.dumps({"phase": Phase.CALLBACK_NUMBER}) == '{"phase": "callback_number"}'
    with sqlite3.connect(tmp_path / "phase.db") as db:
        db.execute("create table t (phase text)")
        db.execute("insert into t values (?)", (Phase.TRANSFER_FAILED,))
        assert db.execute("select phase, typeof(phase) from t").fetchone() == ("transfer_failed", "text")
    assert [str(phase) for phase in Phase] == [phase.name.lower() for phase in Phase]
    assert DialogueState().phase == "start"
