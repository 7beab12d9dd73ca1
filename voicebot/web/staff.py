"""Pages for switchboard staff: call list, call timeline with feedback, callback worklist.

Routes (all need a login; admins may use them too):
    GET  /                          → /calls
    GET  /calls                     call list, newest first; filters von, bis (YYYY-MM-DD), ergebnis, abteilung,
                                    rueckmeldung (mit/ohne); seite
    GET  /calls/{call_id}           one call: facts, turn-by-turn timeline, feedback form
    POST /calls/{call_id}/feedback  store "richtig" / "falsch – richtig wäre …"
    GET  /calls/{call_id}/audio/{turn}  the caller's audio of one turn (WAV; only with [records] store_audio;
                                    the file is looked up in the records, never taken from the URL, and must lie
                                    inside [records] audio_dir)
    GET  /callbacks                 callback worklist (open first; numbers masked)
    GET  /callbacks/{id}            one request with the full number to call back
    POST /callbacks/{id}/done       mark done (who, when)
    POST /callbacks/{id}/reopen     open again (marked done by mistake)
    GET  /api/calls                 the call list as JSON (same filters; numbers masked)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from voicebot.privacy import mask, mask_number
from voicebot.records import queries
from voicebot.records.audio import AudioKeeper
from voicebot.records.calls import OUTCOMES
from voicebot.records.queries import CallFilter
from voicebot.web.auth import staff_only
from voicebot.web.common import CONTENT, SETTINGS, STORE, now, render, session_of

MAX_NOTE: Final = 1000
"""Longest feedback note kept (characters)."""
FEEDBACK_FIELDS: Final = ("verdict", "turn", "topic", "department", "note")
MAX_PAGE_DIGITS: Final = 9
"""Longest page number accepted in ``?seite=`` (larger ones are an error, never an overflow)."""


@dataclass(frozen=True)
class ListQuery:
    """The call list's GET parameters, parsed."""

    selection: CallFilter
    page: int
    values: dict[str, str]
    """The raw values to refill the form and build page links."""
    errors: tuple[str, ...]


def _parse_day(text: str, zone: ZoneInfo) -> dt.datetime | None:
    day = dt.date.fromisoformat(text)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)


def parse_list_query(query: Any, timezone: str) -> ListQuery:
    """Filters from ``?von=&bis=&ergebnis=&abteilung=&seite=``; bad values are reported and ignored."""
    zone = ZoneInfo(timezone)
    values = {
        key: str(query.get(key, "")).strip()
        for key in ("von", "bis", "ergebnis", "abteilung", "rueckmeldung", "sprache")
    }
    errors: list[str] = []
    since = until = None
    try:
        since = _parse_day(values["von"], zone) if values["von"] else None
    except ValueError:
        errors.append("„Von“ ist kein gültiges Datum (JJJJ-MM-TT).")
    try:
        end = _parse_day(values["bis"], zone) if values["bis"] else None
        until = end + dt.timedelta(days=1) if end is not None else None
    except ValueError:
        errors.append("„Bis“ ist kein gültiges Datum (JJJJ-MM-TT).")
    outcome = values["ergebnis"] or None
    if outcome is not None and outcome not in (*OUTCOMES, "open"):
        errors.append("Unbekanntes Ergebnis im Filter.")
        outcome = None
    page_text = str(query.get("seite", "1")).strip() or "1"
    page = int(page_text) if page_text.isdigit() and len(page_text) <= MAX_PAGE_DIGITS else 0
    if page < 1:
        errors.append("„Seite“ ist keine gültige Seitenzahl.")
        page = 1
    reviewed = {"mit": True, "ohne": False}.get(values["rueckmeldung"])
    if values["rueckmeldung"] and reviewed is None:
        errors.append("Unbekannter Wert im Filter „Rückmeldung“.")
    language = values["sprache"] or None
    if language is not None and not (2 <= len(language) <= 3 and language.isalpha()):
        errors.append("Unbekannte Sprache im Filter.")
        language = None
    selection = CallFilter(
        since=since,
        until=until,
        outcome=outcome,
        department=values["abteilung"] or None,
        reviewed=reviewed,
        language=language,
    )
    return ListQuery(selection, page, values, tuple(errors))


def _page_link(values: dict[str, str], page: int) -> str:
    from urllib.parse import urlencode

    params = {key: value for key, value in values.items() if value}
    params["seite"] = str(page)
    return "/calls?" + urlencode(params)


def _list_data(conn: sqlite3.Connection, selection: CallFilter, page: int) -> tuple[list[queries.CallRow], int]:
    total = queries.count_calls(conn, selection)
    rows = queries.list_calls(conn, selection, limit=queries.PAGE_SIZE, offset=(page - 1) * queries.PAGE_SIZE)
    return rows, total


@staff_only
async def index(request: web.Request) -> web.StreamResponse:
    """GET /: the call list."""
    raise web.HTTPFound("/calls")


