"""Helpers for the real-peer SIP tests: a bot configuration in a tmp folder, raw UDP, SIPp scenarios, packet
capture of RTP.

The bot process, Kamailio and the port picker are the benchmark's (``voicebot_bench.botproc.BotProcess``,
``voicebot_bench.kamailio.Kamailio``, ``voicebot_bench.netports``): one harness for tests and benchmark.
The bot always runs as a subprocess (``voicebot -c cfg run``): pjsua2 allows one endpoint per process
and aborts the process on misuse, so a crash must never take the test runner with it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tomlkit
from voicebot_bench.botproc import BotProcess
from voicebot_bench.kamailio import Kamailio
from voicebot_bench.netports import free_rtp_base, free_tcp_port, free_udp_port, ports_free

from voicebot.audio import alaw_decode, ulaw_decode

ROOT = Path(__file__).resolve().parent.parent
SIPP = shutil.which("sipp")
BARESIP = shutil.which("baresip")
KAMAILIO = shutil.which("kamailio")
TCPDUMP = shutil.which("tcpdump")
SIPP_DATA = Path("/usr/share/sip-tester")


ALWAYS = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
"""Opening hours of every day, all day (tests must not depend on the time of day)."""


def write_config(
    folder: Path, sip: Mapping[str, Any] | None = None, *, always_open: bool = True, **sections: Mapping[str, Any]
) -> Path:
    """The repository's voicebot.toml, made runnable from ``folder``: every path absolute, records in
    ``folder``, the given ``[sip]`` (and other section) values applied; ``departments={id: target}``
    moves targets; ``always_open`` opens every department all day, every day (no closed days)."""
    document = tomlkit.parse((ROOT / "voicebot.toml").read_text(encoding="utf-8"))
    if always_open:
        document["closed"] = []
        document["calendar"]["country"] = ""  # type: ignore[index]  # no public holidays either
        for dept in document["departments"].values():  # type: ignore[union-attr]
            dept["hours"] = tomlkit.inline_table()
            dept["hours"].update(ALWAYS)
            dept.pop("closed", None)
    for key in ("faq", "departments", "prompts"):
        document["content"][key] = str(ROOT / str(document["content"][key]))  # type: ignore[index]
    for section, key in (("asr", "vosk_model"), ("tts", "piper_voice"), ("tts", "cache_dir")):
        document[section][key] = str(ROOT / str(document[section][key]))  # type: ignore[index]
    document["records"]["database"] = str(folder / "records.sqlite3")  # type: ignore[index]
    document["asr"]["whisper_model"] = str(shared_whisper_model())  # type: ignore[index]
    for key, value in (sip or {}).items():
        document["sip"][key] = value  # type: ignore[index]
    for name, values in sections.items():
        if name == "departments":
            for dept, target in values.items():
                document["departments"][dept]["target"] = target  # type: ignore[index]
            continue
        for key, value in values.items():
            document[name][key] = value  # type: ignore[index]
    path = folder / "voicebot.toml"
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path


def departments_at(host: str, port: int) -> dict[str, str]:
    """Every department's target moved to ``host:port`` (the SIPp UAS standing in for the PBX)."""
    document = tomlkit.parse((ROOT / "voicebot.toml").read_text(encoding="utf-8"))
    return {name: f"sip:{name}@{host}:{port}" for name in document["departments"]}  # type: ignore[union-attr]


def shared_whisper_model() -> Path:
    """The PyPI Whisper base model, assembled once under the checkout's var/models (not per test)."""
    from voicebot.engines.whisper_model import assemble_pypi_whisper

    return assemble_pypi_whisper(ROOT / "var" / "models" / "whisper-base")


