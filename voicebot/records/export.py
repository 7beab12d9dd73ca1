"""CSV exports of the record store, shared by ``voicebot records export`` and the web app's download links."""

from __future__ import annotations

import datetime as dt
import sqlite3

from voicebot.records.aggregates import CALL_HEADER, all_counts, calls_rows, stats_rows, to_csv
from voicebot.records.queries import CallFilter, list_calls
from voicebot.records.store import RecordStore

MAX_CALLS = 1_000_000
"""Most calls in one export."""


def local_range(
    first: dt.date | None, last: dt.date | None, tz: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[since, until)`` of whole local days ``first`` .. ``last`` (either open)."""
    since = dt.datetime.combine(first, dt.time(), tz) if first else None
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz) if last else None
    return since, until


def _export(
    conn: sqlite3.Connection,
    what: str,
    period: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    tz: dt.tzinfo,
) -> str:
    if what == "calls":
        rows = list_calls(conn, CallFilter(since=since, until=until), limit=MAX_CALLS)
        return to_csv(CALL_HEADER, calls_rows(reversed(rows)))
    if what == "stats":
        header, table = stats_rows(all_counts(conn, since, until, tz), period)
        return to_csv(header, table)
    raise ValueError(f"what must be 'calls' or 'stats', not {what!r}")


def export_csv(
    store: RecordStore, what: str, period: str, first: dt.date | None, last: dt.date | None, tz: dt.tzinfo
) -> str:
    """CSV of ``what`` (``calls``: masked, oldest first; ``stats``: per ``period``) for local days
    ``first`` .. ``last`` (blocking)."""
    since, until = local_range(first, last, tz)
    return store.query(_export, what, period, since, until, tz)


async def export_csv_async(
    store: RecordStore, what: str, period: str, first: dt.date | None, last: dt.date | None, tz: dt.tzinfo
) -> str:
    """``export_csv`` in a worker thread (for the web app)."""
    since, until = local_range(first, last, tz)
    return await store.run(_export, what, period, since, until, tz)


__all__ = ["export_csv", "export_csv_async", "local_range"]
