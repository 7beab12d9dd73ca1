"""Behind a reverse proxy: the real client address and scheme, from trusted proxies only.

Only when the direct peer is one of ``[web] trusted_proxies`` are ``Forwarded`` (RFC 7239) or
``X-Forwarded-For`` / ``X-Forwarded-Proto`` believed. The client is the right-most address in the chain that
is not itself a trusted proxy (a client can put anything on the left). With https (from the proxy, or
directly) cookies get ``Secure`` (``request.secure``) and responses the HSTS header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Final

from aiohttp import web

from voicebot.web.auth import Handler
from voicebot.web.common import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HSTS: Final = "max-age=31536000"
"""Strict-Transport-Security on https responses (one year; no includeSubDomains: other hosts of the
district's domain are not ours to decide)."""
TRUSTED: Final[web.AppKey[tuple[Network, ...]]] = web.AppKey("trusted_proxies")


def networks(items: Sequence[str]) -> tuple[Network, ...]:
    """Addresses and networks as networks (validated by the configuration already)."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def is_in(address: str | None, nets: Sequence[Network]) -> bool:
    """Whether ``address`` lies in one of ``nets`` (False for no or a malformed address)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in nets)


def bare_address(text: str) -> str:
    """An address from a forwarded header without quotes, brackets or port (``"[2001:db8::1]:443"``,
    ``1.2.3.4:5678``); anything else (``unknown``, an obfuscated name) is returned as it is."""
    text = text.strip().strip('"')
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


def _forwarded_chain(request: web.Request) -> tuple[list[str], str | None]:
    """(addresses, left to right; the last scheme given) from Forwarded, else X-Forwarded-For/-Proto."""
    if request.forwarded:
        chain = [bare_address(str(item["for"])) for item in request.forwarded if item.get("for")]
        proto = next((str(item["proto"]) for item in reversed(request.forwarded) if item.get("proto")), None)
        return chain, proto
    chain = [bare_address(part) for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    proto_header = request.headers.get("X-Forwarded-Proto", "")
    proto = proto_header.split(",")[-1].strip().lower() or None
    return chain, proto


def real_client(peer: str | None, chain: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The client: walking ``chain`` from the right past trusted proxies (the peer must be one)."""
    if not is_in(peer, trusted):
        return peer
    client = peer
    for address in reversed(chain):
        client = address
        if not is_in(address, trusted):
            break
    return client


@web.middleware
async def proxy_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Rewrite the request's remote address and scheme when it came through a trusted proxy; add HSTS."""
    trusted = request.app[TRUSTED]
    if trusted and is_in(request.remote, trusted):
        chain, proto = _forwarded_chain(request)
        changes: dict[str, str] = {}
        client = real_client(request.remote, chain, trusted)
        if client and client != request.remote:
            changes["remote"] = client
        if proto in ("http", "https"):
            changes["scheme"] = proto
        if changes:
            request = request.clone(**changes)  # type: ignore[arg-type]
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if request.secure:
            error.headers["Strict-Transport-Security"] = HSTS
        raise
    if request.secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def setup(app: web.Application) -> None:
    """Put the middleware first (before the error pages and the login check see the request)."""
    app[TRUSTED] = networks(app[SETTINGS].web.trusted_proxies)
    app.middlewares.insert(0, proxy_middleware)


__all__ = ["HSTS", "bare_address", "is_in", "networks", "proxy_middleware", "real_client", "setup"]