def udp_request(data: bytes, dest: tuple[str, int], timeout: float = 2.0, host: str = "127.0.0.1") -> bytes:
    """Send one datagram, return the first reply (b"" when none came)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(timeout)
        sock.sendto(data, dest)
        try:
            reply, _addr = sock.recvfrom(65535)
        except TimeoutError:
            return b""
        return reply


def final_reply(data: bytes, dest: tuple[str, int], timeout: float = 4.0) -> bytes:
    """Send a request, skip provisional responses, return the final one (b"" when none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        sock.sendto(data, dest)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply, _addr = sock.recvfrom(65535)
            except TimeoutError:
                return b""
            if not reply.startswith(b"SIP/2.0 1"):
                return reply
        return b""


def run_sipp(
    scenario: Path | str,
    target: str,
    *,
    workdir: Path,
    calls: int = 1,
    limit: int = 1,
    timeout_s: int = 60,
    extra: Iterable[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run SIPp in the foreground (``-sf`` file or ``-sn`` built-in) against ``target`` (host:port)."""
    assert SIPP is not None
    port = free_udp_port()
    media = free_rtp_base(count=16)
    kind = "-sn" if str(scenario) in ("uac", "uas") else "-sf"
    args = [SIPP, target, kind, str(scenario), "-i", "127.0.0.1", "-p", str(port), "-mp", str(media)]
    args += ["-m", str(calls), "-l", str(limit), "-timeout", f"{timeout_s}s", "-timeout_error"]
    args += ["-trace_msg", "-trace_err", "-nostdin", *extra]
    return subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 30, check=False)


def start_sipp_uas(scenario: Path | str, port: int, workdir: Path, extra: Iterable[str] = ()) -> subprocess.Popen[str]:
    """A SIPp UAS in the background on ``port`` (stands in for a department's phone)."""
    assert SIPP is not None
    kind = "-sn" if str(scenario) in ("uac", "uas") else "-sf"
    media = free_rtp_base(count=16)
    args = [SIPP, kind, str(scenario), "-i", "127.0.0.1", "-p", str(port), "-mp", str(media)]
    args += ["-trace_msg", "-nostdin", *extra]
    return subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def sipp_messages(workdir: Path) -> str:
    """All SIP messages SIPp traced in ``workdir`` (``-trace_msg``)."""
    return "\n".join(path.read_text(errors="replace") for path in sorted(workdir.glob("*_messages.log")))


def read_pcap_udp(path: Path) -> list[tuple[int, int, bytes]]:
    """(source port, destination port, payload) of every UDP packet of a tcpdump capture (any link type)."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_len = {0: 4, 1: 14, 113: 16, 276: 20, 101: 0}.get(linktype, 0)
    packets: list[tuple[int, int, bytes]] = []
    offset = 24
    while offset + 16 <= len(data):
        _sec, _usec, caplen, _length = struct.unpack(endian + "IIII", data[offset : offset + 16])
        frame = data[offset + 16 : offset + 16 + caplen]
        offset += 16 + caplen
        ip = frame[link_len:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        header = (ip[0] & 0x0F) * 4
        src, dst, length = struct.unpack("!HHH", ip[header : header + 6])
        packets.append((src, dst, ip[header + 8 : header + length]))
    return packets


def rtp_level(payloads: Iterable[bytes]) -> tuple[int, int]:
    """(audible packets, all G.711 packets) among RTP payloads (RMS above about -40 dBFS)."""
    audible = total = 0
    for packet in payloads:
        if len(packet) < 12 or packet[0] >> 6 != 2:
            continue
        payload_type = packet[1] & 0x7F
        body = packet[12 + 4 * (packet[0] & 0x0F) :]
        if payload_type not in (0, 8):
            continue
        pcm = alaw_decode(body) if payload_type == 8 else ulaw_decode(body)
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        total += 1
        if samples.size and float(np.sqrt(np.mean(samples * samples))) >= 300:
            audible += 1
    return audible, total


class Capture:
    """tcpdump on the loopback interface for some UDP ports, into a pcap file."""

    def __init__(self, path: Path, ports: Iterable[int] = ()) -> None:
        assert TCPDUMP is not None
        expression = " or ".join(f"udp port {port}" for port in ports) or "udp"
        self.path = path
        self._args = [TCPDUMP, "-i", "lo", "-U", "-n", "-s", "0", "-w", str(path), expression]
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Capture:
        self._process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self._process.stderr is not None
        self._process.stderr.readline()  # "listening on lo ..." once the capture runs
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        time.sleep(0.3)
        self._process.send_signal(signal.SIGINT)
        self._process.wait(10)


__all__ = [
    "ALWAYS",
    "BARESIP",
    "KAMAILIO",
    "ROOT",
    "SIPP",
    "SIPP_DATA",
    "TCPDUMP",
    "BotProcess",
    "Capture",
    "Kamailio",
    "departments_at",
    "final_reply",
    "free_rtp_base",
    "free_tcp_port",
    "free_udp_port",
    "ports_free",
    "read_pcap_udp",
    "rtp_level",
    "run_sipp",
    "shared_whisper_model",
    "sipp_messages",
    "start_sipp_uas",
    "udp_request",
    "write_config",
]
