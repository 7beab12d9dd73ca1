"""``voicebot records``: look at call records, apply the retention period.

voicebot records list [--limit N] [--json]     recent calls, newest first (numbers masked)
voicebot records purge [--days N]              delete records older than [records] retention_days
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from voicebot.config.load import load_settings
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


def run(args: argparse.Namespace) -> int:
    """List or purge; 0 on success."""
    settings = load_settings(args.config)
    with RecordStore(settings.resolve_data(settings.records.database)) as store:
        if args.action == "purge":
            days = args.days if args.days is not None else settings.records.retention_days
            deleted = store.purge(dt.datetime.now(dt.UTC), days)
            print(f"{deleted} Anrufe älter als {days} Tage gelöscht.")
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
