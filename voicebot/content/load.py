"""Reading the editable content (FAQ base, departments, prompts) from its YAML files into ``Content``.

The files are parsed with ``yaml.compose`` so that every topic, department, phrasing and prompt keeps the
line it came from. Every structural problem of all three files (YAML syntax, missing or unknown fields,
wrong types, unknown kind, duplicate ids) is collected and raised at once as one ``ContentError``; each
``Problem`` names the file, the line, the field (``topics.wohngeld.answer``) and the fix.

Rules that look across entries and at the configuration (unknown department, duplicate phrasing, missing
prompt, answers too long to speak, vocabulary) are in ``voicebot.content.check``; ``check_content`` is
re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voicebot.config.settings import Settings
from voicebot.content.check import check_content, is_warning
from voicebot.content.model import TOPIC_KINDS, Content, Department, Topic
from voicebot.errors import ContentError, Problem

TOPIC_FIELDS = ("id", "kind", "department", "title", "keywords", "dtmf", "phrasings", "answer", "details")
"""Fields of a topic in ``grammars/faq.yaml``."""
DEPARTMENT_FIELDS = ("id", "name", "synonyms", "dtmf")
"""Fields of a department in ``grammars/departments.yaml``."""

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DTMF = re.compile(r"^[0-9]$")


def load_content(settings: Settings) -> Content:
    """The content files named in ``settings.content``, parsed and structurally validated.

    Raises ContentError listing every problem of all three files. ``Content.facts`` is filled from the
    configuration's ``[district]``.
    """
    problems: list[Problem] = []
    faq_root = _compose(settings.resolve(settings.content.faq), "topics", problems)
    departments_root = _compose(settings.resolve(settings.content.departments), "departments", problems)
    prompts_root = _compose(settings.resolve(settings.content.prompts), "prompts", problems)
    topics = _topics(faq_root, problems) if faq_root else ()
    departments = _departments(departments_root, problems) if departments_root else ()
    prompts, prompt_lines = _prompts(prompts_root, problems) if prompts_root else ({}, {})
    if problems:
        raise ContentError(problems)
    return Content(
        topics=topics,
        departments=departments,
        prompts=prompts,
        facts=dict(settings.district),
        prompt_lines=prompt_lines,
    )


@dataclass(frozen=True)
class _Root:
    """The top-level node under ``key`` of one file."""

    file: str
    node: Node
    key: str


def _compose(path: Path, key: str, problems: list[Problem]) -> _Root | None:
    """Parse ``path`` into its node tree and return the node under the top-level ``key``."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        problems.append(
            Problem(file, None, "", f"cannot read the file: {error.strerror} (check [content] in the config)")
        )
        return None
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (error.context, error.problem) if part)
        problems.append(
            Problem(file, line, "", f"not valid YAML: {what}; check the indentation and quotes around this line")
        )
        return None
    except yaml.YAMLError as error:
        problems.append(Problem(file, None, "", f"not valid YAML: {error}"))
        return None
    if not isinstance(document, MappingNode):
        problems.append(Problem(file, 1, "", f'the file must start with "{key}:" followed by its entries'))
        return None
    entries = _mapping(file, document, "", problems)
    if key not in entries:
        problems.append(Problem(file, 1, key, f'missing: the file must have a top-level "{key}:" section'))
        return None
    for other, (key_node, _value) in entries.items():
        if other != key:
            problems.append(_at(file, key_node, other, f'unknown top-level section; only "{key}:" is read'))
    return _Root(file, entries[key][1], key)


def _at(file: str, node: Node, field: str, message: str) -> Problem:
    return Problem(file, node.start_mark.line + 1, field, message)


def _mapping(file: str, node: MappingNode, field: str, problems: list[Problem]) -> dict[str, tuple[Node, Node]]:
    """Key -> (key node, value node) of a mapping node; reports duplicate keys."""
    entries: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, ScalarNode) else ""
        name = f"{field}.{key}" if field else key
        if not key:
            problems.append(_at(file, key_node, field, "a key must be a plain word"))
        elif key in entries:
            first = entries[key][0].start_mark.line + 1
            problems.append(_at(file, key_node, name, f"given twice (first on line {first}); keep one"))
        else:
            entries[key] = (key_node, value_node)
    return entries


