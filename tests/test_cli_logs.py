"""Logging that suits journald: with ``$JOURNAL_STREAM`` naming stderr, no own timestamp and the level as a
syslog priority; otherwise the usual line with a timestamp. A real ``voicebot`` process, stderr a real pipe."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from voicebot.cli.logs import priority, stderr_is_journal
from voicebot.records.store import RecordStore

ROOT = Path(__file__).resolve().parent.parent


def run_voicebot(journal: bool, tmp_path: Path) -> str:
    """``voicebot records purge`` on a store with one old call (it logs the deletion at INFO) with stderr a
    pipe; with ``journal`` the pipe's device:inode is in ``$JOURNAL_STREAM``."""
    read_end, write_end = os.pipe()
    info = os.fstat(write_end)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    env.pop("JOURNAL_STREAM", None)
    if journal:
        env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
    config = tmp_path / "voicebot.toml"
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    config.write_text(re.sub(r'database = "[^"]*"', f'database = "{tmp_path / "r.sqlite3"}"', text), encoding="utf-8")
    with RecordStore(tmp_path / "r.sqlite3") as store:
        store.call_started("old", "+4983815550123", dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    process = subprocess.Popen(
        [sys.executable, "-m", "voicebot", "-c", str(config), "-v", "records", "purge"],
        stderr=write_end,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        output = pipe.read()
    assert process.wait(timeout=60) == 0, output
    return output


def test_journald_gets_priorities_and_no_timestamps(tmp_path: Path) -> None:
    lines = run_voicebot(True, tmp_path).splitlines()
    assert lines, "the command logged nothing"
    assert all(re.match(r"<[0-7]>", line) for line in lines), lines
    assert not any(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) for line in lines), lines
    assert any(
        re.fullmatch(r"<6>voicebot\.records\.store: deleted 1 call records older than \d+ days", line) for line in lines
    )
    assert "+49" not in "".join(lines)


def test_a_terminal_or_file_gets_timestamps(tmp_path: Path) -> None:
    lines = run_voicebot(False, tmp_path).splitlines()
    assert lines and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ", line) for line in lines), lines


def test_levels_map_to_syslog_priorities_and_a_foreign_journal_stream_is_ignored() -> None:
    assert [priority(level) for level in (50, 40, 30, 20, 10, 25)] == [2, 3, 4, 6, 7, 6]
    read_end, write_end = os.pipe()
    try:
        info = os.fstat(write_end)
        assert stderr_is_journal({"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}, write_end)
        assert not stderr_is_journal({"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino + 1}"}, write_end)
        assert not stderr_is_journal({}, write_end)
    finally:
        os.close(read_end)
        os.close(write_end)
