"""Read (and the web app's few write) queries over the record store, as typed rows.

Every function takes an open ``sqlite3.Connection`` (from ``RecordStore.connection()``) and plain
values; times are timezone-aware datetimes, stored as fixed-width UTC text so that text order is time order.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Final

UTC = dt.UTC
PAGE_SIZE = 50


def to_db(at: dt.datetime) -> str:
    """A datetime as stored: UTC, fixed width (``2026-11-23T10:42:12.000000Z``). Naive means UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db(text: str | None) -> dt.datetime | None:
    """The datetime of a stored value (``None`` stays ``None``)."""
    if not text:
        return None
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _at(text: str) -> dt.datetime:
    value = from_db(text)
    assert value is not None
    return value


@dataclass(frozen=True)
class CallRow:
    """One call as the lists show it (caller number only masked)."""

    id: str
    instance: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    caller_masked: str
    caller_hash: str
    outcome: str | None
    department: str | None
    topic: str | None
    reason: str
    turns: int
    feedback: int
    repeat_calls: int
    """Calls from the same (hashed) number in the store, this one included."""
    language: str = ""
    """ISO code of the call's language ("" for calls recorded before languages were stored: the base one)."""

    def summary(self) -> dict[str, object]:
        """The row as JSON-ready data (``voicebot records list --json`` and ``/api/calls``)."""
        return {
            "id": self.id,
            "instance": self.instance,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "caller": self.caller_masked,
            "outcome": self.outcome,
            "department": self.department,
            "topic": self.topic,
            "reason": self.reason,
            "turns": self.turns,
            "feedback": self.feedback,
            "language": self.language,
        }


@dataclass(frozen=True)
class TurnRow:
    """One stored turn (transcript and reply already masked)."""

    idx: int
    at: dt.datetime
    transcript: str
    dtmf: str
    engine: str
    asr_confidence: float | None
    candidates: tuple[tuple[str, float], ...]
    action: str
    topic: str | None
    department: str | None
    reply: str
    reason: str
    timings_ms: dict[str, float]
    audio_file: str = ""
    """Path of the caller's audio of this turn (``[records] store_audio``), empty when none was kept."""
    language: str = ""
    """ISO code of the language the turn was understood and answered in ("" when not recorded)."""


@dataclass(frozen=True)
class CallbackRow:
    """One callback request; ``number`` is the real number (show only on the request's own page)."""

    id: int
    call_id: str
    at: dt.datetime
    name: str
    number: str
    department: str | None
    topic: str | None
    note: str
    done_at: dt.datetime | None
    done_by: str | None


@dataclass(frozen=True)
class FeedbackRow:
    """Staff's verdict on a call or one of its turns."""

    id: int
    call_id: str
    turn_idx: int | None
    verdict: str
    correct_topic: str | None
    correct_department: str | None
    note: str
    user: str
    at: dt.datetime


@dataclass(frozen=True)
class CallFilter:
    """What the call list is narrowed to (all optional)."""

    since: dt.datetime | None = None
    """Calls started at or after this."""
    until: dt.datetime | None = None
    """Calls started before this."""
    outcome: str | None = None
    department: str | None = None
    instance: str | None = None
    reviewed: bool | None = None
    """True: only calls with staff feedback; False: only calls without; None: all."""
    language: str | None = None
    """Only calls in this language (ISO code)."""


_CALL_COLUMNS = """c.id, c.instance, c.started_at, c.ended_at, c.caller_masked, c.caller_hash, c.outcome,
    c.department, c.topic, c.reason,
    (SELECT COUNT(*) FROM turns t WHERE t.call_id = c.id),
    (SELECT COUNT(*) FROM feedback f WHERE f.call_id = c.id),
    CASE WHEN c.caller_hash = '' THEN 1
         ELSE (SELECT COUNT(*) FROM calls r WHERE r.caller_hash = c.caller_hash) END,
    c.language"""


def _call(row: sqlite3.Row | tuple[Any, ...]) -> CallRow:
    return CallRow(
        id=row[0],
        instance=row[1],
        started_at=_at(row[2]),
        ended_at=from_db(row[3]),
        caller_masked=row[4],
        caller_hash=row[5],
        outcome=row[6],
        department=row[7],
        topic=row[8],
        reason=row[9],
        turns=row[10],
        feedback=row[11],
        repeat_calls=row[12],
        language=row[13],
    )


