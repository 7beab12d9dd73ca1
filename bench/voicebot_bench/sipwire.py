"""SIP messages and SDP on the wire, just enough for the benchmark caller (RFC 3261 subset, UDP only).

Parsing keeps every header (compact forms expanded); building writes the headers a UAC needs. Pure: no
sockets, no clock; ``sipdialog`` does the transport and the timers.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
}
"""Compact header names and their full (lower-case) forms."""

CODECS = {8: "PCMA", 0: "PCMU"}
"""RTP payload types the caller offers, in order of preference."""

DTMF_PAYLOAD = 101
"""Payload type of RFC 4733 telephone events in the offer."""


@dataclass
class SipMessage:
    """A parsed SIP request or response."""

    start: str
    """The start line (``INVITE sip:… SIP/2.0`` or ``SIP/2.0 200 OK``)."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    """(lower-case name, value) in wire order; repeated headers stay separate."""
    body: bytes = b""
    """The body (SDP, sipfrag)."""

    @property
    def is_response(self) -> bool:
        """True for a response."""
        return self.start.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        """Status code of a response (0 for a request)."""
        return int(self.start.split()[1]) if self.is_response else 0

    @property
    def method(self) -> str:
        """Method of a request, or the CSeq method of a response."""
        if self.is_response:
            return self.get("cseq").split()[-1].upper()
        return self.start.split()[0].upper()

    @property
    def uri(self) -> str:
        """Request-URI of a request (empty for a response)."""
        return "" if self.is_response else self.start.split()[1]

    def get(self, name: str, default: str = "") -> str:
        """First value of a header (case-insensitive)."""
        key = name.lower()
        return next((value for header, value in self.headers if header == key), default)

    def get_all(self, name: str) -> list[str]:
        """All values of a header, comma-separated lists split (for Via, Record-Route)."""
        key = name.lower()
        values: list[str] = []
        for header, value in self.headers:
            if header == key:
                values.extend(part.strip() for part in split_list(value))
        return values


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, keeping commas inside <...> and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            depth += 1
        elif char == ">" and not quoted:
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in (p.strip() for p in parts) if part]


def parse(data: bytes) -> SipMessage | None:
    """Parse one datagram; None for keep-alives and garbage."""
    head, _sep, body = data.partition(b"\r\n\r\n")
    try:
        lines = head.decode("utf-8").split("\r\n")
    except UnicodeDecodeError:
        return None
    if not lines or not (lines[0].startswith("SIP/2.0 ") or lines[0].endswith(" SIP/2.0")):
        return None
    message = SipMessage(lines[0])
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and message.headers:
            name, value = message.headers[-1]
            message.headers[-1] = (name, value + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = name.strip().lower()
        message.headers.append((COMPACT.get(key, key), value.strip()))
    length = message.get("content-length")
    message.body = body[: int(length)] if length.isdigit() else body
    return message


def serialize(start: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    """Write a message; Content-Length is added here."""
    lines = [start, *(f"{name}: {value}" for name, value in headers), f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def response_to(
    request: SipMessage,
    status: int,
    reason: str,
    to_tag: str = "",
    extra: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> bytes:
    """A response to ``request`` (Via, From, To, Call-ID, CSeq copied; our tag added to To)."""
    headers = [("Via", via) for via in request.get_all("via")]
    to = request.get("to")
    if to_tag and ";tag=" not in to:
        to = f"{to};tag={to_tag}"
    headers += [
        ("From", request.get("from")),
        ("To", to),
        ("Call-ID", request.get("call-id")),
        ("CSeq", request.get("cseq")),
    ]
    headers += extra or []
    return serialize(f"SIP/2.0 {status} {reason}", headers, body)


def new_tag() -> str:
    """A random tag or Call-ID part."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """A Via branch with the RFC 3261 magic cookie."""
    return "z9hG4bK" + secrets.token_hex(8)


def tag_of(header: str) -> str:
    """The ``tag`` parameter of a From/To value."""
    match = re.search(r";\s*tag=([^;>\s]+)", header)
    return match.group(1) if match else ""


def uri_of(header: str) -> str:
    """The URI inside a name-addr (``"x" <sip:a@b>;p`` → ``sip:a@b``) or a bare addr-spec."""
    match = re.search(r"<([^>]+)>", header)
    return match.group(1) if match else header.split(";")[0].strip()


def host_port(uri: str, default_port: int = 5060) -> tuple[str, int]:
    """Host and port of a SIP URI (``sip:user@host:port;params``)."""
    rest = uri.split(":", 1)[1] if uri.lower().startswith(("sip:", "sips:")) else uri
    rest = rest.split(";")[0].split("?")[0]
    hostport = rest.rsplit("@", 1)[-1]
    host, _colon, port = hostport.partition(":")
    return host, int(port) if port.isdigit() else default_port


def sdp_offer(host: str, rtp_port: int, session_id: int) -> bytes:
    """SDP offering PCMA and PCMU at 8 kHz, 20 ms packets, plus RFC 4733 events."""
    payloads = " ".join(str(pt) for pt in CODECS)
    lines = [
        "v=0",
        f"o=bench {session_id} {session_id} IN IP4 {host}",
        "s=voicebot bench",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {rtp_port} RTP/AVP {payloads} {DTMF_PAYLOAD}",
        *(f"a=rtpmap:{pt} {name}/8000" for pt, name in CODECS.items()),
        f"a=rtpmap:{DTMF_PAYLOAD} telephone-event/8000",
        f"a=fmtp:{DTMF_PAYLOAD} 0-15",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


@dataclass(frozen=True)
class SdpAnswer:
    """What the far end chose."""

    host: str
    """Address to send RTP to."""
    port: int
    """RTP port to send to."""
    payload: int
    """Chosen audio payload type (8 = PCMA, 0 = PCMU)."""
    dtmf_payload: int | None
    """Payload type for telephone events, if the answer kept them."""


def parse_sdp(body: bytes) -> SdpAnswer | None:
    """The audio destination and codec from an SDP answer; None when it has no usable audio."""
    text = body.decode("utf-8", "replace")
    host, port, payloads, dtmf = "", 0, [], None
    for line in text.splitlines():
        if line.startswith("c=IN IP4 "):
            host = line.split()[-1]
        elif line.startswith("m=audio "):
            fields = line.split()
            port = int(fields[1])
            payloads = [int(pt) for pt in fields[3:] if pt.isdigit()]
        elif "telephone-event" in line and line.startswith("a=rtpmap:"):
            dtmf = int(line[len("a=rtpmap:") :].split()[0])
    audio = next((pt for pt in payloads if pt in CODECS), None)
    if not host or not port or audio is None:
        return None
    return SdpAnswer(host, port, audio, dtmf)
