"""Edits of a further language's FAQ file (``grammars/faq.en.yaml``): the learning loop's new phrasings.

A proposal from an English call ("wrong, should be topic X" on an English sentence) becomes an English
phrasing of X in the English file, never a German one. The edit keeps the file's comments and layout
(round-trip YAML), refuses an empty phrasing, an unknown topic and a phrasing another topic of the same
language already has, checks that the language's files still load, writes atomically and records the
change in the same history as the base editor (:class:`voicebot.content.edit.ContentEditor`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from voicebot.config.settings import Settings
from voicebot.content.edit import ContentChange, EditResult, FieldProblem, HistoryLog
from voicebot.content.paths import LanguageFiles, language_files
from voicebot.content.roundtrip import as_seq, dump_yaml, find_item, load_yaml, write_atomic
from voicebot.errors import Problem
from voicebot.language.text import fold

_LOCK = threading.Lock()


def _problem(message: str) -> EditResult:
    return EditResult(problems=(FieldProblem("phrasings", message),))


def _load_problems(files: LanguageFiles, faq_text: str) -> list[Problem]:
    """Errors (not warnings) reading the language's files with ``faq_text`` as its FAQ file."""
    from voicebot.content.check import WARNING
    from voicebot.content.languages import _read

    with tempfile.TemporaryDirectory(prefix="voicebot-edit-") as tmp:
        trial = Path(tmp) / files.faq.name
        trial.write_text(faq_text, encoding="utf-8")
        problems: list[Problem] = []
        _read(replace(files, faq=trial), problems)
    return [p for p in problems if not p.message.startswith(WARNING)]


def add_phrasing_in(
    settings: Settings,
    language: str,
    topic_id: str,
    phrasing: str,
    *,
    user: str,
    now: dt.datetime,
    topic_ids: frozenset[str],
    history: HistoryLog | None = None,
) -> EditResult:
    """Append ``phrasing`` to ``topic_id``'s phrasings in ``language``'s FAQ file (created entry if the
    topic has none there yet). ``topic_ids``: the base content's topic ids."""
    files = next((f for f in language_files(settings) if f.language == language), None)
    if files is None:
        return _problem(f"Für die Sprache „{language}“ gibt es keine Inhaltsdateien (prompts/{language}.yaml).")
    text = " ".join(phrasing.split())
    if not text:
        return _problem("Die Formulierung darf nicht leer sein.")
    if topic_id not in topic_ids:
        return EditResult(problems=(FieldProblem("", f"Das Thema „{topic_id}“ gibt es nicht (mehr)."),))
    with _LOCK:
        old_text = files.faq.read_text(encoding="utf-8") if files.faq.is_file() else "topics: []\n"
        data = load_yaml(old_text)
        if not isinstance(data, CommentedMap):
            data = CommentedMap()
        topics = data.setdefault("topics", [])
        for other in topics:
            if not isinstance(other, CommentedMap) or str(other.get("id")) == topic_id:
                continue
            if fold(text) in {fold(str(p)) for p in other.get("phrasings") or ()}:
                return _problem(f"„{text}“ gehört schon zum Thema „{other.get('id')}“ ({language}).")
        item = find_item(topics, "id", topic_id)
        if item is None:
            item = CommentedMap({"id": topic_id})
            topics.append(item)
        old = [str(p) for p in item.get("phrasings") or ()]
        if fold(text) in {fold(p) for p in old}:
            return EditResult()
        new = [*old, text]
        item["phrasings"] = as_seq(new, item.get("phrasings"))
        new_text = dump_yaml(data, old_text)
        problems = _load_problems(files, new_text)
        if problems:
            return EditResult(problems=tuple(FieldProblem("phrasings", p.message) for p in problems))
        write_atomic(files.faq, new_text)
    try:
        shown = str(files.faq.relative_to(settings.path.parent))
    except ValueError:
        shown = str(files.faq)
    change = ContentChange(now, user, shown, f"topics.{topic_id}.phrasings", "\n".join(old), "\n".join(new))
    if history is not None:
        history.add_content_change(change)
    return EditResult(changes=(change,))


__all__ = ["add_phrasing_in"]
