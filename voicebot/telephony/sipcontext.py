"""What a transferred caller wants, as SIP headers the department's phone or PBX can show. Pure.

A transfer carries a short context: the topic, the caller's last words (masked by ``voicebot.privacy``) and the
bot's reason. It travels as ordinary SIP headers:

- ``Subject``: one line for a phone display ("Kfz-Zulassung: ich moechte mein Auto anmelden");
- ``Call-Info``: ``<urn:x-voicebot:topic:<id>>;purpose=info`` (machine-readable topic id, RFC 3261 §20.9);
- ``X-Voicebot-Reason`` and ``X-Voicebot-Words``: the bot's reason and the caller's masked words.

With a REFER they ride as URI headers of the Refer-To target (``<sip:dept@pbx?Subject=...&Call-Info=...>``,
percent-encoded, RFC 3261 §19.1.1), which the caller's phone copies into its INVITE to the department; a bridged
call (the bot calls the department itself) sends them as headers of its INVITE.

Header values are ASCII: umlauts are transliterated (ä -> ae, ß -> ss), other characters outside printable ASCII
are dropped, values are cut to a short length. Many desk phones and PBX dialplans mangle UTF-8 in headers; "ae"
reads correctly everywhere. The caller's number is never part of the context (the words are masked, the
header set has no field for it).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Final

from voicebot.privacy import mask

SUBJECT_CHARS: Final = 100
"""Longest ``Subject`` value (characters)."""
FIELD_CHARS: Final = 80
"""Longest value of the other context headers (characters)."""

_TRANSLITERATION: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_URI_SAFE: Final = "-_.!~*'()[]/?:+$"
"""Characters RFC 3261 allows unescaped in a URI header value (hnv-unreserved and unreserved)."""
_TOPIC_ID: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class TransferContext:
    """What the department should know about a caller being put through."""

    topic_id: str = ""
    """The FAQ topic the caller asked about (empty: none)."""
    topic: str = ""
    """Its title in words ("ein Fahrzeug anmelden"), or the department's name."""
    words: str = ""
    """The caller's last words as recognised (masked here again before they are sent)."""
    reason: str = ""
    """Why the bot transfers, in words for staff ("Anrufer verlangte Jugendamt")."""


def ascii_text(text: str, limit: int) -> str:
    """``text`` as one line of printable ASCII: umlauts transliterated, accents stripped, control characters and
    anything else dropped, whitespace collapsed, cut to ``limit`` characters (ending in "...")."""
    flat = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    kept = "".join(ch if " " <= ch <= "~" else " " if ch.isspace() else "" for ch in flat)
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def context_headers(context: TransferContext) -> dict[str, str]:
    """The SIP headers (name -> ASCII value) for ``context``; empty values are left out."""
    words = ascii_text(mask(context.words), FIELD_CHARS)
    topic = ascii_text(context.topic, FIELD_CHARS)
    reason = ascii_text(context.reason, FIELD_CHARS)
    summary = topic or reason
    subject = f'{summary}: "{words}"' if summary and words else summary or (f'"{words}"' if words else "")
    headers: dict[str, str] = {}
    if subject:
        headers["Subject"] = ascii_text(subject, SUBJECT_CHARS)
    topic_id = _TOPIC_ID.sub("-", context.topic_id).strip("-")
    if topic_id:
        headers["Call-Info"] = f"<urn:x-voicebot:topic:{topic_id}>;purpose=info"
    if reason:
        headers["X-Voicebot-Reason"] = reason
    if words:
        headers["X-Voicebot-Words"] = words
    return headers


def refer_target(target: str, headers: dict[str, str]) -> str:
    """``target`` (``sip:dept@host``) with ``headers`` as percent-encoded URI headers, in angle brackets
    (``<sip:dept@host?Subject=Kfz%3A%20...>``) as a Refer-To value; ``target`` itself when there are none."""
    uri = target.strip().removeprefix("<").removesuffix(">")
    if not headers:
        return uri
    query = "&".join(
        f"{urllib.parse.quote(name, safe=_URI_SAFE)}={urllib.parse.quote(value, safe=_URI_SAFE)}"
        for name, value in headers.items()
    )
    return f"<{uri}{'&' if '?' in uri else '?'}{query}>"


__all__ = ["FIELD_CHARS", "SUBJECT_CHARS", "TransferContext", "ascii_text", "context_headers", "refer_target"]
