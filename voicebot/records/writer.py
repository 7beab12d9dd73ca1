"""The record store's writer thread: every call record reaches the database, late if need be, never lost.

The call session's recorder methods only put a write on a queue (the asyncio loop never waits for the disk).
One thread owns the write connection and works through the queue:

- each write is one ``BEGIN IMMEDIATE`` transaction; SQLite itself waits up to the busy timeout for other
  writers (other workers, the web app);
- a write the database does not take for a passing reason (locked/busy beyond the busy timeout, read-only
  file, disk full, I/O error: ``sqlite3.OperationalError``) is tried again after :data:`RETRY_DELAYS_S`;
- if it still fails, it (and whatever is queued behind it) goes to the spool file next to the database
  (:mod:`voicebot.records.spool`), and the database is left alone for a back-off of 1 s doubling to
  :data:`MAX_BACKOFF_S`, during which new writes go straight to the spool (in order);
- the spool is replayed, in order and in one transaction, before the next direct write, every
  :data:`REPLAY_EVERY_S` while it is not empty, and when the thread starts (start-up replay);
- a write the database refuses for good (a constraint, a damaged spool line, an unknown operation) is
  counted as failed and logged with its operation name.

Every text parameter passes through :func:`storable_text` first: SIP identifiers arrive from pjsua2 as
``str`` with lone surrogates when the header had invalid UTF-8 (SWIG decodes with ``surrogateescape``), and
``sqlite3`` refuses to encode those (UnicodeEncodeError). They are stored with the bad bytes escaped.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from voicebot.errors import RecordsError
from voicebot.records.spool import Spool, SpoolError, Write, WriteCounters

_LOGGER: Final = logging.getLogger("voicebot.records.store")

RETRY_DELAYS_S: Final = (0.2, 0.8)
"""Pauses before the 2nd and 3rd attempt of a write (seconds); each attempt may itself wait the busy timeout."""
REPLAY_EVERY_S: Final = 5.0
"""While something is spooled, the writer tries to replay it this often when idle (seconds)."""
MAX_BACKOFF_S: Final = 30.0
"""Longest pause before the database is tried again after it failed (seconds)."""
CLOSE_WAIT_S: Final = 60.0
"""Longest wait at ``close`` for the writer thread to finish (seconds)."""
STATEMENTS: Final[Mapping[str, str]] = {
    "call_started": "INSERT OR IGNORE INTO calls (id, instance, started_at, caller_masked, caller_hash)"
    " VALUES (?, ?, ?, ?, ?)",
    "turn": "INSERT OR REPLACE INTO turns (call_id, idx, at, transcript, dtmf, engine, asr_confidence,"
    " candidates, action, topic, department, reply, reason, timings, audio_file)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "callback": "INSERT INTO callbacks (call_id, at, name, number, department, topic, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "call_ended": "INSERT INTO calls (id, started_at, ended_at, outcome, department, topic, reason)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at,"
    " outcome = excluded.outcome, department = excluded.department, topic = excluded.topic, reason = excluded.reason",
    "call_language": "UPDATE calls SET language = ? WHERE id = ?",
    "turn_language": "UPDATE turns SET language = ? WHERE call_id = ? AND idx = ?",
    "close_orphans": "UPDATE calls SET ended_at = ?, outcome = 'worker_died', reason = ?"
    " WHERE instance = ? AND ended_at IS NULL AND started_at <= ?",
}
"""Every operation the writer (and the spool) knows, by name."""


def storable_text(text: str) -> str:
    """``text`` as SQLite (UTF-8) can store it: unchanged when it encodes; lone surrogates from
    ``surrogateescape`` decoding turned back into their bytes and those shown as ``\\xff``; any other lone
    surrogate shown as ``\\udXXX``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def storable(values: tuple[object, ...]) -> tuple[object, ...]:
    """Parameters with every text made storable (see :func:`storable_text`)."""
    return tuple(storable_text(value) if isinstance(value, str) else value for value in values)


def transient(error: BaseException) -> bool:
    """Whether the database may take the write later (locked, busy, read-only, full, I/O, cannot open)."""
    return isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError


