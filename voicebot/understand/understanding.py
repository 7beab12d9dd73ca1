"""What the bot made of one caller utterance: ranked FAQ candidates plus conversational signals.

Produced by ``voicebot.understand.matcher.understand`` (pure), consumed by the dialogue policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_CANDIDATES = 5
"""Candidates kept per utterance (the matcher and the benchmark's baseline alike)."""


class Signal(StrEnum):
    """Conversational meaning beyond the FAQ topic."""

    YES = "yes"
    """Agreement: "ja", "genau", "richtig", "stimmt"."""
    NO = "no"
    """Refusal: "nein", "falsch", "nicht ganz"."""
    HUMAN = "human"
    """Wants a person / the switchboard: "Mitarbeiter", "Telefonzentrale", "einen Menschen"."""
    REPEAT = "repeat"
    """"Wie bitte?", "Können Sie das wiederholen?"."""
    GOODBYE = "goodbye"
    """"Danke, tschüss", "das war's"."""
    FIRST = "first"
    """Picks the first offered option ("das erste", "Nummer eins")."""
    SECOND = "second"
    """Picks the second offered option."""
    CONNECT = "connect"
    """Asks to be put through ("verbinden Sie mich", "durchstellen")."""


@dataclass(frozen=True)
class Candidate:
    """One FAQ topic the utterance may mean."""

    topic: str
    """Topic id."""
    score: float
    """0..1, comparable across topics and utterances."""
    method: str
    """Which layer produced the score: ``exact``, ``fuzzy``, ``phonetic``, ``keyword``."""


@dataclass(frozen=True)
class Understanding:
    """The matcher's reading of one utterance."""

    text: str
    """The utterance as recognised."""
    normalized: str
    """After German normalisation (what was matched)."""
    candidates: tuple[Candidate, ...] = ()
    """Best first; empty when nothing matched at all."""
    department: str | None = None
    """Department the caller named ("…mit dem Jugendamt"), if any."""
    signals: frozenset[Signal] = field(default_factory=frozenset)
    """Conversational signals found."""
    language: str = "de"
    """ISO code of the language the utterance was read in."""

    @property
    def best(self) -> Candidate | None:
        """Top candidate or None."""
        return self.candidates[0] if self.candidates else None

    @property
    def runner_up(self) -> Candidate | None:
        """Second candidate or None."""
        return self.candidates[1] if len(self.candidates) > 1 else None
