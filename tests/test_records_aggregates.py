"""Figures that outlive retention, CSV exports and the online backup, on real SQLite files and through the
real command line (``python -m voicebot records ...``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import tomlkit

from tests.web_helpers import FakeClock, add_user, login, running_app, seed_calls
from voicebot.config.settings import Settings
from voicebot.records.aggregates import aggregated_facts, stored_counts
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.stats import compute
from voicebot.records.store import RecordStore
from voicebot.web.admin_queries import call_facts

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
OLD = dt.datetime(2025, 3, 10, 23, 30, tzinfo=dt.UTC)
"""A Monday night in UTC: already Tuesday 11 March in Berlin."""
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def old_calls(store: RecordStore) -> None:
    """Three calls in March 2025 (a transfer that failed, an answer, an overflow)."""
    store.call_started("old-1", "+4983815550123", OLD)
    store.turn("old-1", TurnRecord(0, OLD, "zulassung bitte", action="transfer", department="zulassung"))
    store.call_ended("old-1", CallOutcome("failed", "zulassung", None, "Weiterleitung gescheitert", OLD))
    store.call_started("old-2", "08381 920 46", OLD + dt.timedelta(minutes=5))
    store.turn("old-2", TurnRecord(0, OLD, "öffnungszeiten", action="answer", topic="oeffnungszeiten"))
    store.call_ended("old-2", CallOutcome("answered", None, "oeffnungszeiten", "", OLD))
    store.call_started("old-3", "08381 920 47", OLD + dt.timedelta(minutes=6))
    store.call_ended("old-3", CallOutcome("overflow", "zentrale", None, "alle Leitungen belegt", OLD))
    store.flush()


def test_purged_calls_stay_in_the_statistics_as_daily_counts(tmp_path: Path) -> None:
    with RecordStore(tmp_path / "records.sqlite3") as store:
        old_calls(store)
        seed_calls(store, dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
        before = store.query(call_facts, None, None)
        assert store.purge(NOW, 90, tz=BERLIN) == 3
        assert store.purge(NOW, 90, tz=BERLIN) == 0, "a second purge adds nothing"
        counts = store.query(stored_counts, None, None, BERLIN)
        assert counts == {
            ("2025-03-11", "call", "failed|00|zulassung"): 1,
            ("2025-03-11", "call", "answered|00|"): 1,
            ("2025-03-11", "call", "overflow|00|zentrale"): 1,
            ("2025-03-11", "topic", "oeffnungszeiten"): 1,
            ("2025-03-11", "transfer", "failed"): 1,
        }
        with store.connection() as conn:
            assert conn.execute("SELECT COUNT(*) FROM calls WHERE id LIKE 'old-%'").fetchone()[0] == 0
            text = "\n".join(str(row) for row in conn.execute("SELECT * FROM daily_counts"))
        assert "8381" not in text and "old-" not in text, "no number or call id in the counts"
        after = store.query(call_facts, None, None) + store.query(aggregated_facts, None, None, BERLIN)
    old, new = compute(before, 3.0, BERLIN), compute(after, 3.0, BERLIN)
    assert (new.calls, new.answered, new.transferred) == (old.calls, old.answered, old.transferred) == (5, 2, 1)
    assert new.per_month == old.per_month and new.top_topics == old.top_topics
    assert new.per_hour == old.per_hour and new.transfers_by_department == old.transfers_by_department


async def test_the_statistics_page_counts_the_purged_days(settings: Settings, tmp_path: Path) -> None:
    with RecordStore(tmp_path / "records.sqlite3") as store:
        old_calls(store)
        store.purge(NOW, 90, tz=BERLIN)
        add_user(store, "admin", "admin")
        async with running_app(settings, store, clock=FakeClock(NOW)) as client:
            await login(client, "admin")
            page = await (await client.get("/admin/stats?from=2025-03-01&to=2025-03-31")).text()
            assert "März 2025" in page
            assert "/admin/export/stats.csv?period=month&amp;from=2025-03-01&amp;to=2025-03-31" in page
            response = await client.get("/admin/export/stats.csv?period=month&from=2025-01-01&to=2025-12-31")
            [month] = list(csv.DictReader(io.StringIO((await response.text())[1:]), delimiter=";"))
    assert (month["zeitraum"], month["anrufe"], month["answered"], month["overflow"]) == ("2025-03", "2", "1", "1")
    assert month["weiterleitung_gescheitert"] == "1" and month["automatisierungsquote"] == "0.500"


def config_in(folder: Path) -> Path:
    document = tomlkit.parse((ROOT / "voicebot.toml").read_text(encoding="utf-8"))
    document["records"]["database"] = str(folder / "records.sqlite3")  # type: ignore[index]
    for key in ("faq", "departments", "prompts"):
        document["content"][key] = str(ROOT / str(document["content"][key]))  # type: ignore[index]
    path = folder / "voicebot.toml"
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path


def voicebot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voicebot", "-c", str(config), "records", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_export_from_the_command_line_and_a_backup_that_restores(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    with RecordStore(tmp_path / "records.sqlite3") as store:
        seed_calls(store, dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
        old_calls(store)
        store.purge(NOW, 90, tz=BERLIN)

        result = voicebot(config, "export", "--what", "calls")
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter=";"))
        assert [row["ergebnis"] for row in rows] == ["transferred", "answered", "callback"]
        assert rows[0]["anrufer"] == "'+49 8381 ••• 45", "masked; a leading + is quoted against formulas"
        assert rows[0]["grund"] == "Thema wird von der Abteilung bearbeitet"
        assert "2345678" not in result.stdout and "920 46" not in result.stdout

        out = tmp_path / "weeks.csv"
        result = voicebot(config, "export", "--what", "stats", "--period", "week", "-o", str(out))
        assert result.returncode == 0, result.stderr
        weeks = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
        assert [(w["zeitraum"], w["anrufe"]) for w in weeks] == [("2025-W11", "2"), ("2026-W48", "3")]

        backup = tmp_path / "backup" / "records-copy.sqlite3"
        result = voicebot(config, "backup", str(backup))  # while this store is open (and could be writing)
        assert result.returncode == 0, result.stderr
        assert voicebot(config, "backup", str(backup)).returncode != 0, "an existing file is never overwritten"

    # restore: the copy replaces the database file while the bot is stopped
    (tmp_path / "records.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"records.sqlite3{suffix}").unlink(missing_ok=True)
    backup.rename(tmp_path / "records.sqlite3")
    result = voicebot(config, "list", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"id"') == 3
    with sqlite3.connect(tmp_path / "records.sqlite3") as conn:
        assert conn.execute("SELECT SUM(count) FROM daily_counts WHERE kind = 'call'").fetchone()[0] == 3
