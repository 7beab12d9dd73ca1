"""``voicebot prerender``: synthesise every fixed prompt and FAQ answer into the TTS cache, with a progress bar."""

from __future__ import annotations

import argparse

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.engines import TTS_ENGINES, load_synthesizer
from voicebot.ports import Synthesizer
from voicebot.speak.cache import PrerenderResult, SpeechCache


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Engine choice, ad-hoc texts, quiet mode."""
    parser.add_argument("--engine", choices=TTS_ENGINES, help="use this engine instead of the [tts] engines list")
    parser.add_argument("--text", action="append", default=[], help="render only this text (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--prune", action="store_true", help="also delete cached audio of texts no longer used")


def run(args: argparse.Namespace) -> int:
    """Render what is missing; print how many texts were rendered and how many were cached already."""
    settings = load_settings(args.config)
    if not args.text and not args.engine and not args.prune:
        return _prerender_every_language(settings, progress=not args.quiet)
    synth = load_synthesizer(settings, [args.engine] if args.engine else None)
    cache = SpeechCache(synth, settings.resolve_data(settings.tts.cache_dir), settings.audio.line_rate)
    texts = list(args.text) if args.text else speech_texts(settings, synth)
    result = cache.prerender(texts, progress=not args.quiet)
    pruned = f"; {cache.prune(texts)} unused files deleted" if args.prune else ""
    print(
        f"{result.texts} texts: {result.rendered} rendered, {result.cached} already cached; "
        f"{result.audio_seconds:.0f} s of audio at {cache.line_rate} Hz by {synth.name} "
        f"in {result.seconds:.1f} s -> {cache.cache_dir}{pruned}"
    )
    return 0


def _prerender_every_language(settings: Settings, progress: bool) -> int:
    """What a starting line renders: every language's texts by that language's voice (the same cache files)."""
    from voicebot.call.bot import Bot

    bot = Bot.from_settings(settings)
    result = bot.prerender(progress=progress)
    if isinstance(result, PrerenderResult):
        print(
            f"{result.texts} texts: {result.rendered} rendered, {result.cached} already cached ({bot.languages[0]}, "
            f"{result.seconds:.1f} s); further languages by their own voices: {', '.join(bot.languages[1:]) or 'none'}"
        )
    return 0


def speech_texts(settings: Settings, synth: Synthesizer) -> list[str]:
    """Every fixed text the bot may say (prompts with their department/topic variants, FAQ answers).

    The list comes from ``voicebot.call.bot.Bot.speech_texts`` so that the pre-rendered texts are exactly the ones
    a call asks for (a cache hit needs the same text). Loading the bot also loads the ASR engine.
    """
    from voicebot.call.bot import Bot

    return Bot.from_settings(settings, synthesizer=synth).speech_texts()
