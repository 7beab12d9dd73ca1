"""Learning loop ("Vorschläge"): utterances staff marked "falsch — richtig wäre X" as new phrasings for X.

Opening the page turns new feedback into proposals (``admin_queries.sync_proposals``). Accepting one
appends the (optionally corrected) utterance to the topic's phrasings through the content editor — the
same validation, atomic write and history as a hand edit — and marks it accepted; rejecting only marks it.
A proposal from a turn in another language (an English call) becomes a phrasing in that language's FAQ
file (``voicebot.content.edit_language``).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from voicebot.content.edit import EditResult, FieldProblem
from voicebot.content.edit_departments import DEPARTMENT_PREFIX, add_department_synonym
from voicebot.content.edit_language import add_phrasing_in
from voicebot.content.paths import BASE_LANGUAGE, language_files
from voicebot.content.roundtrip import fast_load
from voicebot.web import admin_queries
from voicebot.web.admin_common import apply, editor, notify_bot
from voicebot.web.common import STORE, now, render, session_of


def _phrasings_of_all_languages(request: web.Request) -> list[str]:
    """Phrasings of the base FAQ and of every further language's FAQ file."""
    found = [str(p) for topic in editor(request).topics() for p in topic.get("phrasings") or ()]
    for files in language_files(editor(request).settings):
        if files.faq.is_file():
            data = fast_load(files.faq.read_text(encoding="utf-8")) or {}
            found += [str(p) for topic in data.get("topics") or [] for p in (topic or {}).get("phrasings") or ()]
    return found


async def _known_phrasings(request: web.Request) -> list[str]:
    return await asyncio.to_thread(_phrasings_of_all_languages, request)


async def _add_phrasing(request: web.Request, language: str, topic: str, utterance: str) -> EditResult:
    """Add ``utterance`` to ``topic``'s phrasings in ``language`` (the base FAQ for the base language)."""
    if not language or language == BASE_LANGUAGE:
        return await apply(request, "add_phrasing", topic, utterance)
    settings = editor(request).settings
    topic_ids = frozenset(str(t.get("id")) for t in await asyncio.to_thread(editor(request).topics))
    result = await asyncio.to_thread(
        add_phrasing_in,
        settings,
        language,
        topic,
        utterance,
        user=session_of(request).user.name,
        now=now(request),
        topic_ids=topic_ids,
        history=editor(request).history,
    )
    if result.ok and result.changes:
        await notify_bot(request.app)
    return result


async def _page(
    request: web.Request, *, result: EditResult | None = None, failed: int | None = None, status: int = 200
) -> web.Response:
    store = request.app[STORE]
    open_rows = await store.run(admin_queries.list_proposals, "open")
    decided = [row for row in await store.run(admin_queries.list_proposals, None, limit=60) if row.status != "open"]
    return render(
        request,
        "admin_proposals.html",
        {
            "proposals": open_rows,
            "decided": decided[:30],
            "result": result or EditResult(),
            "failed": failed,
            "message": request.query.get("done", ""),
        },
        status=status,
    )


async def proposals_page(request: web.Request) -> web.StreamResponse:
    """GET /admin/proposals: open proposals (new feedback is turned into proposals first)."""
    known = await _known_phrasings(request)
    await request.app[STORE].run(admin_queries.sync_proposals, known, now(request))
    return await _page(request)


async def decide(request: web.Request) -> web.StreamResponse:
    """POST /admin/proposals/{id}: ``decision=accept`` (with ``utterance``) or ``decision=reject``."""
    text = request.match_info["id"]
    if len(text) > 18:
        raise web.HTTPNotFound(text="Diesen offenen Vorschlag gibt es nicht (mehr).")
    proposal_id = int(text)
    form = await request.post()
    store = request.app[STORE]
    proposal = await store.run(admin_queries.get_proposal, proposal_id)
    if proposal is None or proposal.status != "open":
        raise web.HTTPNotFound(text="Diesen offenen Vorschlag gibt es nicht (mehr).")
    user = session_of(request).user.name
    if form.get("decision") == "reject":
        await store.run(admin_queries.decide_proposal, proposal_id, False, user, now(request))
        raise web.HTTPSeeOther("/admin/proposals?done=rejected")
    if form.get("decision") != "accept":
        raise web.HTTPBadRequest(text="Bitte „Übernehmen“ oder „Ablehnen“ wählen.")
    utterance = " ".join(str(form.get("utterance", proposal.utterance)).split())
    if not utterance:
        result = EditResult(problems=(FieldProblem("phrasings", "Die Formulierung darf nicht leer sein."),))
        return await _page(request, result=result, failed=proposal_id, status=422)
    if proposal.topic.startswith(DEPARTMENT_PREFIX):
        department = proposal.topic.removeprefix(DEPARTMENT_PREFIX)
        user_name = session_of(request).user.name
        result = await asyncio.to_thread(
            add_department_synonym, editor(request), department, utterance, user=user_name, now=now(request)
        )
        if result.ok:
            await notify_bot(request.app)
    else:
        result = await _add_phrasing(request, proposal.language, proposal.topic, utterance)
    if not result.ok:
        return await _page(request, result=result, failed=proposal_id, status=422)
    await store.run(admin_queries.decide_proposal, proposal_id, True, user, now(request))
    raise web.HTTPSeeOther("/admin/proposals?done=accepted")


def setup(app: web.Application) -> None:
    """Register the routes."""
    app.router.add_get("/admin/proposals", proposals_page)
    app.router.add_post("/admin/proposals/{id:\\d+}", decide)


__all__ = ["setup"]
