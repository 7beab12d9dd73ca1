"""Transfers with context and the bot's own bridge, against real SIP peers (the line-test bot, SIPp, tcpdump).

The caller (SIPp) presses a department's key; the bot sends a REFER whose Refer-To carries the context headers.
A caller that refuses the REFER (501 Not Implemented, 405 Method Not Allowed) is bridged: the bot calls the
department (a SIPp phone that answers and plays a 1400 Hz tone), joins both calls, and the caller hears the
tone (the bot's RTP towards the caller, captured on loopback and measured by a Goertzel filter). The department
hangs up after 8 s; the bot then hangs up the caller. A busy department (486) or one that never answers (CANCEL after
``[sip] bridge_answer_seconds``) is replaced by the switchboard.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.sip_helpers import (
    SIPP,
    TCPDUMP,
    BotProcess,
    Capture,
    free_rtp_base,
    free_udp_port,
    read_pcap_udp,
    run_sipp,
    sipp_messages,
    start_sipp_uas,
    write_config,
)
from voicebot.audio import alaw_decode, ulaw_decode

pytestmark = [
    pytest.mark.sip,
    pytest.mark.skipif(SIPP is None or TCPDUMP is None, reason="sipp and tcpdump are installed by .ci/setup"),
]

SCENARIOS = Path(__file__).resolve().parent / "sipp"
DEPARTMENT_HZ = 1400.0
"""The department's phone plays this tone (distinct from the line test's own tones and the 425 Hz ringback)."""


@dataclass
class Phones:
    """The line-test bot and the SIPp phones standing in for the departments."""

    bot: BotProcess
    folders: dict[str, Path]
    """Department id -> the working folder of its phone (SIPp traces)."""


def _phone(folder: Path, scenario: str) -> tuple[int, subprocess.Popen[str]]:
    folder.mkdir()
    tone = folder / "tone.ul"
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", str(tone), "synth", "12", "sine", str(DEPARTMENT_HZ)],
        check=True,
    )
    port = free_udp_port()
    return port, start_sipp_uas(SCENARIOS / scenario, port, folder)


@pytest.fixture(scope="module")
def phones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phones]:
    root = tmp_path_factory.mktemp("bridge")
    scenarios = {
        "auslaenderamt": "dept_never_answers.xml",
        "jugendamt": "dept_answers_tone.xml",
        "sozialamt": "dept_busy.xml",
        "zentrale": "dept_answers_tone.xml",
    }
    started = {name: _phone(root / name, scenario) for name, scenario in scenarios.items()}
    try:
        config = write_config(
            root,
            sip={
                "port": free_udp_port(),
                "rtp_port": free_rtp_base(),
                "transfer": "refer-then-bridge",
                "bridge_answer_seconds": 8,
            },
            departments={name: f"sip:{name}@127.0.0.1:{port}" for name, (port, _p) in started.items()},
        )
        with BotProcess(config, "--line-test", "--grace", "2") as bot:
            yield Phones(bot, {name: root / name for name in started})
    finally:
        for _port, process in started.values():
            process.terminate()
            process.wait(10)


def _refusing_caller(bot: BotProcess, workdir: Path, digit: str, status: str, reason: str) -> tuple[str, bytes]:
    """One SIPp caller that refuses the REFER and stays on; (its traced messages, the PCM the bot sent it)."""
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", str(workdir / "caller.ul"), "trim", "0", "30"], check=True
    )
    scenario = workdir / "caller.xml"
    template = (SCENARIOS / "caller_refer_refused.xml").read_text(encoding="utf-8")
    scenario.write_text(template.replace("SIP/2.0 501 Not Implemented", f"SIP/2.0 {status} {reason}"), encoding="utf-8")
    media = free_rtp_base(count=8)
    pcap = workdir / "rtp.pcap"
    with Capture(pcap, [media]):
        result = run_sipp(
            scenario,
            f"127.0.0.1:{bot.sip_port}",
            workdir=workdir,
            timeout_s=60,
            extra=["-s", "voicebot", "-mp", str(media), "-set", "digit", digit],
        )
    messages = sipp_messages(workdir)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr + messages[-3000:] + bot.log[-4000:]
    pcm = b"".join(_payload_pcm(payload) for _src, dst, payload in read_pcap_udp(pcap) if dst == media)
    (workdir / "heard.raw").write_bytes(pcm)  # what the caller heard (8 kHz 16-bit), for a look after a failure
    (workdir / "bot.log").write_text(bot.log, encoding="utf-8")
    return messages, pcm


def _payload_pcm(packet: bytes) -> bytes:
    if len(packet) < 12 or packet[0] >> 6 != 2 or (packet[1] & 0x7F) not in (0, 8):
        return b""
    body = packet[12 + 4 * (packet[0] & 0x0F) :]
    return alaw_decode(body) if packet[1] & 0x7F == 8 else ulaw_decode(body)


def goertzel_share(block: np.ndarray, freq: float, rate: int = 8000) -> float:
    """Share of ``block``'s energy at ``freq`` (Goertzel), 0..1."""
    coeff = 2 * np.cos(2 * np.pi * freq / rate)
    s_prev = s_prev2 = 0.0
    for sample in block:
        s_prev, s_prev2 = sample + coeff * s_prev - s_prev2, s_prev
    power = s_prev2**2 + s_prev**2 - coeff * s_prev * s_prev2
    energy = float(np.sum(block * block)) * len(block) / 2
    return float(power / energy) if energy > 0 else 0.0


