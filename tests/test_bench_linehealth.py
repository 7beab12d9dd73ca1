"""The bot's jitter-buffer lines summarised per level (``voicebot_bench.linehealth``)."""

from __future__ import annotations

from voicebot_bench.linehealth import LineHealth, summarise

LINES = [
    "2026-12-03 10:17:34,195 worker-1 INFO voicebot.telephony.call: call #5 line: 77 packets received, 0 lost, "
    "2 discarded, jitter mean 2 ms; jitter buffer delay mean 38 ms (min 20, max 60), prefetch 0 frames, 7 empty ticks",
    "something else",
    "2026-12-03 10:17:35,001 worker-2 INFO voicebot.telephony.call: call #6 line: 400 packets received, 1 lost, "
    "5 discarded, jitter mean 9 ms; jitter buffer delay mean 480 ms (min 20, max 500), prefetch 0 frames, 0 empty ticks",
]


def test_line_health_lines_are_summarised() -> None:
    assert summarise(LINES) == LineHealth(2, 259.0, 500, 1, 7)


def test_no_lines_no_numbers() -> None:
    assert summarise(["nothing here"]) == LineHealth(0, None, None, 0, 0)


def test_the_session_backlog_is_the_largest_of_the_calls() -> None:
    backlog = [
        "2026-12-03 10:50:01,000 worker-3 INFO voicebot.call.switch: call abc: caller audio backlog at most 12 frames",
        "2026-12-03 10:50:02,000 worker-1 INFO voicebot.call.switch: call def: caller audio backlog at most 3 frames",
    ]
    assert summarise([*LINES, *backlog]).max_backlog_frames == 12
    assert summarise(LINES).max_backlog_frames is None
