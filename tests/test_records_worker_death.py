"""A worker SIGKILLed during a real call: the supervisor closes the call's record (``worker_died``); the log
never shows the caller's full number; a Call-ID with invalid UTF-8 is stored (escaped).

Real peers on loopback: ``voicebot run --workers 2 --line-test`` and SIPp as the caller.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from voicebot_bench import sipwire
from voicebot_bench.netports import free_udp_port

from tests.sip_helpers import SIPP, BotProcess, free_rtp_base, write_config
from voicebot.call.workers import RTP_PORTS_PER_WORKER

pytestmark = [pytest.mark.sip, pytest.mark.skipif(SIPP is None, reason="SIPp (sip-tester) is not installed")]

NUMBER = "+4983815550123"
MASKED = "+49 8381 ••• 23"
BAD_CALL_ID = b"ba\xff\xfed-raw@test"
"""A Call-ID with the bytes FF FE (invalid UTF-8); pjsua2 hands it to Python with lone surrogates."""

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller with a number, held; BYE after the worker died">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Anrufer" <sip:NUMBER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:NUMBER@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=sendrecv

    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Anrufer" <sip:NUMBER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <pause milliseconds="7000"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Anrufer" <sip:NUMBER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="481"/>
</scenario>
"""


def running_calls(database: Path) -> list[tuple[str, str, str | None, str | None, str]]:
    """(id, instance, ended_at, outcome, reason) of every call in the records."""
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=5) as conn:
        return list(conn.execute("SELECT id, instance, ended_at, outcome, reason FROM calls"))


