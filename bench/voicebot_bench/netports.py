"""Free ports on this machine for a bot, a SIP peer or Kamailio under test: the one port picker of the
benchmark and the tests (UDP for SIP and RTP, TCP for the web app)."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody uses right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ports_free(ports: Iterable[int], host: str = "127.0.0.1") -> bool:
    """True when every one of ``ports`` can be bound for UDP right now (each socket is closed again)."""
    socks: list[socket.socket] = []
    try:
        for port in ports:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind((host, port))
    except OSError:
        return False
    finally:
        for sock in socks:
            sock.close()
    return True


def free_rtp_base(host: str = "127.0.0.1", count: int = 200) -> int:
    """An even port with ``count`` free UDP ports from it (every even one checked: RTP ports are even), chosen
    at random between 20000 and 60000 so that parallel runs rarely collide."""
    for _attempt in range(200):
        base = random.randrange(20000, 60000 - count, 2)
        if ports_free(range(base, base + count, 2), host):
            return base
    raise RuntimeError(f"no {count} free UDP ports in a row for RTP")


def free_sip_ports(count: int, avoid: range, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive free UDP ports (SIP ports of forked workers), none in ``avoid``."""
    for _attempt in range(100):
        base = free_udp_port(host)
        ports = range(base, base + count)
        if base + count <= 65000 and not any(port in avoid for port in ports) and ports_free(ports, host):
            return base
    raise RuntimeError(f"no {count} consecutive free UDP ports outside {avoid.start}..{avoid.stop - 1}")


__all__ = ["free_rtp_base", "free_sip_ports", "free_tcp_port", "free_udp_port", "ports_free"]
