"""What a text for the ear may hold and how long it takes to speak. Pure.

Shared by ``voicebot check`` (``content/check.py``), the admin form's field checks (``content/rules.py``)
and the admin's live length hint: markup (``<script>``, any ``<…>`` tag) and characters a voice cannot read
(control characters, emoji, symbols such as ``*#_|~^`\\[]=<>@``) are refused in spoken texts; the speaking
time is estimated from the length.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from typing import Final

from voicebot.content.model import PLACEHOLDER, Content
from voicebot.errors import Problem

CHARS_PER_SECOND: Final = 13
"""Speaking rate used to estimate how long a text takes (characters per second)."""
MAX_ANSWER_SECONDS: Final = 25
"""Default limit for a spoken answer (seconds); the configured one is ``[content] max_answer_seconds``."""
MAX_GREETING_SECONDS: Final = 6
"""The greeting (office, how to reach a person, the question) should be spoken in about this long (seconds)."""

_TAG: Final = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>|<\s*/?\s*[A-Za-z]+")
"""An HTML/XML tag or the start of one (``<script``, ``</b>``, ``<!-- …``)."""
SPEAKABLE_PUNCTUATION: Final = frozenset(" .,;:!?-–—'\"„“”‚‘’()/%&+€§{}\n")
"""Punctuation and symbols a German voice reads sensibly (``{}`` are placeholders, checked elsewhere)."""


def speaking_seconds(text: str) -> float:
    """Estimated time to speak ``text`` at ``CHARS_PER_SECOND``."""
    return len(text) / CHARS_PER_SECOND


def shown_seconds(seconds: float, limit: float) -> int:
    """Seconds as shown to admins: rounded, but never equal to the limit when over it ("etwa 26 – höchstens 25")."""
    if seconds > limit:
        return max(math.ceil(seconds), math.floor(limit) + 1)
    return math.floor(seconds + 0.5)  # half up, as the page script rounds


def length_message(seconds: float, limit: float) -> str:
    """German hint for the admin: ``etwa 12 Sekunden – erlaubt sind höchstens 25`` (with "zu lang" when over)."""
    shown = shown_seconds(seconds, limit)
    text = f"etwa {shown} Sekunden – erlaubt sind höchstens {limit:g}"
    return (
        f"Die Antwort ist zu lang zum Vorlesen: {text}. Bitte kürzen oder den Rest unter „Mehr dazu“ schreiben."
        if seconds > limit
        else text
    )


def greeting_until_question(spoken: str) -> str:
    """The part of the greeting a caller waits through before being asked: up to its first question mark (an
    English hint for English callers may follow it)."""
    end = spoken.find("?")
    return spoken if end < 0 else spoken[: end + 1]


def markup(text: str) -> list[str]:
    """The tags (or tag starts) in ``text``, e.g. ``["<script>"]``."""
    return [match.group(0) for match in _TAG.finditer(text)]


def unspeakable(text: str) -> list[str]:
    """Characters a voice cannot read, each once in order of appearance (letters and digits of any script are fine)."""
    found: list[str] = []
    for char in text:
        if char.isalnum() or char in SPEAKABLE_PUNCTUATION or char in found:
            continue
        category = unicodedata.category(char)
        if category.startswith("M"):  # combining accents belong to their letter
            continue
        found.append(char)
    return found


def _not_speakable(text: str) -> str:
    """Why a text cannot be spoken as it is ("" when it can); ``{placeholders}`` are checked elsewhere."""
    text = PLACEHOLDER.sub(" ", text)
    tags = markup(text)
    if tags:
        return f"markup {', '.join(sorted(set(tags)))} would be read out by the voice; write plain text without <…>"
    chars = unspeakable(text)
    if chars:
        shown = ", ".join(repr(c) for c in chars)
        return f"characters a voice cannot read: {shown}; write them out in words or remove them"
    return ""


def speakable_problems(content: Content, faq_file: str, prompts_file: str) -> Iterator[Problem]:
    """Spoken texts (answers, titles, prompts) hold no markup and only speakable characters."""
    for topic in content.topics:
        for name, text in (("title", topic.title), ("answer", topic.answer), ("details", topic.details)):
            if message := _not_speakable(text):
                yield Problem(faq_file, topic.line, f"topics.{topic.id}.{name}", message)
    for prompt_id, text in content.prompts.items():
        if message := _not_speakable(text):
            yield Problem(prompts_file, content.prompt_lines.get(prompt_id), f"prompts.{prompt_id}", message)


def describe_chars(chars: list[str]) -> str:
    """``„*“, „#“, U+1F600`` for messages (invisible and exotic characters by code point)."""
    return ", ".join(f"„{c}“" if c.isprintable() and ord(c) < 0x2000 else f"U+{ord(c):04X}" for c in chars)


__all__ = [
    "CHARS_PER_SECOND",
    "MAX_ANSWER_SECONDS",
    "MAX_GREETING_SECONDS",
    "SPEAKABLE_PUNCTUATION",
    "describe_chars",
    "greeting_until_question",
    "length_message",
    "markup",
    "shown_seconds",
    "speakable_problems",
    "speaking_seconds",
    "unspeakable",
]
