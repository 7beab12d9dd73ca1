"""Call records are never lost: a locked or read-only database, SIP identifiers with invalid UTF-8.

Real SQLite files; the other writer holding the lock and the process without write permission are real
subprocesses.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sip_helpers import ROOT
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.queries import CallFilter, list_calls
from voicebot.records.spool import Spool
from voicebot.records.store import RecordStore
from voicebot.records.writer import storable_text

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALLER = "sip:+4983815550123@pbx.example"

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def hold_lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the database's write lock for ``seconds`` (returns once it has it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def record_call(store: RecordStore, call_id: str, caller: str = CALLER) -> float:
    """A whole call's writes from an asyncio loop; the longest time one recorder call held the loop (s)."""

    async def calls() -> float:
        longest = 0.0
        steps: tuple[Callable[[], None], ...] = (
            lambda: store.call_started(call_id, caller, T0, "lt-1"),
            lambda: store.turn(call_id, TurnRecord(0, T0, "Wann hat die Zulassungsstelle offen?", action="answer")),
            lambda: store.call_ended(call_id, CallOutcome("answered", None, "zulassung", "", T0)),
        )
        for step in steps:
            start = time.perf_counter()
            step()
            longest = max(longest, time.perf_counter() - start)
            await asyncio.sleep(0.01)
        return longest

    return asyncio.run(calls())


def stored(database: Path, call_id: str) -> tuple[str | None, int]:
    """(outcome, number of turns) of a call, read by a separate connection; (None, 0) when absent."""
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT outcome FROM calls WHERE id = ?", (call_id,)).fetchone()
        turns = conn.execute("SELECT COUNT(*) FROM turns WHERE call_id = ?", (call_id,)).fetchone()[0]
    return (row[0] if row else None, int(turns))


def wait_stored(database: Path, call_id: str, timeout: float) -> tuple[str | None, int]:
    deadline = time.monotonic() + timeout
    while True:
        found = stored(database, call_id)
        if found[0] is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_lock_longer_than_the_busy_timeout_is_waited_out_by_retrying(tmp_path: Path) -> None:
    database = tmp_path / "records.sqlite3"
    with RecordStore(database) as store:  # the real 10 s busy timeout
        holder = hold_lock(database, 11.5)
        started = time.monotonic()
        assert record_call(store, "locked-11s@pbx") < 0.05  # the loop never waits for the database
        store.flush()
        assert time.monotonic() - started > 11.0
        assert holder.wait(5) == 0
        assert stored(database, "locked-11s@pbx") == ("answered", 1)
        assert store.counters.retried >= 1 and store.counters.failed == 0, store.counters


def test_records_written_while_the_database_stays_locked_are_spooled_and_replayed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="voicebot.records.store")
    database = tmp_path / "records.sqlite3"
    with RecordStore(database, busy_timeout_ms=300) as store:
        holder = hold_lock(database, 4.0)
        assert record_call(store, "spooled@pbx") < 0.05
        store.flush()  # in the spool now: nothing waits for the lock any more
        spool = Spool.of_database(database)
        assert spool.pending() and store.counters.spooled == 3, store.counters
        assert len(spool.path.read_bytes().splitlines()) == 3
        assert holder.wait(10) == 0
        # the writer replays by itself once the database takes writes again
        assert wait_stored(database, "spooled@pbx", 20) == ("answered", 1)
        assert not spool.pending()
        counters = store.counters.snapshot()
        assert counters["replayed"] == 3 and counters["failed"] == 0, counters
    assert "(3 spooled so far)" in caplog.text
    assert "replayed 3 spooled call record write(s)" in caplog.text


WRITE_RECORDS = """
import json, sys, datetime as dt
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.store import RecordStore
at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
with RecordStore(sys.argv[1]) as store:
    store.call_started("readonly@pbx", "sip:08381555012@pbx", at, "lt-1")
    store.turn("readonly@pbx", TurnRecord(0, at, "Hallo", action="answer"))
    store.call_ended("readonly@pbx", CallOutcome("answered", None, None, "", at))
    store.flush()
    print(json.dumps(store.counters.snapshot()))
"""


