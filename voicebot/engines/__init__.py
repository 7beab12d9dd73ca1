"""Engine selection: the first engine of each preference list that loads, with every fallback logged.

``load_transcriber`` and ``load_synthesizer`` go through ``[asr] engines`` / ``[tts] engines`` in order.
An engine that cannot load (model folder missing, package not installed) is logged at WARNING with its
reason and the next one is tried; if none loads, a ModelError lists every engine's problem. The engine
modules are imported only when tried, so a missing optional package never breaks the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from voicebot.config.settings import Settings
from voicebot.engines.catalogue import models_dir
from voicebot.errors import ModelError
from voicebot.ports import AcousticScorer, SpeechDetector, Synthesizer, Transcriber

log = logging.getLogger(__name__)

ASR_ENGINES = ("vosk", "whisper")
"""ASR engine names known to ``load_transcriber``."""
TTS_ENGINES = ("piper", "espeak")
"""TTS engine names known to ``load_synthesizer``."""

_T = TypeVar("_T")


def make_transcriber(settings: Settings, engine: str) -> Transcriber:
    """Load one ASR engine by name as configured; raises ModelError saying why it cannot."""
    asr = settings.asr
    if engine == "vosk":
        from voicebot.engines.vosk_asr import VoskTranscriber, resolve_vosk_model

        spec = asr.vosk_model
        model = resolve_vosk_model(spec) if spec.startswith("pypi:") else settings.resolve_data(spec)
        return VoskTranscriber(model, alternatives=asr.vosk_alternatives)
    if engine == "whisper":
        from voicebot.engines.whisper_asr import WhisperTranscriber
        from voicebot.engines.whisper_model import resolve_whisper_model

        spec = asr.whisper_model
        folder = resolve_whisper_model(
            spec if spec.startswith("pypi:") else str(settings.resolve_data(spec)), models_dir(settings)
        )
        from voicebot.content.paths import language_files

        languages = tuple(files.language for files in language_files(settings))
        return WhisperTranscriber(
            folder,
            asr.whisper_compute_type,
            asr.whisper_beam_size,
            asr.language,
            languages=languages,
            other_weight=asr.other_language_weight,
            concurrency=asr.whisper_workers,
            threads=asr.whisper_threads,
            margin_s=asr.whisper_margin_s if asr.whisper_short_window else None,
            min_window_s=asr.whisper_min_window_s,
        )
    raise ModelError(f"unknown ASR engine {engine!r} in [asr] engines; use {' or '.join(ASR_ENGINES)}")


def make_scorer(settings: Settings, transcriber: Transcriber) -> AcousticScorer | None:
    """The acoustic scorer for FAQ-constrained recognition: Whisper's decoder on the loaded Whisper model when
    ``[asr] rescore_candidates`` is above 0, else (and for vosk, which has its grammar and n-best) None."""
    if settings.asr.rescore_candidates <= 0 or transcriber.name != "whisper":
        return None
    from voicebot.engines.whisper_asr import WhisperTranscriber
    from voicebot.engines.whisper_score import WhisperScorer

    if not isinstance(transcriber, WhisperTranscriber):
        return None
    return WhisperScorer(transcriber)


def make_synthesizer(settings: Settings, engine: str) -> Synthesizer:
    """Load one TTS engine by name as configured; raises ModelError saying why it cannot."""
    tts = settings.tts
    if engine == "piper":
        from voicebot.engines.piper_tts import PiperSynthesizer, resolve_piper_voice

        spec = tts.piper_voice
        onnx = resolve_piper_voice(spec) if spec.startswith("pypi:") else settings.resolve_data(spec)
        return PiperSynthesizer(onnx, tts.length_scale)
    if engine == "espeak":
        from voicebot.engines.espeak_tts import EspeakSynthesizer

        return EspeakSynthesizer(tts.espeak_voice, tts.espeak_speed)
    raise ModelError(f"unknown TTS engine {engine!r} in [tts] engines; use {' or '.join(TTS_ENGINES)}")


def language_synthesizers(settings: Settings) -> dict[str, Synthesizer]:
    """One synthesiser per language of ``[tts] voices`` (the first of its voices that loads; none: left out)."""
    wanted: dict[str, list[tuple[str, str]]] = {}
    for item in settings.tts.voices:
        language, _, voice = item.partition("=")
        engine, _, name = voice.partition(":")
        wanted.setdefault(language, []).append((engine, name))
    loaded: dict[str, Synthesizer] = {}
    for language, voices in wanted.items():
        for engine, name in voices:
            try:
                loaded[language] = _voice(settings, engine, name)
                break
            except Exception as error:  # a missing voice package: the next one of the language
                log.warning("TTS voice %s:%s for %s not available: %s", engine, name, language, error)
    return loaded


def _voice(settings: Settings, engine: str, name: str) -> Synthesizer:
    tts = settings.tts
    if engine == "piper":
        from voicebot.engines.piper_tts import PiperSynthesizer, resolve_piper_voice

        onnx = resolve_piper_voice(name) if name.startswith("pypi:") else settings.resolve_data(name)
        return PiperSynthesizer(onnx, tts.length_scale)
    from voicebot.engines.espeak_tts import EspeakSynthesizer

    return EspeakSynthesizer(name, tts.espeak_speed)


def _first_that_loads(kind: str, engines: Sequence[str], make: Callable[[str], _T]) -> _T:
    problems: list[str] = []
    for position, engine in enumerate(engines):
        started = time.perf_counter()
        try:
            loaded = make(engine)
        except Exception as error:  # ModelError, or an engine library failing on import (onnxruntime, ctranslate2)
            text = str(error) if isinstance(error, ModelError) else f"{type(error).__name__}: {error}"
            problems.append(text if text.startswith(f"{engine}:") else f"{engine}: {text}")
            rest = list(engines[position + 1 :])
            log.warning("%s engine %s not available: %s%s", kind, engine, text, f"; trying {rest[0]}" if rest else "")
            continue
        elapsed = time.perf_counter() - started
        if problems:
            log.warning("%s: using %s instead of %s (loaded in %.1f s)", kind, engine, engines[0], elapsed)
        else:
            log.info("%s: using %s (loaded in %.1f s)", kind, engine, elapsed)
        return loaded
    if not engines:
        raise ModelError(f"{kind}: the engine list is empty; set [{kind.lower()}] engines in voicebot.toml")
    raise ModelError(f"{kind}: no engine could be loaded:\n" + "\n".join(f"  {p}" for p in problems))


def load_transcriber(settings: Settings, engines: Sequence[str] | None = None) -> Transcriber:
    """The first ASR engine of ``engines`` (default ``[asr] engines``) that loads."""
    return _first_that_loads("ASR", tuple(engines or settings.asr.engines), lambda e: make_transcriber(settings, e))


def load_synthesizer(settings: Settings, engines: Sequence[str] | None = None) -> Synthesizer:
    """The first TTS engine of ``engines`` (default ``[tts] engines``) that loads."""
    return _first_that_loads("TTS", tuple(engines or settings.tts.engines), lambda e: make_synthesizer(settings, e))


def load_engines(settings: Settings) -> tuple[Transcriber, Synthesizer]:
    """Load the ASR and the TTS engine side by side (start-up takes the longer of the two, not the sum)."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine-load") as pool:
        synthesizer = pool.submit(load_synthesizer, settings)
        transcriber = load_transcriber(settings)
        return transcriber, synthesizer.result()


def make_speech_detector(settings: Settings) -> SpeechDetector:
    """A fresh voice activity detector for one call (``[vad] aggressiveness``)."""
    from voicebot.engines.webrtc_vad import WebrtcSpeechDetector

    return WebrtcSpeechDetector(settings.vad.aggressiveness)


__all__ = [
    "ASR_ENGINES",
    "TTS_ENGINES",
    "language_synthesizers",
    "load_engines",
    "load_synthesizer",
    "load_transcriber",
    "make_scorer",
    "make_speech_detector",
    "make_synthesizer",
    "make_transcriber",
    "models_dir",
]
