"""Opening hours: a weekly schedule plus closed days. Pure: the moment is always passed in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from voicebot.config.calendar import ClosedDays, is_closed, parse_day

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Keys of a weekly schedule, Monday first (``datetime.weekday()`` order)."""

WEEKDAY_NAMES_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
"""German month names, January first."""


@dataclass(frozen=True)
class Span:
    """One opening span on one day, minutes since midnight, end exclusive."""

    start: int
    end: int

    def text(self) -> str:
        """As ``07:30-12:00``."""
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


@dataclass(frozen=True)
class WeeklyHours:
    """Opening spans for each weekday (index 0 = Monday)."""

    days: tuple[tuple[Span, ...], ...]

    def spans(self, weekday: int) -> tuple[Span, ...]:
        """The spans of one weekday (0 = Monday)."""
        return self.days[weekday]

    def as_dict(self) -> dict[str, str]:
        """Back to the file format: ``{"mon": "07:30-12:00, 13:00-16:00", …}`` (closed days left out)."""
        return {
            key: ", ".join(span.text() for span in spans)
            for key, spans in zip(WEEKDAYS, self.days, strict=True)
            if spans
        }


def parse_weekly_hours(raw: Mapping[str, object]) -> tuple[WeeklyHours | None, list[tuple[str, str]]]:
    """Parse ``{"mon": "07:30-12:00, 13:00-16:00", …}``; returns the hours and (key, message) problems."""
    problems: list[tuple[str, str]] = []
    days: list[tuple[Span, ...]] = [() for _ in WEEKDAYS]
    for key, value in raw.items():
        if key not in WEEKDAYS:
            problems.append((key, f"unknown weekday {key!r}: use one of {', '.join(WEEKDAYS)}"))
            continue
        if not isinstance(value, str):
            problems.append((key, 'write the spans as a string, e.g. "07:30-12:00, 13:30-16:00"'))
            continue
        spans: list[Span] = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            match = _SPAN.match(part)
            if match is None:
                problems.append((key, f"{part!r} is not a span like 07:30-12:00"))
                continue
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or h1 * 60 + m1 >= h2 * 60 + m2:
                problems.append((key, f"{part!r}: the span must start before it ends, within 00:00-24:00"))
                continue
            spans.append(Span(h1 * 60 + m1, h2 * 60 + m2))
        days[WEEKDAYS.index(key)] = tuple(sorted(spans, key=lambda s: s.start))
    return (None if problems else WeeklyHours(tuple(days))), problems


def parse_closed_days(raw: Iterable[object]) -> tuple[tuple[str, ...], list[str]]:
    """Validate ISO dates (once) and ``MM-DD`` days (every year); returns the days and messages for the bad ones."""
    good: list[str] = []
    bad: list[str] = []
    for item in raw:
        text = item.isoformat() if isinstance(item, dt.date) else str(item)
        day = parse_day(text)
        if day is None:
            bad.append(f"{text!r} is not a date like 2026-12-24 (once) or 12-24 (every year)")
            continue
        good.append(day)
    return tuple(good), bad


def is_open(hours: WeeklyHours, closed: ClosedDays | Iterable[str], now: dt.datetime) -> bool:
    """Whether the schedule is open at the local time ``now`` (``closed``: a calendar or a list of days)."""
    if is_closed(closed, now.date()):
        return False
    minute = now.hour * 60 + now.minute
    return any(span.start <= minute < span.end for span in hours.spans(now.weekday()))


def next_opening(hours: WeeklyHours, closed: ClosedDays | Iterable[str], now: dt.datetime) -> dt.datetime | None:
    """The next moment the schedule opens after ``now`` (within two weeks), or None if never."""
    if not isinstance(closed, ClosedDays):
        closed = tuple(closed)
    for offset in range(15):
        day = now.date() + dt.timedelta(days=offset)
        if is_closed(closed, day):
            continue
        for span in hours.spans(day.weekday()):
            start = dt.datetime.combine(day, dt.time(span.start // 60, span.start % 60), tzinfo=now.tzinfo)
            if start > now:
                return start
    return None


def spoken_time(minutes: int) -> str:
    """``450`` -> ``7:30 Uhr``, ``480`` -> ``8 Uhr`` (written for the TTS normaliser)."""
    hour, minute = divmod(minutes, 60)
    return f"{hour} Uhr" if minute == 0 else f"{hour}:{minute:02d} Uhr"


def describe_next_opening(opening: dt.datetime, now: dt.datetime) -> str:
    """German phrase for when something opens: ``heute um 13:30 Uhr``, ``morgen um 8 Uhr``, ``am Montag um …``."""
    delta = (opening.date() - now.date()).days
    when = "heute" if delta == 0 else "morgen" if delta == 1 else f"am {WEEKDAY_NAMES_DE[opening.weekday()]}"
    return f"{when} um {spoken_time(opening.hour * 60 + opening.minute)}"


WEEKDAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_next_opening_en(opening: dt.datetime, now: dt.datetime) -> str:
    """English phrase for when something opens: ``today at 1:30 pm``, ``tomorrow at 8 am``, ``on Monday at …``."""
    delta = (opening.date() - now.date()).days
    when = "today" if delta == 0 else "tomorrow" if delta == 1 else f"on {WEEKDAY_NAMES_EN[opening.weekday()]}"
    hour, minute = opening.hour, opening.minute
    clock = f"{(hour - 1) % 12 + 1}" + (f":{minute:02d}" if minute else "")
    return f"{when} at {clock} {'am' if hour < 12 else 'pm'}"


def describe_week(hours: WeeklyHours) -> str:
    """German sentence fragment listing a weekly schedule, grouping equal days: ``Montag bis Freitag von …``."""
    groups: list[tuple[int, int, tuple[Span, ...]]] = []
    for index, spans in enumerate(hours.days):
        if groups and groups[-1][2] == spans and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, spans)
        else:
            groups.append((index, index, spans))
    parts: list[str] = []
    for first, last, spans in groups:
        if not spans:
            continue
        days = WEEKDAY_NAMES_DE[first] if first == last else f"{WEEKDAY_NAMES_DE[first]} bis {WEEKDAY_NAMES_DE[last]}"
        times = " und ".join(f"von {spoken_time(s.start)} bis {spoken_time(s.end)}" for s in spans)
        parts.append(f"{days} {times}")
    return "; ".join(parts)