def _text(file: str, node: Node, field: str, problems: list[Problem]) -> str | None:
    """A scalar as text (``null`` / empty -> ""), or None with a problem for lists and mappings."""
    if isinstance(node, ScalarNode):
        return "" if node.tag.endswith(":null") else str(node.value).strip()
    problems.append(
        _at(
            file,
            node,
            field,
            "must be a text, not a list or a section: check the indentation, and put a text that contains "
            '": " in double quotes',
        )
    )
    return None


def _texts(file: str, node: Node, field: str, problems: list[Problem]) -> tuple[tuple[str, int], ...] | None:
    """A list of texts with their lines (a single text is accepted as a one-item list)."""
    if isinstance(node, ScalarNode):
        if node.tag.endswith(":null") or not str(node.value).strip():
            return ()
        return ((str(node.value).strip(), node.start_mark.line + 1),)
    if not isinstance(node, SequenceNode):
        problems.append(_at(file, node, field, 'must be a list: one "- item" per line, or [a, b, c]'))
        return None
    items: list[tuple[str, int]] = []
    for index, item in enumerate(node.value):
        text = _text(file, item, f"{field}[{index}]", problems)
        if text == "":
            problems.append(_at(file, item, f"{field}[{index}]", "empty entry; write a text or delete the line"))
        elif text is not None:
            items.append((text, item.start_mark.line + 1))
    return tuple(items)


_Builder = Callable[[str, str, MappingNode, dict[str, tuple[Node, Node]], list[Problem]], object]


def _entries(root: _Root, what: str, fields: tuple[str, ...], problems: list[Problem], build: _Builder) -> list[object]:
    """Each mapping of the list under the root, checked for unknown fields and duplicate ids, then built."""
    file, node = root.file, root.node
    if not isinstance(node, SequenceNode):
        problems.append(_at(file, node, root.key, f'must be a list of {what}, each starting with "- id: ..."'))
        return []
    built: list[object] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(node.value):
        label = f"{root.key}[{index}]"
        if not isinstance(item, MappingNode):
            problems.append(_at(file, item, label, f'each entry must be a section starting with "- id: ..." ({what})'))
            continue
        entries = _mapping(file, item, label, problems)
        entry_id = _text(file, entries["id"][1], f"{label}.id", problems) if "id" in entries else None
        if "id" not in entries:
            problems.append(_at(file, item, f"{label}.id", "missing: every entry needs an id"))
        elif entry_id is not None and not _ID.match(entry_id):
            problems.append(
                _at(file, entries["id"][1], f"{label}.id", f'"{entry_id}" is not a valid id: use a-z, 0-9 and "-"')
            )
        elif entry_id is not None:
            label = f"{root.key}.{entry_id}"
            if entry_id in seen:
                problems.append(
                    _at(file, item, f"{label}.id", f"duplicate id (first on line {seen[entry_id]}); ids must be unique")
                )
            seen.setdefault(entry_id, item.start_mark.line + 1)
        for name, (key_node, _value) in entries.items():
            if name not in fields:
                known = ", ".join(fields)
                problems.append(_at(file, key_node, f"{label}.{name}", f"unknown field; known fields: {known}"))
        built.append(build(file, label, item, entries, problems))
    return built


def _topics(root: _Root, problems: list[Problem]) -> tuple[Topic, ...]:
    topics = _entries(root, "topics", TOPIC_FIELDS, problems, _topic)
    return tuple(topic for topic in topics if isinstance(topic, Topic))


def _departments(root: _Root, problems: list[Problem]) -> tuple[Department, ...]:
    departments = _entries(root, "departments", DEPARTMENT_FIELDS, problems, _department)
    return tuple(department for department in departments if isinstance(department, Department))


def _required(
    file: str, label: str, item: Node, entries: dict[str, tuple[Node, Node]], name: str, problems: list[Problem]
) -> str | None:
    """A required, non-empty text field."""
    field = f"{label}.{name}"
    if name not in entries:
        problems.append(_at(file, item, field, f'missing: add "{name}: ..." to this entry'))
        return None
    text = _text(file, entries[name][1], field, problems)
    if text == "":
        problems.append(_at(file, entries[name][0], field, "is empty; write a text"))
        return None
    return text


def _optional(file: str, label: str, entries: dict[str, tuple[Node, Node]], name: str, problems: list[Problem]) -> str:
    if name not in entries:
        return ""
    return _text(file, entries[name][1], f"{label}.{name}", problems) or ""


def _dtmf(file: str, label: str, entries: dict[str, tuple[Node, Node]], problems: list[Problem]) -> str:
    digit = _optional(file, label, entries, "dtmf", problems)
    if digit and not _DTMF.match(digit):
        problems.append(_at(file, entries["dtmf"][1], f"{label}.dtmf", f'"{digit}" is not one keypad digit 0-9'))
        return ""
    return digit