def final_from_foreign_host(data: bytes, dest: tuple[str, int], timeout: float = 4.0) -> bytes:
    """Send a request from 127.0.0.2 (a host not in ``allowed_peers``); the final response (b"" if none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.2", 0))
        sock.settimeout(timeout)
        sock.sendto(data, dest)
        while True:
            try:
                reply, _ = sock.recvfrom(65535)
            except TimeoutError:
                return b""
            if not reply.startswith(b"SIP/2.0 1"):
                return reply


def raw_call_with_bad_call_id(port: int) -> bytes:
    """INVITE (Call-ID ``BAD_CALL_ID``), ACK, BYE from a raw socket; the status line of the BYE's answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        here = sock.getsockname()[1]
        tag = sipwire.new_tag()

        def request(method: str, cseq: int, to_header: bytes, body: bytes = b"") -> bytes:
            headers = [
                ("Via", f"SIP/2.0/UDP 127.0.0.1:{here};branch={sipwire.new_branch()};rport"),
                ("Max-Forwards", "70"),
                ("From", f"<sip:{NUMBER}@127.0.0.1>;tag={tag}"),
                ("To", "TO-HEADER"),
                ("Call-ID", "CALL-ID"),
                ("CSeq", f"{cseq} {method}"),
                ("Contact", f"<sip:{NUMBER}@127.0.0.1:{here}>"),
            ]
            if body:
                headers.append(("Content-Type", "application/sdp"))
            data = sipwire.serialize(f"{method} sip:voicebot@127.0.0.1:{port} SIP/2.0", headers, body)
            return data.replace(b"CALL-ID", BAD_CALL_ID).replace(b"TO-HEADER", to_header)

        def final(method: bytes) -> bytes:
            while True:
                reply, _ = sock.recvfrom(65535)
                if not reply.startswith(b"SIP/2.0 1") and re.search(rb"\r\nCSeq: *\d+ " + method, reply):
                    return reply

        to = f"<sip:voicebot@127.0.0.1:{port}>".encode()
        sock.sendto(request("INVITE", 1, to, sipwire.sdp_offer("127.0.0.1", 9, 1)), ("127.0.0.1", port))
        answer = final(b"INVITE")
        assert answer.startswith(b"SIP/2.0 200"), answer
        match = re.search(rb"\r\nTo: *([^\r\n]+)", answer)
        assert match is not None, answer
        sock.sendto(request("ACK", 1, match.group(1)), ("127.0.0.1", port))
        time.sleep(1.0)
        sock.sendto(request("BYE", 2, match.group(1)), ("127.0.0.1", port))
        return final(b"BYE")[:11]


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_a_sigkilled_workers_call_is_closed_by_the_supervisor_and_logs_show_no_number(tmp_path: Path) -> None:
    port = free_udp_port()
    config = write_config(
        tmp_path,
        sip={"port": port, "rtp_port": free_rtp_base(count=2 * RTP_PORTS_PER_WORKER), "max_calls": 4},
        vad={"no_input_ms": 30000},
    )
    database = tmp_path / "records.sqlite3"
    scenario = tmp_path / "held_call.xml"
    scenario.write_bytes(SCENARIO.replace("NUMBER", NUMBER).encode("latin-1"))
    assert SIPP is not None
    with BotProcess(config, "--workers", "2", "--line-test", "--grace", "1", instance="lt") as bot:
        assert bot.wait_log("worker-2 INFO voicebot.call.switch: listening on", timeout=60), bot.log
        pids = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"worker (\d): pid (\d+)", bot.log)}
        args = [SIPP, f"127.0.0.1:{port}", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_udp_port())]
        args += ["-mp", str(free_rtp_base(count=16)), "-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin"]
        caller = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_for(lambda: any(row[1] == "lt-1" for row in running_calls(database)), 20), bot.log
            [(call_id, _, ended, outcome, _)] = running_calls(database)
            assert ended is None and outcome is None

            # the 200 is out and SIPp has sent its ACK: the dialog exists on both sides
            assert bot.wait_log(f"worker-1 INFO voicebot.telephony.call: call {call_id}: media active", 10), bot.log
            time.sleep(1.0)
            os.kill(pids[1], signal.SIGKILL)
            assert bot.wait_log("died with status -9: starting it again", timeout=10), bot.log
            assert wait_for(lambda: running_calls(database)[0][3] == "worker_died", 10), running_calls(database)
            [(_, instance, ended, outcome, reason)] = running_calls(database)
            assert instance == "lt-1" and ended is not None and "Signal 9" in reason
            assert "running call(s) recorded as ended (worker_died)" in bot.log
            # the caller's BYE reaches the replacement worker, which knows no such dialog: 481 ends it
            _, errors = caller.communicate(timeout=60)
            assert caller.returncode == 0, errors
        finally:
            if caller.poll() is None:
                caller.kill()
        # a call whose Call-ID has invalid UTF-8: answered, recorded (escaped), ended
        assert raw_call_with_bad_call_id(port + 1) == b"SIP/2.0 200"
        assert wait_for(
            lambda: any(row[0] == "ba\\xff\\xfed-raw@test" and row[3] for row in running_calls(database)), 10
        )
        # a call from a peer that is not allowed: rejected, logged with the number masked
        invite = sipwire.serialize(
            f"INVITE sip:voicebot@127.0.0.1:{port + 1} SIP/2.0",
            [
                ("Via", f"SIP/2.0/UDP 127.0.0.2:9;branch={sipwire.new_branch()};rport"),
                ("From", f"<sip:{NUMBER}@127.0.0.2>;tag={sipwire.new_tag()}"),
                ("To", f"<sip:voicebot@127.0.0.1:{port + 1}>"),
                ("Call-ID", "foreign@test"),
                ("CSeq", "1 INVITE"),
                ("Contact", f"<sip:{NUMBER}@127.0.0.2:9>"),
            ],
        )
        assert final_from_foreign_host(invite, ("127.0.0.1", port + 1)).startswith(b"SIP/2.0 403")
        assert bot.wait_log("allowed_peers -> 403", timeout=5)
    accepted = [line for line in bot.lines if " accepted (" in line]
    assert accepted and all(MASKED in line for line in accepted), accepted
    assert any(MASKED in line and "-> 403" in line for line in bot.lines), bot.log
    for digits in (NUMBER, NUMBER[1:], "83815550123"):
        assert digits not in bot.log
