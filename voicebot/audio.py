"""Audio as a typed value: 16-bit mono PCM frames that carry their rate, plus the edge converters.

The internal format everywhere is signed 16-bit little-endian mono PCM. Conversions happen only at the
edges: WAV files in and out, G.711 (A-law, mu-law) for telephone audio, and resampling between the
line rate (8 or 16 kHz), the recogniser's rate and the synthesiser's native rate (e.g. 22.05 kHz).
No ``audioop`` (gone in Python 3.13): numpy and soxr do the work.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from voicebot.errors import AudioFormatError

SAMPLE_WIDTH = 2
"""Bytes per sample of the internal format (signed 16-bit little-endian)."""


@dataclass(frozen=True)
class AudioFrame:
    """A piece of 16-bit mono PCM audio that knows its sample rate and position in the stream."""

    pcm: bytes
    """Signed 16-bit little-endian mono samples."""

    rate: int
    """Sample rate (hertz)."""

    timestamp_ms: int = 0
    """Start of this frame since the stream began (milliseconds)."""

    @property
    def samples(self) -> int:
        """Number of samples in the frame."""
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration_ms(self) -> float:
        """Length of the frame (milliseconds)."""
        return 1000.0 * self.samples / self.rate

    def rms(self) -> float:
        """Root mean square level (0..32768)."""
        if not self.pcm:
            return 0.0
        data = np.frombuffer(self.pcm, dtype="<i2").astype(np.float64)
        return float(np.sqrt(np.mean(data * data)))


def frame_bytes(rate: int, ms: int) -> int:
    """Bytes in one frame of ``ms`` milliseconds at ``rate`` hertz."""
    return rate * ms // 1000 * SAMPLE_WIDTH


def silence(rate: int, ms: int) -> bytes:
    """PCM silence of the given length."""
    return b"\x00" * frame_bytes(rate, ms)


def split_frames(pcm: bytes, rate: int, ms: int = 20, start_ms: int = 0, pad: bool = True) -> Iterator[AudioFrame]:
    """Cut PCM into frames of ``ms`` milliseconds; the last one is padded with silence when ``pad``."""
    size = frame_bytes(rate, ms)
    for index, offset in enumerate(range(0, len(pcm), size)):
        chunk = pcm[offset : offset + size]
        if len(chunk) < size:
            if not pad:
                return
            chunk = chunk + b"\x00" * (size - len(chunk))
        yield AudioFrame(chunk, rate, start_ms + index * ms)


def join_frames(frames: Iterable[AudioFrame]) -> bytes:
    """Concatenate frames' PCM (all must share one rate)."""
    return b"".join(frame.pcm for frame in frames)


# --- resampling -----------------------------------------------------------------------------------


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole buffer of 16-bit mono PCM (high quality, soxr)."""
    if from_rate == to_rate or not pcm:
        return pcm
    data = np.frombuffer(pcm, dtype="<i2")
    out = soxr.resample(data, from_rate, to_rate, quality="HQ")
    return np.asarray(out, dtype="<i2").tobytes()


class StreamResampler:
    """Resample a stream chunk by chunk, keeping the filter state between chunks."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream = None if from_rate == to_rate else soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16")

    def process(self, pcm: bytes, last: bool = False) -> bytes:
        """Feed a chunk, get the resampled output available so far."""
        if self._stream is None:
            return pcm
        data = np.frombuffer(pcm, dtype="<i2")
        out = self._stream.resample_chunk(data, last=last)
        return np.asarray(out, dtype="<i2").tobytes()


# --- G.711 -----------------------------------------------------------------------------------------


def _alaw_decode_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int16)
    for code in range(256):
        value = code ^ 0x55
        sign = value & 0x80
        exponent = (value >> 4) & 0x07
        mantissa = value & 0x0F
        sample = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
        table[code] = sample if sign else -sample
    return table


def _ulaw_decode_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int16)
    for code in range(256):
        value = ~code & 0xFF
        sign = value & 0x80
        exponent = (value >> 4) & 0x07
        mantissa = value & 0x0F
        sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
        table[code] = -sample if sign else sample
    return table


_ALAW_DECODE = _alaw_decode_table()
_ULAW_DECODE = _ulaw_decode_table()
# Encoding by table lookup over all 65536 16-bit values: the nearest code for each sample.
_ALAW_ENCODE = np.zeros(65536, dtype=np.uint8)
_ULAW_ENCODE = np.zeros(65536, dtype=np.uint8)


def _build_encode_tables() -> None:
    values = np.arange(-32768, 32768, dtype=np.int32)
    for decode, encode in ((_ALAW_DECODE, _ALAW_ENCODE), (_ULAW_DECODE, _ULAW_ENCODE)):
        order = np.argsort(decode.astype(np.int32), kind="stable")
        sorted_values = decode.astype(np.int32)[order]
        position = np.clip(np.searchsorted(sorted_values, values), 1, 255)
        below = sorted_values[position - 1]
        above = sorted_values[position]
        nearest = np.where(values - below <= above - values, position - 1, position)
        encode[(values + 32768).astype(np.int64)] = order[nearest].astype(np.uint8)


