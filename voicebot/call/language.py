"""The language of one call: which content, matcher and recogniser its turns use, and switching it.

``CallLanguage.before_match`` runs before each utterance is matched: it applies the pure decision of
``voicebot.dialogue.language.choose_language`` and keeps the call's state (current language, whether it is
settled, an utterance waiting while the caller confirms a language). It returns what the session does:
match a text in the current language, or say a language prompt first ("Would you like to continue in
English?", "Yes, of course. How can I help you?"). A language whose questions the bot cannot match yet (its
content has only prompts, e.g. Turkish) is a request for a person: the caller hears the switchboard transfer
in that language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from voicebot.content.model import render_text
from voicebot.dialogue.language import LanguageChoice, choose_language, language_settled
from voicebot.dialogue.types import Command, Note, Say
from voicebot.understand.understanding import Signal, Understanding

if TYPE_CHECKING:
    from voicebot.call.bot import Bot
    from voicebot.ports import Transcriber

_LOGGER: Final = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """What the session does with one utterance."""

    text: str
    """The text to match now ("" when only ``commands`` are carried out)."""
    commands: tuple[Command, ...] = ()
    """A language turn to carry out instead of matching (note first)."""
    unmatched: Understanding | None = None
    """For a language the bot cannot match: the understanding to hand the policy (a request for a person)."""


class CallLanguage:
    """The language state of one call (event loop only)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self.current = bot.content.language
        """ISO code of the call's language now."""
        self.settled = False
        """True once an utterance decided the language (later only a request switches)."""
        self.switches = 0
        """How often the language changed in this call."""
        self._pending: tuple[str, str] | None = None
        """(language asked about, the utterance waiting for the answer)."""

    def transcriber(self) -> Transcriber:
        """The recogniser for the next utterance: identifying the language until it is settled."""
        return self._bot.transcriber_for(self.current if self.settled else None)

    def before_match(self, text: str, identified: str = "", probability: float = 0.0) -> Step:
        """Decide the language for the utterance ``text`` (see the module docstring)."""
        if self._pending is not None:
            return self._confirmed(text)
        choice = choose_language(self.current, self._bot.languages, text, identified, probability, settled=self.settled)
        self.settled = self.settled or language_settled(choice, text, identified)
        if choice.action == "keep":
            return Step(text)
        if choice.action == "confirm":
            self._pending = (choice.language, text)
            return Step("", self._say(choice, "confirm_language", choice.language))
        self._switch(choice.language, choice.reason)
        if not self._bot.understands(choice.language):
            return self._unmatched(text)
        if choice.action == "asked":
            return Step("", self._say(choice, "language_switched", choice.language))
        return Step(text)

    def on_key(self, digit: str, keying_number: bool = False) -> tuple[Command, ...] | None:
        """A key that switches the call to a language the bot understands (English: "9", ``key:`` in
        ``prompts/en.yaml``): the switch, and its prompt to say; None for any other key (the dialogue's), or
        while the caller keys a callback number."""
        if keying_number:
            return None
        keys = {self._bot.content_for(code).key: code for code in self._bot.languages[1:]}
        language = keys.get(digit) if digit else None
        if language is None or not self._bot.understands(language):
            return None
        self._pending = None
        self._switch(language)
        return self._say(LanguageChoice("asked", language, f"Taste {digit}"), "language_switched", language)

    def _confirmed(self, text: str) -> Step:
        language, waiting = self._pending or (self.current, text)
        self._pending = None
        signals = self._bot.matcher_for(language).understand(text).signals
        if Signal.YES in signals and Signal.NO not in signals:
            self._switch(language)
            return self._unmatched(waiting) if not self._bot.understands(language) else Step(waiting)
        if Signal.NO in signals:
            return Step(waiting)  # stays in its language; the first question is read in it
        return self.before_match(text)

    def _switch(self, language: str, reason: str = "") -> None:
        if language != self.current:
            _LOGGER.info("call language: %s -> %s%s", self.current, language, f" ({reason})" if reason else "")
            self.switches += 1
        self.current = language
        self.settled = True

    def _unmatched(self, text: str) -> Step:
        understanding = Understanding(text, "", (), None, frozenset({Signal.HUMAN}), self.current)
        return Step("", (), understanding)

    def _say(self, choice: LanguageChoice, prompt: str, language: str) -> tuple[Command, ...]:
        content = self._bot.content_for(language)
        template = content.prompts.get(prompt) or content.prompts.get("ask_question", "")
        note = Note("language", None, None, f"Sprache {choice.language}: {choice.reason or choice.action}")
        if not template:
            return (note,)
        return note, Say(prompt, render_text(template, dict(content.facts)))


__all__ = ["CallLanguage", "Step"]
