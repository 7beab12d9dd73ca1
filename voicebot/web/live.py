"""The switchboard's live page: calls in progress and just put through, updating without a page reload.

Routes (staff):
    GET /live        the page (works without JavaScript: a plain list with a reload link; ``static/live.js``
                     refreshes it every few seconds from the JSON below)
    GET /api/live    the same calls as JSON

What the caller wants (topic, masked words, the bot's reason) comes from the records DB
(``voicebot.records.live``), which every bot process writes to.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from voicebot.records.live import RECENT_MINUTES, LiveCall, live_calls
from voicebot.web.auth import staff_only
from voicebot.web.common import CONTENT, SETTINGS, STORE, ContentSource, now, render
from voicebot.web.labels import action_label, outcome_label, reason_label

POLL_SECONDS: Final = 3
"""How often the page's script asks for the list (seconds)."""


def _item(call: LiveCall, content: ContentSource, zone: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    department = content.department_name(call.department)
    return {
        "id": call.id,
        "state": "live" if call.outcome is None else call.outcome,
        "status": "läuft" if call.outcome is None else outcome_label(call.outcome),
        "started": call.started_at.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S"),
        "ended": call.ended_at.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S") if call.ended_at else "",
        "caller": call.caller_masked,
        "topic": content.topic_title(call.topic),
        "department": department,
        "words": call.words,
        "reason": reason_label(call.reason),
        "doing": action_label(call.action, department) if call.outcome is None else "",
    }


async def _items(request: web.Request) -> list[dict[str, Any]]:
    calls = await request.app[STORE].run(live_calls, now(request))
    zone = request.app[SETTINGS].timezone
    return [_item(call, request.app[CONTENT], zone) for call in calls]


@staff_only
async def live_page(request: web.Request) -> web.StreamResponse:
    """GET /live."""
    items = await _items(request)
    return render(
        request,
        "live.html",
        {"items": items, "recent_minutes": RECENT_MINUTES, "poll_seconds": POLL_SECONDS},
    )


@staff_only
async def live_json(request: web.Request) -> web.StreamResponse:
    """GET /api/live."""
    items = await _items(request)
    from zoneinfo import ZoneInfo

    updated = now(request).astimezone(ZoneInfo(request.app[SETTINGS].timezone)).strftime("%H:%M:%S")
    return web.json_response({"calls": items, "updated": updated}, headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    """Register the routes."""
    app.router.add_get("/live", live_page)
    app.router.add_get("/api/live", live_json)


__all__ = ["POLL_SECONDS", "setup"]
