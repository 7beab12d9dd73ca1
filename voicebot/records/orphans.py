"""Calls left "running" by a bot process that died (SIGKILL, out of memory, a crash in the SIP stack).

A worker that dies cannot write its calls' outcomes, so their records would show "Läuft noch" forever. The
supervisor (``voicebot run --workers N``) calls :func:`close_calls_of_dead_worker` when it reaps a worker
that did not stop cleanly: every call of that worker's instance name still without an end, started before
the death, is ended with the outcome ``worker_died``.

It runs in the supervisor between ``wait`` and the next ``fork``: one short-lived connection, closed before
the replacement worker is forked (an SQLite connection must not cross a fork), with a short busy timeout.
When something is spooled already (the dead worker's own records may be among it) or the database does
not take the write, the closing goes to the spool behind them, so it applies after them, in order.

The caller is not told: the dead process took the SIP dialogs with it (see ``SUPERVISOR_BYE``).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path
from typing import Final

from voicebot.errors import RecordsError
from voicebot.records.queries import to_db
from voicebot.records.spool import Spool, SpoolError
from voicebot.records.store import connect
from voicebot.records.writer import STATEMENTS, transient

_LOGGER: Final = logging.getLogger("voicebot.records.orphans")

BUSY_TIMEOUT_MS: Final = 2000
"""How long the supervisor waits for the database before it spools the closing instead (milliseconds)."""
SUPERVISOR_BYE: Final = (
    "the supervisor cannot send BYE for a dead worker's calls: the dialogs (tags, CSeq, route set, contact) "
    "lived only in that process; the replacement worker answers the caller's or PBX's next request in "
    "such a dialog (BYE, re-INVITE or UPDATE of a session timer) with 481, which ends it there"
)
"""Why the caller of a dead worker's call is not hung up by the bot (kept with the code, logged once)."""


def death_reason(status: int) -> str:
    """The staff's wording of why a call ended, from the worker's exit status (negative: killed by a signal)."""
    if status < 0:
        return f"Bot-Prozess ausgefallen (Signal {-status}); Gespräch abgebrochen"
    return f"Bot-Prozess ausgefallen (Status {status}); Gespräch abgebrochen"


def close_calls_of_dead_worker(database: Path, instance: str, died_at: dt.datetime, status: int) -> int:
    """End the running calls of ``instance`` started before ``died_at`` with the outcome ``worker_died``.

    Returns how many were closed in the database now, or -1 when the closing was spooled (applied by the
    next worker that writes). Never raises: a failure is logged.
    """
    at = to_db(died_at)
    values: tuple[object, ...] = (at, death_reason(status), instance, at)
    spool = Spool.of_database(database)
    if not spool.pending():
        try:
            conn = connect(database, busy_timeout_ms=BUSY_TIMEOUT_MS)
        except RecordsError as error:
            _LOGGER.warning("calls of %s could not be closed now: %s", instance, error)
        else:
            try:
                closed = conn.execute(STATEMENTS["close_orphans"], values).rowcount
            except sqlite3.Error as error:
                if not transient(error):
                    _LOGGER.error("calls of %s could not be closed: %s", instance, error)
                    return 0
                _LOGGER.warning("calls of %s could not be closed now: %s", instance, error)
            else:
                _LOGGER.warning(
                    "worker %s died: %d running call(s) recorded as ended (worker_died); %s",
                    instance,
                    closed,
                    SUPERVISOR_BYE,
                )
                return int(closed)
            finally:
                conn.close()
    try:
        spool.append([("close_orphans", values)])
    except SpoolError as error:
        _LOGGER.error("calls of %s stay open in the records: %s", instance, error)
        return 0
    _LOGGER.warning("worker %s died: closing its running calls was spooled to %s", instance, spool.path)
    return -1


__all__ = ["BUSY_TIMEOUT_MS", "SUPERVISOR_BYE", "close_calls_of_dead_worker", "death_reason"]
