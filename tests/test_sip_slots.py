"""Call slots that hold under load: unACKed 200 OKs free their line within seconds, and overload ends with
every caller served, handed to the switchboard or told 503 + Retry-After (never pjsua's raw 486)."""

from __future__ import annotations

import asyncio
import collections
import time
from pathlib import Path

import pytest
from voicebot_bench.sipcaller import CallPlan, CallReport, place_call

from tests.media_helpers import RawCall, audio_sdp, offer
from tests.sip_helpers import BotProcess, free_rtp_base, free_udp_port, write_config
from voicebot.telephony.admission import SERVICE_SLOTS, Decision, decide, line_capacity

pytestmark = [pytest.mark.sip]


def test_decisions_follow_the_bots_own_count() -> None:
    capacity = line_capacity(2, "switchboard")
    assert capacity == (2, SERVICE_SLOTS - 2)
    assert decide(0, 0, 0, capacity, "switchboard", True) == Decision("session")
    assert decide(2, 0, 2, capacity, "switchboard", True) == Decision("overflow")
    assert decide(2, 2, 4, capacity, "switchboard", True) == Decision("refuse", 503)
    assert decide(2, 0, 2, capacity, "switchboard", False) == Decision("refuse", 503)  # no switchboard target
    # sessions over, but the SIP stack still tears their calls down: their lines are not free yet
    assert decide(0, 0, SERVICE_SLOTS, capacity, "switchboard", True) == Decision("refuse", 503)
    assert decide(SERVICE_SLOTS, 0, SERVICE_SLOTS, line_capacity(9, "reject"), "reject", True) == Decision(
        "refuse", 503
    )
    assert decide(1, 0, 1, line_capacity(1, "reject"), "reject", True) == Decision("refuse", 486)


def _bot(folder: Path, **sip: object) -> BotProcess:
    settings = {"port": free_udp_port(), "rtp_port": free_rtp_base(), **sip}
    return BotProcess(write_config(folder, sip=settings, vad={"no_input_ms": 4000}), "--line-test", "--grace", "1")


def test_unacked_invites_free_their_lines_within_seconds(tmp_path: Path) -> None:
    with _bot(tmp_path, max_calls=2) as bot:
        calls = [RawCall(bot.sip_port) for _ in range(SERVICE_SLOTS + 1)]
        try:
            statuses = [call.invite(offer("127.0.0.1", [audio_sdp(call.rtp_port)]), ack=False) for call in calls]
            assert sorted(statuses) == [200] * SERVICE_SLOTS + [503], statuses  # 2 sessions + overflow lines, then 503
            refused = calls[statuses.index(503)].final
            assert refused is not None and refused.get("retry-after") == "30", refused
            started = time.monotonic()
            answered_after = None
            while time.monotonic() - started < 25:
                report = asyncio.run(place_call(CallPlan(bot.uri, wait_greeting=False, hold_s=0.5, quiet_ms=200)))
                if report.answered:
                    answered_after = time.monotonic() - started
                    break
                assert report.status == 503, report  # never pjsua's raw 486
                time.sleep(1.0)
        finally:
            for call in calls:
                call.close()
        assert answered_after is not None and answered_after <= 15, (answered_after, bot.log[-3000:])
        print(f"a normal call was answered again {answered_after:.1f} s after 4 unACKed INVITEs")
        assert " ERROR " not in bot.log


def _paced(uri: str, calls: int, rate: float) -> list[CallReport]:
    async def run() -> list[CallReport]:
        plan = CallPlan(uri, wait_greeting=False, hold_s=2.0, quiet_ms=300, reply_timeout_s=10)
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for index in range(calls):
            delay = start + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(place_call(plan)))
        return list(await asyncio.gather(*tasks))

    return asyncio.run(run())


def _classify(report: CallReport) -> str:
    if report.answered and report.refer_to.startswith("sip:zentrale@"):
        return "switchboard"
    if report.answered:
        return "served"
    return str(report.status)


def overload(folder: Path, calls: int, rate: float) -> collections.Counter[str]:
    """``calls`` callers at ``rate`` per second against one line-test bot (2 conversations + 1 overflow)."""
    with _bot(folder, max_calls=2, overflow="switchboard") as bot:
        reports = _paced(bot.uri, calls, rate)
        counts = collections.Counter(_classify(report) for report in reports)
        time.sleep(3)  # the last calls' BYEs
        assert bot.terminate() == 0
        # the bot's own count and the SIP stack's agree: nothing left on either
        assert "stopping: no new calls (0 live, 0 SIP)" in bot.log, bot.log[-3000:]
        assert " ERROR " not in bot.log, bot.log
    print(f"{calls} calls at {rate}/s: {dict(counts)}")
    assert set(counts) <= {"served", "switchboard", "503"}, counts
    assert counts["served"] >= 2 and counts["switchboard"] >= 1 and counts["503"] >= 1, counts
    return counts


def test_overload_gets_sessions_the_switchboard_or_503(tmp_path: Path) -> None:
    overload(tmp_path, calls=40, rate=10.0)


@pytest.mark.slow
def test_overload_ten_calls_a_second_for_thirty_seconds(tmp_path: Path) -> None:
    overload(tmp_path, calls=300, rate=10.0)
