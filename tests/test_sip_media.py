"""Media that connects whatever the offer's m-line order, is never hijacked by a third host, and a dead line
that is hung up: raw SIP/RTP sockets on loopback against ``voicebot run --line-test`` (which greets with
two tones and echoes what it hears)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from tests.media_helpers import RawCall, RtpCounter, audio_sdp, offer, send_rtp, tone_pcm
from tests.sip_helpers import BotProcess, free_rtp_base, free_udp_port, write_config

pytestmark = [pytest.mark.sip]

GREETING_PACKETS = 30
"""The line test's greeting: 600 ms of tones = 30 audible packets; more audible packets = the echo."""


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("media")
    config = write_config(
        folder,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "overflow": "reject", "rtp_timeout_seconds": 5},
        vad={"no_input_ms": 20000},
    )
    with BotProcess(config, "--line-test", "--grace", "1") as process:
        yield process


def _video(port: int, payload: str = "96") -> list[str]:
    lines = [f"m=video {port} RTP/AVP {payload}"]
    return [*lines, "a=rtpmap:96 H264/90000"] if payload == "96" else lines


OFFERS: dict[str, Callable[[int], list[list[str]]]] = {
    "video first, dynamic payload": lambda port: [_video(port + 10), audio_sdp(port)],
    "video first, static payload": lambda port: [_video(port + 10, "34"), audio_sdp(port)],
    "unknown media type first": lambda port: [
        ["m=application 9 UDP/BFCP *", "a=floorctrl:c-only"],
        audio_sdp(port),
    ],
    "m=video 0 first": lambda port: [["m=video 0 RTP/AVP 31"], audio_sdp(port)],
    "two m=audio, the first at port 0": lambda port: [audio_sdp(0), audio_sdp(port)],
    "audio between video and text": lambda port: [_video(port + 10), audio_sdp(port), ["m=text 0 RTP/AVP 98"]],
}


@pytest.mark.parametrize("layout", list(OFFERS))
def test_audio_connects_whatever_the_m_line_order(bot: BotProcess, layout: str) -> None:
    call = RawCall(bot.sip_port)
    try:
        sdp = offer("127.0.0.1", OFFERS[layout](call.rtp_port), ("a=sendrecv",))
        assert call.invite(sdp) == 200, bot.log[-3000:]
        call.counter.start()
        time.sleep(1.0)  # the greeting
        send_rtp(call.rtp, call.answer_media(), tone_pcm(800))
        time.sleep(2.0)  # 600 ms of end-of-utterance silence, then the echo
        call.bye()
        seconds = 3.8
        assert call.counter.packets >= 40 * seconds, f"{call.counter.packets} RTP packets from the bot in {seconds} s"
        assert call.counter.audible >= GREETING_PACKETS + 25, "the bot did not echo the caller: it did not hear us"
    finally:
        call.close()
    assert bot.wait_log(f"call {call.call_id} ended"), bot.log[-3000:]
    assert " ERROR " not in bot.log and "Traceback" not in bot.log, bot.log[-3000:]


def test_an_offer_without_audio_gets_488(bot: BotProcess) -> None:
    call = RawCall(bot.sip_port)
    try:
        sdp = offer("127.0.0.1", [_video(call.rtp_port), ["m=audio 0 RTP/AVP 0"]])
        assert call.invite(sdp) == 488
    finally:
        call.close()
    assert " ERROR " not in bot.log and "Traceback" not in bot.log


def test_rtp_from_a_third_host_gets_nothing_and_is_not_heard(bot: BotProcess) -> None:
    """The caller is silent; 127.0.0.2 sends a loud tone to the bot's RTP port and listens."""
    call = RawCall(bot.sip_port)
    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    intruder.bind(("127.0.0.2", 0))
    try:
        assert call.invite(offer("127.0.0.1", [audio_sdp(call.rtp_port)])) == 200
        call.counter.start()
        stolen = RtpCounter(intruder).start()
        target = call.answer_media()
        send_rtp(intruder, target, tone_pcm(1500), ssrc=0x6666)
        time.sleep(1.5)  # an echo would come 600 ms after the tone
        call.bye()
        stolen.stop()
        assert stolen.packets == 0, f"the third host received {stolen.packets} RTP packets of the bot's audio"
        assert call.counter.packets >= 100, "the real caller stopped getting the bot's audio"
        assert call.counter.audible <= GREETING_PACKETS + 2, "the third host's tone was echoed to the caller"
    finally:
        call.close()
        intruder.close()
    assert bot.wait_log(f"call {call.call_id} ended")
    assert "echoing" not in bot.log.split(call.call_id, 1)[1], "the bot heard the third host"
    assert "accepted only from 127.0.0.1" in bot.log


def test_a_caller_who_stops_sending_rtp_is_treated_as_gone(bot: BotProcess) -> None:
    call = RawCall(bot.sip_port)
    try:
        assert call.invite(offer("127.0.0.1", [audio_sdp(call.rtp_port)])) == 200
        started = time.monotonic()
        send_rtp(call.rtp, call.answer_media(), b"\x00" * 16000)  # 1 s of (silent) RTP, then nothing
        assert call.bye_received.wait(12), bot.log[-2000:]
        waited = time.monotonic() - started
    finally:
        call.close()
    assert 5.0 <= waited <= 9.0, waited  # rtp_timeout_seconds = 5 after the last packet (checked every second)
    assert bot.wait_log("no RTP from the caller for")
