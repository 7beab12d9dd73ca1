"""Independent callers of the benchmark (``voicebot_bench.callerproc``): one process per call.

The pure parts (plans and reports through JSON) without a network; the orchestration with two caller
processes against a line-test bot (``voicebot run --line-test``, no model), which echoes what it hears.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from voicebot_bench.callerproc import (
    place_calls_by,
    place_calls_independent,
    plan_from_json,
    plan_to_json,
    report_from_json,
    report_to_json,
)
from voicebot_bench.rtpstream import RtpQuality
from voicebot_bench.sipcaller import CallPlan, CallReport, Step, TurnGap

from tests.sip_helpers import BotProcess, free_rtp_base, free_udp_port, write_config


def tone8k(ms: int, freq: float = 300.0) -> bytes:
    count = 8 * ms
    return (8000 * np.sin(2 * np.pi * freq * np.arange(count) / 8000)).astype("<i2").tobytes()


def test_a_plan_survives_the_trip_to_a_caller_process(tmp_path: Path) -> None:
    plan = CallPlan(
        "sip:voicebot@127.0.0.1:5070",
        (Step("question", tone8k(300)), Step("digits", digits="12#"), Step("again", tone8k(300))),
        quiet_ms=900,
        reply_timeout_s=12.5,
        accept_refer=False,
        hold_s=1.5,
        leave_on_reply=True,
    )
    back = plan_from_json(plan_to_json(plan, tmp_path))
    assert back == plan
    assert len(list(tmp_path.glob("*.pcm"))) == 1  # the same speech is written once


def test_a_report_survives_the_trip_back() -> None:
    report = CallReport(
        "abc@host",
        True,
        200,
        12.5,
        contact="sip:voicebot@127.0.0.1:5071",
        refer_to="sip:zentrale@127.0.0.1:5090",
        ended_by="bot",
        turns=(TurnGap("reprompt", 812.0), TurnGap("reprompt", None)),
        quality=RtpQuality(100, 1, 2, 61.0, 3.5, 9.0),
        caller_late_sends=3,
    )
    assert report_from_json(report_to_json(report)) == report
    assert report_from_json(report_to_json(CallReport("x", False, 503, 1.0))) == CallReport("x", False, 503, 1.0)


def test_an_unknown_caller_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown caller mode"):
        asyncio.run(place_calls_by("threads", [], 1))


@pytest.mark.sip
def test_two_independent_caller_processes_measure_their_own_turns(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 4, "overflow": "reject"},
        vad={"no_input_ms": 4000, "max_utterance_ms": 3000},
    )
    with BotProcess(config, "--line-test", "--grace", "1") as bot:
        plans = [
            CallPlan(
                bot.uri,
                (Step("first", tone8k(600)), Step("second", tone8k(600, 450.0))),
                quiet_ms=800,
                reply_timeout_s=10,
            )
            for _call in range(3)
        ]
        reports = asyncio.run(place_calls_independent(plans, concurrency=2, stagger_s=0.05))
    assert [r.error for r in reports] == ["", "", ""]
    assert [r.answered for r in reports] == [True, True, True]
    assert len({r.call_id for r in reports}) == 3
    for report in reports:
        assert [t.label for t in report.turns] == ["first", "second"]
        # the line test echoes after its 600 ms end-of-utterance silence: an echo is a turn gap of that order
        assert all(t.gap_ms is not None and 500 < t.gap_ms < 5000 for t in report.turns), report.turns
        assert report.quality is not None and report.quality.packets > 50
        assert report.ended_by == "caller"
