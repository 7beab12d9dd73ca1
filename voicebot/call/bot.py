"""The loaded bot: configuration, content, matcher, speech engines and the speech cache, shared by all calls.

``Bot.from_settings`` loads everything once at start-up. Content edits (e.g. from the web app) take effect
in running calls at their next turn: sessions call ``maybe_reload`` which re-reads the content files when
any of them changed on disk. A broken edit keeps the old content and logs every problem.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Protocol

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.content.model import Content, render_text
from voicebot.dialogue.replies import dtmf_menu
from voicebot.dialogue.types import DialogueContext
from voicebot.errors import ConfigError, ContentError
from voicebot.ports import AcousticScorer, Speech, SpeechDetector, Synthesizer, Transcriber
from voicebot.understand.rescore import Rescorer
from voicebot.understand.understanding import Understanding

_LOGGER: Final = logging.getLogger(__name__)


class Understander(Protocol):
    """Reads one utterance (``voicebot.understand.matcher.Matcher`` in production)."""

    def understand(self, text: str) -> Understanding:
        """Ranked candidates, named department and signals of ``text``."""
        ...


@dataclass(frozen=True)
class Loaded:
    """Content and the matcher built from it; swapped as one when the content is reloaded."""

    content: Content
    matcher: Understander
    stamps: tuple[tuple[str, int, int], ...]
    """(file, mtime in ns, size) of every content file when it was loaded."""
    languages: Mapping[str, tuple[Content, Understander]] = field(default_factory=dict)
    """Further languages (``voicebot.content.languages``): code -> (content, matcher)."""
    rescorer: Rescorer | None = None
    """Reads spoken turns of the base language with their audio (Whisper) or n-best list (vosk)."""


ContentLoader = Callable[[Settings], Content]
MatcherFactory = Callable[[Content], Understander]


class Bot:
    """Everything a call needs that is shared between calls. Thread-safe: reloads swap one reference."""

    def __init__(
        self,
        settings: Settings,
        content: Content,
        transcriber: Transcriber,
        speech: Speech,
        detector_factory: Callable[[], SpeechDetector],
        *,
        matcher_factory: MatcherFactory | None = None,
        content_loader: ContentLoader | None = None,
        speeches: Mapping[str, Speech] | None = None,
        scorer: AcousticScorer | None = None,
    ) -> None:
        """``speeches``: the speech of further languages (language -> speech; the others use ``speech``);
        ``scorer``: scores candidate texts against a turn's audio (``voicebot.engines.make_scorer``); None = the
        transcript alone is matched."""
        self.settings = settings
        self.scorer = scorer
        self.transcriber = transcriber
        self.speech = speech
        self.speeches = dict(speeches or {})
        self._detector_factory = detector_factory
        self._matcher_factory = matcher_factory or _default_matcher
        self._content_loader = content_loader or _default_loader
        self._lock = threading.Lock()
        self._loaded = self._load(content, self._stamps())
        self.reloads = 0
        """How often the content was reloaded successfully."""
        self.reload_problems: list[str] = []
        """Problems of the last failed reload (empty after a good one)."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transcriber: Transcriber | None = None,
        synthesizer: Synthesizer | None = None,
        detector_factory: Callable[[], SpeechDetector] | None = None,
        matcher_factory: MatcherFactory | None = None,
        content_loader: ContentLoader | None = None,
    ) -> Bot:
        """Load content, matcher and engines (from the preference lists unless given) and the speech cache."""
        from voicebot import engines
        from voicebot.speak.cache import SpeechCache

        loader = content_loader or _default_loader
        content = loader(settings)
        if transcriber is None:
            transcriber = engines.load_transcriber(settings)
        if synthesizer is None:
            synthesizer = engines.load_synthesizer(settings)
        scorer = engines.make_scorer(settings, transcriber)
        if detector_factory is None:

            def detector_factory() -> SpeechDetector:
                return engines.make_speech_detector(settings)

        cache_dir = settings.resolve_data(settings.tts.cache_dir)
        speech = SpeechCache(synthesizer, cache_dir, settings.audio.line_rate)
        from voicebot.speak.spoken import plain_spoken

        rate = settings.audio.line_rate
        speeches = {
            language: SpeechCache(voice, cache_dir, rate, plain_spoken)
            for language, voice in engines.language_synthesizers(settings).items()
        }
        return cls(
            settings,
            content,
            transcriber,
            speech,
            detector_factory,
            matcher_factory=matcher_factory,
            content_loader=loader,
            speeches=speeches,
            scorer=scorer,
        )

    # --- shared state -------------------------------------------------------------------------------

    @property
    def content(self) -> Content:
        """The current content."""
        return self._loaded.content

    @property
    def matcher(self) -> Understander:
        """The matcher of the current content."""
        return self._loaded.matcher

    @property
    def rescorer(self) -> Rescorer | None:
        """Reads spoken turns with their audio or n-best list (None when the matcher is not the project's)."""
        return self._loaded.rescorer

    def _load(
        self, content: Content, stamps: tuple[tuple[str, int, int], ...], matcher: Understander | None = None
    ) -> Loaded:
        """Content with its matcher and the rescorer reading spoken turns through that matcher."""
        matcher = matcher or self._matcher_factory(content)
        rescorer = Rescorer(content, matcher.understand, limit=max(1, self.settings.asr.rescore_candidates))
        return Loaded(content, matcher, stamps, self._languages(content), rescorer)

    def detector_factory(self) -> SpeechDetector:
        """A fresh voice activity detector (one per call)."""
        return self._detector_factory()

    def context(self, now: dt.datetime, language: str = "") -> DialogueContext:
        """The dialogue context at ``now`` with the current content (in ``language``; "": the base one)."""
        return DialogueContext.from_settings(self.settings, self.content_for(language), now)

    def prompt_text(self, prompt_id: str, language: str = "", **values: str) -> str:
        """A prompt with the district facts and ``values`` filled in (KeyError if the prompt is unknown)."""
        content = self.content_for(language)
        return render_text(content.prompts[prompt_id], {**content.facts, **values})

    # --- languages ----------------------------------------------------------------------------------

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the bot speaks: the base language first."""
        return (self.content.language, *sorted(self._loaded.languages))

    def speech_for(self, language: str) -> Speech:
        """The speech (voice and cache) of ``language``; the base one where it has none of its own."""
        return self.speeches.get(language, self.speech)

    def content_for(self, language: str) -> Content:
        """The content in ``language`` (the base content for "" or a language it does not have)."""
        entry = self._loaded.languages.get(language)
        return self.content if entry is None else entry[0]

    def matcher_for(self, language: str) -> Understander:
        """The matcher of the content in ``language`` (the base one for "" or an unknown language)."""
        entry = self._loaded.languages.get(language)
        return self.matcher if entry is None else entry[1]

    def understands(self, language: str) -> bool:
        """Whether callers' questions in ``language`` are matched (else its calls are put through)."""
        from voicebot.understand.lexicon import LEXICONS

        return language == self.content.language or (language in LEXICONS and language in self._loaded.languages)

    def transcriber_for(self, language: str | None) -> Transcriber:
        """The recogniser for ``language`` (``None``: identify the language first, where it can)."""
        choose = getattr(self.transcriber, "for_language", None)
        if choose is None or (language is None and len(self.languages) < 2):
            return self.transcriber
        chosen: Transcriber = choose(language)
        return chosen

    def _languages(self, content: Content) -> dict[str, tuple[Content, Understander]]:
        """Further languages of ``content`` (none if their files are broken: logged, the base content works)."""
        if self._content_loader is not _default_loader:
            return {}
        from voicebot.content.languages import load_languages

        try:
            contents = load_languages(self.settings, content)
        except ContentError as error:
            _LOGGER.error("further languages not loaded: %s", error)
            return {}
        return {code: (c, self._matcher_factory(c)) for code, c in contents.items() if code != content.language}

    # --- reloading ------------------------------------------------------------------------------------

    def content_files(self) -> tuple[Path, ...]:
        """The files whose changes are picked up: the content files, then the configuration (its opening
        hours, closed days, district facts and dialogue thresholds apply live; the rest needs a restart)."""
        paths = self.settings.content
        files = tuple(self.settings.resolve(name) for name in (paths.faq, paths.departments, paths.prompts))
        from voicebot.content.paths import language_files

        further = tuple(
            path
            for language in language_files(self.settings)
            for path in (language.prompts, language.faq, language.departments)
            if path.is_file()
        )
        return (*files, *further, self.settings.path)

    def maybe_reload(self) -> bool:
        """Reload when a content file changed since the last look; True if new content is in use."""
        stamps = self._stamps()
        if stamps == self._loaded.stamps:
            return False
        with self._lock:
            if stamps == self._loaded.stamps:  # another call reloaded it meanwhile
                return False
            return self._reload(stamps)

    def reload_content(self) -> bool:
        """Load the content files now; on problems keep the old content, log and remember the problems."""
        with self._lock:
            return self._reload(self._stamps())

    def _reload(self, stamps: tuple[tuple[str, int, int], ...]) -> bool:
        old = self._loaded
        try:
            settings = self.settings
            if old.stamps[-1:] != stamps[-1:] and stamps[-1][1] != -1:
                settings = _live_settings(settings)
            content = self._content_loader(settings)
            loaded = self._load(content, stamps, self._matcher_factory(content))
        except (ContentError, ConfigError) as error:
            self.reload_problems = [str(problem) for problem in error.problems]
            _LOGGER.error("content change not applied, keeping the previous content: %s", error)
            self._loaded = Loaded(old.content, old.matcher, stamps, old.languages, old.rescorer)
            return False
        except Exception as error:  # a broken edit must never take the line down
            self.reload_problems = [f"{type(error).__name__}: {error}"]
            _LOGGER.exception("content change not applied, keeping the previous content")
            self._loaded = Loaded(old.content, old.matcher, stamps, old.languages, old.rescorer)
            return False
        self.settings = settings
        self._loaded = loaded
        self.reloads += 1
        self.reload_problems = []
        _LOGGER.info("content reloaded (%d topics, %d departments)", len(content.topics), len(content.departments))
        return True

    def _stamps(self) -> tuple[tuple[str, int, int], ...]:
        stamps: list[tuple[str, int, int]] = []
        for path in self.content_files():
            try:
                info = path.stat()
            except OSError:
                stamps.append((str(path), -1, -1))
                continue
            stamps.append((str(path), info.st_mtime_ns, info.st_size))
        return tuple(stamps)

    # --- recogniser ---------------------------------------------------------------------------------------

    def recogniser_phrases(self) -> list[str] | None:
        """The phrase list for a grammar-restricted recogniser, when the configuration asks for one."""
        return recogniser_phrases(self.settings, self.content, self.transcriber)

    def warm_up(self) -> float:
        """Warm the recogniser up with the calls' phrases (see :func:`warm_up`); milliseconds."""
        return warm_up(self.transcriber, self.recogniser_phrases())

    # --- pre-rendering ----------------------------------------------------------------------------------

    def speech_texts(self) -> list[str]:
        """Every fixed text the bot may say, in every language: prompts (with department/topic variants) and FAQ
        answers."""
        texts: list[str] = []
        for language in self.languages:
            texts += self._speech_texts(self.content_for(language))
        return list(dict.fromkeys(texts))

    def speech_texts_for(self, language: str) -> list[str]:
        """The fixed texts of one language (see ``speech_texts``)."""
        return list(dict.fromkeys(self._speech_texts(self.content_for(language))))

    def _speech_texts(self, content: Content) -> list[str]:
        texts: list[str] = []
        names = [department.name for department in content.departments]
        titles = [topic.title for topic in content.topics]
        variants: dict[str, Iterable[dict[str, str]]] = {
            "transfer": ({"department": name} for name in names),
            "confirm_department": ({"department": name} for name in names),
            "transfer_failed": ({"department": name} for name in names),
            "callback_done": ({"department": name} for name in names),
            "confirm_topic": ({"title": title} for title in titles),
            "transfer_untranslated": ({"department": name} for name in names),
        }
        for prompt_id in content.prompts:
            for values in variants.get(prompt_id, ({},)):
                try:
                    texts.append(render_text(content.prompts[prompt_id], {**content.facts, **values}))
                except KeyError:  # needs values only known during a call (next opening, menu options)
                    continue
        menu = dtmf_menu(DialogueContext.from_settings(self.settings, content, dt.datetime.now(dt.UTC)))
        if menu is not None:
            texts.append(menu.text)
        for topic in content.topics:
            if topic.answer:
                try:
                    texts.append(render_text(topic.answer, content.facts))
                except KeyError:
                    continue
        return list(dict.fromkeys(texts))

    def prerender(self, progress: bool = False, stop: Callable[[], bool] | None = None) -> object:
        """Render every fixed text into the speech cache, each language by its voice, until ``stop()`` says so
        (returns the base language's report)."""
        for language in self.languages[1:]:
            if language in self.speeches:
                self.speeches[language].prerender(self.speech_texts_for(language), progress=progress, stop=stop)
        base = self.languages[0]
        texts = self.speech_texts_for(base)
        texts += [
            text
            for language in self.languages[1:]
            if language not in self.speeches
            for text in self.speech_texts_for(language)
        ]
        return self.speech.prerender(list(dict.fromkeys(texts)), progress=progress, stop=stop)


