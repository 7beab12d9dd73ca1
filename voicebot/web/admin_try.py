""" "Satz testen": what the bot makes of a sentence on the current content, and how its reply sounds.

``try_phrase`` runs the real matcher and the real dialogue policy (a fresh call: greeting, then the
sentence), so the page shows exactly the decision, candidates and reply text the bot would produce now.
The TTS preview renders the reply through the bot's speech cache (or a synthesiser loaded on first use
when the web app runs on its own) and returns a WAV file for the page's ``<audio>`` element.

A sentence is tried in the language chosen on the page (``sprache=en``) or, by default, in the language
its words show (``voicebot.language.detect``, the same guess as ``voicebot match``); the reply is then in
that language and spoken by that language's voice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Protocol

from aiohttp import web

from voicebot.audio import wav_bytes
from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.dialogue.decide import Decision, first_decision
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import CallStarted, DialogueContext, DialogueState, HangUp, Heard, Say, Transfer
from voicebot.errors import ContentError, ModelError, TtsError
from voicebot.speak.cache import SpeechCache
from voicebot.understand.matcher import Matcher
from voicebot.understand.understanding import Understanding
from voicebot.web.common import BOT, CONTENT, SETTINGS, ContentSource, now, render

if TYPE_CHECKING:
    from voicebot.call.bot import Bot

MAX_TEXT = 400
"""Longest sentence accepted on the page (characters)."""

DECISION_LABELS: Final = {
    "answer": "direkt antworten",
    "confirm": "nachfragen",
    "choose": "zwei Themen zur Wahl anbieten",
    "transfer": "weiterleiten",
    "reprompt": "um andere Worte bitten",
}


@dataclass(frozen=True)
class TryResult:
    """What the bot makes of one sentence."""

    text: str
    understanding: Understanding
    decision: Decision
    reply: str
    """What the bot would say (all its sentences of this turn)."""
    transfer: str | None
    """Department it would put the caller through to, if any."""
    hangup: bool
    language: str = ""
    """ISO code of the content the sentence was tried in."""
    detected: bool = False
    """True when the language was guessed from the sentence's words (not chosen on the page)."""


class Understands(Protocol):
    """Anything that reads an utterance like ``voicebot.understand.matcher.Matcher`` (the bot's matcher)."""

    def understand(self, text: str) -> Understanding:
        """Candidates and signals of one utterance."""
        ...


def try_phrase(text: str, content: Content, matcher: Understands, settings: Settings, at: dt.datetime) -> TryResult:
    """Decision and reply for ``text`` as a caller's first sentence at time ``at`` (pure apart from the matcher)."""
    understanding = matcher.understand(text)
    decision = first_decision(understanding, content, settings.dialogue)
    ctx = DialogueContext.from_settings(settings, content, at)
    state, _ = step(DialogueState(), CallStarted(), ctx)
    _, commands = step(state, Heard(understanding), ctx)
    reply = " ".join(command.text for command in commands if isinstance(command, Say))
    transfer = next((command.department for command in commands if isinstance(command, Transfer)), None)
    hangup = any(isinstance(command, HangUp) for command in commands)
    return TryResult(text, understanding, decision, reply, transfer, hangup)


class MatcherCache:
    """One matcher per loaded content (rebuilt when the content object changes after an edit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._content: Content | None = None
        self._matcher: Matcher | None = None
        self._languages: tuple[Content, dict[str, tuple[Content, Matcher]]] | None = None

    def languages(self, settings: Settings, base: Content) -> dict[str, tuple[Content, Matcher]]:
        """Content and matcher of every further language the bot understands, laid over ``base``."""
        from voicebot.content.languages import load_languages
        from voicebot.understand.lexicon import LEXICONS

        with self._lock:
            if self._languages is None or self._languages[0] is not base:
                try:
                    contents = load_languages(settings, base)
                except ContentError:
                    contents = {}
                found = {
                    code: (content, Matcher(content))
                    for code, content in contents.items()
                    if code != base.language and code in LEXICONS
                }
                self._languages = (base, found)
            return self._languages[1]

    def get(self, content: Content) -> Matcher:
        """The matcher of the bot, or one built for ``content``."""
        with self._lock:
            if self._content is not content or self._matcher is None:
                self._matcher = Matcher(content)
                self._content = content
            return self._matcher


class Speech:
    """The TTS preview's speech cache: the bot's, else one made on first use (engine load is slow)."""

    def __init__(self, settings: Settings, bot: Bot | None, cache: SpeechCache | None = None) -> None:
        self.settings = settings
        self.bot = bot
        self._cache = cache
        self._lock = threading.Lock()
        self._voices: dict[str, SpeechCache | None] = {}

    def cache(self) -> SpeechCache:
        """The speech cache to render with."""
        if self.bot is not None and isinstance(self.bot.speech, SpeechCache):
            return self.bot.speech
        with self._lock:
            if self._cache is None:
                from voicebot.engines import load_synthesizer

                synth = load_synthesizer(self.settings)
                cache_dir = self.settings.resolve_data(self.settings.tts.cache_dir)
                self._cache = SpeechCache(synth, cache_dir, self.settings.audio.line_rate)
            return self._cache

    def wav(self, text: str, language: str = "") -> bytes:
        """The WAV file of ``text`` at the line rate, in ``language``'s voice ("" or none of its own: the base one)."""
        cache = self.language_cache(language) if language else None
        cache = cache or self.cache()
        return wav_bytes(cache.render(text), cache.line_rate)

    def language_cache(self, language: str) -> SpeechCache | None:
        """The speech cache of ``language``'s own voice, if it has one."""
        if self.bot is not None:
            speech = self.bot.speeches.get(language)
            return speech if isinstance(speech, SpeechCache) else None
        with self._lock:
            if language not in self._voices:
                from voicebot.engines import language_synthesizers

                cache_dir = self.settings.resolve(self.settings.tts.cache_dir)
                self._voices = {
                    code: SpeechCache(synth, cache_dir, self.settings.audio.line_rate)
                    for code, synth in language_synthesizers(self.settings).items()
                }
                self._voices.setdefault(language, None)
            return self._voices[language]


