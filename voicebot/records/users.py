"""Web app accounts and login sessions, kept in the record store.

Passwords are stored as scrypt hashes with a per-user random salt (``scrypt$n$r$p$salt$hash``, hex).
Session tokens are random; only their SHA-256 is stored, so a copy of the database opens no session.
There is no default account: the first admin is created with ``voicebot users add NAME --role admin``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass

from voicebot.records.queries import from_db, to_db

ROLES = ("staff", "admin")
"""``admin`` can do everything ``staff`` can, plus content, statistics and proposals."""
MIN_PASSWORD_LENGTH = 10
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


class UserError(ValueError):
    """A user name, role or password that cannot be accepted (message in German for the UI/CLI)."""


@dataclass(frozen=True)
class User:
    """An account (without its password hash)."""

    id: int
    name: str
    role: str
    created_at: dt.datetime
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        """Admins may do everything."""
        return self.role == "admin"

    def has_role(self, role: str) -> bool:
        """Whether this account may act as ``role`` (admin ⊇ staff)."""
        return self.role == "admin" or self.role == role


@dataclass(frozen=True)
class Session:
    """A logged-in browser."""

    user: User
    csrf: str
    """Token every POST form of this session must carry."""
    created_at: dt.datetime
    last_seen: dt.datetime


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The storable scrypt hash of a password (random 16-byte salt unless given)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=64 * 1024 * 1024
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by ``hash_password`` (constant-time compare)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def check_password(password: str) -> None:
    """Raise UserError if the password is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.")
    if password.strip() != password or not password.strip():
        raise UserError("Das Passwort darf nicht mit Leerzeichen beginnen oder enden.")


def _user(row: tuple[object, ...]) -> User:
    created = from_db(str(row[3]))
    assert created is not None
    return User(id=int(str(row[0])), name=str(row[1]), role=str(row[2]), created_at=created, disabled=bool(row[4]))


def add_user(conn: sqlite3.Connection, name: str, role: str, password: str, now: dt.datetime) -> User:
    """Create an account; UserError if the name is taken, the role unknown or the password too weak."""
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise UserError(
            "Der Benutzername darf nicht leer sein, keine Leerzeichen enthalten und höchstens 64 Zeichen haben."
        )
    if role not in ROLES:
        raise UserError(f"Unbekannte Rolle {role!r}: erlaubt sind {', '.join(ROLES)}.")
    check_password(password)
    try:
        cursor = conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, hash_password(password), to_db(now)),
        )
    except sqlite3.IntegrityError as error:
        raise UserError(f"Den Benutzer {name!r} gibt es schon.") from error
    return User(int(cursor.lastrowid or 0), name, role, now)


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    """Change a password (and end the user's sessions)."""
    check_password(password)
    user = get_user(conn, name)
    if user is None:
        raise UserError(f"Den Benutzer {name!r} gibt es nicht.")
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user.id))
    conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))


def set_disabled(conn: sqlite3.Connection, name: str, disabled: bool) -> None:
    """Lock or unlock an account (locking ends its sessions)."""
    user = get_user(conn, name)
    if user is None:
        raise UserError(f"Den Benutzer {name!r} gibt es nicht.")
    conn.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))
    if disabled:
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))


def get_user(conn: sqlite3.Connection, name: str) -> User | None:
    """The account with this name, or None."""
    row = conn.execute("SELECT id, name, role, created_at, disabled FROM users WHERE name = ?", (name,)).fetchone()
    return None if row is None else _user(row)


def list_users(conn: sqlite3.Connection) -> list[User]:
    """All accounts by name."""
    rows = conn.execute("SELECT id, name, role, created_at, disabled FROM users ORDER BY name").fetchall()
    return [_user(row) for row in rows]


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> User | None:
    """The account if name and password match and it is not locked; None otherwise.

    Unknown names cost as much time as wrong passwords (no user enumeration by timing).
    """
    row = conn.execute(
        "SELECT id, name, role, created_at, disabled, password_hash FROM users WHERE name = ?", (name.strip(),)
    ).fetchone()
    if row is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, str(row[5])) or row[4]:
        return None
    return _user(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def create_session(conn: sqlite3.Connection, user: User, now: dt.datetime) -> str:
    """Start a session; returns the secret token for the cookie."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
        (_token_hash(token), user.id, secrets.token_urlsafe(32), to_db(now), to_db(now)),
    )
    return token


def get_session(conn: sqlite3.Connection, token: str, now: dt.datetime, idle: dt.timedelta) -> Session | None:
    """The live session of a token, touched (``last_seen`` = now); None (and deleted) if idle too long."""
    row = conn.execute(
        "SELECT u.id, u.name, u.role, u.created_at, u.disabled, s.csrf, s.created_at, s.last_seen"
        " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        (_token_hash(token),),
    ).fetchone()
    if row is None:
        return None
    last_seen = from_db(row[7])
    created = from_db(row[6])
    assert last_seen is not None and created is not None
    if row[4] or now - last_seen > idle or now < created:
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))
        return None
    conn.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (to_db(now), _token_hash(token)))
    return Session(user=_user(row[:5]), csrf=str(row[5]), created_at=created, last_seen=now)


def end_session(conn: sqlite3.Connection, token: str) -> None:
    """Log out."""
    conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


def purge_sessions(conn: sqlite3.Connection, now: dt.datetime, idle: dt.timedelta) -> int:
    """Delete sessions idle longer than ``idle``; returns how many."""
    return conn.execute("DELETE FROM sessions WHERE last_seen < ?", (to_db(now - idle),)).rowcount


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a password", salt=b"\0" * 16)


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "Session",
    "User",
    "UserError",
    "add_user",
    "authenticate",
    "check_password",
    "create_session",
    "end_session",
    "get_session",
    "get_user",
    "hash_password",
    "list_users",
    "purge_sessions",
    "set_disabled",
    "set_password",
    "verify_password",
]
