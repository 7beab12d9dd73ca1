"""Statistics over call records for the admin page. Pure: records and the time zone are passed in.

Definitions (also shown on the page):

- *automation rate*: share of calls the bot answered itself (outcome ``answered``) among the calls it
  took; calls sent on because every line was busy (``overflow``) never reached the bot and are left out.
- *time saved*: answered calls × the average handling time the admin set (minutes).
- *unrecognised utterance*: what a caller said when the bot had to ask again (action ``reprompt``) —
  never what was said while a callback was being taken (names and numbers are personal data), and masked.
- every call counts under exactly one outcome, so the parts add up to the total (``Stats.breakdown``);
  a share is shown as a percentage only from ``MIN_SAMPLE`` calls on, always with its base ("3 von 7").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voicebot.config.hours import MONTHS_DE
from voicebot.privacy import mask
from voicebot.records.calls import TurnRecord

MIN_SAMPLE = 10
"""Below this many calls a share is given as "x von n" only, without a percentage (too few to mean much)."""
CALLBACK_REPROMPT_REASONS = (
    "Name nicht verstanden",
    "Rufnummer nicht verstanden",
    "Antwort auf das Rückrufangebot unklar",
)
"""Reasons of reprompts while a callback is taken: what the caller said there is a name or a number, not a question."""


@dataclass(frozen=True)
class CallFacts:
    """What the statistics need from one call."""

    call_id: str
    started_at: dt.datetime
    """When the call started (timezone-aware)."""
    outcome: str
    """One of ``voicebot.records.calls.OUTCOMES`` (``""`` while the call is still running)."""
    department: str | None = None
    """Department the call was put through to, for transfers."""
    topics: tuple[str, ...] = ()
    """Topics the bot answered during the call."""
    unrecognised: tuple[str, ...] = ()
    """Utterances the bot did not understand."""
    language: str = ""
    """ISO code of the call's language ("" when it was not recorded)."""

    @staticmethod
    def from_turns(
        call_id: str, started_at: dt.datetime, outcome: str, department: str | None, turns: Sequence[TurnRecord]
    ) -> CallFacts:
        """Facts from a call's turn records."""
        topics = tuple(t.topic for t in turns if t.action == "answer" and t.topic)
        unrecognised = []
        for turn in turns:
            if turn.action == "callback":
                break  # from here on the caller gives a name and a number
            if turn.action == "reprompt" and turn.transcript.strip() and turn.reason not in CALLBACK_REPROMPT_REASONS:
                unrecognised.append(turn.transcript.strip())
        return CallFacts(call_id, started_at, outcome, department, topics, tuple(unrecognised))


@dataclass(frozen=True)
class Bucket:
    """Counts for one period (day, week or month)."""

    key: str
    """Sortable key: ``2026-11-23``, ``2026-W48``, ``2026-11``."""
    label: str
    """German label: ``Mo 23.11.``, ``KW 48/2026``, ``November 2026``."""
    calls: int = 0
    answered: int = 0
    transferred: int = 0
    minutes_saved: float = 0.0

    @property
    def automation_rate(self) -> float:
        """Answered share of the calls (0..1; 0 without calls)."""
        return self.answered / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class Stats:
    """All numbers of the statistics page."""

    calls: int
    """Calls the bot took (all but ``overflow``)."""
    answered: int
    transferred: int
    callbacks: int
    hung_up: int
    handling_minutes: float
    per_day: tuple[Bucket, ...]
    """Every day from the first to the last call (days without calls included)."""
    per_hour: tuple[int, ...]
    """Calls per hour of day 0..23 (local time)."""
    per_week: tuple[Bucket, ...]
    per_month: tuple[Bucket, ...]
    transfers_by_department: tuple[tuple[str, int], ...]
    """(department id, transfers), most first."""
    top_topics: tuple[tuple[str, int], ...]
    """(topic id, times answered), most first."""
    unrecognised: tuple[tuple[str, int], ...]
    """(utterance, times), most first."""
    per_language: tuple[Bucket, ...] = ()
    """One bucket per call language (key and label: its ISO code, "" when not recorded), most calls first."""
    overflow: int = 0
    """Calls sent on because every line was busy (the bot never took them)."""
    failed: int = 0
    """Calls ended by a technical fault (``failed``, ``worker_died``)."""
    running: int = 0
    """Calls still in progress."""

    @property
    def total(self) -> int:
        """Every call, overflow included: the sum of ``breakdown``."""
        return self.calls + self.overflow

    @property
    def breakdown(self) -> tuple[tuple[str, str, int], ...]:
        """(outcome, German label, calls) for every outcome; the counts add up to ``total``."""
        return (
            ("answered", "vom Bot beantwortet", self.answered),
            ("transferred", "weitergeleitet", self.transferred),
            ("callback", "Rückruf gewünscht", self.callbacks),
            ("hung_up", "aufgelegt", self.hung_up),
            ("overflow", "Überlauf (alle Leitungen belegt)", self.overflow),
            ("failed", "technischer Fehler", self.failed),
            ("running", "läuft noch", self.running),
        )

    @property
    def automation_rate(self) -> float:
        """Answered share of all calls the bot took (0..1)."""
        return self.answered / self.calls if self.calls else 0.0

    @property
    def minutes_saved(self) -> float:
        """Answered calls × handling minutes."""
        return self.answered * self.handling_minutes


