"""Pure statistics over call facts, and the SVG bar charts."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from voicebot.records.calls import TurnRecord
from voicebot.records.stats import CallFacts, compute, format_minutes, percent
from voicebot.web.charts import bar_chart, horizontal_bars

BERLIN = ZoneInfo("Europe/Berlin")


def _at(day: int, hour: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 15, tzinfo=BERLIN)


CALLS = [
    CallFacts("a", _at(23, 8), "answered", topics=("oeffnungszeiten",)),
    CallFacts("b", _at(23, 8), "answered", topics=("oeffnungszeiten", "anfahrt")),
    CallFacts("c", _at(23, 9), "transferred", department="zulassung", unrecognised=("Äh Dings",)),
    CallFacts("d", _at(25, 14), "transferred", department="zulassung"),
    CallFacts("e", _at(25, 14), "transferred", department="jugendamt"),
    CallFacts("f", _at(25, 15), "hung_up", unrecognised=("äh dings", "blubb")),
    CallFacts("g", _at(1, 10, month=12), "answered", topics=("anfahrt",)),
    CallFacts("h", _at(1, 10, month=12), "overflow"),
]


def test_totals_and_automation_rate_leave_out_overflow() -> None:
    stats = compute(CALLS, handling_minutes=4.0, tz=BERLIN)
    assert stats.calls == 7
    assert stats.answered == 3
    assert stats.transferred == 3
    assert stats.hung_up == 1
    assert abs(stats.automation_rate - 3 / 7) < 1e-9
    assert stats.minutes_saved == 12.0


def test_per_day_fills_gaps_and_per_hour_counts_local_hours() -> None:
    stats = compute(CALLS, handling_minutes=3.0, tz=BERLIN)
    days = {bucket.key: bucket.calls for bucket in stats.per_day}
    assert days["2026-11-23"] == 3
    assert days["2026-11-24"] == 0
    assert days["2026-11-25"] == 3
    assert days["2026-12-01"] == 1
    assert len(stats.per_day) == 9
    assert stats.per_day[0].label == "Mo 23.11."
    assert stats.per_hour[8] == 2
    assert stats.per_hour[14] == 2
    assert sum(stats.per_hour) == 7


def test_hours_are_counted_in_the_given_time_zone() -> None:
    utc_call = CallFacts("x", dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC), "answered")
    stats = compute([utc_call], handling_minutes=3.0, tz=BERLIN)
    assert stats.per_hour[8] == 1


def test_weeks_and_months() -> None:
    stats = compute(CALLS, handling_minutes=3.0, tz=BERLIN)
    weeks = {bucket.label: bucket for bucket in stats.per_week}
    assert set(weeks) == {"KW 48/2026", "KW 49/2026"}
    assert weeks["KW 48/2026"].calls == 6
    assert weeks["KW 48/2026"].answered == 2
    assert weeks["KW 49/2026"].automation_rate == 1.0
    months = {bucket.label: bucket for bucket in stats.per_month}
    assert months["November 2026"].calls == 6
    assert months["November 2026"].minutes_saved == 6.0
    assert months["Dezember 2026"].calls == 1


def test_rankings() -> None:
    stats = compute(CALLS, handling_minutes=3.0, tz=BERLIN)
    assert stats.transfers_by_department == (("zulassung", 2), ("jugendamt", 1))
    assert stats.top_topics == (("anfahrt", 2), ("oeffnungszeiten", 2))
    assert stats.unrecognised == (("äh dings", 2), ("blubb", 1))
    assert compute(CALLS, 3.0, BERLIN, top=1).top_topics == (("anfahrt", 2),)


def test_empty_records() -> None:
    stats = compute([], handling_minutes=3.0, tz=BERLIN)
    assert stats.calls == 0
    assert stats.automation_rate == 0.0
    assert stats.per_day == ()


def test_facts_from_turns() -> None:
    at = _at(23, 8)
    turns = [
        TurnRecord(0, at, "äh was", action="reprompt"),
        TurnRecord(1, at, "öffnungszeiten", action="answer", topic="oeffnungszeiten"),
        TurnRecord(2, at, "", action="reprompt"),
    ]
    facts = CallFacts.from_turns("c1", at, "answered", None, turns)
    assert facts.topics == ("oeffnungszeiten",)
    assert facts.unrecognised == ("äh was",)


def test_german_formats() -> None:
    assert format_minutes(45) == "45 Minuten"
    assert format_minutes(60) == "1 Stunde"
    assert format_minutes(200) == "3 Stunden 20 Minuten"
    assert percent(0.456) == "46 %"


def test_bar_chart_is_valid_svg_with_one_bar_per_value() -> None:
    svg = bar_chart([("Mo", 3), ("Di", 0), ("Mi <x>", 6)], "Anrufe pro Tag")
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    assert len(rects) == 3
    heights = [float(rect.get("height", "0")) for rect in rects]
    assert heights[1] == 0.0
    assert abs(heights[2] - 2 * heights[0]) < 0.2
    assert "Mi &lt;x&gt;: 6" in svg


def test_horizontal_bars_scale_to_the_largest() -> None:
    svg = horizontal_bars([("Zulassung", 4), ("Jugendamt", 2)], "Weiterleitungen")
    root = ElementTree.fromstring(svg)
    widths = [float(r.get("width", "0")) for r in root.findall("{http://www.w3.org/2000/svg}rect")]
    assert abs(widths[0] - 2 * widths[1]) < 0.2
