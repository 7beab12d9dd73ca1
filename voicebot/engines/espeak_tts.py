"""espeak-ng speech synthesis (German), run as a subprocess with a fixed argument list.

The text goes to espeak-ng on standard input, never through a shell and never as an option, so caller
or admin text cannot inject anything. espeak-ng writes a WAV stream to standard output (its header carries
placeholder sizes); the PCM after the header is read in chunks and yielded as it arrives, so the first
audio is available before the whole text is spoken. Robotic but intelligible, and fast (~20 ms a sentence).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import IO

from voicebot.audio import AudioFrame
from voicebot.errors import ModelError, TtsError

ESPEAK_RATE = 22050
"""espeak-ng's output rate (hertz)."""
_CHUNK_BYTES = 4410 * 2
"""PCM bytes per yielded chunk (200 ms at 22.05 kHz)."""
_INSTALL_FIX = "install it with: apt-get install espeak-ng"


class EspeakSynthesizer:
    """espeak-ng with one voice and speaking rate; every ``synthesize`` runs one short-lived process."""

    name = "espeak"
    sample_rate = ESPEAK_RATE

    def __init__(
        self, voice: str = "de", speed: int = 150, *, binary: str = "espeak-ng", timeout: float = 30.0
    ) -> None:
        found = shutil.which(binary)
        if found is None:
            raise ModelError(f"espeak: the program {binary!r} is not installed ({_INSTALL_FIX})")
        if not voice or voice.startswith("-") or any(ch.isspace() for ch in voice):
            raise ModelError(f'espeak: invalid voice name {voice!r} (set [tts] espeak_voice, e.g. "de")')
        self.binary = found
        self.voice = voice
        self.speed = speed
        self.timeout = timeout
        self.voice_id = f"espeak-ng:{voice}:{speed}"
        self._check_voice()

    def _check_voice(self) -> None:
        try:
            result = subprocess.run(
                [self.binary, "-v", self.voice, "-q", "--stdout"],
                input=b"a",
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ModelError(f"espeak: cannot run {self.binary}: {error} ({_INSTALL_FIX})") from error
        message = result.stderr.decode("utf-8", errors="replace").strip()
        if result.returncode != 0 or "not found" in message.lower():
            raise ModelError(
                f"espeak: voice {self.voice!r} is not available ({message or 'exit ' + str(result.returncode)}); "
                "list voices with `espeak-ng --voices` and set [tts] espeak_voice"
            )

    def command(self) -> list[str]:
        """The fixed argument list (the text is not part of it: it goes on standard input)."""
        return [self.binary, "-v", self.voice, "-s", str(self.speed), "--stdout"]

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        """Speak ``text``; yields 200 ms chunks of 22.05 kHz PCM as espeak-ng produces them."""
        if not text.strip():
            return
        try:
            process = subprocess.Popen(
                self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as error:
            raise TtsError(f"espeak: cannot start {self.binary}: {error} ({_INSTALL_FIX})") from error
        assert process.stdin is not None and process.stdout is not None
        stdin = process.stdin
        data = text.replace("\r", " ").encode("utf-8")

        def feed() -> None:
            try:
                stdin.write(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    stdin.close()

        writer = threading.Thread(target=feed, name="espeak-stdin", daemon=True)
        writer.start()
        try:
            yield from self._read(process.stdout)
            try:
                process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired as error:
                raise TtsError(f"espeak: {self.binary} did not finish within {self.timeout:g} s") from error
            if process.returncode != 0:
                stderr = process.stderr.read().decode("utf-8", errors="replace") if process.stderr else ""
                raise TtsError(f"espeak: {self.binary} failed (exit {process.returncode}): {stderr.strip()}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            writer.join(timeout=1.0)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()

    def _read(self, stdout: IO[bytes]) -> Iterator[AudioFrame]:
        read = stdout.read
        header = _read_exact(read, 12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise TtsError(f"espeak: {self.binary} did not write a WAV stream")
        rate = ESPEAK_RATE
        while True:  # walk chunks up to "data"; its size field is a placeholder, the PCM runs to the end
            chunk = _read_exact(read, 8)
            if len(chunk) < 8:
                raise TtsError("espeak: the WAV stream ended before its data")
            size = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                break
            body = _read_exact(read, size + (size & 1))
            if chunk[:4] == b"fmt ":
                rate = int.from_bytes(body[4:8], "little")
        position = 0
        rest = b""
        while True:
            block = read(_CHUNK_BYTES)
            if not block:
                break
            block = rest + block
            usable = len(block) // 2 * 2
            rest = block[usable:]
            if usable:
                frame = AudioFrame(block[:usable], rate, position * 1000 // rate)
                position += usable // 2
                yield frame


def _read_exact(read: Callable[[int], bytes], size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        block = read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)
