"""Statistics page: charts (inline SVG) and tables over the call records, and the handling-time setting.

Numbers come from ``voicebot.records.stats.compute`` over ``admin_queries.call_facts``; the average handling
time behind "time saved" is ``[web] handling_minutes`` in ``voicebot.toml``, changed on this page through
the content editor (validated, written atomically, kept in the history).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiohttp import web

from voicebot.content.edit import EditResult
from voicebot.records.aggregates import aggregated_facts
from voicebot.records.stats import MIN_SAMPLE, Bucket, Stats, compute, format_minutes, percent, share
from voicebot.web import admin_queries
from voicebot.web.admin_common import apply, editor
from voicebot.web.charts import bar_chart, horizontal_bars, percent_label
from voicebot.web.common import CONTENT, SETTINGS, STORE, ContentSource, now, render

DAYS_IN_CHART = 31
"""The calls-per-day chart shows at most this many days (the last ones of the range)."""


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest(text=f"„{text}“ ist kein Datum (JJJJ-MM-TT).") from None


def _rate(bucket: Bucket) -> float:
    """A bucket's automation rate for the chart; no bar for tiny samples (``MIN_SAMPLE``)."""
    return bucket.automation_rate if bucket.calls >= MIN_SAMPLE else 0.0


def charts(stats: Stats, name: Callable[[str], str], title: Callable[[str], str]) -> dict[str, str]:
    """The page's SVG charts (``name``/``title`` turn department and topic ids into words)."""
    days = stats.per_day[-DAYS_IN_CHART:]
    label_every = 1 if len(days) <= 14 else 7 if len(days) > 21 else 2
    return {
        "per_day": bar_chart(
            [(bucket.label.split(" ")[1], bucket.calls) for bucket in days], "Anrufe pro Tag", label_every=label_every
        ),
        "per_hour": bar_chart([(f"{hour}", count) for hour, count in enumerate(stats.per_hour)], "Anrufe nach Uhrzeit"),
        "week_rate": bar_chart(
            [(bucket.label.split("/")[0], _rate(bucket)) for bucket in stats.per_week],
            "Automatisierungsquote pro Woche",
            max_value=1.0,
            fmt=percent_label,
        ),
        "month_rate": bar_chart(
            [(bucket.label, _rate(bucket)) for bucket in stats.per_month],
            "Automatisierungsquote pro Monat",
            max_value=1.0,
            fmt=percent_label,
        ),
        "departments": horizontal_bars(
            [(name(key), count) for key, count in stats.transfers_by_department], "Weiterleitungen nach Abteilung"
        ),
        "topics": horizontal_bars([(title(key), count) for key, count in stats.top_topics], "Häufigste Themen"),
    }


async def stats_page(request: web.Request, result: EditResult | None = None) -> web.Response:
    """GET /admin/stats?from=YYYY-MM-DD&to=YYYY-MM-DD: the numbers of the range (default: all records)."""
    settings = request.app[SETTINGS]
    zone = ZoneInfo(settings.timezone)
    first, last = _date(request.query.get("from")), _date(request.query.get("to"))
    since = dt.datetime.combine(first, dt.time(), zone) if first else None
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone) if last else None
    facts = await request.app[STORE].run(admin_queries.call_facts, since, until)
    facts += await request.app[STORE].run(aggregated_facts, since, until, zone)  # days whose records are purged
    minutes = await asyncio.to_thread(editor(request).handling_minutes)
    stats = compute(facts, minutes, zone)
    source = request.app[CONTENT]
    assert isinstance(source, ContentSource)
    context = {
        "stats": stats,
        "charts": charts(stats, source.department_name, source.topic_title),
        "first": first.isoformat() if first else "",
        "last": last.isoformat() if last else "",
        "format_minutes": format_minutes,
        "as_percent": percent,
        "share": share,
        "min_sample": MIN_SAMPLE,
        "result": result or EditResult(),
        "handling_value": request.query.get("handling", "") or f"{minutes:g}",
        "saved": request.query.get("saved") == "1",
        "today": now(request).astimezone(zone).date().isoformat(),
    }
    return render(request, "admin_stats.html", context, status=200 if result is None or result.ok else 422)


async def stats_get(request: web.Request) -> web.StreamResponse:
    """GET /admin/stats."""
    return await stats_page(request)


async def handling_submit(request: web.Request) -> web.StreamResponse:
    """POST /admin/stats/handling: set the average handling time (minutes)."""
    form = await request.post()
    text = str(form.get("handling_minutes", "")).strip().replace(",", ".")
    try:
        minutes = float(text)
    except ValueError:
        minutes = -1.0
    result = await apply(request, "set_handling_minutes", minutes)
    if result.ok:
        raise web.HTTPSeeOther("/admin/stats?saved=1")
    return await stats_page(request, result)


def setup(app: web.Application) -> None:
    """Register the routes."""
    app.router.add_get("/admin/stats", stats_get)
    app.router.add_post("/admin/stats/handling", handling_submit)


__all__ = ["charts", "setup"]