@staff_only
async def call_list(request: web.Request) -> web.StreamResponse:
    """GET /calls: newest first, filtered, paginated; transferred calls marked."""
    parsed = parse_list_query(request.query, request.app[SETTINGS].timezone)
    rows: list[queries.CallRow] = []
    total = 0
    if not parsed.errors:  # an invalid filter lists nothing but its error
        rows, total = await request.app[STORE].run(_list_data, parsed.selection, parsed.page)
    pages = max(1, math.ceil(total / queries.PAGE_SIZE))
    content = request.app[CONTENT]
    return render(
        request,
        "calls.html",
        {
            "calls": rows,
            "total": total,
            "page": parsed.page,
            "pages": pages,
            "prev_link": _page_link(parsed.values, parsed.page - 1) if parsed.page > 1 else "",
            "next_link": _page_link(parsed.values, parsed.page + 1) if parsed.page < pages else "",
            "filters": parsed.values,
            "errors": parsed.errors,
            "outcomes": OUTCOMES,
            "departments": content.departments(),
        },
        status=400 if parsed.errors else 200,
    )


def _call_data(conn: sqlite3.Connection, call_id: str) -> dict[str, Any] | None:
    call = queries.get_call(conn, call_id)
    if call is None:
        return None
    return {
        "call": call,
        "turns": queries.get_turns(conn, call_id),
        "feedback": queries.list_feedback(conn, call_id),
        "callbacks": queries.list_callbacks(conn, call_id=call_id),
    }


@staff_only
async def call_page(request: web.Request) -> web.StreamResponse:
    """GET /calls/{call_id}: the timeline, outcome, reason and the feedback form."""
    data = await request.app[STORE].run(_call_data, request.match_info["call_id"])
    if data is None:
        raise web.HTTPNotFound(
            text="Diesen Anruf gibt es nicht (mehr) – vielleicht wurde er nach Ablauf der Aufbewahrungsfrist gelöscht."
        )
    return _call_response(request, data, errors=(), form={})


def _call_response(
    request: web.Request, data: dict[str, Any], *, errors: tuple[str, ...], form: dict[str, str], status: int = 200
) -> web.Response:
    content = request.app[CONTENT]
    callbacks = [(cb, mask_number(cb.number)) for cb in data["callbacks"]]
    return render(
        request,
        "call.html",
        {
            **data,
            "callbacks": callbacks,
            "topics": content.topics(),
            "departments": content.departments(),
            "errors": errors,
            "form": {key: form.get(key, "") for key in FEEDBACK_FIELDS},
            "saved": request.query.get("gespeichert") == "1",
        },
        status=status,
    )


def _save_feedback(
    conn: sqlite3.Connection,
    call_id: str,
    verdict: str,
    user: str,
    at: dt.datetime,
    turn_idx: int | None,
    topic: str | None,
    department: str | None,
    note: str,
) -> bool:
    if queries.get_call(conn, call_id) is None:
        return False
    queries.add_feedback(
        conn,
        call_id,
        verdict,
        user,
        at,
        turn_idx=turn_idx,
        correct_topic=topic,
        correct_department=department,
        note=note,
    )
    return True


@staff_only
async def turn_audio(request: web.Request) -> web.StreamResponse:
    """GET /calls/{call_id}/audio/{turn}: the WAV of one turn, if it was kept and lies inside ``audio_dir``."""
    missing = "Zu diesem Gesprächsschritt gibt es keine Aufnahme (mehr)."
    text = request.match_info["turn"]
    if not text.isdigit() or int(text) > queries.SQLITE_MAX_INT:
        raise web.HTTPNotFound(text=missing)
    turn_idx = int(text)
    name = await request.app[STORE].run(queries.turn_audio, request.match_info["call_id"], turn_idx)
    settings = request.app[SETTINGS]
    path = await asyncio.to_thread(_audio_file, settings.resolve_data(settings.records.audio_dir), name)
    if path is None:
        raise web.HTTPNotFound(text=missing)
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "private, no-store"})


def _audio_file(audio_dir: Path, name: str) -> Path | None:
    """The stored file ``name`` if it is an existing file inside ``audio_dir`` (links resolved), else None."""
    if not name or not AudioKeeper(audio_dir).contains(name):
        return None
    path = Path(name).resolve()
    return path if path.is_file() else None