def seconds_of_tone(pcm: bytes, freq: float, rate: int = 8000) -> float:
    """How long ``pcm`` carries an audible tone at ``freq`` (200 ms blocks above -40 dBFS, >= 60 % at ``freq``)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    step = rate // 5
    found = 0
    for start in range(0, len(samples) - step, step):
        block = samples[start : start + step]
        if np.sqrt(np.mean(block * block)) >= 300 and goertzel_share(block, freq, rate) >= 0.6:
            found += 1
    return found / 5


def invites(folder: Path) -> list[str]:
    """The INVITEs a department's phone received (as traced)."""
    return [part for part in sipp_messages(folder).split("-----") if "\nINVITE sip:" in part]


def test_goertzel_tells_the_department_tone_from_the_ringback() -> None:
    rate = 8000
    t = np.arange(rate) / rate
    tone = (8000 * np.sin(2 * np.pi * DEPARTMENT_HZ * t)).astype("<i2").tobytes()
    ringback = (8000 * np.sin(2 * np.pi * 425.0 * t)).astype("<i2").tobytes()
    assert seconds_of_tone(tone, DEPARTMENT_HZ) >= 0.8
    assert seconds_of_tone(ringback, DEPARTMENT_HZ) == 0.0


def test_refer_carries_the_context_in_the_refer_to_uri(phones: Phones, tmp_path: Path) -> None:
    fixture_free = tmp_path / "caller.ul"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", str(fixture_free), "trim", "0", "8"], check=True)
    result = run_sipp(
        SCENARIOS / "caller_dtmf_info.xml",
        f"127.0.0.1:{phones.bot.sip_port}",
        workdir=tmp_path,
        timeout_s=40,
        extra=["-s", "voicebot", "-set", "digit", "4"],
    )
    messages = sipp_messages(tmp_path)
    assert result.returncode == 0, result.stdout + messages + phones.bot.log[-3000:]
    refer_to = next(line for line in messages.splitlines() if line.startswith("Refer-To:"))
    assert refer_to.startswith("Refer-To: <sip:jugendamt@127.0.0.1:"), refer_to
    assert "?Subject=Leitungstest:%20Taste%204" in refer_to, refer_to
    assert "&X-Voicebot-Reason=Leitungstest:%20Taste%204>" in refer_to, refer_to
    assert "0838155501" not in refer_to, "the caller's number must not be in the context"


def test_a_phone_that_follows_the_refer_brings_the_context_to_the_department(phones: Phones) -> None:
    """The caller's phone is pjsua (tests/pjsua_transferee.py): it takes the REFER and calls the department
    itself; pjsip copies the Refer-To URI's headers into that INVITE, so the department sees the context."""
    before = len(invites(phones.folders["jugendamt"]))
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("pjsua_transferee.py")), phones.bot.uri, "4", "12"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "REFER <sip:jugendamt@" in result.stdout, result.stdout + phones.bot.log[-3000:]
    department = invites(phones.folders["jugendamt"])[before:]
    assert len(department) == 1, result.stdout + phones.bot.log[-3000:]
    invite = department[0]
    assert "0838155509@127.0.0.1" in invite.split("\nFrom:", 1)[1].split("\n", 1)[0], "the caller's phone calls"
    assert "\nSubject: Leitungstest: Taste 4" in invite, invite
    assert "\nX-Voicebot-Reason: Leitungstest: Taste 4" in invite, invite
    assert "?Subject" not in invite.split("\n", 1)[0], "the headers are not left in the request URI"