WEEKDAY_SHORT_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


def day_label(day: dt.date) -> str:
    """``Mo 23.11.``"""
    return f"{WEEKDAY_SHORT_DE[day.weekday()]} {day.day:02d}.{day.month:02d}."


def week_key(day: dt.date) -> tuple[str, str]:
    """ISO week key and German label (``2026-W48``, ``KW 48/2026``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}", f"KW {week}/{year}"


def month_key(day: dt.date) -> tuple[str, str]:
    """Month key and German label (``2026-11``, ``November 2026``)."""
    return f"{day.year}-{day.month:02d}", f"{MONTHS_DE[day.month - 1]} {day.year}"


def _add(buckets: dict[str, Bucket], key: str, label: str, call: CallFacts, handling_minutes: float) -> None:
    old = buckets.get(key, Bucket(key, label))
    answered = call.outcome == "answered"
    buckets[key] = Bucket(
        key,
        label,
        old.calls + 1,
        old.answered + answered,
        old.transferred + (call.outcome == "transferred"),
        old.minutes_saved + (handling_minutes if answered else 0.0),
    )


def compute(calls: Iterable[CallFacts], handling_minutes: float, tz: dt.tzinfo, top: int = 10) -> Stats:
    """The statistics of ``calls`` (local dates and hours in ``tz``), lists cut to ``top`` entries."""
    every = list(calls)
    taken = [call for call in every if call.outcome != "overflow"]
    outcomes = Counter(call.outcome for call in taken)
    days: dict[str, Bucket] = {}
    weeks: dict[str, Bucket] = {}
    months: dict[str, Bucket] = {}
    hours = [0] * 24
    departments: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    unrecognised: Counter[str] = Counter()
    languages: dict[str, Bucket] = {}
    for call in taken:
        _add(languages, call.language, call.language, call, handling_minutes)
        local = call.started_at.astimezone(tz)
        day = local.date()
        _add(days, day.isoformat(), day_label(day), call, handling_minutes)
        _add(weeks, *week_key(day), call, handling_minutes)
        _add(months, *month_key(day), call, handling_minutes)
        hours[local.hour] += 1
        if call.outcome == "transferred" and call.department:
            departments[call.department] += 1
        topics.update(call.topics)
        unrecognised.update(mask(text).lower() for text in call.unrecognised)
    return Stats(
        calls=len(taken),
        answered=outcomes["answered"],
        transferred=outcomes["transferred"],
        callbacks=outcomes["callback"],
        hung_up=outcomes["hung_up"],
        overflow=len(every) - len(taken),
        failed=outcomes["failed"] + outcomes["worker_died"],
        running=outcomes[""],
        handling_minutes=handling_minutes,
        per_day=_fill_days(days),
        per_hour=tuple(hours),
        per_week=tuple(weeks[key] for key in sorted(weeks)),
        per_month=tuple(months[key] for key in sorted(months)),
        transfers_by_department=_ranked(departments, top),
        top_topics=_ranked(topics, top),
        unrecognised=_ranked(unrecognised, top),
        per_language=tuple(sorted(languages.values(), key=lambda bucket: (-bucket.calls, bucket.key))),
    )


def _ranked(counter: Counter[str], top: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top])


def _fill_days(days: dict[str, Bucket]) -> tuple[Bucket, ...]:
    if not days:
        return ()
    first = dt.date.fromisoformat(min(days))
    last = dt.date.fromisoformat(max(days))
    result = []
    day = first
    while day <= last:
        key = day.isoformat()
        result.append(days.get(key, Bucket(key, day_label(day))))
        day += dt.timedelta(days=1)
    return tuple(result)


def format_minutes(minutes: float) -> str:
    """German duration: ``45 Minuten``, ``3 Stunden 20 Minuten``."""
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if hours == 0:
        return f"{rest} Minuten"
    hour_text = "1 Stunde" if hours == 1 else f"{hours} Stunden"
    return hour_text if rest == 0 else f"{hour_text} {rest} Minuten"


def percent(share: float) -> str:
    """``0.456`` -> ``46 %``."""
    return f"{round(share * 100)} %"


def share(part: int, base: int, minimum: int = MIN_SAMPLE) -> str:
    """A share with its base: ``46 % (6 von 13)``; below ``minimum`` calls only ``1 von 1``; ``–`` without calls."""
    if base <= 0:
        return "–"
    if base < minimum:
        return f"{part} von {base}"
    return f"{percent(part / base)} ({part} von {base})"


__all__ = [
    "CALLBACK_REPROMPT_REASONS",
    "MIN_SAMPLE",
    "Bucket",
    "CallFacts",
    "Stats",
    "compute",
    "day_label",
    "format_minutes",
    "month_key",
    "percent",
    "share",
    "week_key",
]
