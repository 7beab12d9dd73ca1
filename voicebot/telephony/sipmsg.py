"""A small, tolerant reader of one SIP request's text: just what the guard needs to decide.

Pure functions; ``parse_request`` never raises. It follows RFC 3261's grammar loosely where RFC 4475
("torture tests") says a parser must be lenient (folded header lines, compact header names, any case,
white space around the colon, escaped characters, commas inside quoted display names), and reports
what makes a request unacceptable in ``problem`` (with the status a UAS answers it with) instead of
guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

COMPACT: Final = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "o": "event",
    "v": "via",
    "k": "supported",
    "r": "refer-to",
    "e": "content-encoding",
    "s": "subject",
    "u": "allow-events",
}
"""RFC 3261 §7.3.3 and extensions: compact header name -> full name."""
_TOKEN: Final = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_VERSION: Final = re.compile(r"^SIP/\d+\.\d+$", re.IGNORECASE)
_MAX_CSEQ: Final = 2**31 - 1
_ECHOED: Final = frozenset({"via", "record-route", "from", "to", "call-id", "cseq"})
_DISPLAY_TOKENS: Final = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~ \t]*$")


@dataclass(frozen=True)
class SipRequest:
    """The parts of a request the guard looks at (strings as sent, unmasked)."""

    method: str
    uri: str
    call_id: str = ""
    from_uri: str = ""
    from_tag: str = ""
    to_tag: str = ""
    cseq: int = -1
    cseq_method: str = ""
    contacts: tuple[str, ...] = ()
    """URIs of the Contact header(s) (``*`` kept as is)."""
    has_body: bool = False
    echo_size: int = 0
    """Bytes of the headers every response repeats (Via, Record-Route, From, To, Call-ID, CSeq), one line each."""
    problem: str = ""
    """Empty when acceptable; otherwise the reason phrase of the refusal."""
    problem_status: int = 0
    """The status that goes with ``problem`` (400, 416, 505)."""

    @property
    def in_dialog(self) -> bool:
        """The request carries a To tag (it belongs to an existing dialog)."""
        return bool(self.to_tag)


def split_outside_quotes(value: str, separator: str) -> list[str]:
    """``value`` split at ``separator`` where it is not inside a quoted string or ``<...>``."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    angle = 0
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            angle += 1
        elif not quoted and char == ">" and angle:
            angle -= 1
        elif char == separator and not quoted and not angle:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def address(value: str) -> tuple[str, dict[str, str], str]:
    """(URI, header parameters, problem) of a name-addr or addr-spec (From, To, Contact)."""
    value = value.strip()
    params_text = ""
    angle = _angle(value)
    if angle is not None:
        start, end = angle
        uri = value[start + 1 : end]
        display = value[:start].strip()
        if not _balanced(display):
            return uri, {}, "unbalanced quotes in a display name"
        if not display.startswith('"') and not _DISPLAY_TOKENS.match(display):
            return uri, {}, "non-token characters in an unquoted display name"
        if uri != uri.strip():
            return uri, {}, "white space inside <>"
        params_text = value[end + 1 :].strip()
        if params_text and not params_text.startswith(";"):
            return uri, {}, "text after the closing >"
        params_text = params_text[1:]
    else:
        if not _balanced(value) or value.startswith('"'):
            return "", {}, "unbalanced quotes or a display name without <>"
        uri, _, params_text = value.partition(";")
        uri = uri.strip()
        if " " in uri or "\t" in uri:
            return "", {}, "white space inside an address"
        if "?" in uri:
            return uri, {}, "a URI with headers outside <>"
    params: dict[str, str] = {}
    if not params_text.strip():
        return uri, params, ""
    for param in split_outside_quotes(params_text, ";"):
        name, _, val = param.partition("=")
        if not name.strip():
            return uri, params, "empty header parameter"
        params[name.strip().lower()] = val.strip()
    return uri, params, ""


def _balanced(text: str) -> bool:
    """Every quoted string in ``text`` is closed (backslash escapes honoured inside quotes)."""
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
    return not quoted


def _angle(value: str) -> tuple[int, int] | None:
    """Positions of the ``<`` and ``>`` around the URI (outside quotes), or None."""
    quoted = escaped = False
    start = -1
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<" and start < 0:
            start = index
        elif not quoted and char == ">" and start >= 0:
            return start, index
    return None


def is_sip_uri(uri: str) -> bool:
    """``sip:`` or ``sips:`` URI with something after the scheme."""
    scheme, colon, rest = uri.partition(":")
    return bool(colon) and scheme.strip().lower() in ("sip", "sips") and bool(rest.strip())


