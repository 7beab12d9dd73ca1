"""The admin pages' queries: content history, phrasing proposals (the learning loop), statistics input.

Every function takes an open ``sqlite3.Connection`` from ``RecordStore.connection()`` / ``store.run``.

Learning loop: staff feedback "falsch — richtig wäre Thema X" on a call becomes a proposal to add what
the caller said to X's phrasings. ``sync_proposals`` turns new feedback into proposals (idempotent: one
run per feedback); the admin accepts (the phrasing is added through ``voicebot.content.edit``) or rejects.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from voicebot.content.edit import ContentChange
from voicebot.content.edit_departments import DEPARTMENT_PREFIX
from voicebot.language.text import fold
from voicebot.records.queries import from_db, to_db
from voicebot.records.stats import CALLBACK_REPROMPT_REASONS, CallFacts

OPEN_QUESTION_ACTIONS = ("answer", "confirm", "choose", "reprompt", "transfer", "menu")
"""Turn actions that follow an utterance the matcher tried to place (not a yes/no or a callback detail)."""


@dataclass(frozen=True)
class HistoryRow:
    """One changed field of the content files."""

    id: int
    at: dt.datetime
    user: str
    file: str
    field: str
    old: str
    new: str

    def changes(self) -> list[tuple[str, str]]:
        """What changed as (``-``/``+``, text) pairs: for lists (one entry per line) only the entries removed
        and added, for single values the old and the new value."""
        old_lines, new_lines = self.old.splitlines(), self.new.splitlines()
        if len(old_lines) <= 1 and len(new_lines) <= 1:
            return [("-", self.old)] * bool(self.old) + [("+", self.new)] * bool(self.new)
        removed = [("-", line) for line in old_lines if line not in new_lines]
        added = [("+", line) for line in new_lines if line not in old_lines]
        return removed + added or [("+", "(nur die Reihenfolge geändert)")]


@dataclass(frozen=True)
class ProposalRow:
    """A proposed new phrasing for a topic."""

    id: int
    utterance: str
    topic: str
    call_id: str | None
    turn_idx: int | None
    created_at: dt.datetime
    status: str
    """``open``, ``accepted`` or ``rejected``."""
    decided_by: str | None
    decided_at: dt.datetime | None
    language: str = ""
    """ISO code of the language the caller said it in ("": the base language); accepting adds the phrasing
    to that language's FAQ file."""


def add_history(conn: sqlite3.Connection, change: ContentChange) -> None:
    """Store one changed field (old and new value as text, one per line)."""
    conn.execute(
        "INSERT INTO content_history (at, user, file, what, diff) VALUES (?, ?, ?, ?, ?)",
        (to_db(change.at), change.user, change.file, change.field, _encode(change.old, change.new)),
    )


def list_history(conn: sqlite3.Connection, *, limit: int = 200) -> list[HistoryRow]:
    """Changes, newest first."""
    rows = conn.execute(
        "SELECT id, at, user, file, what, diff FROM content_history ORDER BY at DESC, id DESC LIMIT ?", (limit,)
    ).fetchall()
    result = []
    for row in rows:
        old, new = _decode(str(row[5]))
        at = from_db(row[1])
        assert at is not None
        result.append(HistoryRow(int(row[0]), at, str(row[2]), str(row[3]), str(row[4]), old, new))
    return result


_SEPARATOR = "\n\x1e\n"
"""Between the old and the new value in the ``diff`` column (record separator, never typed in a form)."""


def _encode(old: str, new: str) -> str:
    return old + _SEPARATOR + new


def _decode(diff: str) -> tuple[str, str]:
    old, _, new = diff.partition(_SEPARATOR)
    return old, new


def sync_proposals(conn: sqlite3.Connection, known_phrasings: Collection[str], now: dt.datetime) -> int:
    """Create proposals from "wrong, should be topic X" feedback not seen before; returns how many.

    Feedback naming only a department ("wrong, should be department Y") proposes a name for Y: its topic
    is ``abteilung:<id>`` (``content.edit_departments.DEPARTMENT_PREFIX``), accepted as a synonym. The utterance is the transcript of the turn the feedback names, else the call's first utterance the
    matcher tried to place. Utterances already among ``known_phrasings`` (compared folded) are skipped.
    The proposal keeps the turn's language (else the call's): an English sentence becomes an English phrasing.
    """
    known = {fold(text) for text in known_phrasings}
    rows = conn.execute(
        "SELECT f.id, f.call_id, f.turn_idx, COALESCE(NULLIF(f.correct_topic, ''), ? || f.correct_department)"
        " FROM feedback f WHERE f.verdict = 'wrong'"
        " AND (COALESCE(f.correct_topic, '') != '' OR COALESCE(f.correct_department, '') != '')"
        " AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.feedback_id = f.id) ORDER BY f.id",
        (DEPARTMENT_PREFIX,),
    ).fetchall()
    created = 0
    for feedback_id, call_id, turn_idx, topic in rows:
        turn = _utterance(conn, str(call_id), turn_idx)
        if turn is None:
            continue
        idx, text, language = turn
        duplicate = conn.execute(
            "SELECT 1 FROM proposals WHERE topic = ? AND lower(utterance) = lower(?) AND status != 'rejected'",
            (topic, text),
        ).fetchone()
        status = "rejected" if fold(text) in known or duplicate else "open"
        conn.execute(
            "INSERT INTO proposals (utterance, topic, call_id, turn_idx, feedback_id, created_at, status, decided_by,"
            " decided_at, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                text,
                topic,
                call_id,
                idx,
                feedback_id,
                to_db(now),
                status,
                None if status == "open" else "system",
                None if status == "open" else to_db(now),
                language,
            ),
        )
        created += status == "open"
    return created