@staff_only
async def feedback_submit(request: web.Request) -> web.StreamResponse:
    """POST /calls/{call_id}/feedback: validate and store; the page again with errors, else redirect."""
    call_id = request.match_info["call_id"]
    form_data = await request.post()
    form = {key: str(form_data.get(key, "")).strip() for key in FEEDBACK_FIELDS}
    content = request.app[CONTENT]
    errors: list[str] = []
    if form["verdict"] not in ("right", "wrong"):
        errors.append("Bitte „richtig“ oder „falsch“ auswählen.")
    topic_ids = {topic_id for topic_id, _ in content.topics()}
    department_ids = {department_id for department_id, _ in content.departments()}
    topic = form["topic"] or None
    department = form["department"] or None
    if topic is not None and topic_ids and topic not in topic_ids:
        errors.append("Dieses Thema gibt es nicht.")
    if department is not None and department not in department_ids:
        errors.append("Diese Abteilung gibt es nicht.")
    if form["verdict"] == "wrong" and not (topic or department or form["note"]):
        errors.append("Bei „falsch“ bitte das richtige Thema, die richtige Abteilung oder eine Notiz angeben.")
    if len(form["note"]) > MAX_NOTE:
        errors.append(f"Die Notiz ist zu lang (höchstens {MAX_NOTE} Zeichen) und wurde nicht übernommen.")
        form["note"] = ""  # a refused big input is not sent back
    turn_idx: int | None = None
    if form["turn"]:
        if form["turn"].isdigit() and int(form["turn"]) <= queries.SQLITE_MAX_INT:
            turn_idx = int(form["turn"])
        else:
            errors.append("Ungültiger Gesprächsschritt.")
    if form["verdict"] == "right":
        topic = department = None
    store = request.app[STORE]
    if errors:
        data = await store.run(_call_data, call_id)
        if data is None:
            raise web.HTTPNotFound(text="Diesen Anruf gibt es nicht (mehr).")
        return _call_response(request, data, errors=tuple(errors), form=form, status=400)
    user = session_of(request).user.name
    saved = await store.run(
        _save_feedback, call_id, form["verdict"], user, now(request), turn_idx, topic, department, mask(form["note"])
    )
    if not saved:
        raise web.HTTPNotFound(text="Diesen Anruf gibt es nicht (mehr).")
    raise web.HTTPSeeOther(f"/calls/{call_id}?gespeichert=1#gespeichert")


@staff_only
async def callback_list(request: web.Request) -> web.StreamResponse:
    """GET /callbacks: the worklist, open first; numbers masked."""
    rows = await request.app[STORE].run(queries.list_callbacks)
    items = [(row, mask_number(row.number)) for row in rows]
    open_count = sum(1 for row in rows if row.done_at is None)
    return render(request, "callbacks.html", {"items": items, "open_count": open_count})


def _callback_id(request: web.Request) -> int:
    text = request.match_info["callback_id"]
    if not text.isdigit() or not 0 < int(text) <= queries.SQLITE_MAX_INT:
        raise web.HTTPNotFound(text="Diesen Rückrufwunsch gibt es nicht.")
    return int(text)


@staff_only
async def callback_page(request: web.Request) -> web.StreamResponse:
    """GET /callbacks/{id}: the request with the full number (staff need it to call back)."""
    row = await request.app[STORE].run(queries.get_callback, _callback_id(request))
    if row is None:
        raise web.HTTPNotFound(text="Diesen Rückrufwunsch gibt es nicht (mehr).")
    dial = "".join(ch for ch in row.number if ch.isdigit() or ch == "+")
    return render(request, "callback.html", {"item": row, "dial": dial})


@staff_only
async def callback_done(request: web.Request) -> web.StreamResponse:
    """POST /callbacks/{id}/done: mark done by the logged-in user."""
    callback_id = _callback_id(request)
    store = request.app[STORE]
    row = await store.run(queries.get_callback, callback_id)
    if row is None:
        raise web.HTTPNotFound(text="Diesen Rückrufwunsch gibt es nicht (mehr).")
    await store.run(queries.mark_callback_done, callback_id, session_of(request).user.name, now(request))
    raise web.HTTPSeeOther("/callbacks")


@staff_only
async def callback_reopen(request: web.Request) -> web.StreamResponse:
    """POST /callbacks/{id}/reopen: a request marked done by mistake is open again."""
    callback_id = _callback_id(request)
    store = request.app[STORE]
    if await store.run(queries.get_callback, callback_id) is None:
        raise web.HTTPNotFound(text="Diesen Rückrufwunsch gibt es nicht (mehr).")
    await store.run(queries.reopen_callback, callback_id)
    raise web.HTTPSeeOther(f"/callbacks/{callback_id}")


@staff_only
async def api_calls(request: web.Request) -> web.StreamResponse:
    """GET /api/calls: the filtered call list as JSON (caller numbers masked)."""
    parsed = parse_list_query(request.query, request.app[SETTINGS].timezone)
    if parsed.errors:
        return web.json_response({"errors": list(parsed.errors)}, status=400)
    rows, total = await request.app[STORE].run(_list_data, parsed.selection, parsed.page)
    return web.json_response(
        {
            "total": total,
            "page": parsed.page,
            "calls": [row.summary() for row in rows],
        }
    )


def setup(app: web.Application) -> None:
    """Register the staff routes."""
    app.router.add_get("/", index)
    app.router.add_get("/calls", call_list)
    app.router.add_get("/calls/{call_id}", call_page)
    app.router.add_post("/calls/{call_id}/feedback", feedback_submit)
    app.router.add_get("/calls/{call_id}/audio/{turn}", turn_audio)
    app.router.add_get("/callbacks", callback_list)
    app.router.add_get("/callbacks/{callback_id}", callback_page)
    app.router.add_post("/callbacks/{callback_id}/done", callback_done)
    app.router.add_post("/callbacks/{callback_id}/reopen", callback_reopen)
    app.router.add_get("/api/calls", api_calls)


__all__ = ["parse_list_query", "setup"]
