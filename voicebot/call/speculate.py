"""Work done ahead on a speculative transcript, while the caller's end-of-turn silence is still running.

When the listener decodes an utterance early (``voicebot.listen.listener``, ``[vad] speculate_ms``), the
transcript is matched right away in the recogniser thread and the policy's reply texts are looked up in the
speech cache, so that when the silence completes the turn finds its understanding ready and the reply's audio
in memory. Nothing here changes the call: the dialogue state is only read (``step`` is pure), and the turn
takes the prepared understanding only for exactly the text it was made for, with the matcher still current.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from voicebot.call.bot import Bot, Understander
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import DialogueState, Heard, Say
from voicebot.understand.understanding import Understanding

_LOGGER: Final = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """An understanding made ahead for one transcript, by one matcher."""

    text: str
    matcher: Understander
    understanding: Understanding


class Foresight:
    """Matches speculative transcripts and warms the reply's cached audio, for one call."""

    def __init__(self, bot: Bot, state: Callable[[], DialogueState], clock: Callable[[], dt.datetime]) -> None:
        """``state`` reads the call's current dialogue state, ``clock`` the current local time."""
        self._bot = bot
        self._state = state
        self._clock = clock
        self._lock = threading.Lock()
        self._prepared: Prepared | None = None
        self.warmed = 0
        """Reply texts loaded into the speech cache's memory ahead of their turn."""

    def prepare(self, text: str) -> None:
        """Match ``text`` and look its reply up in the speech cache (runs in a recogniser thread)."""
        matcher = self._bot.matcher
        understanding = matcher.understand(text)
        with self._lock:
            self._prepared = Prepared(text, matcher, understanding)
        _, commands = step(self._state(), Heard(understanding), self._bot.context(self._clock()))
        speech = self._bot.speech
        for command in commands:
            if isinstance(command, Say) and speech.is_cached(command.text):
                speech.render(command.text)  # a cache hit: the audio is now in memory
                self.warmed += 1

    def take(self, text: str) -> Understanding | None:
        """The understanding prepared for exactly ``text`` by the current matcher (once), else None."""
        with self._lock:
            prepared, self._prepared = self._prepared, None
        if prepared is None or prepared.text != text or prepared.matcher is not self._bot.matcher:
            return None
        return prepared.understanding


__all__ = ["Foresight", "Prepared"]
