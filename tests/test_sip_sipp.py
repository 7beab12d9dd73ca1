"""SIPp as the caller (line-test bot): audio in, DTMF by SIP INFO and by RFC 2833, REFER accepted.

Asserts on the wire: SIPp's scenario completes (answered, REFER received, NOTIFY sent, BYE answered),
the Refer-To names the department of the pressed digit (with the transfer's context as URI headers), and the bot's RTP towards SIPp was audible
(captured with tcpdump on the loopback interface).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sip_helpers import (
    ROOT,
    SIPP,
    TCPDUMP,
    BotProcess,
    Capture,
    free_rtp_base,
    free_udp_port,
    read_pcap_udp,
    rtp_level,
    run_sipp,
    sipp_messages,
    write_config,
)

pytestmark = [
    pytest.mark.sip,
    pytest.mark.skipif(SIPP is None or TCPDUMP is None, reason="sipp and tcpdump are installed by .ci/setup"),
]

SCENARIOS = Path(__file__).resolve().parent / "sipp"


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("sipp-line")
    config = write_config(folder, sip={"port": free_udp_port(), "rtp_port": free_rtp_base()})
    with BotProcess(config, "--line-test", "--grace", "2") as bot:
        yield bot


def _sipp_call(bot: BotProcess, scenario: str, workdir: Path, extra: list[str]) -> tuple[str, int, int]:
    """Run one SIPp call; (traced messages, audible bot packets, all bot packets to SIPp)."""
    media = free_rtp_base(count=8)
    pcap = workdir / "rtp.pcap"
    with Capture(pcap, [media]):
        result = run_sipp(
            SCENARIOS / scenario,
            f"127.0.0.1:{bot.sip_port}",
            workdir=workdir,
            timeout_s=40,
            extra=["-s", "voicebot", "-mp", str(media), *extra],
        )
    assert result.returncode == 0, result.stdout + result.stderr + sipp_messages(workdir) + bot.log
    from_bot = [payload for _src, dst, payload in read_pcap_udp(pcap) if dst == media]
    audible, total = rtp_level(from_bot)
    return sipp_messages(workdir), audible, total


def test_sipp_streams_audio_presses_a_key_by_sip_info_and_follows_the_refer(line: BotProcess, tmp_path: Path) -> None:
    fixture = ROOT / "audio_fixtures" / "8k_alaw" / "dept-jugendamt.wav"
    subprocess.run(["sox", str(fixture), "-r", "8000", "-c", "1", "-t", "ul", str(tmp_path / "caller.ul")], check=True)
    messages, audible, total = _sipp_call(line, "caller_dtmf_info.xml", tmp_path, ["-set", "digit", "4"])
    assert "Refer-To: <sip:jugendamt@127.0.0.1:5090?Subject=Leitungstest:%20Taste%204&" in messages
    assert total > 100, "the bot sent (almost) no RTP"
    assert audible >= 30, f"the bot's RTP was silent ({audible} of {total} packets audible)"
    assert line.wait_log("DTMF 4")


def test_sipp_presses_a_key_by_rfc2833_and_follows_the_refer(line: BotProcess, tmp_path: Path) -> None:
    messages, audible, _total = _sipp_call(line, "caller_dtmf_2833.xml", tmp_path, [])
    assert "Refer-To: <sip:zulassung@127.0.0.1:5090?Subject=Leitungstest:%20Taste%201&" in messages
    assert audible >= 30
    assert line.wait_log("DTMF 1")
