"""The web app for switchboard staff and admins: ``make_app`` and ``serve``.

How to add routes and pages (note for the admin part, ``voicebot/web/admin.py``):

- Write ``def setup(app: web.Application) -> None`` in your module and register routes there with
  ``app.router.add_get/add_post``. ``make_app`` calls ``staff.setup(app)`` and then, if the module
  imports, ``admin.setup(app)``; the admin entries of the navigation (``common.ADMIN_NAV``: /admin/content,
  /admin/try, /admin/proposals, /admin/stats) appear only when ``voicebot.web.admin`` exists.
- Put admin routes under ``/admin/…``: the auth middleware answers 403 there for non-admins (defence in
  depth; decorate handlers with ``auth.admin_only`` too). Every route except /login and /static/ requires
  a login; every POST must carry the CSRF token: in forms ``<input type="hidden" name="csrf"
  value="{{ csrf }}">``, from scripts the header ``X-CSRF-Token``.
- Shared things are in ``voicebot.web.common``: app keys ``SETTINGS``, ``STORE`` (``RecordStore``: use
  ``await store.run(fn, *args)`` with a function ``fn(conn, *args)``; tables ``content_history`` and
  ``proposals`` are yours), ``CLOCK`` (always take time from it: ``common.now(request)``), ``BOT`` (the
  running bot or None), ``CONTENT`` (``ContentSource``: names of topics and departments); ``render(request,
  "admin/page.html", {...})`` and ``session_of(request).user`` (name, role).
- Templates: ``voicebot/web/templates/`` (put yours in ``templates/admin/``), extend ``base.html`` and fill
  ``{% block title %}`` and ``{% block main %}``; autoescaping is on. CSS: ``static/style.css``
  (classes ``card``, ``badge``, ``btn``, ``table-wrap``, ``errors``, ``field-error``, ``muted``); your own
  static files under ``static/admin/``. No inline scripts or styles (Content-Security-Policy).
- Tests: ``tests/web_helpers.py`` starts the app on a free port, creates users and logs in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from voicebot.config.settings import Settings
from voicebot.records.retention import keep_purging
from voicebot.records.store import RecordStore
from voicebot.records.users import purge_sessions
from voicebot.web import auth, live, ops, proxy, staff
from voicebot.web.auth import Handler, wants_json
from voicebot.web.common import (
    ADMIN_NAV,
    BOT,
    CLOCK,
    CONTENT,
    JINJA,
    NAV,
    SETTINGS,
    STAFF_NAV,
    STATIC,
    STORE,
    Clock,
    ContentSource,
    make_jinja,
    render,
)

if TYPE_CHECKING:
    from voicebot.call.bot import Bot
    from voicebot.call.status import StatusBoard

_LOGGER: Final = logging.getLogger(__name__)
MAX_BODY: Final = 2 * 1024 * 1024
"""Largest request body accepted (bytes)."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """German HTML error pages for browsers (JSON clients keep plain errors)."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400 or wants_json(request):
            raise
        message = error.text if error.text and not error.text.startswith(f"{error.status}:") else ""
        if isinstance(error, web.HTTPRequestEntityTooLarge):  # aiohttp's own text is English and has the sizes
            message = f"Die gesendeten Daten sind zu groß (höchstens {MAX_BODY // (1024 * 1024)} MB)."
        return render(request, "error.html", {"status": error.status, "message": message}, status=error.status)
    except Exception:
        _LOGGER.exception("error in %s %s", request.method, request.path)
        message = "Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen; der Fehler wurde protokolliert."
        if wants_json(request):
            return web.json_response({"error": message}, status=500)
        return render(request, "error.html", {"status": 500, "message": message}, status=500)


async def _forget_old_sessions(app: web.Application) -> None:
    idle = dt.timedelta(minutes=app[SETTINGS].web.session_minutes)
    await app[STORE].run(purge_sessions, app[CLOCK](), idle)


def make_app(
    settings: Settings,
    store: RecordStore,
    bot: Bot | None = None,
    *,
    clock: Clock | None = None,
    board: StatusBoard | None = None,
) -> web.Application:
    """The web application on ``store``; ``clock`` (default: the real UTC time) is for tests; ``board``: the
    SIP lines' status for ``/health`` (None when no SIP line runs in this process)."""
    app = web.Application(middlewares=[error_pages], client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[STORE] = store
    app[CLOCK] = clock or _utc_now
    app[BOT] = bot
    app[CONTENT] = ContentSource(settings, bot)
    app[JINJA] = make_jinja(settings)
    app[NAV] = list(STAFF_NAV)
    auth.setup(app)
    proxy.setup(app)
    ops.setup(app, board)
    app.on_startup.append(_forget_old_sessions)
    app.router.add_static("/static/", STATIC, name="static", append_version=False)
    staff.setup(app)
    live.setup(app)
    try:
        admin = importlib.import_module("voicebot.web.admin")
    except ModuleNotFoundError as error:
        if error.name != "voicebot.web.admin":
            raise
        _LOGGER.debug("admin pages not available")
    else:
        app[NAV].extend(ADMIN_NAV)
        admin.setup(app)
    return app


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    bot: Bot | None = None,
    *,
    store: RecordStore | None = None,
    port: int | None = None,
    board: StatusBoard | None = None,
    listening: asyncio.Event | None = None,
) -> None:
    """Serve the web app on ``[web] host``/``port`` until ``stop`` is set (``listening``: set once it listens).

    Opens (and closes) the configured record store unless one is given. Records older than
    ``[records] retention_days`` are deleted at start and every few hours while it runs.
    """
    own_store = store is None
    records = store or RecordStore(settings.resolve_data(settings.records.database))
    runner = web.AppRunner(make_app(settings, records, bot, board=board), access_log=None)
    done = asyncio.Event()  # not ``stop``: a failing web app must not stop the bot it runs beside
    purging = asyncio.create_task(
        keep_purging(records, settings.records.retention_days, done, tz=ZoneInfo(settings.timezone)), name="purge"
    )
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.web.host, settings.web.port if port is None else port)
        await site.start()
        _LOGGER.info("web app on http://%s:%s/", settings.web.host, settings.web.port if port is None else port)
        if listening is not None:
            listening.set()
        await stop.wait()
    finally:
        done.set()
        await purging
        await runner.cleanup()
        if own_store:
            records.close()


__all__ = ["make_app", "serve"]
