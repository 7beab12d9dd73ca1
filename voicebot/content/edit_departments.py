"""Admin edits of department names: a new synonym (the learning loop's "accept" for a department proposal).

Goes through ``ContentEditor`` like every edit: the whole ``voicebot check`` runs on the edited files before
anything is written, the write is atomic and the change lands in the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from voicebot.content.edit import _LOCK, ContentEditor, EditResult, FieldProblem
from voicebot.content.roundtrip import as_seq, dump_yaml, find_item, load_yaml, replace_sequence
from voicebot.content.rules import not_speakable
from voicebot.errors import Problem
from voicebot.language.text import fold

DEPARTMENT_PREFIX = "abteilung:"
"""A proposal whose ``topic`` starts with this names a department (``abteilung:jugendamt``): a synonym."""


def _field(_problem: Problem, _texts: Mapping[str, str]) -> str:
    return "phrasings"


def add_department_synonym(
    editor: ContentEditor, department_id: str, synonym: str, *, user: str, now: dt.datetime
) -> EditResult:
    """Append ``synonym`` to the department's ``synonyms`` in ``departments.yaml``."""
    synonym = " ".join(synonym.split())
    if not synonym:
        return EditResult(problems=(FieldProblem("phrasings", "Der Name darf nicht leer sein."),))
    if message := not_speakable(synonym):
        return EditResult(problems=(FieldProblem("phrasings", message),))
    with _LOCK:
        text = editor.read("departments")
        data = load_yaml(text)
        item = find_item((data or {}).get("departments") or [], "id", department_id)
        if item is None:
            return EditResult(problems=(FieldProblem("", f"Die Abteilung „{department_id}“ gibt es nicht (mehr)."),))
        old = item.get("synonyms")
        names = [str(name) for name in old or ()]
        if fold(synonym) in {fold(name) for name in [*names, str(item.get("name", ""))]}:
            message = f"„{synonym}“ ist schon ein Name dieser Abteilung."
            return EditResult(problems=(FieldProblem("phrasings", message),))
        new = [*names, synonym]
        if isinstance(old, list):
            replace_sequence(old, new)  # type: ignore[arg-type]
        else:
            item["synonyms"] = as_seq(new, old)
        change = (f"departments.{department_id}.synonyms", ", ".join(names), ", ".join(new))
        return editor._commit({"departments": dump_yaml(data, text)}, [change], user, now, _field)


__all__ = ["DEPARTMENT_PREFIX", "add_department_synonym"]