@pytest.mark.parametrize(("status", "reason"), [("501", "Not Implemented"), ("405", "Method Not Allowed")])
def test_refused_refer_is_bridged_and_the_caller_hears_the_department(
    phones: Phones, tmp_path: Path, status: str, reason: str
) -> None:
    before = len(invites(phones.folders["jugendamt"]))
    messages, heard = _refusing_caller(phones.bot, tmp_path, "4", status, reason)
    assert f"SIP/2.0 {status} {reason}" in messages
    assert "BYE sip:" in messages, "the bot did not hang up the caller after the department did"
    department = invites(phones.folders["jugendamt"])[before:]
    assert len(department) == 1, phones.bot.log[-3000:]
    assert "Subject: Leitungstest: Taste 4" in department[0], department[0]
    assert "X-Voicebot-Reason: Leitungstest: Taste 4" in department[0], department[0]
    assert "0838155501" not in department[0], "no caller number in the context"
    tone_s = seconds_of_tone(heard, DEPARTMENT_HZ)
    assert tone_s >= 5.0, (
        f"the caller heard the department's tone for only {tone_s:.1f} s of {len(heard) / 16000:.1f} s"
    )
    assert phones.bot.wait_log("joined to the bridged call"), phones.bot.log[-3000:]
    log = phones.bot.log
    joined = log.rindex("joined to the bridged call")
    key = log[log.rindex("call #", 0, joined) + 6 : joined].split(":")[0]
    assert f"call {key}: audio stalled" not in log[joined:], "the watchdog must leave a joined call's audio alone"
    assert _outcome(phones.bot, messages) == ("transferred", "Leitungstest: bridged")


def test_busy_department_ends_at_the_switchboard(phones: Phones, tmp_path: Path) -> None:
    before = len(invites(phones.folders["zentrale"]))
    busy_before = len(invites(phones.folders["sozialamt"]))
    _messages, heard = _refusing_caller(phones.bot, tmp_path, "5", "501", "Not Implemented")
    assert len(invites(phones.folders["sozialamt"])) == busy_before + 1
    switchboard = invites(phones.folders["zentrale"])[before:]
    assert len(switchboard) == 1, phones.bot.log[-3000:]
    assert "X-Voicebot-Reason: Leitungstest: Taste 5; sozialamt nicht erreicht (486)\n" in switchboard[0]
    assert seconds_of_tone(heard, DEPARTMENT_HZ) >= 5.0


def test_department_that_never_answers_is_given_up_and_the_switchboard_takes_the_call(
    phones: Phones, tmp_path: Path
) -> None:
    before = len(invites(phones.folders["zentrale"]))
    _messages, heard = _refusing_caller(phones.bot, tmp_path, "3", "405", "Method Not Allowed")
    assert "CANCEL sip:" in sipp_messages(phones.folders["auslaenderamt"]), "the ringing leg was not cancelled"
    switchboard = invites(phones.folders["zentrale"])[before:]
    assert len(switchboard) == 1, phones.bot.log[-3000:]
    assert "X-Voicebot-Reason: Leitungstest: Taste 3; auslaenderamt nicht erreicht (408)\n" in switchboard[0], (
        switchboard[0]
    )
    assert seconds_of_tone(heard, 425.0) >= 1.5, "the caller heard no ringback while the department rang"
    assert seconds_of_tone(heard, DEPARTMENT_HZ) >= 5.0


def _outcome(bot: BotProcess, messages: str) -> tuple[str, str]:
    """(outcome, reason) of the caller's call in the bot's records, once it has ended."""
    call_id = next(line for line in messages.splitlines() if line.startswith("Call-ID:")).split(":", 1)[1].strip()
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(bot.config.parent / "records.sqlite3") as conn:
            row = conn.execute("SELECT outcome, reason, ended_at FROM calls WHERE id = ?", (call_id,)).fetchone()
        if (row is not None and row[2] is not None) or time.monotonic() > deadline:
            assert row is not None, f"call {call_id} is not in the records"
            return str(row[0]), str(row[1])
        time.sleep(0.2)
