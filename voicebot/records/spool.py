"""The spool: record writes the database would not take, kept on disk until it takes them.

A write that still fails after the store's retries (database locked by another process beyond the busy
timeout, file not writable, disk full) is appended to ``<database>.spool`` next to the database: one JSON
line per write (``{"op": ..., "args": [...]}``), ``fsync``'d before the append returns. The store replays
the spool in order before its next write to the database, every few seconds while something is spooled,
and at start-up. Every process sharing the database (the workers, the web app, the supervisor) uses the
same file under an exclusive ``flock``, so the order in the file is the order of the writes.

Only named operations are spooled (``op`` is a key of the store's statement table), never SQL text: a
spool file cannot make the store run arbitrary statements. The file is bounded (:data:`MAX_BYTES`); a
write beyond it is dropped, counted and logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

_LOGGER: Final = logging.getLogger(__name__)

MAX_BYTES: Final = 64 * 2**20
"""Largest spool file (bytes): ~100 000 call records; beyond it writes are dropped (and logged)."""
SUFFIX: Final = ".spool"
"""The spool file is the database's path with this appended."""

Write = tuple[str, tuple[object, ...]]
"""One write: the name of a statement and its parameters (str, int, float or None)."""


@dataclass
class WriteCounters:
    """What happened to the store's writes since it opened (read by ``voicebot.records.store`` users,
    e.g. a metrics endpoint: ``store.counters.snapshot()``)."""

    written: int = 0
    """Writes committed to the database directly."""
    retried: int = 0
    """Attempts repeated after a busy/locked/unwritable database."""
    spooled: int = 0
    """Writes appended to the spool file because the database did not take them."""
    replayed: int = 0
    """Spooled writes later committed to the database (by this process)."""
    failed: int = 0
    """Writes lost: refused by the database for good, spool full, or a damaged spool line."""

    def snapshot(self) -> dict[str, int]:
        """The counters as a plain mapping."""
        return asdict(self)


class SpoolError(Exception):
    """The spool file could not be written (disk full, not writable)."""


def encode(write: Write) -> bytes:
    """One spool line."""
    op, args = write
    return (json.dumps({"op": op, "args": list(args)}, ensure_ascii=True) + "\n").encode("ascii")


def decode(line: bytes) -> Write:
    """A spool line back as a write; ValueError when the line is damaged."""
    data = json.loads(line)
    if not isinstance(data, dict) or not isinstance(data.get("op"), str) or not isinstance(data.get("args"), list):
        raise ValueError("not a spooled write")
    return str(data["op"]), tuple(data["args"])


class Spool:
    """The append-only spool file of one database (safe to use from several processes)."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes

    @classmethod
    def of_database(cls, database: Path, max_bytes: int = MAX_BYTES) -> Spool:
        """The spool next to ``database``."""
        return cls(database.with_name(database.name + SUFFIX), max_bytes)

    def pending(self) -> bool:
        """Whether anything is spooled (one ``stat``)."""
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise SpoolError(f"cannot open the spool {self.path}: {error.strerror}") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def append(self, writes: Sequence[Write]) -> int:
        """Append ``writes`` and fsync; returns how many were kept (the rest: spool full). SpoolError when
        the file cannot be written at all."""
        if not writes:
            return 0
        with self._locked() as fd:
            size = os.fstat(fd).st_size
            lines: list[bytes] = []
            if size and os.pread(fd, 1, size - 1) != b"\n":
                lines.append(b"\n")  # end a line torn by a process that died mid-append: it stays alone
            for write in writes:
                line = encode(write)
                if size + len(line) > self.max_bytes:
                    break
                size += len(line)
                lines.append(line)
            if any(line != b"\n" for line in lines):
                try:
                    os.write(fd, b"".join(lines))
                    os.fsync(fd)
                except OSError as error:
                    raise SpoolError(f"cannot write the spool {self.path}: {error.strerror}") from error
        return sum(line != b"\n" for line in lines)

    @contextlib.contextmanager
    def taken(self) -> Iterator[list[Write | None]]:
        """The spooled writes in order, locked against every other process (``None`` for a damaged line).
        When the block ends without an exception, the spool is emptied; otherwise it is kept as it was."""
        with self._locked() as fd:
            with os.fdopen(os.dup(fd), "rb") as reader:
                reader.seek(0)
                raw = reader.read()
            writes: list[Write | None] = []
            for line in raw.splitlines():
                if not line.strip():
                    continue
                try:
                    writes.append(decode(line))
                except ValueError:  # a torn line (the process died while appending): logged by the caller
                    writes.append(None)
            yield writes
            os.ftruncate(fd, 0)
            os.fsync(fd)


__all__ = ["MAX_BYTES", "SUFFIX", "Spool", "SpoolError", "Write", "WriteCounters", "decode", "encode"]
