"""The SIP guard against real peers: raw UDP from 127.0.0.1 (the allowed PBX) and from 127.0.0.2/.3
(strangers) to a real ``voicebot run --line-test``; after each attack the bot must live and answer a
normal call."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from voicebot_bench import sipwire
from voicebot_bench.sipcaller import CallPlan, Step, place_call

from tests.sip_helpers import BotProcess, free_rtp_base, free_udp_port, rtp_level, write_config
from tests.sip_raw import RawCall, RawPeer, pcma_tone

pytestmark = [pytest.mark.sip]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """A line-test bot in direct mode; only 127.0.0.1 is an allowed peer; callers may stay silent 30 s."""
    folder = tmp_path_factory.mktemp("guard")
    config = write_config(
        folder,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 4, "overflow": "reject"},
        vad={"no_input_ms": 30000, "max_utterance_ms": 3000},
    )
    with BotProcess(config, "--line-test", "--grace", "2") as process:
        assert process.wait_log("SIP guard active"), process.log
        yield process


def assert_normal_call(bot: BotProcess) -> None:
    """The bot is alive and a normal call (offer in the INVITE) is answered and transferred on a digit."""
    assert bot.alive(), bot.log[-3000:]
    plan = CallPlan(bot.uri, steps=(Step("transfer", digits="3"),), quiet_ms=500, reply_timeout_s=10)
    report = asyncio.run(place_call(plan))
    assert report.answered and report.refer_to == "sip:auslaenderamt@127.0.0.1:5090", (report, bot.log[-3000:])


def test_delayed_offer_invite_from_a_stranger_gets_403_and_the_bot_lives(bot: BotProcess) -> None:
    with RawPeer("127.0.0.2", bot.sip_port) as stranger:
        assert RawCall(stranger).invite(delayed_offer=True) == 403
    assert bot.wait_log("not in [sip] allowed_peers -> 403")
    time.sleep(0.5)
    assert bot.alive(), bot.log[-3000:]
    assert "Assertion" not in bot.log


def test_delayed_offer_from_an_allowed_peer_the_bot_offers_and_hears(bot: BotProcess) -> None:
    with RawPeer("127.0.0.1", bot.sip_port) as pbx:
        call = RawCall(pbx)
        assert call.invite(delayed_offer=True) == 200, bot.log[-3000:]
        assert call.offer is not None and call.offer.payload in (8, 0)  # the 200 carried the bot's offer
        packets = call.exchange_rtp(pcma_tone(1000), listen_s=4.0)
        audible, total = rtp_level(packets)
        assert total >= 100 and audible >= 20, (audible, total)  # the greeting tones and the echo reached us
        assert bot.wait_log("line test: echoing", timeout=5), bot.log[-3000:]  # the bot heard the caller
        assert call.hang_up() == 200


@pytest.mark.parametrize("host", ["127.0.0.2", "127.0.0.1"])
def test_methods_the_bot_does_not_serve_are_refused(bot: BotProcess, host: str) -> None:
    with RawPeer(host, bot.sip_port) as peer:
        assert peer.ask("SUBSCRIBE", extra=[("Event", "presence"), ("Expires", "3600")]) == 405
        assert peer.ask("MESSAGE", extra=[("Content-Type", "text/plain")]) == 405
        assert peer.ask("PUBLISH", extra=[("Event", "presence")]) == 405
        call_id = f"reg-{sipwire.new_tag()}"
        peer.send(peer.request("REGISTER", call_id, uri="sip:127.0.0.1"))
        reply = peer.final(call_id, "REGISTER")
        assert reply is not None and reply.status == 405 and "INVITE" in reply.get("allow"), reply
        assert "REGISTER" not in reply.get("allow") and "MESSAGE" not in reply.get("allow")
        assert peer.ask("FROBNICATE") == 501
        assert peer.ask("RE%47IST%45R") == 501  # RFC 4475 3.1.1.5: an unknown method, not REGISTER
        assert peer.ask("OPTIONS") == (200 if host == "127.0.0.1" else 403)
        assert peer.wait(lambda m: m.method == "NOTIFY", timeout=1.0) is None  # nothing reflected
        call_id = f"mailto-{sipwire.new_tag()}"
        invite = peer.request("INVITE", call_id).replace(
            f"Contact: <sip:0171234567@{host}:{peer.port}>".encode(), b"Contact: <mailto:x@example.com>"
        )
        peer.send(invite)
        reply = peer.final(call_id, "INVITE")
        assert reply is not None and reply.status == 400 and "Contact" in reply.start, reply
    assert bot.alive()


def test_in_dialog_requests_from_a_stranger_and_a_callers_refer_are_refused(bot: BotProcess) -> None:
    with RawPeer("127.0.0.1", bot.sip_port) as pbx, RawPeer("127.0.0.2", bot.sip_port) as stranger:
        call = RawCall(pbx)
        assert call.invite(delayed_offer=False) == 200
        assert len(call.exchange_rtp([], listen_s=0.5)) > 0
        forged = RawCall(stranger, call_id=call.call_id, from_tag=call.from_tag, to_tag=call.to_tag, cseq=10)
        dtmf = [("Content-Type", "application/dtmf-relay")]
        requests = {
            "INFO": forged.in_dialog("INFO", b"Signal=0\r\nDuration=160\r\n", dtmf).replace(
                b"Content-Type: application/sdp\r\n", b""
            ),
            "INVITE": forged.in_dialog("INVITE", sipwire.sdp_offer("127.0.0.2", 9, 9)),
            "REFER": forged.in_dialog("REFER", extra=[("Refer-To", "<sip:zentrale@127.0.0.3:9>")]),
            "BYE": forged.in_dialog("BYE"),
        }
        for method, request in requests.items():
            stranger.send(request)
            reply = stranger.final(call.call_id, method)
            assert reply is not None and reply.status == 403, (method, reply)
        # the call goes on: the bot still sends audio, and the forged digit "0" did not start a transfer
        assert len(call.exchange_rtp([], listen_s=1.5)) >= 50
        assert pbx.wait(lambda m: m.method == "REFER", timeout=0.5) is None, "the forged DTMF was acted on"
        # a REFER from the caller itself: 403, and no INVITE goes anywhere
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
            target.bind(("127.0.0.3", 0))
            target.settimeout(1.5)
            refer_to = f"<sip:0900123456@127.0.0.3:{target.getsockname()[1]}>"
            pbx.send(call.in_dialog("REFER", extra=[("Refer-To", refer_to)]))
            reply = pbx.final(call.call_id, "REFER")
            assert reply is not None and reply.status == 403, reply
            with pytest.raises(TimeoutError):
                target.recvfrom(4096)
        assert call.hang_up() == 200
    assert bot.wait_log("refused REFER from 127.0.0.1")
    refusals = "\n".join(line for line in bot.lines if "refused" in line)
    assert "0171 ••• 67" in refusals and not re.search(r"0171234567|0900123456", refusals), refusals
    assert_normal_call(bot)


def _flood(
    bot: BotProcess, host: str, rate: int, seconds: float, with_sdp: bool, method: str = "INVITE"
) -> tuple[Counter[int], float]:
    """Requests (INVITEs) at ``rate`` per second; (final answers received by status, seconds taken)."""
    answers: Counter[int] = Counter()
    with RawPeer(host, bot.sip_port) as peer:
        peer.sock.setblocking(False)
        body = sipwire.sdp_offer(host, 9, 1) if with_sdp else b""
        started = time.monotonic()
        for index in range(int(rate * seconds)):
            peer.send(peer.request(method, f"flood-{index}-{sipwire.new_tag()}", body=body))
            while time.monotonic() < started + (index + 1) / rate:
                try:
                    reply = sipwire.parse(peer.sock.recv(65535))
                    if reply is not None and reply.status >= 200:
                        answers[reply.status] += 1
                except BlockingIOError:
                    time.sleep(0.001)
        return answers, time.monotonic() - started


@pytest.mark.parametrize("with_sdp", [False, True])
def test_an_invite_flood_from_a_stranger_is_dropped_and_the_bot_lives(bot: BotProcess, with_sdp: bool) -> None:
    lines_before = len(bot.lines)
    answers, took = _flood(bot, "127.0.0.3", rate=200, seconds=3.0, with_sdp=with_sdp)
    assert took < 6.0
    assert sum(answers.values()) <= 30, answers  # a burst of 10, then 2 a second: the rest is silence
    time.sleep(0.5)
    refused = [line for line in bot.lines[lines_before:] if "refused INVITE" in line]
    assert len(refused) <= 25, len(refused)  # the refusal log is rate-limited
    assert_normal_call(bot)


def test_a_flood_from_the_allowed_peer_gets_503_over_its_rate(bot: BotProcess) -> None:
    """OPTIONS (INVITEs from the PBX would become real calls): the same bucket as new calls."""
    answers, _took = _flood(bot, "127.0.0.1", rate=200, seconds=1.0, with_sdp=False, method="OPTIONS")
    assert answers[200] >= 40 and answers[503] >= 100, answers  # 200 within the rate, 503 beyond
    time.sleep(2.5)  # the bucket refills
    assert_normal_call(bot)
