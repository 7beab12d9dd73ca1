"""What the switchboard's live page shows: calls in progress and calls just put through, from the records DB.

The records database is the place every bot process writes to (forked workers included), so the web app reads
live calls from it, not from one process's memory: a call in progress has a row without ``ended_at``; its
latest turns say what the caller wants. Texts are stored masked already.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Final

from voicebot.records.queries import from_db, to_db

RECENT_MINUTES: Final = 10
"""Transferred calls stay on the page this long after they ended (minutes)."""
STALE_HOURS: Final = 2
"""A call without an end older than this is a leftover of a crashed process, not a live call (hours)."""


@dataclass(frozen=True)
class LiveCall:
    """One call on the live page."""

    id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    caller_masked: str
    outcome: str | None
    """``None`` while the call is in progress."""
    department: str | None
    """Where the call was put through to (or the department being talked about)."""
    topic: str | None
    words: str
    """The caller's latest words before any callback details (masked)."""
    reason: str
    """Why the bot put the caller through (once transferred), else its latest reason."""
    action: str
    """The bot's latest action."""


_SQL: Final = """
SELECT c.id, c.started_at, c.ended_at, c.caller_masked, c.outcome, c.department, c.topic, c.reason,
  (SELECT t.transcript FROM turns t WHERE t.call_id = c.id AND t.transcript != '' AND t.action != 'callback'
     ORDER BY t.idx DESC LIMIT 1),
  COALESCE((SELECT t.reason FROM turns t WHERE t.call_id = c.id AND t.action = 'transfer'
              AND c.ended_at IS NOT NULL ORDER BY t.idx DESC LIMIT 1),
            (SELECT t.reason FROM turns t WHERE t.call_id = c.id ORDER BY t.idx DESC LIMIT 1)),
  (SELECT t.action FROM turns t WHERE t.call_id = c.id ORDER BY t.idx DESC LIMIT 1),
  (SELECT t.topic FROM turns t WHERE t.call_id = c.id AND t.topic IS NOT NULL ORDER BY t.idx DESC LIMIT 1),
  (SELECT t.department FROM turns t WHERE t.call_id = c.id AND t.department IS NOT NULL ORDER BY t.idx DESC LIMIT 1)
FROM calls c
WHERE (c.ended_at IS NULL AND c.started_at >= ?)
   OR (c.outcome = 'transferred' AND c.ended_at >= ?)
ORDER BY c.ended_at IS NOT NULL, c.started_at DESC
LIMIT 100
"""


def live_calls(conn: sqlite3.Connection, now: dt.datetime) -> list[LiveCall]:
    """Calls in progress (newest first), then calls transferred in the last ``RECENT_MINUTES``."""
    stale = now - dt.timedelta(hours=STALE_HOURS)
    recent = now - dt.timedelta(minutes=RECENT_MINUTES)
    rows = conn.execute(_SQL, (to_db(stale), to_db(recent))).fetchall()
    result = []
    for row in rows:
        started = from_db(row[1])
        assert started is not None
        ended = row[2] is not None
        result.append(
            LiveCall(
                id=str(row[0]),
                started_at=started,
                ended_at=from_db(row[2]),
                caller_masked=str(row[3] or ""),
                outcome=row[4],
                department=row[5] if ended and row[5] else row[12],
                topic=row[6] if ended and row[6] else row[11],
                words=str(row[8] or ""),
                reason=str(row[9] or row[7] or ""),
                action=str(row[10] or ""),
            )
        )
    return result


__all__ = ["RECENT_MINUTES", "STALE_HOURS", "LiveCall", "live_calls"]
