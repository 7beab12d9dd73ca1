"""The SIP line with real peers on 127.0.0.1, without speech models: ``voicebot run --line-test``.

The line test answers with tones, echoes the caller, beeps for digits and transfers on a digit, so
these tests exercise pjsua2, the media bridge, DTMF, REFER, overflow, direct-mode peer checks, hostile
input and the graceful stop with the pure-Python caller of ``voicebot_bench.sipcaller``.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from voicebot_bench import sipwire
from voicebot_bench.sipcaller import CallPlan, CallReport, Step, place_call, place_calls

from tests.sip_helpers import BotProcess, final_reply, free_rtp_base, free_udp_port, udp_request, write_config

pytestmark = [pytest.mark.sip]


def tone8k(ms: int, freq: float = 300.0) -> bytes:
    """A loud tone at 8 kHz (the caller "speaks")."""
    count = 8 * ms
    return (8000 * np.sin(2 * np.pi * freq * np.arange(count) / 8000)).astype("<i2").tobytes()


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """One line-test bot for the module (direct mode, 127.0.0.1 allowed, all 3 service lines of the process for calls)."""
    folder = tmp_path_factory.mktemp("line")
    config = write_config(
        folder,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 4, "overflow": "reject"},
        vad={"no_input_ms": 2500, "max_utterance_ms": 3000},
    )
    with BotProcess(config, "--line-test", "--grace", "2") as bot:
        yield bot


def target(bot: BotProcess) -> str:
    return bot.uri


def call(plan: CallPlan, host: str = "127.0.0.1") -> CallReport:
    return asyncio.run(place_call(plan, host))


def test_call_is_answered_greets_echoes_and_transfers_on_a_digit(line: BotProcess) -> None:
    plan = CallPlan(
        target(line),
        steps=(Step("speak", pcm8k=tone8k(1000)), Step("transfer", digits="4")),
        quiet_ms=800,
        reply_timeout_s=10,
    )
    report = call(plan)
    assert report.answered, report
    assert report.error == ""
    gaps = {turn.label: turn.gap_ms for turn in report.turns}
    assert gaps["speak"] is not None, "the echo of the caller's tone did not come back"
    assert report.refer_to == "sip:jugendamt@127.0.0.1:5090"
    assert report.quality is not None and report.quality.missing == 0  # pacing is measured by voicebot bench
    # the line's health is logged when the stream ends: what the bot received, lost and buffered
    assert line.wait_log(" line: ", timeout=10), line.log
    health = re.search(
        r"call #\d+ line: (\d+) packets received, (\d+) lost, .* jitter buffer delay mean (\d+) ms", line.log
    )
    assert health is not None, line.log
    assert int(health[1]) >= 50 and int(health[2]) == 0  # 1 s of tone and the digit's packets, nothing lost


def test_four_simultaneous_callers_each_get_their_own_transfer(line: BotProcess) -> None:
    """All four pjsua slots serve calls: the request guard, not a kept-back slot, refuses a fifth with 503."""
    digits = {"1": "zulassung", "2": "fuehrerschein", "5": "sozialamt", "6": "gesundheitsamt"}
    plans = [
        CallPlan(target(line), steps=(Step("transfer", digits=digit),), quiet_ms=600, reply_timeout_s=10)
        for digit in digits
    ]
    reports = asyncio.run(place_calls(plans, concurrency=4))
    assert [r.answered for r in reports] == [True] * 4, reports
    assert [r.refer_to for r in reports] == [f"sip:{name}@127.0.0.1:5090" for name in digits.values()]


def test_caller_who_never_speaks_is_hung_up_on(line: BotProcess) -> None:
    report = call(CallPlan(target(line), wait_greeting=True, hold_s=10, quiet_ms=500))
    assert report.answered
    assert report.ended_by == "bot"


def test_caller_who_never_stops_is_cut_off_and_echoed(line: BotProcess) -> None:
    plan = CallPlan(target(line), steps=(Step("endless", pcm8k=tone8k(6000)),), quiet_ms=500, reply_timeout_s=15)
    report = call(plan)
    assert report.answered
    assert report.turns[0].gap_ms is not None
    assert line.wait_log("echoing 3000 ms"), "the endless utterance was not cut at max_utterance_ms"


def test_hang_ups_at_any_moment_and_a_declined_refer_leave_nothing_behind(line: BotProcess) -> None:
    plans = [
        CallPlan(line.uri, wait_greeting=False),  # hangs up at once, mid-greeting
        CallPlan(line.uri, steps=(Step("speak", pcm8k=tone8k(700)),), quiet_ms=100),  # mid-echo
        CallPlan(line.uri, steps=(Step("transfer", digits="7"),), accept_refer=False, quiet_ms=800),  # 603
    ]
    reports = asyncio.run(place_calls(plans * 2, concurrency=3))
    assert all(report.answered for report in reports), ([(r.status, r.error) for r in reports], line.log)
    declined = [r for r in reports if r.refer_to]
    assert len(declined) == 2 and all(r.ended_by == "caller" for r in declined), "the bot hung up after a failed REFER"
    assert line.wait_log("-> 603"), line.log[-2000:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not re.search(r"ended \(0 live, [01] SIP\)$", line.lines[-1]):
        time.sleep(0.1)
    # the session count is 0; pjsua may still hold the last call's slot while its BYE transaction ends
    assert re.search(r"ended \(0 live, [01] SIP\)$", line.lines[-1]), line.log[-2000:]
    # nothing is left behind: the lines take calls again (three at once: one slot may still end its BYE)
    again = asyncio.run(place_calls([CallPlan(line.uri, wait_greeting=False)] * 3, concurrency=3))
    assert all(report.answered for report in again), [(r.status, r.error) for r in again]


def test_invite_from_a_peer_not_in_allowed_peers_gets_403(line: BotProcess) -> None:
    report = call(CallPlan(target(line)), host="127.0.0.2")
    assert not report.answered
    assert report.status == 403
    assert line.wait_log("not in [sip] allowed_peers -> 403")


def _invite(port: int, sdp: bytes, call_id: str) -> bytes:
    headers = [
        ("Via", f"SIP/2.0/UDP 127.0.0.1:9;branch={sipwire.new_branch()};rport"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:evil@127.0.0.1>;tag={sipwire.new_tag()}"),
        ("To", f"<sip:voicebot@127.0.0.1:{port}>"),
        ("Call-ID", call_id),
        ("CSeq", "1 INVITE"),
        ("Contact", "<sip:evil@127.0.0.1:9>"),
        ("Content-Type", "application/sdp"),
    ]
    return sipwire.serialize(f"INVITE sip:voicebot@127.0.0.1:{port} SIP/2.0", headers, sdp)


def test_hostile_input_does_not_take_the_line_down(line: BotProcess) -> None:
    host, port = "127.0.0.1", int(target(line).rsplit(":", 1)[1])
    # garbage and malformed SIP: ignored or answered 400, never a crash
    udp_request(bytes(range(256)) * 4, (host, port), timeout=0.3)
    udp_request(b"\r\n\r\n", (host, port), timeout=0.3)
    udp_request(b"INVITE sip:x SIP/2.0\r\nVia: nonsense\r\nCSeq: x\r\n\r\n", (host, port), timeout=0.3)
    udp_request(b"OPTIONS sip:voicebot@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\n", (host, port), 0.3)
    # an INVITE whose SDP is broken or offers no codec we speak: a 4xx final answer
    broken = _invite(port, b"v=0\r\nthis is not sdp\r\nm=audio banana\r\n", "broken-sdp@test")
    assert final_reply(broken, (host, port))[:9] in (b"SIP/2.0 4", b"SIP/2.0 5")
    g729 = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 18\r\n"
    assert final_reply(_invite(port, g729, "no-codec@test"), (host, port)).startswith(b"SIP/2.0 488")
    # OPTIONS is answered (health checks of a dispatcher)
    options = sipwire.serialize(
        f"OPTIONS sip:voicebot@127.0.0.1:{port} SIP/2.0",
        [
            ("Via", f"SIP/2.0/UDP 127.0.0.1:9;branch={sipwire.new_branch()};rport"),
            ("From", f"<sip:ping@127.0.0.1>;tag={sipwire.new_tag()}"),
            ("To", f"<sip:voicebot@127.0.0.1:{port}>"),
            ("Call-ID", "ping@test"),
            ("CSeq", "1 OPTIONS"),
        ],
    )
    assert udp_request(options, (host, port)).startswith(b"SIP/2.0 200")
    # RTP with a wrong payload type and garbage into the bot's RTP ports during a call
    report = asyncio.run(_call_with_rtp_garbage(line))
    assert report.answered and report.turns[0].gap_ms is not None, report
    # and afterwards a normal call still works
    normal = call(CallPlan(target(line), steps=(Step("transfer", digits="3"),), quiet_ms=500))
    assert normal.refer_to == "sip:auslaenderamt@127.0.0.1:5090"
    assert line.alive()


async def _call_with_rtp_garbage(bot: BotProcess) -> CallReport:
    bot_rtp = [bot.rtp_port + 2 * index for index in range(6)]  # where the bot's calls take their RTP ports

    async def spray() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for round_ in range(60):
                for port in bot_rtp:
                    # RTP version 2 with payload type 96/18 and random payload, then plain garbage
                    header = bytes([0x80, 96 if round_ % 2 else 18]) + round_.to_bytes(2, "big") + bytes(8)
                    sock.sendto(header + bytes(160), ("127.0.0.1", port))
                    sock.sendto(b"\xff" * 7, ("127.0.0.1", port))
                await asyncio.sleep(0.02)

    plan = CallPlan(bot.uri, steps=(Step("speak", pcm8k=tone8k(800)),), quiet_ms=600, reply_timeout_s=10)
    spraying = asyncio.get_running_loop().create_task(spray())
    report = await place_call(plan)
    await spraying
    return report


def test_overflow_goes_to_the_switchboard_and_reject_gives_486(tmp_path: Path) -> None:
    for overflow, expected in (("switchboard", "refer"), ("reject", 486)):
        folder = tmp_path / overflow
        folder.mkdir()
        config = write_config(
            folder,
            sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 2, "overflow": overflow},
        )
        with BotProcess(config, "--line-test", "--grace", "1") as bot:
            uri = target(bot)
            holders = [CallPlan(uri, wait_greeting=False, hold_s=6, quiet_ms=300) for _ in range(2)]
            extra = CallPlan(uri, wait_greeting=False, hold_s=6, quiet_ms=300)
            reports = asyncio.run(_staggered(holders, extra))
            assert [r.answered for r in reports[:2]] == [True, True]
            last = reports[2]
            if expected == "refer":
                assert last.answered and last.refer_to == "sip:zentrale@127.0.0.1:5090", last
            else:
                assert last.status == 486, last


async def _staggered(holders: list[CallPlan], extra: CallPlan) -> list[CallReport]:
    tasks = [asyncio.get_running_loop().create_task(place_call(plan)) for plan in holders]
    await asyncio.sleep(1.0)
    last = await place_call(extra)
    return [*(await asyncio.gather(*tasks)), last]


def test_sigterm_refuses_new_calls_and_hands_running_ones_to_the_switchboard(tmp_path: Path) -> None:
    config = write_config(tmp_path, sip={"port": free_udp_port(), "rtp_port": free_rtp_base()})
    bot = BotProcess(config, "--line-test", "--grace", "1").start()
    try:
        uri = target(bot)

        async def scenario() -> tuple[CallReport, CallReport]:
            running = asyncio.get_running_loop().create_task(place_call(CallPlan(uri, hold_s=15, quiet_ms=300)))
            await asyncio.sleep(1.5)
            assert bot.process is not None
            bot.process.send_signal(15)
            await asyncio.sleep(0.3)
            late = await place_call(CallPlan(uri, wait_greeting=False))
            return await running, late

        running, late = asyncio.run(scenario())
        assert running.refer_to == "sip:zentrale@127.0.0.1:5090", bot.log
        assert late.status == 503, late
        assert bot.terminate() == 0
        assert "handing 1 call(s) to the switchboard" in bot.log
    finally:
        bot.kill()


@pytest.mark.slow
def test_a_call_longer_than_max_call_seconds_is_handed_to_the_switchboard(tmp_path: Path) -> None:
    """The line test has no time limit of its own: the app ends the call (30 s, the smallest allowed, + 3 s)."""
    sip = {"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_call_seconds": 30}
    config = write_config(tmp_path, sip=sip, vad={"no_input_ms": 60000})
    with BotProcess(config, "--line-test") as bot:
        report = call(CallPlan(bot.uri, hold_s=45, quiet_ms=300))
        assert report.refer_to == "sip:zentrale@127.0.0.1:5090", bot.log
        assert bot.wait_log("handing it to the switchboard")
