"""The editable content as typed values: FAQ topics, department names, prompts.

The files live in ``grammars/`` and ``prompts/`` (paths in ``voicebot.toml`` ``[content]``). Loading and
validation are in ``voicebot.content.load``; this module only holds the data shapes, so the pure core
can import it without touching files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

SWITCHBOARD = "zentrale"
"""Department id of the human switchboard: the fallback for everything the bot cannot handle, keypad digit "0"."""

EXTERN = "extern"
"""Pseudo department id of topics another authority is responsible for (municipality, state office)."""

PLACEHOLDER = re.compile(r"\{(\w+)\}")
"""A ``{name}`` placeholder in an answer or prompt."""

PLACEHOLDER_LIKE = re.compile(r"\{([^{}]*)\}")
"""Anything in braces an admin may have meant as a placeholder (``{ name }``, ``{Öffnungszeit}``): the edit
form names it instead of letting it be read out."""

TOPIC_KINDS = ("answer", "transfer")
"""``answer``: the bot speaks the answer; ``transfer``: the caller is put through to the department."""


@dataclass(frozen=True)
class Topic:
    """One FAQ entry."""

    id: str
    """Stable id (from the client's topic list), e.g. ``kfz-anmeldung``."""
    kind: str
    """``answer`` or ``transfer`` (see TOPIC_KINDS)."""
    department: str
    """Responsible department id, or ``extern`` when another authority is responsible."""
    title: str
    """Short spoken label used in questions back, e.g. "ein Fahrzeug anmelden"."""
    phrasings: tuple[str, ...]
    """Ways callers ask this, as they talk (colloquial, with compounds split or joined)."""
    answer: str
    """Answer text written for the ear; may use ``{placeholders}`` from ``[district]``. Empty for transfers."""
    keywords: tuple[str, ...] = ()
    """Words that on their own point strongly to this topic (``Sperrmüll``, ``Wohngeld``)."""
    dtmf: str = ""
    """Keypad digit for this topic in the fallback menu, if any."""
    line: int = 0
    """Line of the entry in its file (for problem reports)."""
    phrasing_lines: tuple[int, ...] = ()
    """Line of each phrasing (same order as ``phrasings``), for problem reports."""
    untranslated: bool = False
    """The topic has no answer in this content's language: it is put through (``transfer_untranslated``)."""
    details: str = ""
    """More about the answer, spoken only when the caller says yes to the ``offer_details`` prompt ("Soll ich
    Ihnen noch mehr dazu sagen?"): the answer stays short on the phone. Empty: no offer."""


@dataclass(frozen=True)
class Department:
    """A department as callers name it."""

    id: str
    """Id matching ``[departments.<id>]`` in the configuration."""
    name: str
    """Display and spoken name, e.g. "Kfz-Zulassungsstelle"."""
    synonyms: tuple[str, ...] = ()
    """Other ways callers name it ("Zulassungsstelle", "Straßenverkehrsamt")."""
    dtmf: str = ""
    """Keypad digit in the fallback menu ("0" is the switchboard)."""
    line: int = 0
    """Line of the entry in its file."""


@dataclass(frozen=True)
class Content:
    """Everything the bot says and understands, loaded and validated."""

    topics: tuple[Topic, ...]
    departments: tuple[Department, ...]
    prompts: Mapping[str, str]
    """Prompt id -> text (in ``language``) with ``{placeholders}``."""
    facts: Mapping[str, str] = field(default_factory=dict)
    """District facts from the configuration, for ``{placeholders}``."""
    prompt_lines: Mapping[str, int] = field(default_factory=dict)
    """Line of each prompt in its file (for problem reports); empty when not loaded from a file."""
    language: str = "de"
    """ISO 639-1 code of the language of the texts (``de`` for the files named in ``[content]``)."""
    key: str = ""
    """Keypad key that switches a call to this language ("9" for English; "" none; the base language has none)."""

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id (KeyError if unknown)."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def department(self, department_id: str) -> Department:
        """The department with this id (KeyError if unknown)."""
        for department in self.departments:
            if department.id == department_id:
                return department
        raise KeyError(department_id)


def render_text(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders from ``values`` (no attribute access or formatting).

    The one renderer of answers and prompts: an unknown name raises KeyError; text
    without placeholders and braces that are not a placeholder (``{ }``) are left as they are.
    """
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)
