"""What every page of the web app shares: app/request keys, templates, navigation, labels, content names.

Route modules (``staff.py``, ``admin.py``) import from here, never from each other.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.ports import Clock
from voicebot.records.calls import OUTCOMES
from voicebot.records.store import RecordStore
from voicebot.records.users import Session
from voicebot.web.labels import ACTION_LABELS, FILTERS, OUTCOME_LABELS, decision_basis, timing_rows

if TYPE_CHECKING:
    from voicebot.call.bot import Bot

_LOGGER: Final = logging.getLogger(__name__)
HERE: Final = Path(__file__).resolve().parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"


SETTINGS: Final = web.AppKey("settings", Settings)
STORE: Final = web.AppKey("store", RecordStore)
CLOCK: Final[web.AppKey[Clock]] = web.AppKey("clock")
BOT: Final[web.AppKey[Any]] = web.AppKey("bot")
"""The running ``voicebot.call.bot.Bot`` when the web app runs inside ``voicebot run``, else ``None``."""
JINJA: Final = web.AppKey("jinja", jinja2.Environment)
NAV: Final[web.AppKey[list[NavItem]]] = web.AppKey("nav")
"""Navigation entries (``NavItem``); ``admin.setup`` may append its own."""
CONTENT: Final[web.AppKey[ContentSource]] = web.AppKey("content")
"""Names of topics and departments (the running bot's content, else the files)."""
OPEN_CALLBACKS: Final = web.RequestKey("open_callbacks", int)
"""Open callback requests (shown in the navigation), set with the session."""
SESSION: Final = web.RequestKey("session", Session)
"""The logged-in session of a request (set by the auth middleware on every non-public route)."""

assert set(OUTCOME_LABELS) == set(OUTCOMES)

LANGUAGE_LABELS: Final[Mapping[str, str]] = {
    "de": "Deutsch",
    "en": "Englisch",
    "tr": "Türkisch",
    "uk": "Ukrainisch",
    "ar": "Arabisch",
    "ru": "Russisch",
    "pl": "Polnisch",
}
"""German names of call languages (another ISO code is shown as it is; "": recorded before languages were)."""


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar."""

    label: str
    href: str
    role: str = "staff"
    """Shown to accounts with this role (admins see everything)."""


STAFF_NAV: Final = (NavItem("Anrufe", "/calls"), NavItem("Live", "/live"), NavItem("Rückrufe", "/callbacks"))
ADMIN_NAV: Final = (
    NavItem("Inhalte", "/admin/content", "admin"),
    NavItem("Satz testen", "/admin/try", "admin"),
    NavItem("Vorschläge", "/admin/proposals", "admin"),
    NavItem("Statistik", "/admin/stats", "admin"),
    NavItem("Sperren", "/admin/locks", "admin"),
)


_LOADED: dict[tuple[object, ...], Content | None] = {}
"""Content loaded per (files, their modification stamps, district facts), shared by the apps of a process."""


def _load_content(key: tuple[object, ...], settings: Settings) -> Content | None:
    if key in _LOADED:
        return _LOADED[key]
    try:
        from voicebot.content.load import load_content

        loaded: Content | None = load_content(settings)
    except Exception as error:  # the pages work with ids when the content is broken or missing
        _LOGGER.warning("FAQ content for the web app not loaded: %s", error)
        loaded = None
    if len(_LOADED) >= 8:
        _LOADED.clear()
    _LOADED[key] = loaded
    return loaded


@dataclass
class ContentSource:
    """The current FAQ content for names in pages: the running bot's, else loaded from the files.

    Loading from files is retried when a file's modification time changes (admins edit them).
    """

    settings: Settings
    bot: Bot | None = None
    _cached: Content | None = None
    _key: tuple[object, ...] = field(default_factory=tuple)

    def get(self) -> Content | None:
        """The content, or None when it cannot be loaded (pages then show ids)."""
        if self.bot is not None:
            return self.bot.content
        paths = tuple(
            self.settings.resolve(p)
            for p in (self.settings.content.faq, self.settings.content.departments, self.settings.content.prompts)
        )
        try:
            stamp = tuple((path.stat().st_mtime_ns, path.stat().st_size) for path in paths)
        except OSError:
            return self._cached
        key = (paths, stamp, tuple(sorted(self.settings.district.items())))
        if key != self._key:
            self._key = key
            self._cached = _load_content(key, self.settings)
        return self._cached

    def topic_title(self, topic_id: str | None) -> str:
        """Title of a topic, or its id."""
        if not topic_id:
            return ""
        content = self.get()
        if content is not None:
            for topic in content.topics:
                if topic.id == topic_id:
                    return topic.title
        return topic_id

    def department_name(self, department_id: str | None) -> str:
        """Display name of a department, or its id."""
        if not department_id:
            return ""
        content = self.get()
        if content is not None:
            for department in content.departments:
                if department.id == department_id:
                    return department.name
        return department_id

    def topics(self) -> list[tuple[str, str]]:
        """(id, title) of every topic, by title."""
        content = self.get()
        if content is None:
            return []
        return sorted(((t.id, t.title) for t in content.topics), key=lambda pair: pair[1].lower())

    def departments(self) -> list[tuple[str, str]]:
        """(id, name) of every department: from the content, else from the configuration."""
        content = self.get()
        if content is not None:
            return sorted(((d.id, d.name) for d in content.departments), key=lambda pair: pair[1].lower())
        return [(key, key) for key in sorted(self.settings.departments)]


def make_jinja(settings: Settings, extra_dirs: tuple[Path, ...] = ()) -> jinja2.Environment:
    """The template environment (autoescaping on) with the shared filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES), *map(str, extra_dirs)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(settings.timezone)

    def local(value: dt.datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)

    def duration(start: dt.datetime | None, end: dt.datetime | None) -> str:
        if start is None or end is None:
            return ""
        seconds = max(0, round((end - start).total_seconds()))
        return f"{seconds // 60}:{seconds % 60:02d} min"

    env.filters["local"] = local
    env.filters["duration"] = duration
    env.filters.update(FILTERS)
    env.globals["timing_rows"] = timing_rows
    env.globals["decision_basis"] = decision_basis
    env.filters["percent"] = lambda value: f"{round(float(value) * 100)} %"
    env.filters["ms"] = lambda value: f"{float(value):.0f} ms"
    env.filters["language"] = lambda value: LANGUAGE_LABELS.get(value or "", value or "nicht erfasst")
    return env


