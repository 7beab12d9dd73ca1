"""What every SIP line reports for the health endpoint, and where the web app reads it.

With ``voicebot run --workers N`` the web app runs in worker 1 but must see every worker. Each line writes a
small JSON status file (:class:`LineStatus`, no personal data) every :data:`REPORT_EVERY_S` seconds into the
run folder the supervisor made (``$RUNTIME_DIRECTORY`` under systemd, else a temporary folder), replaced
atomically; a file older than :data:`STALE_AFTER_S` means its worker stopped reporting (hung or dead). A single
process keeps its status in memory (``StatusBoard(None, 1)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

_LOGGER: Final = logging.getLogger(__name__)

REPORT_EVERY_S: Final = 2.0
"""How often a line writes its status (seconds)."""
STALE_AFTER_S: Final = 10.0
"""A status older than this counts as a worker that is not alive (seconds)."""


@dataclass(frozen=True)
class LineStatus:
    """One SIP line (worker) as the health endpoint shows it."""

    worker: int
    """1-based worker number (1 for a single process)."""
    pid: int
    sip_port: int
    listening: bool
    """The SIP endpoint runs and takes calls."""
    registered: bool | None
    """Register mode: the registrar holds our registration; None in direct mode."""
    live_calls: int
    asr: str
    """The recogniser running ("" in line-test mode)."""
    asr_preferred: str
    """The first engine of ``[asr] engines``: a different ``asr`` is a fallback."""
    tts: str
    tts_preferred: str
    at: float
    """When this was written (Unix time, seconds)."""

    @property
    def asr_fallback(self) -> bool:
        """The recogniser is not the preferred one (e.g. vosk missing, Whisper runs)."""
        return bool(self.asr) and self.asr != self.asr_preferred

    @property
    def tts_fallback(self) -> bool:
        """The speech engine is not the preferred one."""
        return bool(self.tts) and self.tts != self.tts_preferred

    def healthy(self) -> bool:
        """Listening, and registered when it has to be."""
        return self.listening and self.registered is not False


class StatusBoard:
    """Status files of ``expected`` lines in ``directory`` (None: kept in memory, one process)."""

    def __init__(self, directory: Path | None, expected: int) -> None:
        self.directory = directory
        self.expected = expected
        self._memory: dict[int, LineStatus] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def write(self, status: LineStatus) -> None:
        """Replace the line's status (atomically: readers never see half a file)."""
        if self.directory is None:
            self._memory[status.worker] = status
            return
        target = self.directory / f"line-{status.worker}.json"
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(asdict(status)), encoding="utf-8")
        os.replace(temporary, target)

    def read(self) -> list[LineStatus]:
        """Every line's last status (unreadable files are skipped)."""
        if self.directory is None:
            return [self._memory[key] for key in sorted(self._memory)]
        found = []
        for path in sorted(self.directory.glob("line-*.json")):
            try:
                found.append(LineStatus(**json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError) as error:
                _LOGGER.warning("status file %s unreadable: %s", path.name, error)
        return found


async def keep_reporting(
    board: StatusBoard, status: Callable[[], LineStatus | None], stop: asyncio.Event, every: float = REPORT_EVERY_S
) -> None:
    """Write ``status()`` (when it has one) every ``every`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            current = status()
            if current is not None:
                await asyncio.to_thread(board.write, current)
        except Exception:  # the report must never stop the line
            _LOGGER.exception("line status could not be written")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def now() -> float:
    """The time status files are stamped with (Unix seconds)."""
    return time.time()


__all__ = ["REPORT_EVERY_S", "STALE_AFTER_S", "LineStatus", "StatusBoard", "keep_reporting", "now"]
