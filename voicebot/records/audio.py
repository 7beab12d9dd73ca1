"""The caller's audio of each turn as WAV files, when ``[records] store_audio`` is on (off by default: DSGVO).

Layout: ``<audio_dir>/<call folder>/<turn index>.wav``. The call folder is derived from the call id, which
comes from the caller's SIP Call-ID header and is therefore untrusted: only ``[A-Za-z0-9_-]`` of it are kept
(at most 40) and a hash of the whole id is appended, so no caller input can name a path (no ``..``, no
``/``) and different ids never share a folder. Files are written atomically (temporary file, then
``os.replace``); the record store keeps each file's path with its turn and deletes the files at purge.

Writing touches the disk: the call session uses :meth:`AudioKeeper.keep` (``write`` in an executor).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from voicebot.audio import write_wav
from voicebot.config.settings import Settings

_LOGGER: Final = logging.getLogger(__name__)
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")
NAME_CHARS: Final = 40
"""Characters of the call id kept in its folder name."""


def call_folder(call_id: str) -> str:
    """The folder name of a call: the safe characters of its id plus a hash of the whole id."""
    digest = hashlib.sha256(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = _UNSAFE.sub("_", call_id)[:NAME_CHARS]
    return f"{readable}-{digest}" if readable else digest


class AudioKeeper:
    """Writes turn audio under one folder (``[records] audio_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    @classmethod
    def from_settings(cls, settings: Settings) -> AudioKeeper | None:
        """The keeper of the configuration, or None when ``[records] store_audio`` is off."""
        if not settings.records.store_audio:
            return None
        return cls(settings.resolve_data(settings.records.audio_dir))

    def path_of(self, call_id: str, turn_index: int) -> Path:
        """Where the audio of turn ``turn_index`` of ``call_id`` goes."""
        if turn_index < 0:
            raise ValueError(f"turn index must not be negative, not {turn_index}")
        return self.root / call_folder(call_id) / f"{int(turn_index)}.wav"

    def write(self, call_id: str, turn_index: int, pcm: bytes, rate: int) -> str:
        """Write 16-bit mono PCM at ``rate`` as a WAV file (atomically); returns its absolute path (blocking)."""
        target = self.path_of(call_id, turn_index)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=".part", dir=target.parent)
        os.close(handle)
        try:
            write_wav(temporary, pcm, rate)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return str(target)

    async def keep(self, call_id: str, turn_index: int, pcm: bytes, rate: int) -> str:
        """``write`` in a worker thread (the event loop never waits for the disk); '' when it failed (logged)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self.write, call_id, turn_index, pcm, rate)
        except Exception:
            _LOGGER.exception("call %s: the caller's audio of turn %d could not be kept", call_id, turn_index)
            return ""

    def contains(self, path: str | Path) -> bool:
        """True when ``path`` (symbolic links resolved) lies inside this keeper's folder."""
        return Path(path).resolve().is_relative_to(self.root)


def delete_files(paths: Iterable[str]) -> int:
    """Delete audio files (and their call folders once empty); returns how many files were deleted."""
    deleted = 0
    folders: set[Path] = set()
    for name in paths:
        if not name:
            continue
        path = Path(name)
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
        except OSError as error:
            _LOGGER.error("audio file %s could not be deleted: %s", path, error)
            continue
        folders.add(path.parent)
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty (or already gone): keep it
            folder.rmdir()
    return deleted


__all__ = ["NAME_CHARS", "AudioKeeper", "call_folder", "delete_files"]
