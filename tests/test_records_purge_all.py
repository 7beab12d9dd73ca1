"""``records purge`` leaves nothing of a purged call: no row in any table names it, its audio files are gone."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from voicebot.records import queries
from voicebot.records.calls import CallbackRequest, CallOutcome, TurnRecord
from voicebot.records.store import CALL_TABLES, RecordStore
from voicebot.web.admin_queries import sync_proposals

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=100)
RECENT = NOW - dt.timedelta(days=5)


def rows_naming(database: Path, call_id: str) -> dict[str, int]:
    """Per table, the rows with ``call_id`` in any column (every table of the file, whatever its schema)."""
    found: dict[str, int] = {}
    with sqlite3.connect(database) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for row in conn.execute(f"SELECT * FROM {table}"):
                if any(isinstance(value, str) and call_id in value for value in row):
                    found[table] = found.get(table, 0) + 1
            assert columns
    return found


def a_call(store: RecordStore, call_id: str, at: dt.datetime, audio: Path) -> None:
    """A call with everything a call can leave: turns with audio, a callback, feedback, a learning proposal."""
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(b"RIFF")
    store.call_started(call_id, "sip:+4983815550123@pbx", at, "lt-1")
    store.turn(call_id, TurnRecord(0, at, "Wo melde ich mein Wohnmobil an?", action="reprompt", audio_file=str(audio)))
    store.callback(CallbackRequest(call_id, "Max", "0171 2345678", "zulassung", at=at + dt.timedelta(minutes=1)))
    store.call_ended(call_id, CallOutcome("callback", "zulassung", None, "Rückruf", at + dt.timedelta(minutes=2)))
    store.flush()
    store.query(queries.add_feedback, call_id, "wrong", "anna", at, turn_idx=0, correct_topic="kfz_zulassung")


def test_purge_leaves_no_row_of_a_purged_call_in_any_table(tmp_path: Path) -> None:
    database = tmp_path / "records.sqlite3"
    old_audio = tmp_path / "audio" / "old-call" / "0.wav"
    new_audio = tmp_path / "audio" / "new-call" / "0.wav"
    with RecordStore(database) as store:
        a_call(store, "old-call@pbx", OLD, old_audio)
        a_call(store, "new-call@pbx", RECENT, new_audio)
        # a turn written late, after its call's row was purged already (e.g. replayed from the spool)
        store.turn("late-call@pbx", TurnRecord(3, OLD, "spät", action="answer"))
        # a callback of an old call made just after the retention cut-off
        cutoff = NOW - dt.timedelta(days=90)
        store.call_started("edge-call@pbx", "sip:0838155501@pbx", cutoff - dt.timedelta(seconds=30), "lt-1")
        store.callback(
            CallbackRequest("edge-call@pbx", "Eva", "0171 1111111", None, at=cutoff + dt.timedelta(seconds=30))
        )
        store.flush()
        assert store.query(sync_proposals, (), NOW) == 1  # the second call said the same: a duplicate, rejected
        before = rows_naming(database, "old-call@pbx")
        assert set(before) == {"calls", "turns", "callbacks", "feedback", "proposals"}, before
        assert {table for table, _ in CALL_TABLES} | {"calls"} == set(before)

        assert store.purge(NOW, 90) == 2

    for gone in ("old-call@pbx", "late-call@pbx", "edge-call@pbx"):
        assert rows_naming(database, gone) == {}, gone
    assert not old_audio.exists() and not old_audio.parent.exists()
    assert set(rows_naming(database, "new-call@pbx")) == set(before)
    assert new_audio.exists()
