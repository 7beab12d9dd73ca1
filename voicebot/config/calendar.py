"""Closed days: the state's public holidays (the ``holidays`` package) plus the district's own days.

Pure: the day is always passed in. The district's own days are ISO dates (``2027-06-04``, once) or month-day
(``12-24``, every year: Heiligabend, Silvester). The public holidays come from the maintained ``holidays``
calendar for ``[calendar] country``/``state`` (e.g. ``DE``/``BY``), so nobody has to type them in every year.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def parse_day(text: str) -> str | None:
    """``2026-12-24`` or ``12-24`` normalised, or None when it is neither."""
    text = text.strip()
    match = _MONTH_DAY.match(text)
    try:
        if match:
            dt.date(2000, int(match[1]), int(match[2]))  # a leap year: 02-29 is allowed
            return text
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, state: str, categories: tuple[str, ...], year: int) -> dict[dt.date, str]:
    import holidays

    calendar = holidays.country_holidays(
        country, subdiv=state or None, years=year, language="de", categories=categories
    )
    return dict(calendar.items())


def calendar_problem(country: str, state: str, categories: Iterable[str] = ("public",)) -> str | None:
    """Why the ``holidays`` package cannot serve this calendar, or None when it can."""
    try:
        import holidays
    except ModuleNotFoundError:
        return "the holidays package is missing: pip install holidays (a runtime dependency of voicebot)"
    try:
        country_class = holidays.country_holidays(country).__class__
    except NotImplementedError:
        return f'unknown country {country!r}: use an ISO code such as "DE"'
    states: tuple[str, ...] = tuple(getattr(country_class, "subdivisions", ()))
    if state and state not in states:
        return f"unknown state {state!r} for {country}: use one of {', '.join(states)}"
    known = tuple(getattr(country_class, "supported_categories", ("public",)))
    wrong = [c for c in categories if c not in known]
    if wrong:
        return f"unknown categories {', '.join(wrong)}: use some of {', '.join(known)}"
    return None


def closed_reason(
    day: dt.date,
    state: str,
    extras: Iterable[str],
    *,
    country: str = "DE",
    categories: tuple[str, ...] = ("public",),
) -> str | None:
    """Why ``day`` is a closed day (the holiday's German name, or ``Schließtag``), None on an ordinary day.

    ``state`` empty and ``country`` empty: only the ``extras`` count.
    """
    iso = day.isoformat()
    for extra in extras:
        if extra == iso or extra == iso[5:]:
            return "Schließtag"
    if not country:
        return None
    return _public_holidays(country, state, categories, day.year).get(day)


def is_closed_day(day: dt.date, state: str, extras: Iterable[str], *, country: str = "DE") -> bool:
    """Whether ``day`` is a public holiday in ``state`` or one of the ``extras`` (see ``closed_reason``)."""
    return closed_reason(day, state, extras, country=country) is not None


@dataclass(frozen=True)
class ClosedDays:
    """The closed days of one schedule: a public-holiday calendar plus own days."""

    country: str = ""
    """ISO country of the holiday calendar; empty = no public holidays, only ``extras``."""
    state: str = ""
    """Subdivision (German state, ``BY``); empty = nationwide holidays only."""
    categories: tuple[str, ...] = ("public",)
    """Holiday categories of the ``holidays`` package (``public``; in Bavaria add ``catholic`` for Mariä
    Himmelfahrt in a Catholic municipality)."""
    extras: tuple[str, ...] = ()
    """Own closed days: ISO dates (once) or ``MM-DD`` (every year)."""

    def reason(self, day: dt.date) -> str | None:
        """The holiday's name, ``Schließtag``, or None when the day is not closed."""
        return closed_reason(day, self.state, self.extras, country=self.country, categories=self.categories)

    def __contains__(self, day: object) -> bool:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        return isinstance(day, dt.date) and self.reason(day) is not None

    def plus(self, extras: Iterable[str]) -> ClosedDays:
        """The same calendar with more own days (a department's)."""
        return ClosedDays(self.country, self.state, self.categories, (*self.extras, *extras))


def is_closed(closed: ClosedDays | Iterable[str], day: dt.date) -> bool:
    """Whether ``day`` is closed by a ``ClosedDays`` or a plain list of ISO/``MM-DD`` days."""
    if isinstance(closed, ClosedDays):
        return day in closed
    return closed_reason(day, "", closed, country="") is not None


def calendar_warnings(closed: ClosedDays, today: dt.date, horizon_days: int = 365) -> list[str]:
    """Warnings for ``voicebot check``: the closed days run out within ``horizon_days`` of ``today``."""
    until = today + dt.timedelta(days=horizon_days)
    if closed.country:
        problem = calendar_problem(closed.country, closed.state, closed.categories)
        if problem is not None:
            return [problem]
        empty = [year for year in range(today.year, until.year + 1) if not _public_holidays(
            closed.country, closed.state, closed.categories, year)]  # fmt: skip
        if empty:
            return [f"the holiday calendar has no holidays for {empty[0]}: update the holidays package"]
        return []
    yearly = " (only the yearly MM-DD days go on)" if any(_MONTH_DAY.match(e) for e in closed.extras) else ""
    dates = sorted(extra for extra in closed.extras if not _MONTH_DAY.match(extra))
    if not dates or dates[-1] < until.isoformat():
        last = dates[-1] if dates else "none"
        return [
            f"no public-holiday calendar and the listed closed days end {last}{yearly}: "
            'set [calendar] state = "BY" (your state) so that holidays are known every year'
        ]
    return []


__all__ = [
    "ClosedDays",
    "calendar_problem",
    "calendar_warnings",
    "closed_reason",
    "is_closed",
    "is_closed_day",
    "parse_day",
]
