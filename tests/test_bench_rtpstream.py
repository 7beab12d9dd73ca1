"""The benchmark caller's RTP receive times: the kernel's, so a busy benchmark does not blame the bot."""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import time

import pytest
from voicebot_bench.rtpstream import RtpEndpoint, rtp_quality


def _packet(seq: int) -> bytes:
    return struct.pack("!BBHII", 0x80, 8, seq, seq * 160, 1234) + b"\xd5" * 160


def _send_while_the_loop_is_busy(sender: socket.socket, port: int) -> list[int]:
    """Three packets 20 ms apart, then 200 ms more of blocking: the loop reads them ~200-240 ms late."""
    sent = []
    for seq in range(3):
        sent.append(time.monotonic_ns())
        sender.sendto(_packet(seq), ("127.0.0.1", port))
        time.sleep(0.02)
    time.sleep(0.2)
    return sent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel receive stamps are a Linux ioctl")
async def test_arrival_time_is_when_the_packet_came_not_when_the_loop_got_to_it() -> None:
    loop = asyncio.get_running_loop()
    transport, endpoint = await loop.create_datagram_endpoint(RtpEndpoint, local_addr=("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Linux switches receive stamping on a moment after the first request (deferred work); a call's first RTP
    # packet comes after the SIP exchange, so give the socket that moment here too
    await asyncio.sleep(0.2)
    try:
        sent = _send_while_the_loop_is_busy(sender, endpoint.local_port)
        for _ in range(50):
            if len(endpoint.arrivals) == 3:
                break
            await asyncio.sleep(0.01)
        assert [a.seq for a in endpoint.arrivals] == [0, 1, 2]
        delays_ms = [(a.at_ns - s) / 1e6 for a, s in zip(endpoint.arrivals, sent, strict=True)]
        assert all(-1 <= d < 15 for d in delays_ms), delays_ms  # read ~200-240 ms later, stamped on arrival
        assert rtp_quality(endpoint.arrivals).packets == 3
    finally:
        sender.close()
        transport.close()