class RecordWriter:
    """The queue and thread that write records (see the module docstring)."""

    def __init__(
        self,
        opener: Callable[[], sqlite3.Connection],
        spool: Spool,
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_S,
        replay_every: float = REPLAY_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open = opener
        self.spool = spool
        self._retry_delays = retry_delays
        self._replay_every = replay_every
        self._clock = clock
        self.counters = WriteCounters()
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self._conn: sqlite3.Connection | None = None
        self._backoff = 0.0
        self._resume_at = 0.0
        self._closed = False
        self._started = threading.Event()
        """Set once the start-up replay of the spool is over (``flush`` waits for it)."""
        self._thread = threading.Thread(target=self._loop, name="records-writer", daemon=True)
        self._thread.start()

    def put(self, op: str, values: tuple[object, ...]) -> None:
        """Queue one write (never blocks, never raises for the write's content)."""
        if op not in STATEMENTS:
            raise ValueError(f"unknown record operation {op!r}")
        if self._closed:
            self.counters.failed += 1
            _LOGGER.error("record store is closed: a record (%s) was dropped", op)
            return
        self._queue.put((op, storable(values)))

    def flush(self) -> None:
        """Wait until the start-up replay is over and every queued write is in the database or the spool."""
        self._started.wait()
        self._queue.join()

    def close(self) -> None:
        """Handle what is queued (one last replay if the database is not in back-off), stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(CLOSE_WAIT_S)
        if self._thread.is_alive():
            _LOGGER.error(
                "the record writer did not finish within %.0f s; records still queued may be lost", CLOSE_WAIT_S
            )

    # --- the thread ----------------------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            try:
                if self.spool.pending():
                    self._replay()
            finally:
                self._started.set()
            while True:
                try:
                    item = self._queue.get(timeout=self._replay_every if self.spool.pending() else None)
                except queue.Empty:
                    if self._clock() >= self._resume_at:
                        self._replay()
                    continue
                try:
                    if item is None:
                        if self.spool.pending() and self._clock() >= self._resume_at:
                            self._replay()
                        return
                    self._handle(item)
                except Exception:  # the writer must survive anything one record does
                    self.counters.failed += 1
                    _LOGGER.exception("a call record could not be handled")
                finally:
                    self._queue.task_done()
        finally:
            if self._conn is not None:
                self._conn.close()

    def _handle(self, write: Write) -> None:
        if self._clock() < self._resume_at or (self.spool.pending() and not self._replay()):
            self._to_spool([write])
            return
        error: BaseException | None = None
        for attempt, delay in enumerate((0.0, *self._retry_delays)):
            if attempt:
                time.sleep(delay)
                self.counters.retried += 1
            try:
                self._execute([write])
            except Exception as failure:
                if not transient(failure):
                    self.counters.failed += 1
                    _LOGGER.error("a call record (%s) was refused by the database and is lost: %s", write[0], failure)
                    return
                error = failure
                continue
            self.counters.written += 1
            self._backoff = 0.0
            return
        self._failing(error)
        self._to_spool([write])

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self._conn = self._open()
            except RecordsError as error:
                raise sqlite3.OperationalError(str(error)) from error
        return self._conn

    def _execute(self, writes: list[Write | None], *, replay: bool = False) -> int:
        """Run ``writes`` in one transaction; returns how many were applied. A transient error rolls all
        back and is raised; a write refused for good is raised (``replay``: counted, logged and skipped)."""
        conn = self._connection()
        applied = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            for write in writes:
                if write is None:
                    self.counters.failed += 1
                    _LOGGER.error("a damaged line in the spool %s was skipped", self.spool.path)
                    continue
                op, values = write
                try:
                    conn.execute(STATEMENTS[op], storable(values))
                    applied += 1
                except Exception as error:
                    if transient(error):
                        raise
                    if not replay:
                        raise
                    self.counters.failed += 1
                    _LOGGER.error("a spooled call record (%s) was refused by the database and is lost: %s", op, error)
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            raise
        return applied

    def _replay(self) -> bool:
        """Write the spool to the database; True when it is empty afterwards."""
        try:
            with self.spool.taken() as writes:
                applied = self._execute(writes, replay=True) if writes else 0
        except SpoolError as error:
            _LOGGER.error("%s", error)
            return False
        except Exception as error:
            if not transient(error):
                _LOGGER.exception("the spool %s could not be replayed; it is kept", self.spool.path)
            self._failing(error)
            return False
        if applied:
            self.counters.replayed += applied
            _LOGGER.info(
                "replayed %d spooled call record write(s) to the database (spooled %d, replayed %d, failed %d so far)",
                applied,
                self.counters.spooled,
                self.counters.replayed,
                self.counters.failed,
            )
        self._backoff = 0.0
        self._resume_at = 0.0
        return True

    def _failing(self, error: BaseException | None) -> None:
        self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
        self._resume_at = self._clock() + self._backoff
        _LOGGER.warning(
            "the record database does not take writes (%s): spooling to %s, next try in %.0f s",
            error,
            self.spool.path,
            self._backoff,
        )

    def _to_spool(self, writes: list[Write]) -> None:
        while True:  # whatever is queued behind goes along, in order, with one fsync
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # the stop marker stays last
                self._queue.task_done()
                break
            writes.append(item)
            self._queue.task_done()
        try:
            kept = self.spool.append(writes)
        except SpoolError as error:
            kept = 0
            _LOGGER.error("%s", error)
        self.counters.spooled += kept
        if kept < len(writes):
            self.counters.failed += len(writes) - kept
            _LOGGER.error(
                "%d call record write(s) lost: the spool %s is full or not writable",
                len(writes) - kept,
                self.spool.path,
            )
        else:
            _LOGGER.info("spooled %d call record write(s) (%d spooled so far)", kept, self.counters.spooled)


__all__ = [
    "CLOSE_WAIT_S",
    "MAX_BACKOFF_S",
    "REPLAY_EVERY_S",
    "RETRY_DELAYS_S",
    "STATEMENTS",
    "RecordWriter",
    "storable",
    "storable_text",
    "transient",
]