def _list(
    file: str, label: str, entries: dict[str, tuple[Node, Node]], name: str, problems: list[Problem]
) -> tuple[tuple[str, int], ...]:
    if name not in entries:
        return ()
    return _texts(file, entries[name][1], f"{label}.{name}", problems) or ()


def _topic(
    file: str, label: str, item: MappingNode, entries: dict[str, tuple[Node, Node]], problems: list[Problem]
) -> Topic | None:
    before = len(problems)
    topic_id = _required(file, label, item, entries, "id", [])
    kind = _required(file, label, item, entries, "kind", problems)
    if kind is not None and kind not in TOPIC_KINDS:
        problems.append(
            _at(file, entries["kind"][1], f"{label}.kind", f'unknown kind "{kind}"; use "answer" or "transfer"')
        )
    department = _required(file, label, item, entries, "department", problems)
    title = _required(file, label, item, entries, "title", problems)
    keywords = _list(file, label, entries, "keywords", problems)
    phrasings = _list(file, label, entries, "phrasings", problems)
    if "phrasings" not in entries:
        problems.append(_at(file, item, f"{label}.phrasings", "missing: add a few ways callers ask this"))
    elif not phrasings and len(problems) == before:
        problems.append(_at(file, entries["phrasings"][0], f"{label}.phrasings", "empty: add ways callers ask this"))
    answer = _optional(file, label, entries, "answer", problems)
    answer_is_text = "answer" not in entries or isinstance(entries["answer"][1], ScalarNode)
    if kind == "answer" and not answer and answer_is_text:
        where = entries["answer"][0] if "answer" in entries else item
        problems.append(_at(file, where, f"{label}.answer", 'missing: an "answer" topic needs the text the bot speaks'))
    if kind == "transfer" and answer:
        problems.append(
            _at(
                file,
                entries["answer"][1],
                f"{label}.answer",
                'a "transfer" topic is put through, its answer is never spoken; remove it or use kind "answer"',
            )
        )
    details = _optional(file, label, entries, "details", problems)
    if details and kind != "answer":
        problems.append(_at(file, entries["details"][1], f"{label}.details", 'only "answer" topics have details'))
    dtmf = _dtmf(file, label, entries, problems)
    if len(problems) > before or None in (topic_id, kind, department, title):
        return None
    return Topic(
        id=str(topic_id),
        kind=str(kind),
        department=str(department),
        title=str(title),
        phrasings=tuple(text for text, _line in phrasings),
        answer=answer,
        details=details,
        keywords=tuple(text for text, _line in keywords),
        dtmf=dtmf,
        line=item.start_mark.line + 1,
        phrasing_lines=tuple(line for _text, line in phrasings),
    )


def _department(
    file: str, label: str, item: MappingNode, entries: dict[str, tuple[Node, Node]], problems: list[Problem]
) -> Department | None:
    before = len(problems)
    department_id = _required(file, label, item, entries, "id", [])
    name = _required(file, label, item, entries, "name", problems)
    synonyms = _list(file, label, entries, "synonyms", problems)
    dtmf = _dtmf(file, label, entries, problems)
    if len(problems) > before or department_id is None or name is None:
        return None
    return Department(
        id=department_id,
        name=name,
        synonyms=tuple(text for text, _line in synonyms),
        dtmf=dtmf,
        line=item.start_mark.line + 1,
    )


def _prompts(root: _Root, problems: list[Problem]) -> tuple[dict[str, str], dict[str, int]]:
    file, node = root.file, root.node
    if not isinstance(node, MappingNode):
        problems.append(_at(file, node, "prompts", 'must be a section of "id: text" lines'))
        return {}, {}
    prompts: dict[str, str] = {}
    lines: dict[str, int] = {}
    for prompt_id, (key_node, value_node) in _mapping(file, node, "prompts", problems).items():
        text = _text(file, value_node, f"prompts.{prompt_id}", problems)
        if text == "":
            problems.append(_at(file, key_node, f"prompts.{prompt_id}", "is empty; write the sentence the bot says"))
        elif text is not None:
            prompts[prompt_id] = text
            lines[prompt_id] = key_node.start_mark.line + 1
    return prompts, lines


__all__ = ["DEPARTMENT_FIELDS", "TOPIC_FIELDS", "check_content", "is_warning", "load_content"]
