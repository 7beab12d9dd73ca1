"""Operations endpoints: ``/health`` (no login, no personal data), ``/metrics`` (Prometheus, only from
``[web] metrics_allow``) and the staff's CSV download of calls (``/export/calls.csv``).

``/health`` answers JSON, 200 when healthy and 503 otherwise. Healthy: the record store takes a real write
(one row of ``meta`` is rewritten), and every expected SIP line (worker) reported within
``call.status.STALE_AFTER_S`` that it listens (and, in register mode, is registered). A speech engine that is
not the first of its preference list (``"asr_fallback": true``) makes the status ``degraded``, still 200: the
bot answers, but someone should look. Served by ``voicebot web`` alone (no SIP line in the process), only the
store is checked.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from voicebot.call import metrics
from voicebot.call.status import STALE_AFTER_S, StatusBoard
from voicebot.call.status import now as status_now
from voicebot.records.queries import to_db
from voicebot.web.auth import staff_only
from voicebot.web.common import CLOCK, SETTINGS, STORE
from voicebot.web.proxy import is_in, networks

_LOGGER: Final = logging.getLogger(__name__)
BOARD: Final[web.AppKey[StatusBoard | None]] = web.AppKey("status_board")
"""Where the SIP lines' status is read (None: no SIP line in this process)."""


def _write_check(conn: sqlite3.Connection, at: dt.datetime) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('health_check', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (to_db(at),),
    )


async def _records_write(request: web.Request) -> tuple[bool, str]:
    try:
        await request.app[STORE].run(_write_check, request.app[CLOCK]())
    except Exception as error:  # any failure is the answer
        return False, type(error).__name__
    return True, ""


async def health(request: web.Request) -> web.StreamResponse:
    """GET /health."""
    problems: list[str] = []
    writes, why = await _records_write(request)
    if not writes:
        problems.append(f"Datenbank nimmt keine Schreibzugriffe an ({why})")
    counters = request.app[STORE].counters.snapshot()
    body: dict[str, Any] = {"records": {"writes": writes, "spooled": counters["spooled"], "lost": counters["failed"]}}
    board = request.app[BOARD]
    degraded = False
    if board is not None:
        at = status_now()
        lines, alive = [], 0
        for status in board.read():
            age = at - status.at
            fresh = age <= STALE_AFTER_S
            alive += fresh
            if not fresh:
                problems.append(f"Leitung {status.worker} meldet sich seit {age:.0f} s nicht")
            elif not status.healthy():
                problems.append(
                    f"Leitung {status.worker}: " + ("nicht registriert" if status.listening else "SIP hört nicht zu")
                )
            degraded = degraded or status.asr_fallback or status.tts_fallback
            lines.append(
                {
                    "worker": status.worker,
                    "alive": fresh,
                    "age_s": round(age, 1),
                    "sip_port": status.sip_port,
                    "listening": status.listening,
                    "registered": status.registered,
                    "live_calls": status.live_calls,
                    "asr": status.asr,
                    "asr_fallback": status.asr_fallback,
                    "tts": status.tts,
                    "tts_fallback": status.tts_fallback,
                }
            )
        if alive < board.expected:
            problems.append(f"{alive} von {board.expected} Leitungen laufen")
        body["workers"] = {"expected": board.expected, "alive": alive}
        body["lines"] = lines
    body["status"] = "fail" if problems else "degraded" if degraded else "ok"
    body["problems"] = problems
    return web.json_response(body, status=503 if problems else 200, headers={"Cache-Control": "no-store"})


async def metrics_endpoint(request: web.Request) -> web.StreamResponse:
    """GET /metrics (Prometheus text format), only for ``[web] metrics_allow``."""
    if not is_in(request.remote, networks(request.app[SETTINGS].web.metrics_allow)):
        _LOGGER.warning("metrics refused to %s (not in [web] metrics_allow)", request.remote)
        raise web.HTTPForbidden(text="metrics: address not allowed ([web] metrics_allow)")
    try:
        body, content_type = metrics.exposition()
    except ImportError:
        raise web.HTTPNotFound(text="metrics: prometheus-client is not installed (pip install voicebot[web])") from None
    response = web.Response(body=body)
    response.headers["Content-Type"] = content_type
    return response


def query_date(request: web.Request, name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` query parameter (400 when it is not a date)."""
    text = request.query.get(name, "")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest(text=f"„{text}“ ist kein Datum (JJJJ-MM-TT).") from None


def csv_response(text: str, filename: str) -> web.Response:
    """A CSV download (UTF-8 with BOM, so spreadsheet programs read the umlauts)."""
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@staff_only
async def calls_csv(request: web.Request) -> web.StreamResponse:
    """GET /export/calls.csv?from=…&to=…: the calls as staff see them (numbers masked)."""
    from voicebot.records.export import export_csv_async

    first, last = query_date(request, "from"), query_date(request, "to")
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    text = await export_csv_async(request.app[STORE], "calls", "month", first, last, zone)
    return csv_response(text, "anrufe.csv")


def setup(app: web.Application, board: StatusBoard | None) -> None:
    """Register the routes; ``board``: the SIP lines' status (None without a SIP line)."""
    app[BOARD] = board
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/export/calls.csv", calls_csv)


__all__ = ["BOARD", "csv_response", "query_date", "setup"]