MATCHERS: Final = web.AppKey("try_matchers", MatcherCache)
SPEECH: Final = web.AppKey("try_speech", Speech)


def _content(request: web.Request) -> Content:
    source = request.app[CONTENT]
    content = source.get() if isinstance(source, ContentSource) else None
    if content is None:
        raise web.HTTPServiceUnavailable(
            text="Die Inhalte können gerade nicht geladen werden: voicebot check zeigt warum."
        )
    return content


def _matcher(request: web.Request, content: Content) -> Understands:
    bot = request.app[BOT]
    if bot is not None and bot.content is content:
        matcher: Understands = bot.matcher
        return matcher
    return request.app[MATCHERS].get(content)


def _in_language(request: web.Request, base: Content, text: str, asked: str) -> tuple[Content, Understands, bool]:
    """Content and matcher for ``text``: in ``asked`` (an ISO code), or ("") in the language its words show;
    the base language when that one is not understood. The bool: whether the language was guessed."""
    from voicebot.language.detect import guess_language

    others = request.app[MATCHERS].languages(request.app[SETTINGS], base)
    language = asked or guess_language(text).language
    if language not in others:
        return base, _matcher(request, base), not asked
    bot = request.app[BOT]
    if bot is not None and bot.content is base and bot.understands(language):
        return bot.content_for(language), bot.matcher_for(language), not asked
    content, matcher = others[language]
    return content, matcher, not asked


def _language_choices(request: web.Request, base: Content) -> list[str]:
    return [base.language, *sorted(request.app[MATCHERS].languages(request.app[SETTINGS], base))]


async def _try(request: web.Request, text: str, asked: str) -> TryResult:
    base = _content(request)
    content, matcher, detected = await asyncio.to_thread(_in_language, request, base, text, asked)
    result = await asyncio.to_thread(try_phrase, text, content, matcher, request.app[SETTINGS], now(request))
    return replace(result, language=content.language, detected=detected)


def _asked_language(request: web.Request) -> str:
    asked = request.query.get("sprache", "").strip()
    return asked if 2 <= len(asked) <= 3 and asked.isalpha() else ""


async def try_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/try?text=…&sprache=…: the form, and for a sentence the decision, candidates and reply
    (``sprache`` empty: the language is guessed from the sentence)."""
    text = request.query.get("text", "").strip()[:MAX_TEXT]
    asked = _asked_language(request)
    result = await _try(request, text, asked) if text else None
    dialogue = request.app[SETTINGS].dialogue
    thresholds = {"answer": dialogue.answer_threshold, "confirm": dialogue.confirm_threshold}
    source = request.app[CONTENT]
    base = source.get() if isinstance(source, ContentSource) else None
    choices = await asyncio.to_thread(_language_choices, request, base) if base is not None else []
    return render(
        request,
        "admin_try.html",
        {
            "text": text,
            "result": result,
            "decision_labels": DECISION_LABELS,
            "thresholds": thresholds,
            "asked_language": asked,
            "language_choices": choices,
        },
    )


async def try_audio(request: web.Request) -> web.StreamResponse:
    """GET /admin/try/audio?text=…: the bot's spoken reply as WAV (synthesised, then cached)."""
    text = request.query.get("text", "").strip()[:MAX_TEXT]
    if not text:
        raise web.HTTPBadRequest(text="Kein Text angegeben.")
    result = await _try(request, text, _asked_language(request))
    if not result.reply:
        raise web.HTTPNotFound(text="Der Bot würde hier nichts sagen.")
    language = "" if result.language == _content(request).language else result.language
    try:
        body = await asyncio.to_thread(request.app[SPEECH].wav, result.reply, language)
    except (ModelError, TtsError) as error:
        raise web.HTTPServiceUnavailable(text=f"Keine Sprachausgabe verfügbar: {error}") from error
    return web.Response(body=body, content_type="audio/wav", headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    """Register the routes (a test or ``voicebot web`` may set ``app[SPEECH]`` beforehand)."""
    app[MATCHERS] = MatcherCache()
    if SPEECH not in app:
        app[SPEECH] = Speech(app[SETTINGS], app[BOT])
    app.router.add_get("/admin/try", try_page)
    app.router.add_get("/admin/try/audio", try_audio)


__all__ = ["MATCHERS", "SPEECH", "MatcherCache", "Speech", "TryResult", "setup", "try_phrase"]