def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    """A page from ``template`` with the shared context (user, CSRF token, navigation, content names)."""
    app = request.app
    session = request.get(SESSION)
    user = session.user if session is not None else None
    nav = [item for item in app[NAV] if user is not None and user.has_role(item.role)]
    content = app[CONTENT]
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf": session.csrf if session is not None else "",
        "nav": nav,
        "open_callbacks": request.get(OPEN_CALLBACKS, 0),
        "path": request.path,
        "district": app[SETTINGS].district.get("name", "Landratsamt"),
        "topic_title": content.topic_title,
        "department_name": content.department_name,
        "outcome_labels": OUTCOME_LABELS,
        "language_labels": LANGUAGE_LABELS,
    }
    values.update(context or {})
    html = app[JINJA].get_template(template).render(values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def session_of(request: web.Request) -> Session:
    """The logged-in session (routes behind the auth middleware always have one)."""
    session: Session | None = request.get(SESSION)
    if session is None:
        raise web.HTTPUnauthorized(text="Bitte anmelden.")
    return session


def now(request: web.Request) -> dt.datetime:
    """The app's current time."""
    clock: Clock = request.app[CLOCK]
    return clock()


__all__ = [
    "ACTION_LABELS",
    "ADMIN_NAV",
    "BOT",
    "CLOCK",
    "CONTENT",
    "JINJA",
    "LANGUAGE_LABELS",
    "NAV",
    "OPEN_CALLBACKS",
    "OUTCOME_LABELS",
    "SESSION",
    "SETTINGS",
    "STAFF_NAV",
    "STORE",
    "Clock",
    "ContentSource",
    "NavItem",
    "make_jinja",
    "now",
    "render",
    "session_of",
]
