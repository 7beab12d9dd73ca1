"""The SQLite schema of the record store as an ordered list of migrations.

A database remembers its version in ``schema_version``; opening it applies every later migration in
order, each in its own ``BEGIN IMMEDIATE`` transaction (so two processes opening the same file at once
do not both migrate). Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3

from voicebot.errors import RecordsError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: call records
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE calls (
            id TEXT PRIMARY KEY,
            instance TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            ended_at TEXT,
            caller_masked TEXT NOT NULL DEFAULT '',
            outcome TEXT,
            department TEXT,
            topic TEXT,
            reason TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE turns (
            call_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            at TEXT NOT NULL,
            transcript TEXT NOT NULL DEFAULT '',
            dtmf TEXT NOT NULL DEFAULT '',
            engine TEXT NOT NULL DEFAULT '',
            asr_confidence REAL,
            candidates TEXT NOT NULL DEFAULT '[]',
            action TEXT NOT NULL DEFAULT '',
            topic TEXT,
            department TEXT,
            reply TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            timings TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (call_id, idx)
        )""",
        """CREATE TABLE callbacks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id TEXT NOT NULL,
            at TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            number TEXT NOT NULL DEFAULT '',
            department TEXT,
            topic TEXT,
            note TEXT NOT NULL DEFAULT '',
            done_at TEXT,
            done_by TEXT
        )""",
        "CREATE INDEX calls_started ON calls (started_at)",
    ),
    # 2: the web app's tables
    (
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id TEXT NOT NULL,
            turn_idx INTEGER,
            verdict TEXT NOT NULL CHECK (verdict IN ('right', 'wrong')),
            correct_topic TEXT,
            correct_department TEXT,
            note TEXT NOT NULL DEFAULT '',
            user TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )""",
        """CREATE TABLE content_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            file TEXT NOT NULL,
            what TEXT NOT NULL DEFAULT '',
            diff TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE proposals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            utterance TEXT NOT NULL,
            topic TEXT NOT NULL,
            call_id TEXT,
            turn_idx INTEGER,
            feedback_id INTEGER,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
            decided_by TEXT,
            decided_at TEXT
        )""",
        "CREATE INDEX feedback_call ON feedback (call_id)",
    ),
    # 3: repeat callers without storing numbers; faster filters
    (
        "ALTER TABLE calls ADD COLUMN caller_hash TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX calls_outcome ON calls (outcome, started_at)",
        "CREATE INDEX calls_caller ON calls (caller_hash)",
        "CREATE INDEX callbacks_open ON callbacks (done_at, at)",
    ),
    # 4: the caller's audio of a turn ([records] store_audio): path of its WAV file, '' when none
    ("ALTER TABLE turns ADD COLUMN audio_file TEXT NOT NULL DEFAULT ''",),
    # 5: figures that outlive retention (``records.aggregates``) and login throttling that survives restarts
    (
        """CREATE TABLE daily_counts (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, kind, key)
        )""",
        """CREATE TABLE login_throttle (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL DEFAULT 0,
            last_failure TEXT NOT NULL,
            blocked_until TEXT NOT NULL
        )""",
    ),
    # 6: the language of a call, of each turn and of a phrasing proposal (ISO code; '': recorded before,
    # the base language)
    (
        "ALTER TABLE calls ADD COLUMN language TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE turns ADD COLUMN language TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE proposals ADD COLUMN language TEXT NOT NULL DEFAULT ''",
    ),
)
"""Migration N (1-based) is ``MIGRATIONS[N - 1]``: statements run in one transaction."""

LATEST = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    """The schema version of an open database (0 = empty)."""
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if row is None:
        return 0
    value = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return int(value or 0)


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the database up to ``target`` (default: latest); returns the version reached.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Raises RecordsError when the file is
    newer than this program.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
        current = version(conn)
        if current > LATEST:
            raise RecordsError(
                f"the record database has schema version {current}, this program knows only up to {LATEST}: "
                "update the voicebot or use another records.database file"
            )
        for number in range(current + 1, target + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, datetime('now'))", (number,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return max(current, target)


__all__ = ["LATEST", "MIGRATIONS", "migrate", "version"]
