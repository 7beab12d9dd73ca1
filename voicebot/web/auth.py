"""Login, logout, sessions, CSRF, roles and security headers.

- Every route needs a login except ``/login`` and ``/static/``: a browser is sent to ``/login?next=…``,
  a JSON client (``/api/…`` or ``Accept: application/json``) gets 401.
- Sessions live in the record store (only a hash of the cookie's token); they expire after
  ``[web] session_minutes`` without use, measured with the app's clock.
- Every POST (and PUT/PATCH/DELETE) must carry the session's CSRF token (form field ``csrf`` or header
  ``X-CSRF-Token``), else 403. The login form has its own token in a short-lived cookie.
- Failed logins make the client address and the name tried wait, longer with every failure, in the record
  store (``voicebot.records.throttle``); the right password from a client that is not guessing still works.
- Everything under ``/admin`` needs the admin role (403 for staff); ``require_role`` guards single handlers.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote

from aiohttp import web

from voicebot.records import throttle, users
from voicebot.web.common import CLOCK, OPEN_CALLBACKS, SESSION, SETTINGS, STORE, render, session_of

_LOGGER: Final = logging.getLogger(__name__)
COOKIE: Final = "voicebot_session"
LOGIN_COOKIE: Final = "voicebot_login"
PUBLIC_PATHS: Final = frozenset({"/login", "/health", "/metrics"})
"""No login needed (``/metrics`` has its own address check: ``[web] metrics_allow``)."""
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; script-src 'self';"
        " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def wants_json(request: web.Request) -> bool:
    """Whether the client is a program (API path or JSON accepted, HTML not)."""
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _idle(request: web.Request) -> dt.timedelta:
    return dt.timedelta(minutes=request.app[SETTINGS].web.session_minutes)


def _session_and_counts(
    conn: sqlite3.Connection, token: str, now: dt.datetime, idle: dt.timedelta
) -> tuple[users.Session | None, int]:
    """The session of a token and, for the navigation, how many callback requests are open."""
    session = users.get_session(conn, token, now, idle)
    if session is None:
        return None, 0
    return session, int(conn.execute("SELECT COUNT(*) FROM callbacks WHERE done_at IS NULL").fetchone()[0])


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the session, enforce login, the admin area and CSRF."""
    if request.path in PUBLIC_PATHS or request.path.startswith("/static/"):
        return await handler(request)
    store = request.app[STORE]
    token = request.cookies.get(COOKIE, "")
    session = None
    if token:
        session, open_callbacks = await store.run(_session_and_counts, token, request.app[CLOCK](), _idle(request))
        request[OPEN_CALLBACKS] = open_callbacks
    if session is None:
        if wants_json(request):
            raise web.HTTPUnauthorized(
                text='{"error": "Anmeldung erforderlich"}',
                content_type="application/json",
                headers={"WWW-Authenticate": 'Cookie realm="voicebot"'},
            )
        target = request.path_qs if request.method in SAFE_METHODS else "/"
        expired = "&abgelaufen=1" if token else ""
        response = web.HTTPFound("/login?next=" + quote(target, safe="/") + expired)
        if token:
            response.del_cookie(COOKIE, path="/")
        raise response
    request[SESSION] = session
    if (request.path == "/admin" or request.path.startswith("/admin/")) and not session.user.is_admin:
        raise web.HTTPForbidden(text="Dieser Bereich ist nur für Administratoren.")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            sent = str(form.get("csrf", ""))
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            _LOGGER.warning(
                "CSRF token missing or wrong: %s %s (user %s)", request.method, request.path, session.user.name
            )
            raise web.HTTPForbidden(text="Sicherheitstoken fehlt oder ist abgelaufen. Bitte die Seite neu laden.")
    return await handler(request)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: security headers on every response; pages are not cached."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = "voicebot"
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


def require_role(role: str) -> Callable[[Handler], Handler]:
    """Decorator: the handler needs an account with ``role`` (admin ⊇ staff), else 403."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not session_of(request).user.has_role(role):
                raise web.HTTPForbidden(text="Dafür fehlt Ihnen die Berechtigung.")
            return await handler(request)

        return guarded

    return decorate


staff_only = require_role("staff")
"""Decorator: any logged-in account."""
admin_only = require_role("admin")
"""Decorator: admins only."""


async def login_page(request: web.Request) -> web.StreamResponse:
    """GET /login: the form (with a fresh login CSRF token in a cookie)."""
    return _login_form(request, error="", name="")


def _login_form(request: web.Request, *, error: str, name: str, status: int = 200) -> web.Response:
    # keep the token a browser already has: a second /login load (favicon redirect, other tab) must not
    # invalidate the form on screen
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", token):
        token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {
            "login_token": token,
            "error": error,
            "name": name,
            "next": _safe_next(request.query.get("next")),
            "expired": request.query.get("abgelaufen") == "1" and not error,
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="Strict", path="/login", max_age=3600, secure=request.secure
    )
    return response


async def login_submit(request: web.Request) -> web.StreamResponse:
    """POST /login: check the login token and the password; start a session."""
    form = await request.post()
    sent = str(form.get("csrf", ""))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise web.HTTPForbidden(text="Sicherheitstoken fehlt oder ist abgelaufen. Bitte die Anmeldeseite neu laden.")
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    store = request.app[STORE]
    now = request.app[CLOCK]()
    address = request.remote or ""
    verdict = await store.run(throttle.check, address, name, now)
    if not verdict.allowed:
        _LOGGER.warning("login for %s from %s refused: waiting after failures", throttle.masked_name(name), address)
        seconds = max(1, round(verdict.wait.total_seconds()))
        wait = f"{seconds} Sekunden" if seconds < 120 else f"{-(-seconds // 60)} Minuten"
        message = f"Zu viele Fehlversuche. Bitte in {wait} erneut versuchen."
        response = _login_form(request, error=message, name=name, status=429)
        response.headers["Retry-After"] = str(seconds)
        return response
    user = await store.run(users.authenticate, name, password) if name and password else None
    if user is None:
        waiting = await store.run(throttle.failed, address, name, now)
        _LOGGER.warning("failed login for %s from %s", throttle.masked_name(name), address)
        for entry in waiting:
            what = f"address {entry.value}" if entry.kind == "addr" else f"name {throttle.masked_name(entry.value)}"
            _LOGGER.warning(
                "login lock: %s waits %d s after %d failures",
                what,
                round((entry.blocked_until - now).total_seconds()),
                entry.failures,
            )
        return _login_form(request, error="Benutzername oder Passwort ist falsch.", name=name, status=401)
    await store.run(throttle.succeeded, name)
    previous = request.cookies.get(COOKIE, "")
    if previous:  # a new login replaces the browser's old session
        await store.run(users.end_session, previous)
    token = await store.run(users.create_session, user, now)
    _LOGGER.info("login: %s (%s)", user.name, user.role)
    response = web.HTTPSeeOther(_safe_next(str(form.get("next", "/"))))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/", secure=request.secure)
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout (CSRF-checked by the middleware): end the session."""
    token = request.cookies.get(COOKIE, "")
    if token:
        await request.app[STORE].run(users.end_session, token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def setup(app: web.Application) -> None:
    """Register the middleware, the header hook and the login/logout routes."""
    app.middlewares.append(auth_middleware)
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)


__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "SECURITY_HEADERS",
    "admin_only",
    "auth_middleware",
    "require_role",
    "setup",
    "staff_only",
    "wants_json",
]
