"""The SQLite record store: recording through CallRecorder, masking on write, migrations, WAL with two
processes, retention, accounts and sessions."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.web_helpers import T0, make_store, seed_calls
from voicebot.errors import RecordsError
from voicebot.records import queries, schema, users
from voicebot.records.calls import CallbackRequest, CallOutcome, CallRecorder, TurnRecord
from voicebot.records.retention import keep_purging
from voicebot.records.store import RecordStore, connect

ROOT = Path(__file__).resolve().parent.parent


def test_store_is_a_call_recorder(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        recorder: CallRecorder = store
        assert callable(recorder.call_started)


def test_records_round_trip_with_masking_on_write(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        ids = seed_calls(store)
        calls = store.query(queries.list_calls)
        assert [call.id for call in calls] == [ids["callback"], ids["answered"], ids["transferred"]]
        transferred = store.query(queries.get_call, ids["transferred"])
        assert transferred is not None
        assert transferred.outcome == "transferred"
        assert transferred.department == "zulassung"
        assert transferred.reason == "Thema wird von der Abteilung bearbeitet"
        assert transferred.caller_masked == "+49 8381 ••• 45"
        assert transferred.instance == "bot-a"
        assert transferred.ended_at == T0 + dt.timedelta(seconds=15)
        (turn,) = store.query(queries.get_turns, ids["transferred"])
        assert "0171" not in turn.transcript and "1980" not in turn.transcript
        assert turn.transcript == "ich will mein auto anmelden meine nummer ist [Telefonnummer] geboren am [Datum]"
        assert turn.candidates == (("kfz-anmeldung", 0.91), ("kfz-abmeldung", 0.55))
        assert turn.timings_ms == {"asr": 420.0, "match": 3.2, "gap": 780.0}
        assert turn.engine == "whisper" and turn.asr_confidence == pytest.approx(0.82)
        (callback,) = store.query(queries.list_callbacks)
        assert callback.number == "0151 12345678", "callback numbers are kept: staff call back"
        assert callback.name == "Erika Muster" and callback.done_at is None


def test_no_caller_number_is_stored_in_clear(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        seed_calls(store)
    raw = (tmp_path / "records.sqlite3").read_bytes()
    for part in (b"838192045", b"8381 920 46", b"15112345678", b"0171 2345678", b"3.4.1980"):
        assert part not in raw


def test_repeat_callers_are_counted_by_salted_hash(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        store.call_started("a", "08381 92045", T0)
        store.call_started("b", "sip:+49838192045@pbx", T0 + dt.timedelta(minutes=5))
        store.call_started("c", "+49838192099", T0 + dt.timedelta(minutes=6))
        store.flush()
        rows = {row.id: row for row in store.query(queries.list_calls)}
    assert rows["a"].caller_hash == rows["b"].caller_hash != rows["c"].caller_hash
    assert rows["a"].repeat_calls == rows["b"].repeat_calls == 2
    assert rows["c"].repeat_calls == 1
    assert "838192045" not in rows["a"].caller_hash


def test_filters_and_paging(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        for i in range(7):
            store.call_started(f"c{i}", "+49838192045", T0 + dt.timedelta(days=i))
            outcome = "transferred" if i % 2 else "answered"
            store.call_ended(f"c{i}", CallOutcome(outcome, department="zulassung" if i % 2 else None))
        store.flush()
        assert store.query(queries.count_calls, queries.CallFilter(outcome="transferred")) == 3
        assert store.query(queries.count_calls, queries.CallFilter(department="zulassung")) == 3
        window = queries.CallFilter(since=T0 + dt.timedelta(days=2), until=T0 + dt.timedelta(days=4))
        assert [row.id for row in store.query(queries.list_calls, window)] == ["c3", "c2"]
        page2 = store.query(queries.list_calls, limit=3, offset=3)
        assert [row.id for row in page2] == ["c3", "c2", "c1"]


def test_migrates_an_old_schema_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = connect(path)
    assert schema.migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO calls (id, started_at, caller_masked, outcome) VALUES ('old', ?, '+49 8381 ••• 45', 'answered')",
        (queries.to_db(T0),),
    )
    conn.close()
    with RecordStore(path) as store:
        with store.connection() as fresh:
            assert schema.version(fresh) == schema.LATEST
            columns = {row[1] for row in fresh.execute("PRAGMA table_info(calls)")}
            assert "caller_hash" in columns
            applied = [row[0] for row in fresh.execute("SELECT version FROM schema_version ORDER BY version")]
            assert applied == list(range(1, schema.LATEST + 1))
        old = store.query(queries.get_call, "old")
        assert old is not None and old.outcome == "answered" and old.caller_hash == ""
        store.query(queries.add_feedback, "old", "right", "anna", T0)
        assert len(store.query(queries.list_feedback, "old")) == 1


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    make_store(tmp_path).close()
    with make_store(tmp_path) as store, store.connection() as conn:
        count = conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0]
    assert count == schema.LATEST


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    make_store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "records.sqlite3")
    conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (schema.LATEST + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(RecordsError, match="schema version"):
        make_store(tmp_path)


def test_wal_mode(tmp_path: Path) -> None:
    with make_store(tmp_path) as store, store.connection() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from voicebot.records.calls import CallOutcome, TurnRecord
    from voicebot.records.store import RecordStore
    path, instance, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    store = RecordStore(path)
    for i in range(count):
        call_id = f"{instance}-{i}"
        store.call_started(call_id, "+49838192045", t0 + dt.timedelta(seconds=i), instance=instance)
        for k in range(3):
            store.turn(call_id, TurnRecord(index=k, at=t0, transcript=f"turn {k}", action="answer"))
        store.call_ended(call_id, CallOutcome("answered"))
    store.close()
    print(store.write_errors)
    """
)


