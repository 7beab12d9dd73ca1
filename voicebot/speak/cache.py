"""The TTS cache: every fixed prompt and FAQ answer is synthesised once, at the line rate, and kept on disk.

A text is first made speakable (:func:`voicebot.speak.spoken.speakable`), then synthesised, resampled to the
line rate and stored as a WAV file named by the SHA-256 of engine, voice, rate and speakable text, so a
changed answer, voice or line rate never plays stale audio. Answering a known question then costs a file
read (or nothing: recent renders stay in memory). ``stream`` yields audio while the synthesiser is still
working, so even uncached text starts playing after the first sentence. Safe to use from many threads:
files are written atomically (temporary name, then rename) and the counters are locked.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from voicebot.audio import AudioFrame, StreamResampler, read_wav, resample, wav_bytes
from voicebot.errors import AudioFormatError, TtsError
from voicebot.ports import Synthesizer
from voicebot.speak.spoken import speakable

FORMAT_VERSION = "1"
"""Part of every key: bump it when the way audio is produced changes."""
STREAM_CHUNK_MS = 200
"""Length of the chunks ``stream`` yields for cached audio (milliseconds)."""
_MEMORY_ENTRIES = 64


@dataclass(frozen=True)
class CacheStats:
    """How often the cache answered without synthesis."""

    hits: int
    misses: int

    @property
    def hit_rate(self) -> float:
        """Share of requests served from the cache (0..1; 0 when there were none)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass(frozen=True)
class PrerenderResult:
    """What ``prerender`` did."""

    texts: int
    """Distinct non-empty texts asked for."""
    rendered: int
    """Texts synthesised now."""
    cached: int
    """Texts that were already in the cache."""
    seconds: float
    """Wall time spent (seconds)."""
    audio_seconds: float
    """Length of all the audio of these texts (seconds)."""


def voice_id(synth: Synthesizer) -> str:
    """The synthesiser's voice identity for cache keys (``voice_id`` attribute if it has one)."""
    return str(getattr(synth, "voice_id", synth.name))


