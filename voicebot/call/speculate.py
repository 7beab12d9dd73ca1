"""The turn's understanding, prepared ahead on an early transcript while the caller's end-of-turn silence runs.

The listener reports what it decoded at a pause as an ``EarlyTranscript`` (``voicebot.listen.listener``,
``[vad] speculate_ms``); the call session hands its text to ``Foresight.foresee``, which matches it in a worker
thread (``asyncio.to_thread``) and then looks the policy's reply texts up in the speech cache, so that when
the silence completes the turn finds its understanding ready and the reply's audio in memory.

At the real end of the turn ``Foresight.understand`` takes the prepared understanding only for exactly the
text it was made for, by the matcher still current, awaiting the match if it is still running (never doing
it twice); for any other text, e.g. when the caller went on talking after the pause, it matches anew.
Nothing here changes the call: the dialogue state is only read (``step`` is pure). A newer early transcript,
a new utterance or a keypad turn forgets (cancels) the preparation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
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
    """Prepares turns on early transcripts and gives each turn its understanding, for one call (event loop)."""

    def __init__(
        self,
        bot: Bot,
        state: Callable[[], DialogueState],
        clock: Callable[[], dt.datetime],
        language: Callable[[], str] = lambda: "",
    ) -> None:
        """``state`` reads the call's current dialogue state, ``clock`` the current local time, ``language``
        the call's language."""
        self._bot = bot
        self._language = language
        self._state = state
        self._clock = clock
        self._preparing: tuple[str, asyncio.Future[Prepared | None]] | None = None
        self._warming: asyncio.Future[None] | None = None
        self.prepared = 0
        """Early transcripts matched ahead of their turn."""
        self.taken = 0
        """Turns that used a prepared understanding instead of matching."""
        self.warmed = 0
        """Reply texts loaded into the speech cache's memory ahead of their turn."""

    def foresee(self, text: str) -> None:
        """Start preparing the turn for the early transcript ``text`` (replaces an earlier preparation)."""
        self.forget()
        if not text.strip():
            return
        preparing = asyncio.ensure_future(asyncio.to_thread(self._match, text))
        preparing.add_done_callback(self._matched)
        self._preparing = (text, preparing)

    def forget(self) -> None:
        """Drop the preparation: cancelled if it has not started, else its result is ignored."""
        preparing, warming = self._preparing, self._warming
        self._preparing = self._warming = None
        if preparing is not None:
            preparing[1].cancel()
        if warming is not None:
            warming.cancel()

    async def understand(self, text: str) -> Understanding:
        """The turn's understanding of ``text``: content edits picked up first (``maybe_reload``), then the one
        prepared for exactly this text by the current matcher (awaited if still running) or a fresh match."""
        preparing, self._preparing = self._preparing, None
        prepared: Prepared | None = None
        if preparing is not None and preparing[0] == text:
            prepared = await preparing[1]
        elif preparing is not None:
            preparing[1].cancel()  # the caller said more (or else) after the pause: match anew
        return await asyncio.to_thread(self._read, text, prepared)

    # --- worker threads ------------------------------------------------------------------------------

    def _match(self, text: str) -> Prepared | None:
        try:
            matcher = self._bot.matcher_for(self._language())
            prepared = Prepared(text, matcher, matcher.understand(text))
        except Exception:  # preparing is an optimisation only: the turn matches again
            _LOGGER.exception("preparing an early transcript failed")
            return None
        self.prepared += 1
        return prepared

    def _warm(self, understanding: Understanding) -> None:
        """Load the cached audio of the reply the policy would give now into memory."""
        try:
            context = self._bot.context(self._clock(), self._language())
            _, commands = step(self._state(), Heard(understanding), context)
            speech = self._bot.speech_for(self._language())
            for command in commands:
                if isinstance(command, Say) and speech.is_cached(command.text):
                    speech.render(command.text)  # a cache hit: the audio is now in memory
                    self.warmed += 1
        except Exception:
            _LOGGER.exception("warming the speech cache for an early transcript failed")

    def _read(self, text: str, prepared: Prepared | None) -> Understanding:
        self._bot.maybe_reload()
        matcher = self._bot.matcher_for(self._language())
        if prepared is not None and prepared.text == text and prepared.matcher is matcher:
            self.taken += 1
            return prepared.understanding
        return matcher.understand(text)

    # --- event loop ------------------------------------------------------------------------------------

    def _matched(self, preparing: asyncio.Future[Prepared | None]) -> None:
        """The early match is done: warm the reply's audio (unless it was forgotten meanwhile)."""
        if preparing.cancelled() or self._preparing is None or self._preparing[1] is not preparing:
            return
        prepared = preparing.result()
        if prepared is not None:
            self._warming = asyncio.ensure_future(asyncio.to_thread(self._warm, prepared.understanding))


__all__ = ["Foresight", "Prepared"]