def test_two_processes_write_to_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    count = 150
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(count)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for name in ("bot-a", "bot-b")
    ]
    outputs = [writer.communicate(timeout=120)[0].strip() for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0]
    assert outputs == ["0", "0"], "no record may be lost to a locked database"
    with RecordStore(path) as store, store.connection() as conn:
        per_instance = dict(conn.execute("SELECT instance, COUNT(*) FROM calls GROUP BY instance").fetchall())
        assert per_instance == {"bot-a": count, "bot-b": count}
        assert conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 2 * count * 3
        assert conn.execute("SELECT COUNT(*) FROM calls WHERE outcome = 'answered'").fetchone()[0] == 2 * count


def test_purge_deletes_old_calls_with_their_turns_feedback_and_callbacks(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        old = T0 - dt.timedelta(days=100)
        store.call_started("old", "+49838192045", old)
        store.turn("old", TurnRecord(index=0, at=old, transcript="alt"))
        store.callback(CallbackRequest("old", "Max", "0171 2345678", "zulassung", at=old))
        store.call_started("new", "+49838192045", T0 - dt.timedelta(days=10))
        store.turn("new", TurnRecord(index=0, at=T0, transcript="neu"))
        store.flush()
        store.query(queries.add_feedback, "old", "wrong", "anna", old, correct_topic="termin")
        store.query(queries.add_feedback, "new", "right", "anna", T0)
        assert store.purge(T0, 90) == 1
        assert [row.id for row in store.query(queries.list_calls)] == ["new"]
        assert store.query(queries.get_turns, "old") == []
        assert store.query(queries.list_feedback, "old") == []
        assert store.query(queries.list_callbacks) == []
        assert len(store.query(queries.get_turns, "new")) == 1
        assert len(store.query(queries.list_feedback, "new")) == 1
        assert store.purge(T0, 90) == 0
        with pytest.raises(RecordsError):
            store.purge(T0, 0)


def test_writes_after_close_are_counted_not_raised(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.close()
    store.call_started("late", "+49838192045", T0)
    assert store.write_errors == 1
    store.close()


def test_callback_done_once(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        seed_calls(store)
        (item,) = store.query(queries.list_callbacks)
        assert store.query(queries.mark_callback_done, item.id, "anna", T0) is True
        assert store.query(queries.mark_callback_done, item.id, "bert", T0) is False
        done = store.query(queries.get_callback, item.id)
        assert done is not None and done.done_by == "anna" and done.done_at == T0


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = users.hash_password("richtig-geheim-42"), users.hash_password("richtig-geheim-42")
    assert first != second and first.startswith("scrypt$")
    assert users.verify_password("richtig-geheim-42", first)
    assert not users.verify_password("richtig-geheim-43", first)
    assert not users.verify_password("richtig-geheim-42", "garbage")


def test_accounts_and_sessions(tmp_path: Path) -> None:
    idle = dt.timedelta(minutes=30)
    with make_store(tmp_path) as store:
        store.query(users.add_user, "anna", "staff", "richtig-geheim-42", T0)
        with pytest.raises(users.UserError):
            store.query(users.add_user, "anna", "admin", "richtig-geheim-42", T0)
        with pytest.raises(users.UserError):
            store.query(users.add_user, "bert", "staff", "kurz", T0)
        with pytest.raises(users.UserError):
            store.query(users.add_user, "bert", "root", "richtig-geheim-42", T0)
        assert store.query(users.authenticate, "anna", "falsch-falsch") is None
        assert store.query(users.authenticate, "niemand", "richtig-geheim-42") is None
        anna = store.query(users.authenticate, "anna", "richtig-geheim-42")
        assert anna is not None and anna.role == "staff" and not anna.is_admin
        token = store.query(users.create_session, anna, T0)
        live = store.query(users.get_session, token, T0 + dt.timedelta(minutes=29), idle)
        assert live is not None and live.user.name == "anna" and live.csrf
        assert store.query(users.get_session, token, T0 + dt.timedelta(minutes=58), idle) is not None, "use extends"
        assert store.query(users.get_session, token, T0 + dt.timedelta(minutes=89), idle) is None
        assert store.query(users.get_session, token, T0 + dt.timedelta(minutes=90), idle) is None, "deleted"
        token = store.query(users.create_session, anna, T0)
        store.query(users.set_disabled, "anna", True)
        assert store.query(users.get_session, token, T0, idle) is None
        assert store.query(users.authenticate, "anna", "richtig-geheim-42") is None
    raw = (tmp_path / "records.sqlite3").read_bytes()
    assert b"richtig-geheim-42" not in raw and token.encode() not in raw


def _config(tmp_path: Path) -> Path:
    """The repository's configuration with the record database moved into ``tmp_path``."""
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    database = (tmp_path / "cli.sqlite3").as_posix()
    text = text.replace('database = "var/records.sqlite3"', f'database = "{database}"')
    assert database in text
    config = tmp_path / "voicebot.toml"
    config.write_text(text, encoding="utf-8")
    return config


def _voicebot(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voicebot", "-c", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_cli_users_records_list_and_purge(tmp_path: Path) -> None:
    config = _config(tmp_path)
    weak = _voicebot(config, "users", "add", "anna", "--role", "admin", "--password-stdin", stdin="kurz\n")
    assert weak.returncode == 1 and "mindestens" in weak.stderr
    added = _voicebot(
        config, "users", "add", "anna", "--role", "admin", "--password-stdin", stdin="richtig-geheim-42\n"
    )
    assert added.returncode == 0, added.stderr
    again = _voicebot(config, "users", "add", "anna", "--password-stdin", stdin="richtig-geheim-42\n")
    assert again.returncode == 1 and "gibt es schon" in again.stderr
    listed = _voicebot(config, "users", "list")
    assert listed.stdout.split()[:2] == ["anna", "admin"]
    with RecordStore(tmp_path / "cli.sqlite3") as store:
        assert store.query(users.authenticate, "anna", "richtig-geheim-42") is not None
        seed_calls(store, start=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        store.call_started("ancient", "+49838192045", dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    calls = _voicebot(config, "records", "list", "--json")
    assert calls.returncode == 0, calls.stderr
    data = json.loads(calls.stdout)
    assert [call["id"] for call in data["calls"]][:3] == ["call-callback", "call-answered", "call-transferred"]
    assert data["calls"][2]["caller"] == "+49 8381 ••• 45"
    text = _voicebot(config, "records", "list")
    assert "Weitergeleitet" not in text.stdout and "transferred" in text.stdout and "838192045" not in text.stdout
    purged = _voicebot(config, "records", "purge")
    assert purged.returncode == 0 and purged.stdout.startswith("1 ")
    remaining = json.loads(_voicebot(config, "records", "list", "--json").stdout)
    assert len(remaining["calls"]) == 3


def test_a_bad_record_is_counted_and_never_raised_into_the_call(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        bad = TurnRecord(index=0, at=T0, transcript="hallo", timings_ms={"asr": "schnell"})  # type: ignore[dict-item]
        store.turn("x", bad)
        store.turn("x", TurnRecord(index=0, at="gestern", transcript="hallo"))  # type: ignore[arg-type]
        assert store.write_errors == 2
        store.call_ended("never-started", CallOutcome("failed", reason="Leitung gestört", ended_at=T0))
        store.flush()
        row = store.query(queries.get_call, "never-started")
        assert row is not None and row.outcome == "failed" and row.reason == "Leitung gestört"
        store.call_started("x", "+49838192045", T0)
        store.flush()
        assert store.query(queries.get_call, "x") is not None, "the writer thread survived"


def test_read_then_write_is_retried_when_another_process_wrote_in_between(tmp_path: Path) -> None:
    attempts: list[int] = []

    def read_then_write(conn: sqlite3.Connection) -> int:
        conn.execute("SELECT COUNT(*) FROM calls").fetchone()
        attempts.append(1)
        if len(attempts) == 1:  # another instance commits after our snapshot was taken
            other = connect(tmp_path / "records.sqlite3")
            other.execute("INSERT INTO calls (id, started_at) VALUES ('other', ?)", (queries.to_db(T0),))
            other.close()
        conn.execute("INSERT INTO calls (id, started_at) VALUES ('mine', ?)", (queries.to_db(T0),))
        return len(attempts)

    with make_store(tmp_path) as store:
        assert store.query(read_then_write) == 2
        assert {row.id for row in store.query(queries.list_calls)} == {"other", "mine"}


async def test_long_running_processes_keep_purging(tmp_path: Path) -> None:
    stop = asyncio.Event()
    times = [T0, T0 + dt.timedelta(days=11)]  # by the second run "later-old" has passed the retention period

    def clock() -> dt.datetime:
        now = times.pop(0)
        if not times:
            stop.set()  # the second purge is the last
        return now

    with make_store(tmp_path) as store:
        store.call_started("old", "+49838192045", T0 - dt.timedelta(days=91))
        store.call_started("later-old", "+49838192045", T0 - dt.timedelta(days=80))
        store.call_started("recent", "+49838192045", T0)
        store.flush()
        total = await keep_purging(store, 90, stop, clock=clock, every=dt.timedelta(milliseconds=10))
        assert total == 2
        assert [row.id for row in store.query(queries.list_calls)] == ["recent"]