class SpeechCache:
    """Pre-rendered speech at the line rate, on disk under ``cache_dir``."""

    def __init__(
        self, synth: Synthesizer, cache_dir: Path, line_rate: int, spoken: Callable[[str], str] = speakable
    ) -> None:
        """``spoken``: the text-for-the-ear rewriting of the voice's language (German ``speakable`` by default)."""
        self.synth = synth
        self._spoken = spoken
        self.cache_dir = cache_dir
        self.line_rate = line_rate
        self._voice = voice_id(synth)
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._hits = 0
        self._misses = 0

    # --- keys and files -------------------------------------------------------------------------

    def key(self, text: str) -> str:
        """The cache key of a text (hash of engine, voice, line rate and the speakable text)."""
        material = "\0".join((FORMAT_VERSION, self.synth.name, self._voice, str(self.line_rate), self._spoken(text)))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path_for(self, text: str) -> Path:
        """Where the audio of ``text`` is (or would be) stored."""
        key = self.key(text)
        return self.cache_dir / key[:2] / f"{key}.wav"

    def is_cached(self, text: str) -> bool:
        """True if ``text`` is rendered already (in memory or on disk)."""
        key = self.key(text)
        with self._lock:
            if key in self._memory:
                return True
        return self.path_for(text).is_file()

    @property
    def stats(self) -> CacheStats:
        """Hits and misses since this cache was created."""
        with self._lock:
            return CacheStats(self._hits, self._misses)

    # --- rendering ------------------------------------------------------------------------------

    def render(self, text: str) -> bytes:
        """The audio of ``text`` as 16-bit mono PCM at the line rate (synthesised on a miss, then cached)."""
        if not text.strip():
            return b""
        cached = self._lookup(text)
        if cached is not None:
            return cached
        spoken = self._spoken(text)
        frames = list(self._synthesize(spoken))
        pcm = b"".join(resample(frame.pcm, frame.rate, self.line_rate) for frame in _merge_rates(frames))
        self._store(text, pcm)
        return pcm

    def stream(self, text: str) -> Iterator[bytes]:
        """The audio of ``text`` in chunks at the line rate; the first chunk comes before synthesis has ended."""
        if not text.strip():
            return
        cached = self._lookup(text)
        if cached is not None:
            step = self.line_rate * STREAM_CHUNK_MS // 1000 * 2
            for offset in range(0, len(cached), step):
                yield cached[offset : offset + step]
            return
        resampler: StreamResampler | None = None
        parts: list[bytes] = []
        for frame in self._synthesize(self._spoken(text)):
            if resampler is None or resampler.from_rate != frame.rate:
                if resampler is not None:
                    tail = resampler.process(b"", last=True)
                    if tail:
                        parts.append(tail)
                        yield tail
                resampler = StreamResampler(frame.rate, self.line_rate)
            out = resampler.process(frame.pcm)
            if out:
                parts.append(out)
                yield out
        if resampler is not None:
            tail = resampler.process(b"", last=True)
            if tail:
                parts.append(tail)
                yield tail
        self._store(text, b"".join(parts))

    def prerender(
        self,
        texts: Iterable[str],
        progress: bool = True,
        stop: Callable[[], bool] | None = None,
        out: TextIO | None = None,
    ) -> PrerenderResult:
        """Render every text that is not cached yet; draws a progress bar on stderr when ``progress``. Between two
        texts ``stop()`` is asked: a line told to stop while it starts stops within one text, not after all
        (the result then counts what was done)."""
        started = time.perf_counter()
        unique = list(dict.fromkeys(t for t in texts if t.strip()))
        stream = out if out is not None else sys.stderr
        rendered = cached = 0
        audio_bytes = 0
        for index, text in enumerate(unique, 1):
            if stop is not None and stop():
                break
            was_cached = self.is_cached(text)
            audio_bytes += len(self.render(text))
            if was_cached:
                cached += 1
            else:
                rendered += 1
            if progress:
                _draw_bar(stream, index, len(unique), rendered, cached)
        if progress and unique:
            stream.write("\n")
            stream.flush()
        return PrerenderResult(
            texts=len(unique),
            rendered=rendered,
            cached=cached,
            seconds=time.perf_counter() - started,
            audio_seconds=audio_bytes / 2 / self.line_rate,
        )

    def prune(self, keep: Iterable[str]) -> int:
        """Delete cached audio of every text not in ``keep`` (e.g. answers edited since); returns how many."""
        wanted = {f"{self.key(text)}.wav" for text in keep if text.strip()}
        removed = 0
        for path in self.cache_dir.glob("??/*.wav"):
            if path.name not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        with self._lock:
            for key in [k for k in self._memory if f"{k}.wav" not in wanted]:
                del self._memory[key]
        return removed

    # --- internals ------------------------------------------------------------------------------

    def _synthesize(self, spoken: str) -> Iterator[AudioFrame]:
        try:
            yield from self.synth.synthesize(spoken)
        except TtsError:
            raise
        except Exception as error:
            raise TtsError(f"{self.synth.name}: synthesis failed for {spoken[:60]!r}: {error}") from error

    def _lookup(self, text: str) -> bytes | None:
        key = self.key(text)
        with self._lock:
            pcm = self._memory.get(key)
            if pcm is not None:
                self._memory.move_to_end(key)
                self._hits += 1
                return pcm
        path = self.cache_dir / key[:2] / f"{key}.wav"
        try:
            pcm, rate = read_wav(path) if path.is_file() else (None, 0)
        except AudioFormatError:
            pcm = None  # a damaged file is rendered again and overwritten
        with self._lock:
            if pcm is not None and rate == self.line_rate:
                self._hits += 1
                self._remember(key, pcm)
                return pcm
            self._misses += 1
            return None

    def _remember(self, key: str, pcm: bytes) -> None:
        self._memory[key] = pcm
        self._memory.move_to_end(key)
        while len(self._memory) > _MEMORY_ENTRIES:
            self._memory.popitem(last=False)

    def _store(self, text: str, pcm: bytes) -> None:
        key = self.key(text)
        folder = self.cache_dir / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(wav_bytes(pcm, self.line_rate))
                os.replace(temporary, folder / f"{key}.wav")
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        except OSError as error:
            raise TtsError(f"TTS cache: cannot write into {self.cache_dir}: {error.strerror}") from error
        with self._lock:
            self._remember(key, pcm)


def _merge_rates(frames: list[AudioFrame]) -> list[AudioFrame]:
    """Join consecutive frames of one rate, so each run is resampled in one piece (no seams)."""
    merged: list[AudioFrame] = []
    for frame in frames:
        if merged and merged[-1].rate == frame.rate:
            merged[-1] = AudioFrame(merged[-1].pcm + frame.pcm, frame.rate, merged[-1].timestamp_ms)
        else:
            merged.append(frame)
    return merged


def _draw_bar(stream: TextIO, done: int, total: int, rendered: int, cached: int) -> None:
    width = 30
    filled = width * done // total if total else width
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  rendered {rendered}, cached {cached}")
    stream.flush()
