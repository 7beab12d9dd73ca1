"""The RTP source filter in the kernel, on a real socket: datagrams from the peer's SDP address and from the
host the INVITE came from pass, a third host's are dropped before anyone reads them."""

from __future__ import annotations

import socket

from voicebot.telephony.rtpguard import _attach, source_filter


def _senders_seen(program: bytes) -> set[str]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtp:
        rtp.bind(("127.0.0.1", 0))
        _attach(rtp, program)
        rtp.settimeout(0.3)
        for host in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.bind((host, 0))
                sender.sendto(host.encode(), rtp.getsockname())
        seen = set()
        try:
            while True:
                data, (source, _port) = rtp.recvfrom(100)
                assert data.decode() == source
                seen.add(source)
        except TimeoutError:
            return seen


def test_one_peer_only() -> None:
    assert _senders_seen(source_filter("127.0.0.2")) == {"127.0.0.2"}


def test_the_sdp_address_and_the_signalling_host() -> None:
    assert _senders_seen(source_filter("127.0.0.2", "127.0.0.3")) == {"127.0.0.2", "127.0.0.3"}
    assert _senders_seen(source_filter("127.0.0.1", "127.0.0.1")) == {"127.0.0.1"}
