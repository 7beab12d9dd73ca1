"""Edits of the content files from the admin web app: validated first, written atomically, logged.

Each edit is applied to the file texts in memory (YAML via ruamel round-trip, ``voicebot.toml`` via
tomlkit, so comments and layout survive), checked with German field-level checks plus the same checks
as ``voicebot check`` (on a temporary copy), and only then written. A problem the edit introduces blocks
it and is reported next to the form field it concerns; problems that were in the files before the edit
do not block it. Every changed field is handed to a ``HistoryLog`` (who, when, file, field, old, new).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import tomlkit

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.content.model import EXTERN
from voicebot.content.roundtrip import (
    as_seq,
    dump_yaml,
    fast_load,
    find_item,
    load_yaml,
    plain,
    replace_sequence,
    styled,
    write_atomic,
)
from voicebot.content.rules import (
    TOPIC_FIELDS,
    Locator,
    check_hours,
    check_prompts,
    check_topic,
    hours_locator,
    map_problems,
    prompt_locator,
    topic_locator,
)
from voicebot.errors import ConfigError, ContentError, Problem

_LOCK = threading.Lock()
"""One edit at a time per process (read, validate, write)."""


@dataclass(frozen=True)
class TopicForm:
    """New values for one FAQ topic, as entered in the form."""

    title: str
    answer: str
    department: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    details: str = ""


@dataclass(frozen=True)
class FieldProblem:
    """A problem shown next to one form field (``""`` = the form as a whole)."""

    field: str
    message: str


@dataclass(frozen=True)
class ContentChange:
    """One changed field, for the history."""

    at: dt.datetime
    user: str
    file: str
    """Path relative to the configuration's folder (``grammars/faq.yaml``)."""
    field: str
    """Dotted path inside the file (``topics.wohngeld.answer``, ``departments.jugendamt.hours``)."""
    old: str
    new: str


