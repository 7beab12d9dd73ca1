"""Statistics that add up: every outcome counted, shares with their base, no personal data as "unrecognised"."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.web_helpers import T0, make_store
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.stats import CALLBACK_REPROMPT_REASONS, MIN_SAMPLE, CallFacts, compute, share
from voicebot.web.admin_queries import call_facts
from voicebot.web.charts import horizontal_bars

BERLIN = ZoneInfo("Europe/Berlin")
OUTCOMES = ("answered", "transferred", "callback", "hung_up", "overflow", "failed", "worker_died", "")


def test_every_outcome_is_counted_and_the_parts_sum_to_the_total() -> None:
    calls = [CallFacts(str(i), T0, outcome) for i, outcome in enumerate(OUTCOMES * 2)]
    stats = compute(calls, 3.0, BERLIN)
    assert stats.total == len(calls) == 16
    assert sum(count for _, _, count in stats.breakdown) == stats.total
    counts = {key: count for key, _, count in stats.breakdown}
    assert counts == {
        "answered": 2, "transferred": 2, "callback": 2, "hung_up": 2, "overflow": 2, "failed": 4, "running": 2,
    }  # fmt: skip


def test_shares_name_their_base_and_tiny_samples_have_no_percentage() -> None:
    assert share(1, 1) == "1 von 1"
    assert share(3, MIN_SAMPLE - 1) == f"3 von {MIN_SAMPLE - 1}"
    assert share(6, 13) == "46 % (6 von 13)"
    assert share(0, 0) == "–"


def test_the_dialogue_still_uses_the_callback_reprompt_reasons() -> None:
    source = (Path(__file__).resolve().parent.parent / "voicebot/dialogue/phases.py").read_text(encoding="utf-8")
    for reason in CALLBACK_REPROMPT_REASONS:
        assert f'"{reason}"' in source


def test_callback_names_and_numbers_never_count_as_unrecognised(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    try:
        store.call_started("c1", "+4983811234", T0)
        turns = [
            ("reprompt", "blubb dings", "nicht verstanden"),
            ("callback", "ja bitte rückruf", "Anrufer wünscht Rückruf"),
            ("callback", "meier", "Name für Rückruf aufgenommen"),
            ("reprompt", "schmidt", "Rufnummer nicht verstanden"),
            ("reprompt", "meier meier", "nicht verstanden"),
        ]
        for index, (action, transcript, reason) in enumerate(turns):
            record = TurnRecord(index, T0 + dt.timedelta(seconds=index), transcript, action=action, reason=reason)
            store.turn("c1", record)
        store.call_started("c2", "+4983811235", T0)
        store.turn("c2", TurnRecord(0, T0, "meine nummer ist 0171 2345678", action="reprompt", reason="x"))
        store.call_ended("c2", CallOutcome("hung_up", ended_at=T0 + dt.timedelta(seconds=9)))
        store.flush()
        facts = store.query(call_facts, None, None)
    finally:
        store.close()
    stats = compute(facts, 3.0, BERLIN)
    texts = [text for text, _ in stats.unrecognised]
    assert "blubb dings" in texts
    assert not any(re.search(r"meier|schmidt", text) for text in texts)
    assert not any(re.search(r"\d{4}", text) for text in texts), texts


def test_horizontal_bars_show_the_full_label() -> None:
    name = "Elterngeld, Kindergeld und Unterhaltsvorschuss für Alleinerziehende"
    svg = horizontal_bars([(name, 3)], "Themen")
    assert f">{name}</text>" in svg
    assert 'x="0"' in svg
