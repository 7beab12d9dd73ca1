"""The answer to a request pjsip's own parser drops: 400 Bad Request (505 for another SIP version).

pjsip discards a datagram it cannot parse, or one without Call-ID/From/To/Via/CSeq, before any module
sees it (``pjsip_tpmgr_receive_packet``), so the sender would retransmit for 32 s without an answer.
RFC 4475 §3.1.2 wants such requests refused with 400 (505 for ``SIP/7.0``). This builds that answer
from the request's own text with the tolerant reader (``sipmsg``): Via (all of them, the top one with
``received``/``rport`` filled in, RFC 3261 §18.2.1 and RFC 3581), From, To (with a tag), Call-ID and
CSeq, each where it can be read. Without a readable Via or CSeq there is nothing to address the answer
to, and nothing is sent; a response, an ACK or something that is no SIP request at all is never
answered. The answer goes back to the packet's source only (the caller of this module sends it), never
to an address named inside the message. Pure; never raises.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from voicebot.telephony.sipmsg import address, headers_of, parse_request, split_outside_quotes

MAX_GROWTH: Final = 256
"""An answer may be at most this many bytes longer than the request (no amplification)."""
_VIA: Final = re.compile(r"^SIP\s*/\s*\d+\.\d+\s*/\s*[A-Za-z0-9\-]+\s+[^\s;,]+", re.IGNORECASE)
_CSEQ: Final = re.compile(r"^\d{1,32}\s+[A-Za-z0-9\-.!%*_+`'~]+$")
_RPORT: Final = re.compile(r";\s*rport\s*(?=;|$)", re.IGNORECASE)
_STANDARD: Final = {400: "Bad Request", 416: "Unsupported URI Scheme", 505: "Version Not Supported"}


@dataclass(frozen=True)
class BadRequestReply:
    """What to send back, and what to log about it."""

    status: int
    reason: str
    method: str
    """The request's method (as sent, for the log)."""
    from_uri: str
    """The request's From URI (for the masked log line)."""
    data: bytes
    """The whole response, ready for the wire."""


def bad_request_reply(packet: bytes, source_host: str, source_port: int) -> BadRequestReply | None:
    """The 400/505 answer to ``packet`` (one datagram from ``source_host:source_port``), or None when it
    must stay unanswered."""
    try:
        return _reply(packet, source_host, source_port)
    except Exception:  # hostile input; a bug here must only cost the answer
        return None


def _reply(packet: bytes, source_host: str, source_port: int) -> BadRequestReply | None:
    request = parse_request(packet)
    if request is None or request.method.upper() == "ACK":
        return None
    text = packet.decode("latin-1")
    head = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0]
    headers = headers_of(head.partition("\n")[2])
    vias = [value for name, value in headers if name == "via" and value]
    cseq = next((value for name, value in headers if name == "cseq"), "")
    if not vias or not _VIA.match(vias[0]) or not _CSEQ.match(cseq):
        return None
    status = request.problem_status if request.problem_status in _STANDARD else 400
    standard = _STANDARD[status]
    problem = request.problem if request.problem and request.problem != standard else ""
    reason = f"{standard} - {problem}" if problem else standard
    reason = "".join(char if " " <= char < "\x7f" else "?" for char in reason)[:160]
    lines = [f"SIP/2.0 {status} {reason}"]
    lines.append(f"Via: {_top_via(vias[0], source_host, source_port)}")
    lines.extend(f"Via: {value}" for value in vias[1:])
    tag = hashlib.sha256(f"{vias[0]}|{cseq}|{request.call_id}".encode("latin-1")).hexdigest()[:12]
    for name, label in (("from", "From"), ("to", "To"), ("call-id", "Call-ID")):
        value = next((value for key, value in headers if key == name), "")
        if value and name == "to":
            value = _with_tag(value, tag)
        if value:
            lines.append(f"{label}: {value}")
    lines.extend((f"CSeq: {cseq}", "Content-Length: 0", "", ""))
    data = "\r\n".join(lines).encode("latin-1", "replace")
    if len(data) > len(packet) + MAX_GROWTH:
        return None
    return BadRequestReply(status, reason, request.method, request.from_uri, data)


def _top_via(value: str, host: str, port: int) -> str:
    """The top Via with ``received`` (always: harmless when it equals sent-by) and a filled-in ``rport``."""
    first, *rest = split_outside_quotes(value, ",")
    first = first.rstrip()
    if ";received=" not in first.lower().replace(" ", ""):
        first = f"{first};received={host}"
    first = _RPORT.sub(f";rport={port}", first, count=1)
    return ",".join([first, *rest])


def _with_tag(value: str, tag: str) -> str:
    """``To`` with a tag of the answerer added (RFC 3261 §8.2.6.2) when it can be read and has none."""
    _uri, params, problem = address(value)
    if problem or "tag" in params:
        return value
    return f"{value.rstrip()};tag={tag}"