_build_encode_tables()


def alaw_decode(data: bytes) -> bytes:
    """G.711 A-law bytes to 16-bit PCM."""
    return _ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def alaw_encode(pcm: bytes) -> bytes:
    """16-bit PCM to G.711 A-law bytes."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int64) + 32768
    return bytes(_ALAW_ENCODE[samples].tobytes())


def ulaw_decode(data: bytes) -> bytes:
    """G.711 mu-law bytes to 16-bit PCM."""
    return _ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def ulaw_encode(pcm: bytes) -> bytes:
    """16-bit PCM to G.711 mu-law bytes."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int64) + 32768
    return bytes(_ULAW_ENCODE[samples].tobytes())


def telephone_band(pcm: bytes, rate: int, codec: str = "alaw") -> bytes:
    """Degrade audio the way a phone line does: to 8 kHz, through G.711, back to PCM at 8 kHz."""
    narrow = resample(pcm, rate, 8000)
    if codec == "alaw":
        return alaw_decode(alaw_encode(narrow))
    if codec == "ulaw":
        return ulaw_decode(ulaw_encode(narrow))
    raise ValueError(f"unknown codec {codec!r}: use 'alaw' or 'ulaw'")


# --- WAV files -------------------------------------------------------------------------------------

_WAV_FIX = "convert it with: sox IN.wav -b 16 -c 1 OUT.wav (any sample rate is fine)"


def read_wav(source: str | Path | bytes) -> tuple[bytes, int]:
    """Read a WAV file (path or bytes) as 16-bit mono PCM and its rate.

    Accepts 8/16/24/32-bit PCM and G.711 A-law/mu-law WAVs, mono or multi-channel (mixed to mono).
    Raises AudioFormatError naming the file and the fix for anything else.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    raw = source if isinstance(source, bytes) else _read_bytes(Path(source))
    g711 = _g711_wav(raw)
    if g711 is not None:
        return g711
    try:
        with wave.open(io.BytesIO(raw), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as error:
        raise AudioFormatError(f"{name}: not a readable WAV file ({error}); {_WAV_FIX}") from error
    if rate < 4000 or rate > 192000:
        raise AudioFormatError(f"{name}: sample rate {rate} Hz is out of range; {_WAV_FIX}")
    samples = _to_int16(data, width, name)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return samples.astype("<i2").tobytes(), rate


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AudioFormatError(f"{path}: cannot read the file ({error.strerror})") from error


def _to_int16(data: bytes, width: int, name: str) -> np.ndarray:
    if width == 2:
        return np.frombuffer(data, dtype="<i2")
    if width == 1:
        return ((np.frombuffer(data, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 3:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3)
        return (raw[:, 1].astype(np.int16) | (raw[:, 2].astype(np.int8).astype(np.int16) << 8)).astype(np.int16)
    if width == 4:
        return (np.frombuffer(data, dtype="<i4") >> 16).astype(np.int16)
    raise AudioFormatError(f"{name}: {8 * width}-bit samples are not supported; {_WAV_FIX}")


def _g711_wav(raw: bytes) -> tuple[bytes, int] | None:
    """Decode a WAV whose format tag is A-law (6) or mu-law (7); None for any other file."""
    if len(raw) < 44 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        return None
    offset, fmt, rate, channels = 12, 0, 0, 1
    while offset + 8 <= len(raw):
        chunk_id, size = raw[offset : offset + 4], int.from_bytes(raw[offset + 4 : offset + 8], "little")
        body = raw[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            fmt = int.from_bytes(body[0:2], "little")
            channels = int.from_bytes(body[2:4], "little")
            rate = int.from_bytes(body[4:8], "little")
            if fmt not in (6, 7):
                return None
        elif chunk_id == b"data" and fmt in (6, 7):
            pcm = alaw_decode(body) if fmt == 6 else ulaw_decode(body)
            if channels > 1:
                pcm = np.frombuffer(pcm, "<i2").reshape(-1, channels).mean(axis=1).astype("<i2").tobytes()
            return pcm, rate
        offset += 8 + size + (size & 1)
    return None


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    """16-bit mono PCM as the bytes of a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def write_wav(path: str | Path, pcm: bytes, rate: int) -> None:
    """Write 16-bit mono PCM to a WAV file."""
    Path(path).write_bytes(wav_bytes(pcm, rate))


def alaw_wav_bytes(pcm8k: bytes) -> bytes:
    """8 kHz PCM as a G.711 A-law WAV file (format tag 6), as a telephone recording would be."""
    data = alaw_encode(pcm8k)
    fmt = (6).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    fmt += (8000).to_bytes(4, "little") + (1).to_bytes(2, "little") + (8).to_bytes(2, "little")
    fmt += (0).to_bytes(2, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt
    body += b"data" + len(data).to_bytes(4, "little") + data + (b"\x00" if len(data) & 1 else b"")
    return b"RIFF" + len(body).to_bytes(4, "little") + body
