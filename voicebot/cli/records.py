"""``voicebot records``: look at call records, apply the retention period.

voicebot records list [--limit N] [--json]     recent calls, newest first (numbers masked)
voicebot records purge [--days N]              delete records older than [records] retention_days
                                               (their figures are kept as daily counts first)
voicebot records export --what calls|stats [--period week|month] [--from D] [--to D] [-o FILE]
                                               CSV (semicolon-separated): calls masked as staff see
                                               them, or statistics per week/month with departments
voicebot records backup PATH                   consistent copy of the database (SQLite online backup)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from voicebot.config.load import load_settings
from voicebot.records.aggregates import PERIODS, backup
from voicebot.records.export import export_csv
from voicebot.records.queries import CallFilter, list_calls
from voicebot.records.store import RecordStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="recent calls, newest first")
    listing.add_argument("--limit", type=int, default=20, help="how many calls (default 20)")
    listing.add_argument("--outcome", default=None, help="only calls with this outcome (answered, transferred, …)")
    listing.add_argument("--json", action="store_true", help="one JSON document for machines")
    purge = actions.add_parser("purge", help="delete records older than the retention period")
    purge.add_argument("--days", type=int, default=None, help="retention in days (default: [records] retention_days)")
    export = actions.add_parser("export", help="CSV of calls (masked) or statistics per week/month")
    export.add_argument("--what", choices=("calls", "stats"), required=True, help="calls or statistics")
    export.add_argument("--period", choices=PERIODS, default="month", help="statistics per week or month")
    export.add_argument("--from", dest="first", type=dt.date.fromisoformat, default=None, help="first day YYYY-MM-DD")
    export.add_argument("--to", dest="last", type=dt.date.fromisoformat, default=None, help="last day YYYY-MM-DD")
    export.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: standard output)")
    backup = actions.add_parser("backup", help="copy the database consistently while the bot runs")
    backup.add_argument("path", type=Path, help="new file for the copy (must not exist)")


def run(args: argparse.Namespace) -> int:
    """List or purge; 0 on success."""
    settings = load_settings(args.config)
    with RecordStore(settings.resolve_data(settings.records.database)) as store:
        if args.action == "purge":
            days = args.days if args.days is not None else settings.records.retention_days
            deleted = store.purge(dt.datetime.now(dt.UTC), days, tz=ZoneInfo(settings.timezone))
            print(f"{deleted} Anrufe älter als {days} Tage gelöscht (als Tageszahlen behalten).")
            return 0
        if args.action == "backup":
            store.flush()
            size = backup(store.path, args.path)
            print(f"Sicherung geschrieben: {args.path} ({size} Bytes).", file=sys.stderr)
            return 0
        if args.action == "export":
            text = export_csv(store, args.what, args.period, args.first, args.last, ZoneInfo(settings.timezone))
            if args.output is None:
                sys.stdout.write(text)
            else:
                args.output.write_text(text, encoding="utf-8-sig")
            return 0
        rows = store.query(list_calls, CallFilter(outcome=args.outcome), limit=max(1, args.limit))
    if args.json:
        calls = [row.summary() for row in rows]
        print(json.dumps({"calls": calls}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Keine Anrufe.")
    for row in rows:
        where = row.department or row.topic or ""
        print(
            f"{row.started_at:%Y-%m-%d %H:%M:%S}Z  {row.caller_masked:<18} {row.outcome or 'läuft':<12}"
            f" {where:<16} {row.turns:>2} Schritte  {row.reason}  [{row.id}]"
        )
    return 0
