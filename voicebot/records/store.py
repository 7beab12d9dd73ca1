"""``RecordStore``: the SQLite call-record store (the real ``CallRecorder``).

Design:
- One SQLite file in WAL mode with a busy timeout, shared by every bot instance on the host and by the
  web app (the ``instance`` column tells instances apart). The schema is created and migrated on open.
- The ``CallRecorder`` methods only put a write on a queue and return at once: one worker thread owns the
  write connection and commits each record, so the asyncio loop never waits for the disk. A write the
  database does not take (locked, read-only, full) is retried and then spooled to ``<database>.spool`` and
  replayed later (``voicebot.records.writer``); ``counters`` tells how many were written, retried, spooled,
  replayed and lost. ``flush()`` waits until everything queued is in the database or the spool;
  ``close()`` flushes and stops the thread.
- Everything else (the web app's queries, logins, feedback) goes through a second connection guarded by a
  lock: ``with store.connection() as conn`` in a thread, or ``await store.run(fn, *args)`` from the loop.
- Personal data is masked before it is written (``voicebot.privacy``); the caller's number is
  kept only masked and as a salted hash (to count repeat callers). Callback numbers are stored as given,
  because staff have to call back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Concatenate, Final, ParamSpec, TypeVar

from voicebot.errors import RecordsError
from voicebot.privacy import canonical_number, mask, mask_number
from voicebot.records import schema
from voicebot.records.aggregates import fold_purged
from voicebot.records.audio import delete_files
from voicebot.records.calls import CallbackRequest, CallOutcome, TurnRecord
from voicebot.records.queries import to_db
from voicebot.records.spool import Spool, WriteCounters
from voicebot.records.writer import RecordWriter

_LOGGER: Final = logging.getLogger(__name__)
BUSY_TIMEOUT_MS: Final = 10_000
"""How long a connection waits for another writer (another instance, the web app) before failing."""

CALL_TABLES: Final = (("turns", "call_id"), ("feedback", "call_id"), ("callbacks", "call_id"), ("proposals", "call_id"))
"""Every table with rows about one call (besides ``calls``), and the column naming it: purged with the call."""
CALL_DATES: Final = {"turns": "at", "feedback": "at", "callbacks": "at", "proposals": "created_at"}
"""The date column of each of ``CALL_TABLES`` (for rows whose call is gone already)."""

_T = TypeVar("_T")
_P = ParamSpec("_P")


def connect(
    path: Path, *, check_same_thread: bool = True, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> sqlite3.Connection:
    """A connection in autocommit mode with WAL, busy timeout and foreign-key checks off (records outlive)."""
    try:
        conn = sqlite3.connect(
            str(path), timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=check_same_thread
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = _wal(conn, busy_timeout_ms)
        if str(mode).lower() != "wal":
            _LOGGER.warning("SQLite file %s is not in WAL mode (%s): concurrent writers will wait more", path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as error:
        raise RecordsError(f"cannot open the record database {path}: {error}") from error
    return conn


def _wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> str:
    """Switch the file to WAL (persistent in the file) unless it is already; the switch needs the file to
    itself and SQLite does not wait for that, so processes starting together (forked workers) retry it."""
    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while mode.lower() != "wal":
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])  # a file that cannot: its mode
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
    return mode


def _never_raises(
    method: Callable[Concatenate[RecordStore, _P], None],
) -> Callable[Concatenate[RecordStore, _P], None]:
    """A recorder method that logs and counts a failure instead of raising into the call session."""

    def safe(self: RecordStore, /, *args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception:
            self.counters.failed += 1
            _LOGGER.exception("a call record was dropped (%s)", method.__name__)

    safe.__name__ = method.__name__
    safe.__doc__ = method.__doc__
    return safe


class RecordStore:
    """Call records, callbacks, feedback, accounts and sessions in one SQLite file."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_ms = busy_timeout_ms
        setup = connect(self.path, busy_timeout_ms=busy_timeout_ms)
        try:
            self._salt = self._prepare(setup)
        finally:
            setup.close()
        self._lock = threading.Lock()
        self._reader = connect(self.path, check_same_thread=False, busy_timeout_ms=busy_timeout_ms)
        self._closed = False
        self.spool = Spool.of_database(self.path)
        self._writer = RecordWriter(lambda: connect(self.path, busy_timeout_ms=busy_timeout_ms), self.spool)

    @property
    def counters(self) -> WriteCounters:
        """Writes written, retried, spooled, replayed and lost since the store opened (for metrics)."""
        return self._writer.counters

    @property
    def write_errors(self) -> int:
        """Records lost (each is logged)."""
        return self._writer.counters.failed

    def _prepare(self, setup: sqlite3.Connection) -> bytes:
        """Migrate and read the salt. A database that is up to date but does not take writes now (locked
        beyond the busy timeout, read-only) still opens: records are spooled until it takes them."""
        try:
            schema.migrate(setup)
            return self._ensure_salt(setup)
        except sqlite3.OperationalError as error:
            try:
                current = schema.version(setup)
                row = setup.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()
            except sqlite3.Error:
                current, row = 0, None
            if current != schema.LATEST or row is None:
                raise RecordsError(f"cannot prepare the record database {self.path}: {error}") from error
            _LOGGER.error(
                "the record database %s does not take writes (%s): call records are spooled to %s.spool until it does",
                self.path,
                error,
                self.path.name,
            )
            return bytes.fromhex(str(row[0]))
        except sqlite3.Error as error:
            raise RecordsError(f"cannot prepare the record database {self.path}: {error}") from error

    # --- CallRecorder --------------------------------------------------------------------------------

    @_never_raises
    def call_started(self, call_id: str, caller: str, at: dt.datetime, instance: str = "") -> None:
        """Record an answered call (the number only masked and hashed)."""
        masked = mask_number(caller)
        number = canonical_number(caller)
        digest = hmac.new(self._salt, number.encode(), hashlib.sha256).hexdigest()[:32] if number else ""
        self._put("call_started", (call_id, instance, to_db(at), masked, digest))

    @_never_raises
    def turn(self, call_id: str, turn: TurnRecord) -> None:
        """Record one turn (transcript, reply and reason masked)."""
        values = (
            call_id,
            turn.index,
            to_db(turn.at),
            mask(turn.transcript),
            mask(turn.dtmf) if len(turn.dtmf) >= 6 else turn.dtmf,
            turn.engine,
            float(turn.asr_confidence),
            json.dumps([[str(topic), round(float(score), 4)] for topic, score in turn.candidates[:5]]),
            turn.action,
            turn.topic,
            turn.department,
            mask(turn.reply),
            mask(turn.reason),
            json.dumps({str(key): round(float(value), 1) for key, value in turn.timings_ms.items()}),
            turn.audio_file,
        )
        self._put("turn", values)
        if turn.language:  # its own write: lines spooled by an older version keep their parameter count
            self._put("turn_language", (turn.language, call_id, turn.index))

    @_never_raises
    def callback(self, request: CallbackRequest) -> None:
        """Record a callback request (number kept: staff call back)."""
        at = request.at or dt.datetime.now(dt.UTC)
        values = (
            request.call_id,
            to_db(at),
            request.name.strip(),
            request.number.strip(),
            request.department,
            request.topic,
            mask(request.note),
        )
        self._put("callback", values)

    @_never_raises
    def call_ended(self, call_id: str, outcome: CallOutcome) -> None:
        """Record how the call ended."""
        ended = outcome.ended_at or dt.datetime.now(dt.UTC)
        values = (call_id, to_db(ended), to_db(ended), outcome.outcome, outcome.department, outcome.topic)
        self._put("call_ended", (*values, mask(outcome.reason)))
        if outcome.language:
            self._put("call_language", (outcome.language, call_id))

    # --- writer thread --------------------------------------------------------------------------------

    def _put(self, op: str, values: tuple[object, ...]) -> None:
        self._writer.put(op, values)

    def flush(self) -> None:
        """Wait until every queued record is in the database or the spool."""
        self._writer.flush()

    def close(self) -> None:
        """Write what is queued, stop the writer thread, close the connections (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with self._lock:
            self._reader.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reads and the web app's writes ------------------------------------------------------------------

    @contextlib.contextmanager
    def connection(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """The query connection, locked, in one transaction (committed on success, rolled back on error).

        ``immediate`` takes the write lock at once (waiting up to the busy timeout): use it for changes.
        """
        with self._lock:
            if self._closed:
                raise RecordsError(f"the record store {self.path} is closed")
            conn = self._reader
            conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, function: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        """``function(conn, *args, **kwargs)`` in one transaction on the query connection (blocking).

        A function that reads and then writes can find that another process wrote in between (SQLite then
        refuses the write at once instead of waiting); it is run again under the write lock.
        """
        try:
            with self.connection() as conn:
                return function(conn, *args, **kwargs)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
        with self.connection(immediate=True) as conn:
            return function(conn, *args, **kwargs)

    async def run(self, function: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        """``function(conn, *args, **kwargs)`` in a worker thread, so the event loop is not blocked."""
        return await asyncio.to_thread(functools.partial(self.query, function, *args, **kwargs))

    # --- retention ---------------------------------------------------------------------------------------

    def purge(self, now: dt.datetime, retention_days: int, *, tz: dt.tzinfo = dt.UTC) -> int:
        """Delete calls started more than ``retention_days`` before ``now``, with every row that names them
        (``CALL_TABLES``: turns, feedback, callbacks, learning proposals) and the turns' audio files.

        The deleted calls are first folded into the daily counts (``records.aggregates``, local days in
        ``tz``), so statistics outlive the records. Returns the number of calls deleted. Waits for queued writes first. Rows of a call whose ``calls``
        row is gone already (written late) go by their own date. The audio files are deleted after the rows
        (a file whose deletion fails is logged; its record is gone either way).
        """
        if retention_days < 1:
            raise RecordsError(f"retention_days must be at least 1, not {retention_days}")
        self.flush()
        cutoff = to_db(now - dt.timedelta(days=retention_days))
        with self.connection(immediate=True) as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS purged (id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM temp.purged")
            conn.execute("INSERT INTO temp.purged SELECT id FROM calls WHERE started_at < ?", (cutoff,))
            for table, column in CALL_TABLES:  # late rows of calls whose calls row is gone: by their own date
                conn.execute(
                    f"INSERT OR IGNORE INTO temp.purged SELECT {column} FROM {table}"  # noqa: S608
                    f" WHERE {CALL_DATES[table]} < ? AND {column} IS NOT NULL"
                    f" AND {column} NOT IN (SELECT id FROM calls)",
                    (cutoff,),
                )
            old = "SELECT id FROM temp.purged"
            fold_purged(conn, tz)
            audio = [
                str(row[0])
                for row in conn.execute(
                    f"SELECT audio_file FROM turns WHERE audio_file != '' AND call_id IN ({old})"  # noqa: S608
                )
            ]
            for table, column in CALL_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE {column} IN ({old})")  # noqa: S608
            conn.execute("DELETE FROM callbacks WHERE at < ?", (cutoff,))
            deleted = conn.execute(f"DELETE FROM calls WHERE id IN ({old})").rowcount  # noqa: S608
            conn.execute("DELETE FROM temp.purged")
        delete_files(audio)
        if deleted:
            _LOGGER.info("deleted %d call records older than %d days", deleted, retention_days)
        return int(deleted)

    @staticmethod
    def _ensure_salt(conn: sqlite3.Connection) -> bytes:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()
            if row is None:
                salt = secrets.token_hex(16)
                conn.execute("INSERT INTO meta (key, value) VALUES ('caller_salt', ?)", (salt,))
            else:
                salt = str(row[0])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return bytes.fromhex(salt)


__all__ = ["BUSY_TIMEOUT_MS", "RecordStore", "connect"]
