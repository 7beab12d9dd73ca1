"""Admin pages under ``/admin/``: FAQ topics, prompts, opening hours and the change history.

Edits go through ``voicebot.content.edit.ContentEditor`` (validated, written atomically, logged in the
store's ``content_history``). The running bot notices the changed files (``Bot.maybe_reload`` checks
mtimes); when the web app runs inside ``voicebot run`` it is also told at once. The other admin pages are in
``admin_try.py`` (try a sentence, TTS preview), ``admin_learn.py`` (proposals) and ``admin_stats.py``.
The auth middleware already refuses staff (403) and anonymous users (login) everywhere under ``/admin``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from voicebot.config.hours import WEEKDAY_NAMES_DE, WEEKDAYS
from voicebot.content.edit import ContentEditor, EditResult, FieldProblem, TopicForm
from voicebot.content.model import EXTERN, PLACEHOLDER_LIKE
from voicebot.content.speakable import CHARS_PER_SECOND, length_message, speaking_seconds
from voicebot.web import admin_learn, admin_ops, admin_queries, admin_stats, admin_try
from voicebot.web.admin_common import EDITOR, StoreHistory, apply, editor
from voicebot.web.common import BOT, SETTINGS, STORE, render


def _department_choices(ed: ContentEditor) -> list[tuple[str, str]]:
    choices = [(str(d["id"]), str(d.get("name") or d["id"])) for d in ed.departments()]
    return [*sorted(choices, key=lambda pair: pair[1].lower()), (EXTERN, "Andere Behörde (extern)")]


async def content_index(request: web.Request) -> web.StreamResponse:
    """GET /admin/content: every topic, plus links to prompts, opening hours and history."""
    ed = editor(request)
    topics = await asyncio.to_thread(ed.topics)
    names = dict(await asyncio.to_thread(_department_choices, ed))
    problems = await asyncio.to_thread(ed.current_problems)
    bot = request.app[BOT]
    bot_problems = list(bot.reload_problems) if bot is not None else []
    return render(
        request,
        "admin_content.html",
        {
            "topics": topics,
            "department_names": names,
            "departments": sorted(request.app[SETTINGS].departments),
            "problems": problems,
            "bot_problems": bot_problems,
        },
    )


def _form_values(topic: Mapping[str, Any]) -> dict[str, str]:
    return {
        "title": str(topic.get("title") or ""),
        "department": str(topic.get("department") or ""),
        "keywords": ", ".join(topic.get("keywords") or ()),
        "phrasings": "\n".join(topic.get("phrasings") or ()),
        "answer": str(topic.get("answer") or ""),
        "details": str(topic.get("details") or ""),
    }


MAX_ECHO: Final = 5000
"""A refused field longer than this (characters) is not sent back to the browser: its stored value is shown."""


def _not_echoed(values: dict[str, str], stored: Mapping[str, str], result: EditResult) -> EditResult:
    """Replace over-long refused values by the stored ones and say so next to the field."""
    extra = []
    for key, value in values.items():
        if len(value) > MAX_ECHO:
            values[key] = stored.get(key, "")
            extra.append(
                FieldProblem(
                    key,
                    f"Die Eingabe war mit {len(value)} Zeichen viel zu lang und wurde verworfen "
                    "(hier steht wieder der gespeicherte Text).",
                )
            )
    return EditResult(result.changes, (*result.problems, *extra)) if extra else result


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _words(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())


async def topic_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/content/topic/{id}: the edit form."""
    topic_id = request.match_info["id"]
    ed = editor(request)
    topic = next((t for t in await asyncio.to_thread(ed.topics) if t.get("id") == topic_id), None)
    if topic is None:
        raise web.HTTPNotFound(text=f"Das Thema „{topic_id}“ gibt es nicht.")
    return await _topic_form(request, topic, _form_values(topic), EditResult(), saved=request.query.get("saved") == "1")


def _length(request: web.Request, answer: str) -> dict[str, Any]:
    """The answer's estimated speaking time for the form (placeholders filled with the district facts)."""
    settings = request.app[SETTINGS]
    facts = settings.district
    spoken = PLACEHOLDER_LIKE.sub(lambda m: facts.get(m.group(1), m.group(0)), " ".join(answer.split()))
    limit = settings.content.max_answer_seconds
    seconds = speaking_seconds(spoken)
    return {
        "text": length_message(seconds, limit),
        "over": seconds > limit,
        "limit": f"{limit:g}",
        "rate": CHARS_PER_SECOND,
        "facts": json.dumps({key: len(value) for key, value in facts.items()}),
    }


async def _topic_form(
    request: web.Request,
    topic: Mapping[str, Any],
    values: Mapping[str, str],
    result: EditResult,
    *,
    saved: bool,
    status: int | None = None,
) -> web.Response:
    choices = await asyncio.to_thread(_department_choices, editor(request))
    context = {"topic": topic, "values": values, "result": result, "choices": choices, "saved": saved}
    context["length"] = _length(request, values.get("answer", ""))
    return render(request, "admin_topic.html", context, status=status or (200 if result.ok else 422))


