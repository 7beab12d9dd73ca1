"""German field-level checks of admin edits, shown next to the form field they concern. Pure.

They mirror the rules of ``voicebot check`` (``voicebot.content.load.check_content``) in words for the
admin; the full check still runs on the edited files before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from voicebot.config.hours import WEEKDAY_NAMES_DE, WEEKDAYS, parse_closed_days, parse_weekly_hours
from voicebot.content.check import CHARS_PER_SECOND, MAX_ANSWER_SECONDS, REQUIRED_PROMPTS, speaking_seconds
from voicebot.content.model import PLACEHOLDER_LIKE
from voicebot.content.roundtrip import key_lines, load_yaml
from voicebot.content.speakable import describe_chars, length_message, markup, unspeakable
from voicebot.errors import Problem
from voicebot.language.text import normalize

PROMPT_PLACEHOLDERS: Mapping[str, frozenset[str]] = REQUIRED_PROMPTS
"""Placeholders each prompt fills in besides the district facts (the same table as ``voicebot check``)."""


TOPIC_FIELDS = ("title", "department", "keywords", "phrasings", "answer", "details")
"""Form fields of a topic, in form order."""

Locator = Callable[[Problem, Mapping[str, str]], str]
"""Maps a problem in the edited texts to the form field it concerns (``""`` = the form as a whole)."""

FieldMessages = list[tuple[str, str]]
"""(form field, German message) pairs."""


class TopicValues(Protocol):
    """The edited values of a topic (``voicebot.content.edit.TopicForm``)."""

    @property
    def title(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def details(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def phrasings(self) -> tuple[str, ...]: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...


def placeholders(text: str) -> list[str]:
    """Names used as ``{name}`` in a text."""
    return PLACEHOLDER_LIKE.findall(text)


def _fill(text: str, facts: Mapping[str, str]) -> str:
    return PLACEHOLDER_LIKE.sub(lambda m: facts.get(m.group(1), m.group(0)), text)


def _unknown_placeholders(text: str, allowed: set[str] | frozenset[str]) -> str | None:
    unknown = sorted({name for name in placeholders(text) if name not in allowed})
    if not unknown:
        return None
    names = ", ".join("{" + name + "}" for name in unknown)
    known = ", ".join("{" + name + "}" for name in sorted(allowed)) or "keine"
    return f"Unbekannter Platzhalter {names}. Möglich sind: {known}."


def not_speakable(text: str) -> str | None:
    """German message when a spoken text holds markup or characters a voice cannot read, else None."""
    plain = PLACEHOLDER_LIKE.sub(" ", text)
    if markup(plain):
        return "Bitte keine Auszeichnungen wie <…> verwenden: Der Bot würde sie vorlesen. Nur schlichten Text."
    chars = unspeakable(plain)
    if chars:
        return f"Diese Zeichen kann die Stimme nicht vorlesen: {describe_chars(chars)}. Bitte in Worten schreiben."
    return None


def check_topic(
    form: TopicValues,
    kind: str,
    others: Sequence[Mapping[str, Any]],
    department_ids: set[str],
    facts: Mapping[str, str],
    max_seconds: float = MAX_ANSWER_SECONDS,
) -> FieldMessages:
    """Problems of one edited topic; ``others`` are the other topics (plain dicts) for duplicate checks."""
    problems: FieldMessages = []
    for name, text in (("title", form.title), ("answer", form.answer), ("details", form.details)):
        if message := not_speakable(text):
            problems.append((name, message))
    if not form.title.strip():
        problems.append(("title", "Bitte einen Titel angeben (so fragt der Bot nach: „Sie möchten … – richtig?“)."))
    elif message := _unknown_placeholders(form.title, set(facts)):
        problems.append(("title", message))
    if form.department not in department_ids:
        problems.append(("department", f"Unbekannte Abteilung „{form.department}“. Bitte eine aus der Liste wählen."))
    answer = form.answer.strip()
    if kind == "answer" and not answer:
        problems.append(("answer", "Die Antwort darf nicht leer sein."))
    if form.details.strip() and kind != "answer":
        problems.append(("details", "Nur Themen mit Antwort können „Mehr dazu“ haben."))
    for name, text in (("answer", answer), ("details", form.details.strip())):
        if not text:
            continue
        if message := _unknown_placeholders(text, set(facts)):
            problems.append((name, message))
        seconds = speaking_seconds(_fill(text, facts))
        if seconds > max_seconds:
            message = length_message(seconds, max_seconds)
            if name == "details":
                message = message.replace("Die Antwort", "Der Text unter „Mehr dazu“")
                message = message.replace(" oder den Rest unter „Mehr dazu“ schreiben", "")
            problems.append((name, message))
    phrasings = [p.strip() for p in form.phrasings if p.strip()]
    if not phrasings:
        problems.append(("phrasings", "Bitte mindestens eine Formulierung angeben (eine pro Zeile)."))
    owners = {normalize(str(p)): topic for topic in others for p in topic.get("phrasings") or ()}
    for phrasing in phrasings:
        owner = owners.get(normalize(phrasing))
        if owner is not None:
            problems.append(
                ("phrasings", f"„{phrasing}“ gehört schon zum Thema „{owner.get('title')}“ ({owner.get('id')}).")
            )
    for keyword in form.keywords:
        if not keyword.strip():
            problems.append(("keywords", "Leere Schlagwörter bitte weglassen."))
    return problems


def check_prompts(prompts: Mapping[str, str], known: set[str], facts: Mapping[str, str]) -> FieldMessages:
    """Problems of edited prompt texts."""
    problems: FieldMessages = []
    for key, text in prompts.items():
        field = f"prompts.{key}"
        if key not in known:
            problems.append((field, f"Den Ansagetext „{key}“ gibt es nicht."))
        elif not text.strip():
            problems.append((field, "Der Ansagetext darf nicht leer sein."))
        elif (message := not_speakable(text)) is not None or (
            message := _unknown_placeholders(text, set(facts) | PROMPT_PLACEHOLDERS.get(key, frozenset()))
        ):
            problems.append((field, message))
        else:
            missing = sorted(PROMPT_PLACEHOLDERS.get(key, frozenset()) - set(placeholders(text)))
            if missing:
                names = ", ".join("{" + name + "}" for name in missing)
                problems.append((field, f"Es fehlt der Platzhalter {names} (dort setzt der Bot den Wert ein)."))
    return problems


def check_hours(hours: Mapping[str, str], closed: Sequence[str]) -> FieldMessages:
    """Problems of edited opening hours (weekday -> spans text) and closed days."""
    problems: FieldMessages = []
    for day, value in hours.items():
        if day not in WEEKDAYS:
            problems.append(("hours", f"Unbekannter Wochentag „{day}“."))
            continue
        if not value.strip():
            continue
        _parsed, day_problems = parse_weekly_hours({day: value})
        if day_problems:
            name = WEEKDAY_NAMES_DE[WEEKDAYS.index(day)]
            problems.append(
                (
                    f"hours.{day}",
                    f"„{value}“ ({name}) ist keine gültige Zeitangabe. Schreiben Sie z. B. „07:30-12:00, 13:30-16:00“; "
                    "der Beginn muss vor dem Ende liegen.",
                )
            )
    _good, bad = parse_closed_days(d.strip() for d in closed if d.strip())
    if bad:
        problems.append(("closed", f"Kein gültiges Datum: {'; '.join(bad)}. Bitte im Format 2026-12-24 schreiben."))
    return problems


def topic_locator(topic_id: str) -> Locator:
    """Locator for a topic form: by the problem's field path, else by its line inside the topic's entry."""

    def locate(problem: Problem, texts: Mapping[str, str]) -> str:
        parts = problem.field.replace("[", ".").replace("]", "").split(".")
        key = next((part for part in reversed(parts) if part in TOPIC_FIELDS), "")
        if key and (topic_id in parts or re.search(rf"\b{re.escape(topic_id)}\b", problem.message)):
            return key
        if problem.line is None or not problem.file.endswith(".yaml"):
            return ""
        data = load_yaml(texts["faq"])
        items: Any = (data or {}).get("topics") or []
        for index, item in enumerate(items):
            if str(item.get("id")) != topic_id:
                continue
            end = int(items.lc.item(index + 1)[0]) if index + 1 < len(items) else len(texts["faq"].splitlines())
            spans = key_lines(item, end)
            return next(
                (k for k, (first, last) in spans.items() if first <= problem.line <= last and k in TOPIC_FIELDS), ""
            )
        return ""

    return locate


def prompt_locator(problem: Problem, texts: Mapping[str, str]) -> str:
    """Locator for the prompts form (``prompts.<id>``)."""
    parts = problem.field.split(".")
    if len(parts) >= 2 and parts[0] == "prompts":
        return f"prompts.{parts[1]}"
    return ""


def hours_locator(problem: Problem, texts: Mapping[str, str]) -> str:
    """Locator for the opening-hours form."""
    return "hours" if "hours" in problem.field else "closed" if "closed" in problem.field else ""


def map_problems(
    problems: Sequence[Problem], texts: Mapping[str, str], locate: Callable[[Problem, Mapping[str, str]], str]
) -> FieldMessages:
    """``voicebot check`` problems as (form field, message), with file and line for the admin."""
    mapped: FieldMessages = []
    for problem in problems:
        where = problem.file if problem.line is None else f"{problem.file}, Zeile {problem.line}"
        mapped.append((locate(problem, texts), f"voicebot check: {problem.message} ({where})"))
    return mapped


__all__ = [
    "CHARS_PER_SECOND",
    "MAX_ANSWER_SECONDS",
    "PROMPT_PLACEHOLDERS",
    "TOPIC_FIELDS",
    "Locator",
    "check_hours",
    "check_prompts",
    "check_topic",
    "hours_locator",
    "map_problems",
    "not_speakable",
    "placeholders",
    "prompt_locator",
    "topic_locator",
]
