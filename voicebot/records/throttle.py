"""Login throttling that stops guessing, not users: growing delays per client address and per account name,
kept in the record store (table ``login_throttle``) so a restart does not forget them.

- Every failed login counts for its client address (``addr:<address>``) and for the name tried
  (``name:<name>``). The first :data:`FREE_ADDRESS` failures of an address and :data:`FREE_NAME` of a name
  cost nothing; every further one doubles the wait, from :data:`FIRST_DELAY` up to :data:`MAX_DELAY`, counted
  from that failure. A count is forgotten :data:`FORGET_AFTER` after its last failure.
- An address that waits gets no password checked (429), whatever name it sends.
- A name that waits (someone guesses its password, maybe from many addresses) is refused only to addresses
  that failed recently themselves: the account's owner logging in from a client that is not hammering is
  still let in with the right password.
- A successful login clears the name's count (not the address's: a user must not reset the count of
  guesses at someone else's account by logging into their own).
- Admins see the current waits (``blocked``) and lift them (``lift``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Final

from voicebot.records.queries import from_db, to_db

FREE_ADDRESS: Final = 5
"""Failed logins from one address without a wait."""
FREE_NAME: Final = 10
"""Failed logins for one name (from any address) without a wait."""
FIRST_DELAY: Final = dt.timedelta(seconds=30)
"""The first wait; each further failure doubles it."""
MAX_DELAY: Final = dt.timedelta(minutes=15)
"""The longest wait."""
FORGET_AFTER: Final = dt.timedelta(hours=1)
"""A count is forgotten this long after its last failure."""


def delay(failures: int, free: int) -> dt.timedelta:
    """The wait after ``failures`` failures when ``free`` of them cost nothing."""
    if failures < free:
        return dt.timedelta(0)
    steps = min(failures - free, 20)
    wait: dt.timedelta = FIRST_DELAY * (2**steps)
    return min(wait, MAX_DELAY)


def address_key(address: str) -> str:
    """The key of a client address."""
    return f"addr:{address}"


def name_key(name: str) -> str:
    """The key of an account name (case-insensitive)."""
    return f"name:{name.strip().lower()}"


def masked_name(name: str) -> str:
    """A name for the log: first two characters and the length (``sa…(6)``)."""
    return f"{name[:2]}…({len(name)})"


@dataclass(frozen=True)
class Entry:
    """One tracked address or name."""

    key: str
    failures: int
    last_failure: dt.datetime
    blocked_until: dt.datetime

    @property
    def kind(self) -> str:
        """``addr`` or ``name``."""
        return self.key.split(":", 1)[0]

    @property
    def value(self) -> str:
        """The address or the name."""
        return self.key.split(":", 1)[1]


def _entry(conn: sqlite3.Connection, key: str, now: dt.datetime) -> Entry | None:
    row = conn.execute(
        "SELECT key, failures, last_failure, blocked_until FROM login_throttle WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    last, until = from_db(str(row[2])), from_db(str(row[3]))
    assert last is not None and until is not None
    if now - last >= FORGET_AFTER:
        return None
    return Entry(str(row[0]), int(row[1]), last, until)


@dataclass(frozen=True)
class Verdict:
    """Whether a login attempt may have its password checked."""

    allowed: bool
    wait: dt.timedelta = dt.timedelta(0)
    """How long until it may (when not allowed)."""


def check(conn: sqlite3.Connection, address: str, name: str, now: dt.datetime) -> Verdict:
    """May ``address`` try ``name`` now?"""
    by_address = _entry(conn, address_key(address), now)
    if by_address is not None and by_address.blocked_until > now:
        return Verdict(False, by_address.blocked_until - now)
    by_name = _entry(conn, name_key(name), now) if name else None
    if by_name is not None and by_name.blocked_until > now and by_address is not None:
        return Verdict(False, by_name.blocked_until - now)
    return Verdict(True)


def _count(conn: sqlite3.Connection, key: str, free: int, now: dt.datetime) -> Entry:
    old = _entry(conn, key, now)
    failures = (old.failures if old else 0) + 1
    entry = Entry(key, failures, now, now + delay(failures, free))
    conn.execute(
        "INSERT INTO login_throttle (key, failures, last_failure, blocked_until) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure,"
        " blocked_until = excluded.blocked_until",
        (key, entry.failures, to_db(now), to_db(entry.blocked_until)),
    )
    return entry


def failed(conn: sqlite3.Connection, address: str, name: str, now: dt.datetime) -> list[Entry]:
    """Count a failed login; returns the entries that now have to wait (to be logged)."""
    counted = [_count(conn, address_key(address), FREE_ADDRESS, now)]
    if name:
        counted.append(_count(conn, name_key(name), FREE_NAME, now))
    conn.execute("DELETE FROM login_throttle WHERE last_failure < ?", (to_db(now - FORGET_AFTER),))
    return [entry for entry in counted if entry.blocked_until > now]


def succeeded(conn: sqlite3.Connection, name: str) -> None:
    """A successful login clears its name's count."""
    conn.execute("DELETE FROM login_throttle WHERE key = ?", (name_key(name),))


def blocked(conn: sqlite3.Connection, now: dt.datetime) -> list[Entry]:
    """Every address and name that has failures counted (waiting or not), longest wait first."""
    rows = conn.execute(
        "SELECT key FROM login_throttle WHERE last_failure >= ? ORDER BY blocked_until DESC, key",
        (to_db(now - FORGET_AFTER),),
    ).fetchall()
    return [entry for (key,) in rows if (entry := _entry(conn, str(key), now)) is not None]


def lift(conn: sqlite3.Connection, key: str) -> bool:
    """Forget an address's or a name's failures (an admin lifts its wait); False when there was none."""
    return conn.execute("DELETE FROM login_throttle WHERE key = ?", (key,)).rowcount > 0


__all__ = [
    "FIRST_DELAY",
    "FORGET_AFTER",
    "FREE_ADDRESS",
    "FREE_NAME",
    "MAX_DELAY",
    "Entry",
    "Verdict",
    "address_key",
    "blocked",
    "check",
    "delay",
    "failed",
    "lift",
    "masked_name",
    "name_key",
    "succeeded",
]