async def topic_submit(request: web.Request) -> web.StreamResponse:
    """POST /admin/content/topic/{id}: validate and save; problems are shown next to their fields."""
    topic_id = request.match_info["id"]
    form = await request.post()
    values = {
        key: str(form.get(key, "")) for key in ("title", "department", "keywords", "phrasings", "answer", "details")
    }
    edit = TopicForm(
        title=values["title"].strip(),
        answer=" ".join(values["answer"].split()),
        department=values["department"].strip(),
        phrasings=_lines(values["phrasings"]),
        keywords=_words(values["keywords"]),
        details=" ".join(values["details"].split()),
    )
    if form.get("preview"):  # "Länge prüfen": show the estimate, save nothing
        topic = next((t for t in await asyncio.to_thread(editor(request).topics) if t.get("id") == topic_id), None)
        if topic is None:
            raise web.HTTPNotFound(text=f"Das Thema „{topic_id}“ gibt es nicht.")
        result = _not_echoed(values, _form_values(topic), EditResult())
        return await _topic_form(request, topic, values, result, saved=False, status=200)
    result = await apply(request, "edit_topic", topic_id, edit)
    if result.ok:
        raise web.HTTPSeeOther(f"/admin/content/topic/{topic_id}?saved=1")
    topic = next((t for t in await asyncio.to_thread(editor(request).topics) if t.get("id") == topic_id), None)
    if topic is None:
        raise web.HTTPNotFound(text=f"Das Thema „{topic_id}“ gibt es nicht.")
    result = _not_echoed(values, _form_values(topic), result)
    return await _topic_form(request, topic, values, result, saved=False)


async def prompts_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/content/prompts: every prompt in one form."""
    prompts = await asyncio.to_thread(editor(request).prompts)
    return render(
        request,
        "admin_prompts.html",
        {"prompts": prompts, "result": EditResult(), "saved": request.query.get("saved") == "1"},
    )


async def prompts_submit(request: web.Request) -> web.StreamResponse:
    """POST /admin/content/prompts: save changed prompts."""
    form = await request.post()
    current = await asyncio.to_thread(editor(request).prompts)
    entered = {key: " ".join(str(form.get(f"prompts.{key}", value)).split()) for key, value in current.items()}
    result = await apply(request, "edit_prompts", entered)
    if result.ok:
        raise web.HTTPSeeOther("/admin/content/prompts?saved=1")
    result = _not_echoed(entered, current, result)
    return render(request, "admin_prompts.html", {"prompts": entered, "result": result, "saved": False}, status=422)


async def hours_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/content/hours/{id}: one department's weekly hours and closed days."""
    department_id = request.match_info["id"]
    try:
        hours, closed = await asyncio.to_thread(editor(request).hours, department_id)
    except KeyError:
        raise web.HTTPNotFound(text=f"Die Abteilung „{department_id}“ gibt es nicht.") from None
    values = {f"hours.{day}": hours.get(day, "") for day in WEEKDAYS} | {"closed": "\n".join(closed)}
    return _hours_form(request, department_id, values, EditResult(), saved=request.query.get("saved") == "1")


def _hours_form(
    request: web.Request, department_id: str, values: Mapping[str, str], result: EditResult, *, saved: bool
) -> web.Response:
    days = list(zip(WEEKDAYS, WEEKDAY_NAMES_DE, strict=True))
    return render(
        request,
        "admin_hours.html",
        {"department_id": department_id, "values": values, "result": result, "days": days, "saved": saved},
        status=200 if result.ok else 422,
    )


async def hours_submit(request: web.Request) -> web.StreamResponse:
    """POST /admin/content/hours/{id}: validate and save the hours."""
    department_id = request.match_info["id"]
    form = await request.post()
    values = {f"hours.{day}": str(form.get(f"hours.{day}", "")).strip() for day in WEEKDAYS}
    values["closed"] = str(form.get("closed", ""))
    hours = {day: values[f"hours.{day}"] for day in WEEKDAYS}
    closed = _words(values["closed"])
    result = await apply(request, "edit_hours", department_id, hours, closed)
    if result.ok:
        raise web.HTTPSeeOther(f"/admin/content/hours/{department_id}?saved=1")
    return _hours_form(request, department_id, values, result, saved=False)


async def history_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/history: who changed what when, newest first."""
    rows = await request.app[STORE].run(admin_queries.list_history, limit=300)
    return render(request, "admin_history.html", {"rows": rows})


async def admin_home(request: web.Request) -> web.StreamResponse:
    """GET /admin: to the content overview."""
    raise web.HTTPFound("/admin/content")


def setup(app: web.Application) -> None:
    """Register the admin routes (the caller adds the ADMIN_NAV entries)."""
    app[EDITOR] = ContentEditor(app[SETTINGS], StoreHistory(app[STORE]))
    app.router.add_get("/admin", admin_home)
    app.router.add_get("/admin/content", content_index)
    app.router.add_get("/admin/content/topic/{id}", topic_page)
    app.router.add_post("/admin/content/topic/{id}", topic_submit)
    app.router.add_get("/admin/content/prompts", prompts_page)
    app.router.add_post("/admin/content/prompts", prompts_submit)
    app.router.add_get("/admin/content/hours/{id}", hours_page)
    app.router.add_post("/admin/content/hours/{id}", hours_submit)
    app.router.add_get("/admin/history", history_page)
    admin_try.setup(app)
    admin_learn.setup(app)
    admin_stats.setup(app)
    admin_ops.setup(app)


__all__ = ["setup"]
