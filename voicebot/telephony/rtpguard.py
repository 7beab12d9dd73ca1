"""Media only from the negotiated peer: a kernel filter on each call's RTP/RTCP sockets, and the RTP timeout.

The hijack this prevents: pjmedia latches its RTP destination onto the source of incoming packets (NAT
traversal, "symmetric RTP"). While the caller sends nothing, a third host sending RTP to the bot's port
got the bot's audio (751 packets in a measured call) and its own audio was heard and answered. pjsua2 2.15
has no switch for this: ``PJMEDIA_UDP_NO_SRC_ADDR_CHECKING`` is an option of
``pjmedia_transport_udp_attach``, which pjsua calls with 0, and even with it foreign packets would still
be decoded. So the bot filters below pjmedia: once the SDP is negotiated, each RTP and RTCP socket of the
call gets a classic BPF socket filter (``SO_ATTACH_FILTER``) that lets through only datagrams whose IP
source is the peer's media address from the SDP (``StreamInfo.remoteRtpAddress``). The kernel drops the
rest, so pjmedia never sees, plays or latches onto them; the peer's *port* may still change (NAT), which
latching keeps handling. A re-INVITE that moves the media sets the filter afresh.

The sockets are found by their local port in ``/proc/self/fd`` (Linux; elsewhere the filter is skipped
with a warning). ``RtpActivity`` is the pure bookkeeping of the RTP timeout: a caller whose packets stop
for ``[sip] rtp_timeout_seconds`` is treated as gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import logging
import os
import socket
import struct
from dataclasses import dataclass
from typing import Final

_LOGGER: Final = logging.getLogger(__name__)

SO_ATTACH_FILTER: Final = 26
"""Linux socket option for a classic BPF filter (``<asm-generic/socket.h>``)."""
SKF_NET_OFF: Final = 0xFFF00000
"""Classic BPF: load offsets from here address the IP header (``-0x100000`` in ``<linux/filter.h>``)."""
_LD_W_ABS: Final = 0x20
_JEQ_K: Final = 0x15
_RET_K: Final = 0x06


def source_filter(*hosts: str) -> bytes:
    """The BPF program (packed ``sock_filter`` array) that accepts only datagrams from one of ``hosts`` (IPv4:
    any number; IPv6: the first only)."""
    addresses = list(dict.fromkeys(ipaddress.ip_address(host) for host in hosts))
    if all(address.version == 4 for address in addresses) and len(addresses) > 1:
        count = len(addresses)
        program4: list[tuple[int, int, int, int]] = [(_LD_W_ABS, 0, 0, SKF_NET_OFF + 12)]
        for index, address in enumerate(addresses):  # a match jumps to "accept" (after the remaining compares)
            program4.append((_JEQ_K, count - index, 0, int.from_bytes(address.packed, "big")))
        program4 += [(_RET_K, 0, 0, 0), (_RET_K, 0, 0, 0xFFFFFFFF)]
        return b"".join(struct.pack("HBBI", *instruction) for instruction in program4)
    address = addresses[0]
    source_offset = 12 if address.version == 4 else 8  # IPv4 saddr / IPv6 saddr in the IP header
    words = [int.from_bytes(address.packed[i : i + 4], "big") for i in range(0, len(address.packed), 4)]
    program: list[tuple[int, int, int, int]] = []
    for index, word in enumerate(words):
        remaining = len(words) - index - 1  # compare instructions still to come (2 per word)
        program.append((_LD_W_ABS, 0, 0, SKF_NET_OFF + source_offset + 4 * index))
        program.append((_JEQ_K, 0, 2 * remaining + 1, word))  # mismatch: jump to "drop"
    program += [(_RET_K, 0, 0, 0xFFFFFFFF), (_RET_K, 0, 0, 0)]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program)


def _attach(sock: socket.socket, program: bytes) -> None:
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def _udp_sockets_on(ports: set[int]) -> list[tuple[int, socket.socket]]:
    """(port, duplicate socket) of this process's UDP sockets bound to one of ``ports``."""
    found: list[tuple[int, socket.socket]] = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_DGRAM and sock.family in (socket.AF_INET, socket.AF_INET6):
                port = int(sock.getsockname()[1])
                if port in ports:
                    found.append((port, sock))
                    continue
        except OSError:
            pass
        sock.close()
    return found


def split_host_port(address: str) -> tuple[str, int]:
    """``1.2.3.4:5`` / ``[::1]:5`` -> (host, port); (``""``, 0) when it is not an address."""
    host, _colon, port = address.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "", 0
    return host, int(port) if port.isdigit() else 0


def restrict_to_peer(local_rtp: str, remote_rtp: str, signalling_host: str = "") -> bool:
    """Let the RTP socket on ``local_rtp`` (and its RTCP socket, port + 1) receive only from the host of
    ``remote_rtp`` (the SDP's media address) or ``signalling_host`` (where the INVITE came from: a peer behind
    NAT announces one address and sends from the other). False (logged) when the address is unusable or no
    socket was found."""
    _local_host, local_port = split_host_port(local_rtp)
    peer, _port = split_host_port(remote_rtp)
    if not local_port or not peer:
        _LOGGER.warning("RTP source filter not set: addresses %r / %r not understood", local_rtp, remote_rtp)
        return False
    try:
        same_family = (
            signalling_host and ipaddress.ip_address(signalling_host).version == 4 == ipaddress.ip_address(peer).version
        )
        program = source_filter(peer, signalling_host) if same_family else source_filter(peer)
        sockets = _udp_sockets_on({local_port, local_port + 1})
    except (OSError, ValueError) as error:
        _LOGGER.warning("RTP source filter not set (port %s): %s", local_port, error)
        return False
    try:
        for _port, sock in sockets:
            _attach(sock, program)
    except OSError as error:
        _LOGGER.warning("RTP source filter not set (port %s): %s", local_port, error)
        return False
    finally:
        for _port, sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
    if not any(port == local_port for port, _sock in sockets):
        _LOGGER.warning("RTP source filter not set: no socket on port %s", local_port)
        return False
    return True


@dataclass
class RtpActivity:
    """When the caller's RTP last advanced (endpoint thread; time passed in)."""

    packets: int = 0
    """Packets received so far (pjmedia's RTCP receive statistics)."""
    since: float = 0.0
    """When ``packets`` last grew, or the media became active (monotonic seconds)."""

    def silent_for(self, packets: int, now: float) -> float:
        """Record the current packet count; how long no packet has arrived (seconds)."""
        if packets != self.packets:
            self.packets = packets
            self.since = now
        return now - self.since
