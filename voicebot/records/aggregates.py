"""Figures that outlive retention: daily counts kept when call records are purged, and CSV exports.

Retention deletes call records after ``[records] retention_days``; the district still needs its yearly
figures. ``RecordStore.purge`` therefore folds every call it deletes into ``daily_counts`` first, in the same
transaction (per local day: ``call`` rows keyed ``outcome|hour|department``, ``topic`` rows per answered
topic, ``transfer`` rows ``ok``/``failed``). A call is counted either in the records or in the daily counts,
never in both, so statistics are the sum of the two (:func:`aggregated_facts` turns the counts back into
``CallFacts`` for ``records.stats.compute``). No number, name or utterance is kept; the language of a call
is not stored in the records, so it is not aggregated either.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from voicebot.records.calls import OUTCOMES
from voicebot.records.queries import CallRow, from_db, to_db
from voicebot.records.stats import CallFacts, month_key, week_key

PERIODS = ("week", "month")
"""Periods of the statistics export."""


def _counts_of_calls(
    conn: sqlite3.Connection, ids_sql: str, values: Sequence[object], tz: dt.tzinfo
) -> Counter[tuple[str, str, str]]:
    """(local day, kind, key) -> count for the calls whose ids ``ids_sql`` selects."""
    counts: Counter[tuple[str, str, str]] = Counter()
    days: dict[str, str] = {}
    rows = conn.execute(
        f"SELECT id, started_at, outcome, department FROM calls WHERE id IN ({ids_sql})",  # noqa: S608
        values,
    ).fetchall()
    for call_id, started, outcome, department in rows:
        at = from_db(str(started))
        assert at is not None
        local = at.astimezone(tz)
        day = local.date().isoformat()
        days[str(call_id)] = day
        key = f"{outcome or ''}|{local.hour:02d}|{department or ''}"
        counts[(day, "call", key)] += 1
    transfers: dict[str, bool] = {}
    for call_id, action, topic in conn.execute(
        f"SELECT call_id, action, topic FROM turns WHERE call_id IN ({ids_sql})"  # noqa: S608
        " AND action IN ('answer', 'transfer')",
        values,
    ):
        if str(call_id) not in days:
            continue
        day = days[str(call_id)]
        if action == "answer" and topic:
            counts[(day, "topic", str(topic))] += 1
        elif action == "transfer":
            transfers[str(call_id)] = True
    outcome_of = {str(row[0]): str(row[2] or "") for row in rows}
    for call_id in transfers:
        result = "ok" if outcome_of.get(call_id) == "transferred" else "failed"
        counts[(days[call_id], "transfer", result)] += 1
    return counts


def _add_counts(conn: sqlite3.Connection, counts: Counter[tuple[str, str, str]]) -> None:
    conn.executemany(
        "INSERT INTO daily_counts (day, kind, key, count) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (day, kind, key) DO UPDATE SET count = count + excluded.count",
        [(day, kind, key, count) for (day, kind, key), count in sorted(counts.items())],
    )


def fold_purged(conn: sqlite3.Connection, tz: dt.tzinfo) -> int:
    """Inside ``RecordStore.purge``'s transaction: add the calls listed in ``temp.purged`` to the daily counts
    (before their rows are deleted); returns how many calls were folded."""
    counts = _counts_of_calls(conn, "SELECT id FROM temp.purged", (), tz)
    _add_counts(conn, counts)
    return sum(count for (_day, kind, _key), count in counts.items() if kind == "call")


def _day_range(since: dt.datetime | None, until: dt.datetime | None, tz: dt.tzinfo) -> tuple[str, list[str]]:
    clauses, values = [], []
    if since is not None:
        clauses.append("day >= ?")
        values.append(since.astimezone(tz).date().isoformat())
    if until is not None:
        clauses.append("day < ?")
        values.append(until.astimezone(tz).date().isoformat())
    return (" AND " + " AND ".join(clauses)) if clauses else "", values


def stored_counts(
    conn: sqlite3.Connection, since: dt.datetime | None, until: dt.datetime | None, tz: dt.tzinfo
) -> Counter[tuple[str, str, str]]:
    """The daily counts of purged calls in ``[since, until)`` (whole local days)."""
    where, values = _day_range(since, until, tz)
    rows = conn.execute(f"SELECT day, kind, key, count FROM daily_counts WHERE 1 = 1{where}", values)  # noqa: S608
    return Counter({(str(day), str(kind), str(key)): int(count) for day, kind, key, count in rows})


def aggregated_facts(
    conn: sqlite3.Connection, since: dt.datetime | None, until: dt.datetime | None, tz: dt.tzinfo
) -> list[CallFacts]:
    """Purged calls of ``[since, until)`` rebuilt from the daily counts as ``CallFacts`` (one per counted call,
    at the counted local hour, with the day's answered topics spread over them; no utterances), so the
    statistics page counts the days whose records are gone."""
    counts = stored_counts(conn, since, until, tz)
    facts: list[CallFacts] = []
    topics_of_day: dict[str, list[str]] = {}
    for (day, kind, key), count in sorted(counts.items()):
        if kind == "topic":
            topics_of_day.setdefault(day, []).extend([key] * count)
    for (day, kind, key), count in sorted(counts.items()):
        if kind != "call":
            continue
        outcome, hour, department = key.split("|", 2)
        local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(int(hour)), tz)
        for n in range(count):
            topics = topics_of_day.get(day, [])
            mine = (topics.pop(),) if topics else ()
            facts.append(CallFacts(f"{day}#{key}#{n}", local.astimezone(dt.UTC), outcome, department or None, mine))
    for day, topics in topics_of_day.items():  # more answers than calls: give them to the day's first call
        if topics:
            first = next((i for i, fact in enumerate(facts) if fact.call_id.startswith(day)), None)
            if first is not None:
                old = facts[first]
                facts[first] = CallFacts(
                    old.call_id, old.started_at, old.outcome, old.department, (*old.topics, *topics)
                )
    return facts


def all_counts(
    conn: sqlite3.Connection, since: dt.datetime | None, until: dt.datetime | None, tz: dt.tzinfo
) -> Counter[tuple[str, str, str]]:
    """Daily counts of every call in the range: purged ones from ``daily_counts``, the rest from the records."""
    clauses, values = [], []
    if since is not None:
        clauses.append("started_at >= ?")
        values.append(to_db(since))
    if until is not None:
        clauses.append("started_at < ?")
        values.append(to_db(until))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    live = _counts_of_calls(conn, f"SELECT id FROM calls{where}", values, tz)  # noqa: S608
    return live + stored_counts(conn, since, until, tz)


def stats_rows(
    counts: Counter[tuple[str, str, str]], period: str, departments: Iterable[str] = ()
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the statistics export: one row per week or month with the calls by outcome, the
    automation rate, transfers by result and per department (one column each)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    seen_departments = sorted(
        {key.split("|", 2)[2] for (_d, kind, key) in counts if kind == "call" and key.split("|", 2)[2]}
        | set(departments)
    )
    table: dict[tuple[str, str], Counter[str]] = {}
    for (day, kind, key), count in counts.items():
        date = dt.date.fromisoformat(day)
        bucket = table.setdefault(week_key(date) if period == "week" else month_key(date), Counter())
        if kind == "call":
            outcome, _hour, department = key.split("|", 2)
            bucket["outcome:" + outcome] += count
            if outcome == "transferred" and department:
                bucket["department:" + department] += count
        elif kind == "transfer":
            bucket["transfer:" + key] += count
    header = [
        "zeitraum",
        "bezeichnung",
        "anrufe",
        *OUTCOMES,
        "automatisierungsquote",
        "weiterleitung_ok",
        "weiterleitung_gescheitert",
        *(f"weiterleitungen:{d}" for d in seen_departments),
    ]
    rows = []
    for (key, label), bucket in sorted(table.items()):
        taken = sum(v for k, v in bucket.items() if k.startswith("outcome:") and k != "outcome:overflow")
        rate = bucket["outcome:answered"] / taken if taken else 0.0
        rows.append(
            [
                key,
                label,
                str(taken),
                *(str(bucket["outcome:" + o]) for o in OUTCOMES),
                f"{rate:.3f}",
                str(bucket["transfer:ok"]),
                str(bucket["transfer:failed"]),
                *(str(bucket["department:" + d]) for d in seen_departments),
            ]
        )
    return header, rows


CALL_HEADER = ("id", "beginn_utc", "ende_utc", "anrufer", "ergebnis", "abteilung", "thema", "schritte", "grund")


def calls_rows(rows: Iterable[CallRow]) -> list[list[str]]:
    """The calls as staff see them (numbers masked; the reason was masked when it was written)."""
    return [
        [
            row.id,
            to_db(row.started_at),
            to_db(row.ended_at) if row.ended_at else "",
            row.caller_masked,
            row.outcome or "",
            row.department or "",
            row.topic or "",
            str(row.turns),
            row.reason,
        ]
        for row in rows
    ]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV text (semicolon-separated, as German spreadsheet programs expect; a cell starting with =, +, - or @
    is prefixed with ' so that no spreadsheet runs it as a formula)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [f"'{cell}" if cell[:1] in ("=", "+", "-", "@") and not _number(cell) else cell for cell in row]
        )
    return out.getvalue()


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def backup(source: Path, target: Path) -> int:
    """Copy the record database ``source`` to ``target`` with SQLite's online backup API (consistent while the
    bot writes); returns the size of the copy in bytes. ``target`` must not exist yet."""
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose a new file name for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise sqlite3.DatabaseError(f"the backup {target} failed its integrity check: {ok}")
        finally:
            dst.close()
    finally:
        src.close()
    return target.stat().st_size


__all__ = [
    "CALL_HEADER",
    "PERIODS",
    "aggregated_facts",
    "all_counts",
    "backup",
    "calls_rows",
    "fold_purged",
    "stats_rows",
    "stored_counts",
    "to_csv",
]
