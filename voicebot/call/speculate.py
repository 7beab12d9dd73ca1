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

A spoken turn with its audio and an acoustic scorer (Whisper, ``Bot.scorer``), or with n-best alternatives
(vosk), is then read by the bot's ``Rescorer`` (``voicebot.understand.rescore``): candidate FAQ texts scored
against the audio and fused with the transcript's reading. A failing scorer leaves the transcript's reading.
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
    with_audio: bool = False
    """Read with the pause's audio by the rescorer (acoustic evidence fused), not by the matcher alone."""


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
        self.rescored = 0
        """Turns read with their audio (acoustic rescoring) or their n-best alternatives."""

    def foresee(self, text: str, audio: bytes = b"") -> None:
        """Start preparing the turn for the early transcript ``text`` (replaces an earlier preparation); with
        the pause's ``audio`` and a scorer, the rescorer reads it ahead as well (its cost leaves the turn gap)."""
        self.forget()
        if not text.strip():
            return
        preparing = asyncio.ensure_future(asyncio.to_thread(self._match, text, audio))
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

    async def understand(self, text: str, audio: bytes = b"", alternatives: tuple[str, ...] = ()) -> Understanding:
        """The turn's understanding of ``text``: content edits picked up first (``maybe_reload``), then the one
        prepared for exactly this text by the current matcher (awaited if still running) or a fresh match; with
        ``audio`` (the utterance at the recogniser's rate) and a scorer, or with ``alternatives``, the rescorer's."""
        preparing, self._preparing = self._preparing, None
        prepared: Prepared | None = None
        if preparing is not None and preparing[0] == text:
            prepared = await preparing[1]
        elif preparing is not None:
            preparing[1].cancel()  # the caller said more (or else) after the pause: match anew
        if self._rescores(audio) and alternatives == () and prepared is not None and prepared.with_audio:
            return await asyncio.to_thread(self._read, text, prepared)  # read with the pause's audio ahead
        if self._rescores(audio) or (alternatives and self._base()):
            return await asyncio.to_thread(self._rescore, text, audio, alternatives)
        return await asyncio.to_thread(self._read, text, prepared)

    def _base(self) -> bool:
        return self._language() in ("", self._bot.content.language)  # the rescorer knows the base content only

    def _rescores(self, audio: bytes) -> bool:
        """Whether a turn with this audio is read by the rescorer (acoustic evidence)."""
        return bool(audio) and self._bot.scorer is not None and self._base()

    # --- worker threads ------------------------------------------------------------------------------

    def _match(self, text: str, audio: bytes = b"") -> Prepared | None:
        try:
            matcher = self._bot.matcher_for(self._language())
            if self._rescores(audio):
                prepared = Prepared(text, matcher, self._rescore(text, audio, ()), with_audio=True)
            else:
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

    def _rescore(self, text: str, audio: bytes, alternatives: tuple[str, ...]) -> Understanding:
        self._bot.maybe_reload()
        rescorer, scorer = self._bot.rescorer, self._bot.scorer
        if rescorer is None:
            return self._bot.matcher.understand(text)
        evidence = None
        if audio and scorer is not None and text.strip():
            try:
                evidence = scorer.listen(audio)
            except Exception:  # the transcript's reading stands
                _LOGGER.exception("encoding the utterance for rescoring failed")
        try:
            understanding = rescorer.understand(text, evidence, alternatives).understanding
        except Exception:  # rescoring only ever adds to the transcript's reading: never lose the turn over it
            _LOGGER.exception("rescoring the turn failed, using the transcript alone")
            return self._bot.matcher.understand(text)
        self.rescored += 1
        return understanding

    # --- event loop ------------------------------------------------------------------------------------

    def _matched(self, preparing: asyncio.Future[Prepared | None]) -> None:
        """The early match is done: warm the reply's audio (unless it was forgotten meanwhile)."""
        if preparing.cancelled() or self._preparing is None or self._preparing[1] is not preparing:
            return
        prepared = preparing.result()
        if prepared is not None:
            self._warming = asyncio.ensure_future(asyncio.to_thread(self._warm, prepared.understanding))


__all__ = ["Foresight", "Prepared"]