def recogniser_phrases(settings: Settings, content: Content, transcriber: Transcriber) -> list[str] | None:
    """The phrase list for a grammar-restricted recogniser (vosk with ``[asr] vosk_grammar``), else None."""
    if not (settings.asr.vosk_grammar and transcriber.name == "vosk"):
        return None
    words_file = settings.asr.vosk_grammar_words_file
    if words_file:
        from voicebot.engines.vosk_asr import read_phrase_file

        return list(read_phrase_file(settings.resolve(words_file)))
    from voicebot.listen.grammar import phrases

    return list(phrases(content))


def warm_up(transcriber: Transcriber, phrases: list[str] | None) -> float:
    """Run one utterance of silence through the recogniser the way a call does (same phrases), so the
    engine's lazy start-up work happens now and not in the first caller's first sentence: vosk builds its
    grammar graph on the first grammar session (~1.4 s and ~140 MB for 850 words, measured), Whisper sets
    up its decoder. Returns the time it took (milliseconds); a failure is logged, calls then pay it."""
    started = time.perf_counter()
    try:
        session = transcriber.open_session(phrases)
        session.accept(b"\x00" * (transcriber.sample_rate // 2) * 2)  # half a second, 16-bit
        session.finish()
    except Exception:  # the first call will report the engine's problem in its own turn
        _LOGGER.exception("warming up the recogniser %s failed", transcriber.name)
    elapsed = 1000.0 * (time.perf_counter() - started)
    _LOGGER.info("recogniser %s warmed up in %.0f ms", transcriber.name, elapsed)
    return elapsed


def _live_settings(current: Settings) -> Settings:
    """``current`` with the parts of a changed configuration file that apply without a restart."""
    changed = load_settings(current.path)
    return replace(
        current,
        district=changed.district,
        closed=changed.closed,
        calendar=changed.calendar,
        departments=changed.departments,
        dialogue=changed.dialogue,
    )


def _default_loader(settings: Settings) -> Content:
    from voicebot.content.load import load_content

    return load_content(settings)


def _default_matcher(content: Content) -> Understander:
    from voicebot.understand.matcher import Matcher

    return Matcher(content)


__all__ = ["Bot", "ContentLoader", "Loaded", "MatcherFactory", "Speech", "Understander"]
