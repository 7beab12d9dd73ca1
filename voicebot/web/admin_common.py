"""What the admin pages share: the content editor of the app and how an edit is applied.

An edit runs in a worker thread as the logged-in user; after a successful one a bot running in this
process is told to reload (it also notices the changed files by itself through their mtimes).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from aiohttp import web

from voicebot.content.edit import ContentChange, ContentEditor, EditResult
from voicebot.records.store import RecordStore
from voicebot.web import admin_queries
from voicebot.web.common import BOT, now, session_of

_LOGGER: Final = logging.getLogger(__name__)

EDITOR: Final = web.AppKey("content_editor", ContentEditor)


class StoreHistory:
    """``HistoryLog`` writing to the record store's ``content_history`` table (called from a worker thread)."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def add_content_change(self, change: ContentChange) -> None:
        """Store one change."""
        self.store.query(admin_queries.add_history, change)


def editor(request: web.Request) -> ContentEditor:
    """The app's content editor."""
    return request.app[EDITOR]


async def notify_bot(app: web.Application) -> None:
    """Tell a bot running in this process to pick up changed content now (it also checks by itself).

    The reload (parsing, building the matcher) runs in a worker thread: the event loop may be the one that
    carries the calls' audio."""
    bot = app[BOT]
    if bot is not None:
        try:
            await asyncio.to_thread(bot.maybe_reload)
        except Exception:  # the bot keeps its old content; the content page shows the problems
            _LOGGER.exception("the running bot could not reload the edited content")


async def apply(request: web.Request, action: str, *args: Any, **kwargs: Any) -> EditResult:
    """Run one editor method in a worker thread as the logged-in user; notify the bot on success."""
    method = getattr(editor(request), action)
    user = session_of(request).user.name
    result: EditResult = await asyncio.to_thread(method, *args, user=user, now=now(request), **kwargs)
    if result.ok and result.changes:
        _LOGGER.info("%s changed %s", user, ", ".join(change.field for change in result.changes))
        await notify_bot(request.app)
    return result


__all__ = ["EDITOR", "StoreHistory", "apply", "editor", "notify_bot"]