def _where(selection: CallFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    values: list[Any] = []
    if selection.since is not None:
        clauses.append("c.started_at >= ?")
        values.append(to_db(selection.since))
    if selection.until is not None:
        clauses.append("c.started_at < ?")
        values.append(to_db(selection.until))
    if selection.outcome:
        if selection.outcome == "open":
            clauses.append("c.outcome IS NULL")
        else:
            clauses.append("c.outcome = ?")
            values.append(selection.outcome)
    if selection.department:
        clauses.append("c.department = ?")
        values.append(selection.department)
    if selection.instance:
        clauses.append("c.instance = ?")
        values.append(selection.instance)
    if selection.language:
        clauses.append("c.language = ?")
        values.append(selection.language)
    if selection.reviewed is not None:
        exists = "EXISTS (SELECT 1 FROM feedback f WHERE f.call_id = c.id)"
        clauses.append(exists if selection.reviewed else f"NOT {exists}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


SQLITE_MAX_INT: Final = 2**63 - 1
"""Largest integer SQLite stores; larger ids from a URL match nothing (and must not raise OverflowError)."""


def list_calls(
    conn: sqlite3.Connection, selection: CallFilter = CallFilter(), *, limit: int = PAGE_SIZE, offset: int = 0
) -> list[CallRow]:
    """Calls newest first (none for an offset beyond SQLite's integers)."""
    if not 0 <= offset <= SQLITE_MAX_INT:
        return []
    where, values = _where(selection)
    rows = conn.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls c{where} ORDER BY c.started_at DESC, c.id LIMIT ? OFFSET ?",  # noqa: S608
        [*values, limit, offset],
    ).fetchall()
    return [_call(row) for row in rows]


def count_calls(conn: sqlite3.Connection, selection: CallFilter = CallFilter()) -> int:
    """How many calls match."""
    where, values = _where(selection)
    return int(conn.execute(f"SELECT COUNT(*) FROM calls c{where}", values).fetchone()[0])  # noqa: S608


def get_call(conn: sqlite3.Connection, call_id: str) -> CallRow | None:
    """One call, or None."""
    row = conn.execute(f"SELECT {_CALL_COLUMNS} FROM calls c WHERE c.id = ?", (call_id,)).fetchone()  # noqa: S608
    return None if row is None else _call(row)


def get_turns(conn: sqlite3.Connection, call_id: str) -> list[TurnRow]:
    """The call's turns in order."""
    rows = conn.execute(
        "SELECT idx, at, transcript, dtmf, engine, asr_confidence, candidates, action, topic, department, reply,"
        " reason, timings, audio_file, language FROM turns WHERE call_id = ? ORDER BY idx",
        (call_id,),
    ).fetchall()
    return [
        TurnRow(
            idx=row[0],
            at=_at(row[1]),
            transcript=row[2],
            dtmf=row[3],
            engine=row[4],
            asr_confidence=row[5],
            candidates=tuple((str(topic), float(score)) for topic, score in json.loads(row[6])),
            action=row[7],
            topic=row[8],
            department=row[9],
            reply=row[10],
            reason=row[11],
            timings_ms={str(k): float(v) for k, v in json.loads(row[12]).items()},
            audio_file=row[13],
            language=row[14],
        )
        for row in rows
    ]


def turn_audio(conn: sqlite3.Connection, call_id: str, turn_idx: int) -> str:
    """The stored audio file path of one turn ('' when the turn has none or does not exist)."""
    if not 0 <= turn_idx <= SQLITE_MAX_INT:
        return ""
    row = conn.execute("SELECT audio_file FROM turns WHERE call_id = ? AND idx = ?", (call_id, turn_idx)).fetchone()
    return "" if row is None else str(row[0])


def _callback(row: sqlite3.Row | tuple[Any, ...]) -> CallbackRow:
    return CallbackRow(
        id=row[0],
        call_id=row[1],
        at=_at(row[2]),
        name=row[3],
        number=row[4],
        department=row[5],
        topic=row[6],
        note=row[7],
        done_at=from_db(row[8]),
        done_by=row[9],
    )


_CALLBACK_COLUMNS = "id, call_id, at, name, number, department, topic, note, done_at, done_by"


def list_callbacks(conn: sqlite3.Connection, *, limit: int = 200, call_id: str | None = None) -> list[CallbackRow]:
    """Callback requests: open ones first (oldest first), then done ones (most recently done first)."""
    where, values = (" WHERE call_id = ?", [call_id]) if call_id else ("", [])
    rows = conn.execute(
        f"SELECT {_CALLBACK_COLUMNS} FROM callbacks{where}"  # noqa: S608
        " ORDER BY done_at IS NOT NULL, CASE WHEN done_at IS NULL THEN at END, done_at DESC LIMIT ?",
        [*values, limit],
    ).fetchall()
    return [_callback(row) for row in rows]


def get_callback(conn: sqlite3.Connection, callback_id: int) -> CallbackRow | None:
    """One callback request, or None (also for ids out of SQLite's range)."""
    if not 0 < callback_id <= SQLITE_MAX_INT:
        return None
    row = conn.execute(f"SELECT {_CALLBACK_COLUMNS} FROM callbacks WHERE id = ?", (callback_id,)).fetchone()  # noqa: S608
    return None if row is None else _callback(row)


def mark_callback_done(conn: sqlite3.Connection, callback_id: int, user: str, now: dt.datetime) -> bool:
    """Mark a request done by ``user``; False if unknown or already done."""
    cursor = conn.execute(
        "UPDATE callbacks SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL",
        (to_db(now), user, callback_id),
    )
    return cursor.rowcount == 1


def reopen_callback(conn: sqlite3.Connection, callback_id: int) -> bool:
    """Mark a done request open again; False if unknown or still open."""
    cursor = conn.execute(
        "UPDATE callbacks SET done_at = NULL, done_by = NULL WHERE id = ? AND done_at IS NOT NULL", (callback_id,)
    )
    return cursor.rowcount == 1


def add_feedback(
    conn: sqlite3.Connection,
    call_id: str,
    verdict: str,
    user: str,
    now: dt.datetime,
    *,
    turn_idx: int | None = None,
    correct_topic: str | None = None,
    correct_department: str | None = None,
    note: str = "",
) -> int:
    """Store a verdict (``right`` or ``wrong``); returns its id."""
    if verdict not in ("right", "wrong"):
        raise ValueError(f"verdict must be 'right' or 'wrong', not {verdict!r}")
    cursor = conn.execute(
        "INSERT INTO feedback (call_id, turn_idx, verdict, correct_topic, correct_department, note, user, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (call_id, turn_idx, verdict, correct_topic or None, correct_department or None, note, user, to_db(now)),
    )
    return int(cursor.lastrowid or 0)


_FEEDBACK_COLUMNS = "id, call_id, turn_idx, verdict, correct_topic, correct_department, note, user, at"


def list_feedback(conn: sqlite3.Connection, call_id: str | None = None, *, limit: int = 500) -> list[FeedbackRow]:
    """Feedback, newest first (of one call, or all)."""
    where, values = (" WHERE call_id = ?", [call_id]) if call_id else ("", [])
    rows = conn.execute(
        f"SELECT {_FEEDBACK_COLUMNS} FROM feedback{where} ORDER BY at DESC, id DESC LIMIT ?",  # noqa: S608
        [*values, limit],
    ).fetchall()
    return [
        FeedbackRow(
            id=row[0],
            call_id=row[1],
            turn_idx=row[2],
            verdict=row[3],
            correct_topic=row[4],
            correct_department=row[5],
            note=row[6],
            user=row[7],
            at=_at(row[8]),
        )
        for row in rows
    ]


def departments_seen(conn: sqlite3.Connection) -> list[str]:
    """Department ids that occur in the records (for filters when no content is at hand)."""
    rows = conn.execute("SELECT DISTINCT department FROM calls WHERE department IS NOT NULL ORDER BY 1").fetchall()
    return [str(row[0]) for row in rows]


__all__ = [
    "PAGE_SIZE",
    "CallFilter",
    "CallRow",
    "CallbackRow",
    "FeedbackRow",
    "TurnRow",
    "add_feedback",
    "count_calls",
    "departments_seen",
    "from_db",
    "get_call",
    "get_callback",
    "get_turns",
    "list_callbacks",
    "list_calls",
    "list_feedback",
    "mark_callback_done",
    "to_db",
    "turn_audio",
]
