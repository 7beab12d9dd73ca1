"""Admin pages for operations: login waits (see and lift them) and the statistics export (CSV).

- GET /admin/locks: every client address and account name with counted failed logins, and how long each
  still waits (``voicebot.records.throttle``); POST /admin/locks/lift lifts one (logged).
- GET /admin/export/stats.csv?period=week|month&from=…&to=…: the statistics per week or month, with the
  days whose call records were purged (``voicebot.records.aggregates``), as CSV.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import sqlite3
from typing import Final
from zoneinfo import ZoneInfo

from aiohttp import web

from voicebot.records import throttle
from voicebot.records.aggregates import PERIODS
from voicebot.records.export import export_csv_async
from voicebot.records.users import list_users
from voicebot.web.auth import admin_only
from voicebot.web.common import SETTINGS, STORE, now, render, session_of
from voicebot.web.ops import csv_response, query_date

_LOGGER: Final = logging.getLogger(__name__)


@admin_only
async def locks_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/locks."""
    at = now(request)
    entries = await request.app[STORE].run(throttle.blocked, at)
    accounts = {user.name.lower() for user in await request.app[STORE].run(list_users)}
    rows = [
        {
            "token": lift_token(entry.key),
            "kind": "Adresse" if entry.kind == "addr" else "Benutzername",
            # a name that is no account may be a password typed into the wrong field: shown masked only
            "value": entry.value
            if entry.kind == "addr" or entry.value in accounts
            else throttle.masked_name(entry.value),
            "failures": entry.failures,
            "last": entry.last_failure,
            "wait": max(0, round((entry.blocked_until - at).total_seconds())),
        }
        for entry in entries
    ]
    return render(request, "admin_locks.html", {"rows": rows, "lifted": request.query.get("aufgehoben") == "1"})


def lift_token(key: str) -> str:
    """What the page's lift button sends for an entry (not the name itself: it may be a mistyped password)."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _lift(conn: sqlite3.Connection, token: str, at: dt.datetime) -> str | None:
    for entry in throttle.blocked(conn, at):
        if hmac.compare_digest(lift_token(entry.key), token):
            throttle.lift(conn, entry.key)
            return entry.key
    return None


@admin_only
async def lift_submit(request: web.Request) -> web.StreamResponse:
    """POST /admin/locks/lift (form field ``token``: ``lift_token`` of the entry)."""
    form = await request.post()
    key = await request.app[STORE].run(_lift, str(form.get("token", "")), now(request))
    if key is None:
        raise web.HTTPNotFound(text="Diese Sperre gibt es nicht (mehr).")
    kind, value = key.split(":", 1)
    shown = value if kind == "addr" else throttle.masked_name(value)
    _LOGGER.warning("login lock of %s %s lifted by %s", kind, shown, session_of(request).user.name)
    raise web.HTTPSeeOther("/admin/locks?aufgehoben=1")


@admin_only
async def stats_csv(request: web.Request) -> web.StreamResponse:
    """GET /admin/export/stats.csv."""
    period = request.query.get("period", "month")
    if period not in PERIODS:
        raise web.HTTPBadRequest(text="Zeitraum muss „week“ oder „month“ sein.")
    first, last = query_date(request, "from"), query_date(request, "to")
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    text = await export_csv_async(request.app[STORE], "stats", period, first, last, zone)
    return csv_response(text, f"statistik-{period}.csv")


def setup(app: web.Application) -> None:
    """Register the routes."""
    app.router.add_get("/admin/locks", locks_page)
    app.router.add_post("/admin/locks/lift", lift_submit)
    app.router.add_get("/admin/export/stats.csv", stats_csv)


__all__ = ["lift_token", "setup"]