def set_read_only(path: Path, read_only: bool) -> None:
    """Make a file unwritable (and writable again) for this user: root writes read-only files anyway, so
    for root the file is made immutable (``chattr +i``) instead."""
    if os.geteuid() != 0:
        path.chmod(0o444 if read_only else 0o644)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root without chattr: cannot make a file unwritable")
    done = subprocess.run([chattr, "+i" if read_only else "-i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr does not work here: {done.stderr.strip()}")


def test_a_read_only_database_spools_and_the_next_start_replays(tmp_path: Path) -> None:
    database = tmp_path / "records.sqlite3"
    RecordStore(database).close()
    set_read_only(database, True)
    try:
        done = subprocess.run(  # the bot's process, finding its database not writable
            [sys.executable, "-c", WRITE_RECORDS, str(database)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
    finally:
        set_read_only(database, False)
    assert done.returncode == 0, done.stderr
    counters = json.loads(done.stdout.strip().splitlines()[-1])
    assert counters["spooled"] == 3 and counters["written"] == 0 and counters["failed"] == 0, done.stderr
    assert "does not take writes" in done.stderr
    assert stored(database, "readonly@pbx") == (None, 0)
    assert Spool.of_database(database).pending()
    with RecordStore(database) as store:  # the next start replays the spool before anything else
        store.flush()
        assert store.counters.replayed == 3
    assert stored(database, "readonly@pbx") == ("answered", 1)
    assert not Spool.of_database(database).pending()


INVALID_CALL_IDS = (
    b"a84b4c76e66710\xff\xfe@pbx".decode("utf-8", "surrogateescape"),  # as pjsua2 (SWIG) hands it over
    "lone-\ud800-surrogate@pbx",
    "nul-\x00-and-\r\n-newline@pbx",
)


def test_call_ids_and_callers_with_invalid_utf8_are_stored_and_shown(tmp_path: Path) -> None:
    database = tmp_path / "records.sqlite3"
    with RecordStore(database) as store:
        for call_id in INVALID_CALL_IDS:
            record_call(store, call_id, caller="sip:0838155\udcc3\udc2801@pbx")
        store.flush()
        assert store.counters.failed == 0 and store.counters.written == 3 * len(INVALID_CALL_IDS), store.counters
        calls = {row.id: row for row in store.query(list_calls, CallFilter(), limit=10)}
    assert storable_text(INVALID_CALL_IDS[0]) == "a84b4c76e66710\\xff\\xfe@pbx"
    assert storable_text(INVALID_CALL_IDS[1]) == "lone-\\ud800-surrogate@pbx"
    assert set(calls) == {storable_text(call_id) for call_id in INVALID_CALL_IDS}
    assert all(row.outcome == "answered" and row.turns == 1 for row in calls.values())
    # shown: the command-line listing prints them (escaped)
    config = tmp_path / "voicebot.toml"
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('database = "var/records.sqlite3"', f'database = "{database}"'), encoding="utf-8")
    listing = subprocess.run(
        [sys.executable, "-m", "voicebot", "-c", str(config), "records", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    shown = {call["id"] for call in json.loads(listing.stdout)["calls"]}
    assert "a84b4c76e66710\\xff\\xfe@pbx" in shown


def test_a_damaged_spool_line_is_skipped_and_counted_the_rest_replayed(tmp_path: Path) -> None:
    database = tmp_path / "records.sqlite3"
    RecordStore(database).close()
    spool = Spool.of_database(database)
    spool.append([("call_started", ("torn@pbx", "lt-1", "2026-03-02T09:00:00.000000Z", "", ""))])
    with spool.path.open("ab") as handle:
        handle.write(b'{"op": "call_ended", "args": ["torn@pb')  # the process died mid-append
    spool.append([("no_such_op", ())])
    with RecordStore(database) as store:
        store.flush()
        assert store.counters.replayed == 1 and store.counters.failed == 2, store.counters
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT instance FROM calls WHERE id = 'torn@pbx'").fetchone() == ("lt-1",)
    assert not spool.pending()