def _utterance(conn: sqlite3.Connection, call_id: str, turn_idx: int | None) -> tuple[int, str, str] | None:
    """(turn index, transcript, language: the turn's, else the call's) of the utterance a feedback names."""
    language = "COALESCE(NULLIF(t.language, ''), (SELECT c.language FROM calls c WHERE c.id = t.call_id), '')"
    if turn_idx is not None:
        row = conn.execute(
            f"SELECT t.idx, t.transcript, {language} FROM turns t"  # noqa: S608
            " WHERE t.call_id = ? AND t.idx = ? AND t.transcript != ''",
            (call_id, turn_idx),
        ).fetchone()
    else:
        marks = ", ".join("?" for _ in OPEN_QUESTION_ACTIONS)
        row = conn.execute(
            f"SELECT t.idx, t.transcript, {language} FROM turns t"  # noqa: S608
            f" WHERE t.call_id = ? AND t.transcript != '' AND t.action IN ({marks}) ORDER BY t.idx LIMIT 1",
            (call_id, *OPEN_QUESTION_ACTIONS),
        ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]).strip(), str(row[2] or ""))


def list_proposals(conn: sqlite3.Connection, status: str | None = "open", *, limit: int = 200) -> list[ProposalRow]:
    """Proposals (of one status, or all), newest first."""
    rows = conn.execute(
        "SELECT id, utterance, topic, call_id, turn_idx, created_at, status, decided_by, decided_at, language"
        " FROM proposals WHERE (? IS NULL OR status = ?) ORDER BY created_at DESC, id DESC LIMIT ?",
        (status, status, limit),
    ).fetchall()
    return [_proposal(row) for row in rows]


def get_proposal(conn: sqlite3.Connection, proposal_id: int) -> ProposalRow | None:
    """One proposal, or None."""
    row = conn.execute(
        "SELECT id, utterance, topic, call_id, turn_idx, created_at, status, decided_by, decided_at, language"
        " FROM proposals WHERE id = ?",
        (proposal_id,),
    ).fetchone()
    return None if row is None else _proposal(row)


def decide_proposal(conn: sqlite3.Connection, proposal_id: int, accepted: bool, user: str, now: dt.datetime) -> bool:
    """Mark an open proposal accepted or rejected; False if unknown or already decided."""
    cursor = conn.execute(
        "UPDATE proposals SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'open'",
        ("accepted" if accepted else "rejected", user, to_db(now), proposal_id),
    )
    return cursor.rowcount == 1


def _proposal(row: tuple[object, ...]) -> ProposalRow:
    created = from_db(str(row[5]))
    assert created is not None
    return ProposalRow(
        id=int(str(row[0])),
        utterance=str(row[1]),
        topic=str(row[2]),
        call_id=None if row[3] is None else str(row[3]),
        turn_idx=None if row[4] is None else int(str(row[4])),
        created_at=created,
        status=str(row[6]),
        decided_by=None if row[7] is None else str(row[7]),
        decided_at=from_db(None if row[8] is None else str(row[8])),
        language=str(row[9] or ""),
    )


def call_facts(conn: sqlite3.Connection, since: dt.datetime | None, until: dt.datetime | None) -> list[CallFacts]:
    """Statistics input: every finished or running call started in ``[since, until)``."""
    clauses, values = [], []
    if since is not None:
        clauses.append("started_at >= ?")
        values.append(to_db(since))
    if until is not None:
        clauses.append("started_at < ?")
        values.append(to_db(until))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    calls = conn.execute(
        f"SELECT id, started_at, outcome, department, language FROM calls{where} ORDER BY started_at",  # noqa: S608
        values,
    ).fetchall()
    topics: dict[str, list[str]] = {}
    unrecognised: dict[str, list[str]] = {}
    turns = conn.execute(
        f"SELECT call_id, action, topic, transcript, reason FROM turns WHERE call_id IN (SELECT id FROM calls{where})"  # noqa: S608
        " AND action IN ('answer', 'reprompt', 'callback') ORDER BY call_id, idx",
        values,
    ).fetchall()
    taking_callback: set[str] = set()  # from a call's first callback turn on, the caller says a name and a number
    for call_id, action, topic, transcript, reason in turns:
        key = str(call_id)
        if action == "callback":
            taking_callback.add(key)
        elif action == "answer" and topic:
            topics.setdefault(key, []).append(str(topic))
        elif (
            action == "reprompt"
            and str(transcript).strip()
            and key not in taking_callback
            and str(reason) not in CALLBACK_REPROMPT_REASONS
        ):
            unrecognised.setdefault(key, []).append(str(transcript).strip())
    result = []
    for call_id, started, outcome, department, language in calls:
        started_at = from_db(str(started))
        assert started_at is not None
        key = str(call_id)
        result.append(
            CallFacts(
                key,
                started_at,
                str(outcome or ""),
                None if department is None else str(department),
                tuple(topics.get(key, ())),
                tuple(unrecognised.get(key, ())),
                str(language or ""),
            )
        )
    return result


__all__ = [
    "HistoryRow",
    "ProposalRow",
    "add_history",
    "call_facts",
    "decide_proposal",
    "get_proposal",
    "list_history",
    "list_proposals",
    "sync_proposals",
]