def headers_of(head: str) -> list[tuple[str, str]]:
    """(lower-case full name, value) of every header line, folded lines joined."""
    lines: list[str] = []
    for line in re.split(r"\r?\n", head):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        elif line:
            lines.append(line)
    result: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = name.strip().lower()
        result.append((COMPACT.get(key, key), value.strip()))
    return result


def parse_request(data: bytes) -> SipRequest | None:
    """The request in ``data`` (one datagram), or None when it does not even start like a request."""
    try:
        return _parse(data)
    except Exception:  # the reader is used on hostile input: a bug here must not take anything down
        return None


def _parse(data: bytes) -> SipRequest | None:
    text = data.decode("latin-1")
    pieces = re.split(r"(\r?\n\r?\n)", text, maxsplit=1)
    head, separator, body = [*pieces, "", ""][:3]
    first, _, rest = head.partition("\n")
    first = first.rstrip("\r")
    parts = first.split(" ")
    if len(parts) < 2 or not _TOKEN.match(parts[0]):
        return None
    method, uri = parts[0], parts[1] if len(parts) > 1 else ""
    request = _Builder(method, uri)
    if len(parts) != 3 or not parts[2]:
        request.fail(400, "malformed request line (single spaces between method, URI and version)")
    elif not _VERSION.match(parts[2]):
        request.fail(400, "malformed SIP version")
    elif parts[2].upper() != "SIP/2.0":
        request.fail(505, "Version Not Supported")
    elif uri.startswith("<") or not uri:
        request.fail(400, "Request-URI in <> or empty")
    elif ":" not in uri:
        request.fail(400, "Request-URI without a scheme")
    elif not is_sip_uri(uri):
        request.fail(416, "Unsupported URI Scheme")
    elif "?" in uri.rsplit("@", 1)[-1]:
        request.fail(400, "headers in the Request-URI")
    request.read_headers(headers_of(rest))
    request.check_body(body, bool(separator))
    return request.build()


class _Builder:
    """Collects a request's fields and its first problem."""

    def __init__(self, method: str, uri: str) -> None:
        self.fields: dict[str, object] = {"method": method, "uri": uri}
        self.status = 0
        self.problem = ""
        self.content_length: int | None = None
        self.contacts: list[str] = []

    def fail(self, status: int, problem: str) -> None:
        if not self.problem:
            self.status, self.problem = status, problem

    def read_headers(self, headers: list[tuple[str, str]]) -> None:
        seen = {name for name, _ in headers}
        self.fields["echo_size"] = sum(len(name) + len(value) + 4 for name, value in headers if name in _ECHOED)
        for required in ("call-id", "from", "to", "cseq", "via"):
            if required not in seen:
                self.fail(400, f"missing {required} header")
        for name, value in headers:
            if name == "call-id" and "call_id" not in self.fields:
                self.fields["call_id"] = value
            elif name in ("from", "to") and f"{name}_tag" not in self.fields:
                uri, params, problem = address(value)
                if problem:
                    self.fail(400, f"{name.capitalize()}: {problem}")
                self.fields[f"{name}_tag"] = params.get("tag", "")
                if name == "from":
                    self.fields["from_uri"] = uri
            elif name == "cseq":
                self._cseq(value)
            elif name == "contact":
                self._contact(value)
            elif name == "content-length":
                if not value.isdigit() or len(value) > 9:
                    self.fail(400, "bad Content-Length")
                else:
                    self.content_length = int(value)
        if self.fields["method"] == "INVITE" and not self.contacts:
            self.fail(400, "INVITE without Contact")

    def _cseq(self, value: str) -> None:
        number, _, method = value.partition(" ")
        method = method.strip()
        if not number.isdigit() or len(number) > 10 or int(number) > _MAX_CSEQ:
            self.fail(400, "bad CSeq number")
            return
        self.fields["cseq"], self.fields["cseq_method"] = int(number), method
        if method != self.fields["method"]:
            self.fail(400, "CSeq method does not match the request")

    def _contact(self, value: str) -> None:
        for item in split_outside_quotes(value, ","):
            if item.strip() == "*":
                self.contacts.append("*")
                continue
            uri, _params, problem = address(item)
            if problem:
                self.fail(400, f"Contact: {problem}")
            elif not is_sip_uri(uri):
                self.fail(400, "Contact is not a SIP URI")
            self.contacts.append(uri)

    def check_body(self, body: str, separated: bool) -> None:
        if self.content_length is not None and self.content_length > len(body.encode("latin-1")):
            self.fail(400, "Content-Length larger than the message")
        self.fields["has_body"] = bool(body) if self.content_length is None else self.content_length > 0
        if not separated and self.content_length:
            self.fail(400, "no empty line after the headers")

    def build(self) -> SipRequest:
        return SipRequest(
            contacts=tuple(self.contacts),
            problem=self.problem,
            problem_status=self.status,
            **self.fields,  # type: ignore[arg-type]
        )