@dataclass(frozen=True)
class EditResult:
    """What an edit did: the changes written, or the problems that stopped it."""

    changes: tuple[ContentChange, ...] = ()
    problems: tuple[FieldProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the edit was written (or there was nothing to change)."""
        return not self.problems

    def for_field(self, name: str) -> list[str]:
        """Messages for one form field."""
        return [problem.message for problem in self.problems if problem.field == name]


class HistoryLog(Protocol):
    """Receives each written change (the record store's ``content_history`` table)."""

    def add_content_change(self, change: ContentChange) -> None:
        """Remember one change."""
        ...


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(str(item) for item in value)
    return str(value)


class ContentEditor:
    """Applies admin edits to the files named by ``settings`` (see the module docstring)."""

    def __init__(self, settings: Settings, history: HistoryLog | None = None) -> None:
        self.settings = settings
        self.history = history
        self.paths = {
            "config": settings.path,
            "faq": settings.resolve(settings.content.faq),
            "departments": settings.resolve(settings.content.departments),
            "prompts": settings.resolve(settings.content.prompts),
        }
        self._baseline: tuple[tuple[tuple[str, str], ...], set[tuple[str, str, str]]] | None = None
        """The file texts last validated unchanged, and their problems (those never block an edit)."""

    def display(self, path: Path) -> str:
        """A path as the admin knows it: relative to the configuration's folder when inside it."""
        try:
            return str(path.relative_to(self.settings.path.parent))
        except ValueError:
            return str(path)

    def read(self, name: str) -> str:
        """Current text of one content file (``config``, ``faq``, ``departments``, ``prompts``)."""
        return self.paths[name].read_text(encoding="utf-8")

    # --- reading for the forms -------------------------------------------------------------------

    def topics(self) -> list[dict[str, Any]]:
        """The FAQ topics as plain dicts (id, kind, department, title, keywords, phrasings, answer)."""
        data = fast_load(self.read("faq"))
        return [plain(item) for item in (data or {}).get("topics") or []]

    def departments(self) -> list[dict[str, Any]]:
        """The departments as plain dicts (id, name, synonyms, dtmf)."""
        data = fast_load(self.read("departments"))
        return [plain(item) for item in (data or {}).get("departments") or []]

    def prompts(self) -> dict[str, str]:
        """Prompt id -> text, in file order."""
        data = fast_load(self.read("prompts"))
        return {str(key): str(value) for key, value in ((data or {}).get("prompts") or {}).items()}

    def hours(self, department_id: str) -> tuple[dict[str, str], list[str]]:
        """Weekly hours and extra closed days of one department, as in ``voicebot.toml``."""
        doc = tomlkit.parse(self.read("config"))
        table = doc.get("departments", {}).get(department_id)
        if table is None:
            raise KeyError(department_id)
        return {str(k): str(v) for k, v in table.get("hours", {}).items()}, [str(d) for d in table.get("closed", [])]

    def handling_minutes(self) -> float:
        """The current ``[web] handling_minutes`` from the file (the admin may have changed it since start)."""
        doc = tomlkit.parse(self.read("config"))
        value = doc.get("web", {}).get("handling_minutes", self.settings.web.handling_minutes)
        return float(value)

    def current_problems(self) -> list[Problem]:
        """``voicebot check``'s errors in the files as they are now (e.g. after an edit by hand)."""
        texts = {name: self.read(name) for name in self.paths}
        problems = self.validate(texts)
        self._baseline = (tuple(sorted(texts.items())), {_key(p) for p in problems})
        return problems

    # --- edits ----------------------------------------------------------------------------------

    def edit_topic(self, topic_id: str, form: TopicForm, *, user: str, now: dt.datetime) -> EditResult:
        """Replace title, answer, department, phrasings and keywords of one topic."""
        with _LOCK:
            text = self.read("faq")
            data = load_yaml(text)
            item = find_item((data or {}).get("topics") or [], "id", topic_id)
            if item is None:
                return EditResult(problems=(FieldProblem("", f"Das Thema „{topic_id}“ gibt es nicht (mehr)."),))
            others = [plain(t) for t in data["topics"] if str(t.get("id")) != topic_id]
            department_ids = {str(d["id"]) for d in self.departments()} | {EXTERN}
            kind = str(item.get("kind", "answer"))
            limit = self.settings.content.max_answer_seconds
            problems = check_topic(form, kind, others, department_ids, self._facts(), limit)
            if problems:
                return EditResult(problems=tuple(FieldProblem(f, m) for f, m in problems))
            new_values: dict[str, object] = {
                "title": form.title,
                "department": form.department,
                "keywords": list(form.keywords),
                "phrasings": list(form.phrasings),
                "answer": form.answer,
                "details": form.details,
            }
            changes = []
            for key in TOPIC_FIELDS:
                old = item.get(key)
                new = new_values[key]
                if _text(old) == _text(new) or (old is None and not new):
                    continue
                changes.append((f"topics.{topic_id}.{key}", _text(old), _text(new)))
                if isinstance(new, list):
                    if isinstance(old, list):
                        replace_sequence(old, new)  # type: ignore[arg-type]
                    else:
                        item[key] = as_seq(new, old)
                else:
                    item[key] = styled(old, str(new))
            if not changes:
                return EditResult()
            new_text = dump_yaml(data, text)
            return self._commit({"faq": new_text}, changes, user, now, topic_locator(topic_id))

    def add_phrasing(self, topic_id: str, phrasing: str, *, user: str, now: dt.datetime) -> EditResult:
        """Append one phrasing to a topic (the learning loop's "accept")."""
        current = next((t for t in self.topics() if str(t.get("id")) == topic_id), None)
        if current is None:
            return EditResult(problems=(FieldProblem("", f"Das Thema „{topic_id}“ gibt es nicht (mehr)."),))
        phrasings = tuple(current.get("phrasings") or ())
        form = TopicForm(
            title=str(current.get("title", "")),
            answer=str(current.get("answer") or ""),
            department=str(current.get("department", "")),
            phrasings=(*phrasings, phrasing.strip()),
            keywords=tuple(current.get("keywords") or ()),
            details=str(current.get("details") or ""),
        )
        return self.edit_topic(topic_id, form, user=user, now=now)

    def edit_prompts(self, prompts: Mapping[str, str], *, user: str, now: dt.datetime) -> EditResult:
        """Replace the texts of the given prompt ids (others stay as they are)."""
        with _LOCK:
            text = self.read("prompts")
            data = load_yaml(text)
            table = data["prompts"]
            problems = check_prompts(prompts, set(map(str, table)), self._facts())
            if problems:
                return EditResult(problems=tuple(FieldProblem(f, m) for f, m in problems))
            changes = []
            for key, value in prompts.items():
                old = table.get(key)
                if _text(old) == value:
                    continue
                changes.append((f"prompts.{key}", _text(old), value))
                table[key] = styled(old, value)
            if not changes:
                return EditResult()
            return self._commit({"prompts": dump_yaml(data, text)}, changes, user, now, prompt_locator)

    def edit_hours(
        self, department_id: str, hours: Mapping[str, str], closed: Sequence[str], *, user: str, now: dt.datetime
    ) -> EditResult:
        """Replace the weekly hours (weekday -> ``"07:30-12:00, 13:30-16:00"``, empty = closed) and closed days."""
        with _LOCK:
            text = self.read("config")
            doc = tomlkit.parse(text)
            table = doc.get("departments", {}).get(department_id)
            if table is None:
                return EditResult(problems=(FieldProblem("", f"Die Abteilung „{department_id}“ gibt es nicht."),))
            problems = check_hours(hours, closed)
            if problems:
                return EditResult(problems=tuple(FieldProblem(f, m) for f, m in problems))
            old_hours = {str(k): str(v) for k, v in table.get("hours", {}).items()}
            new_hours = {day: value.strip() for day, value in hours.items() if value.strip()}
            old_closed = [str(d) for d in table.get("closed", [])]
            new_closed = [d.strip() for d in closed if d.strip()]
            changes = []
            if old_hours != new_hours:
                inline = tomlkit.inline_table()
                inline.update(new_hours)
                table["hours"] = inline
                changes.append((f"departments.{department_id}.hours", _hours_text(old_hours), _hours_text(new_hours)))
            if old_closed != new_closed:
                if new_closed:
                    table["closed"] = new_closed
                elif "closed" in table:
                    del table["closed"]
                changes.append((f"departments.{department_id}.closed", ", ".join(old_closed), ", ".join(new_closed)))
            if not changes:
                return EditResult()
            return self._commit({"config": tomlkit.dumps(doc)}, changes, user, now, hours_locator)

    def set_handling_minutes(self, minutes: float, *, user: str, now: dt.datetime) -> EditResult:
        """Change ``[web] handling_minutes`` (the average handling time behind "time saved")."""
        if not 0 < minutes <= 120:
            return EditResult(
                problems=(FieldProblem("handling_minutes", "Bitte eine Zahl zwischen 0 und 120 Minuten angeben."),)
            )
        with _LOCK:
            text = self.read("config")
            doc = tomlkit.parse(text)
            if "web" not in doc:
                doc["web"] = tomlkit.table()
            web: Any = doc["web"]
            old = web.get("handling_minutes")
            if old is not None and float(old) == minutes:
                return EditResult()
            web["handling_minutes"] = float(minutes)
            change = ("web.handling_minutes", "" if old is None else str(old), str(float(minutes)))
            return self._commit({"config": tomlkit.dumps(doc)}, [change], user, now, lambda _p, _t: "handling_minutes")

    # --- validation and writing -----------------------------------------------------------------

    def _facts(self) -> Mapping[str, str]:
        return self.settings.district

    def _commit(
        self,
        new_texts: Mapping[str, str],
        changes: Sequence[tuple[str, str, str]],
        user: str,
        now: dt.datetime,
        locate: Locator,
    ) -> EditResult:
        before = {name: self.read(name) for name in self.paths}
        after = {**before, **new_texts}
        stamp = tuple(sorted(before.items()))
        if self._baseline is None or self._baseline[0] != stamp:
            self._baseline = (stamp, {_key(p) for p in self.validate(before)})
        known = self._baseline[1]
        problems_after = self.validate(after)
        added = [p for p in problems_after if _key(p) not in known]
        if added:
            return EditResult(problems=tuple(FieldProblem(f, m) for f, m in map_problems(added, after, locate)))
        for name, text in new_texts.items():
            write_atomic(self.paths[name], text)
        self._baseline = (tuple(sorted(after.items())), {_key(p) for p in problems_after})
        written = tuple(
            ContentChange(now, user, self.display(self.paths[next(iter(new_texts))]), field, old, new)
            for field, old, new in changes
        )
        if self.history is not None:
            for change in written:
                self.history.add_content_change(change)
        return EditResult(changes=written)

    def validate(self, texts: Mapping[str, str]) -> list[Problem]:
        """``voicebot check``'s problems for the given file texts (checked in a temporary copy).

        Problem files are reported under their real paths (relative to the configuration's folder)."""
        from voicebot.content.load import check_content, is_warning, load_content

        with tempfile.TemporaryDirectory(prefix="voicebot-edit-") as tmp:
            root = Path(tmp)
            names = {"faq": "faq.yaml", "departments": "departments.yaml", "prompts": "de.yaml"}
            rename = {str(root / "voicebot.toml"): self.display(self.paths["config"])}
            doc = tomlkit.parse(texts["config"])
            if "content" not in doc:
                doc["content"] = tomlkit.table()
            content_table: Any = doc["content"]
            for name, file_name in names.items():
                target = root / file_name
                target.write_text(texts[name], encoding="utf-8")
                content_table[name] = str(target)
                rename[str(target)] = self.display(self.paths[name])
            (root / "voicebot.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")
            try:
                settings = load_settings(root / "voicebot.toml")
                problems = list(check_content(load_content(settings), settings))
            except (ConfigError, ContentError) as error:
                problems = list(error.problems)
        return [Problem(_rename(p.file, rename), p.line, p.field, p.message) for p in problems if not is_warning(p)]


def _rename(file: str, rename: Mapping[str, str]) -> str:
    for temporary, real in rename.items():
        if file == temporary or file.endswith(temporary):
            return real
    return file


def _key(problem: Problem) -> tuple[str, str, str]:
    return (problem.file, problem.field, re.sub(r"\d+", "#", problem.message))


def _hours_text(hours: Mapping[str, str]) -> str:
    return "; ".join(f"{day} {value}" for day, value in hours.items())


__all__ = [
    "TOPIC_FIELDS",
    "ContentChange",
    "ContentEditor",
    "EditResult",
    "FieldProblem",
    "HistoryLog",
    "TopicForm",
]
