"""The content in further languages: one ``Content`` per language, same ids, added by adding files only.

The files named in ``[content]`` hold the base language (German). Another language ``xx`` is whatever of
these files exists beside them (no configuration change):

- ``prompts/xx.yaml``: ``prompts:`` (the same prompt ids, translated), optionally ``facts:`` (the district
  facts of ``[district]`` written in that language: opening hours, bus, parking; the rest stay as they are)
  and ``key:`` (the keypad key that switches a call to the language, "9" for English: no department or topic
  of the base files may have it);
- ``grammars/faq.xx.yaml``: ``topics:`` with ``id`` and the translated ``title``, ``keywords``,
  ``phrasings`` and ``answer`` (kind, department and keypad digit come from the base file);
- ``grammars/departments.xx.yaml``: ``departments:`` with ``id``, translated ``name`` and ``synonyms``.

``translate`` builds the language's ``Content`` over the base one: a prompt the language lacks falls back to
English, then to the base text; a topic without a translated answer becomes a transfer to its department
(the switchboard for another authority's topics) marked ``untranslated``, so the caller hears in their
language that they are put through; a department without a translated name keeps its base name.
``translation_problems`` lists, per language, what is missing (warnings for ``voicebot check``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from yaml.nodes import MappingNode, Node, SequenceNode

from voicebot.config.settings import Settings
from voicebot.content.check import OPTIONAL_PROMPTS, REQUIRED_PROMPTS, WARNING
from voicebot.content.load import _compose, _mapping, _text, _texts
from voicebot.content.model import EXTERN, PLACEHOLDER, SWITCHBOARD, Content, Department, Topic
from voicebot.content.paths import BASE_LANGUAGE, LanguageFiles, language_files
from voicebot.errors import ContentError, Problem

FALLBACK_LANGUAGE = "en"
"""A prompt missing in a third language is taken from this language first (then from the base)."""
LANGUAGE_NAMES = {"de": "German", "en": "English", "tr": "Turkish", "uk": "Ukrainian", "ar": "Arabic"}
"""Names for reports; any two- or three-letter code works."""


@dataclass(frozen=True)
class _Texts:
    """What one language's files say, before it is laid over the base content."""

    prompts: dict[str, str]
    prompt_lines: dict[str, int]
    facts: dict[str, str]
    topics: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str, int]]
    """id -> (title, keywords, phrasings, answer, line)."""
    departments: dict[str, tuple[str, tuple[str, ...], int]]
    """id -> (name, synonyms, line)."""
    key: str = ""
    """Keypad key that switches a call to the language ("" none)."""


def load_languages(settings: Settings, base: Content) -> dict[str, Content]:
    """The base content and one translated ``Content`` per further language (raises ContentError on broken files)."""
    problems: list[Problem] = []
    texts = {files.language: _read(files, problems) for files in language_files(settings)}
    if problems:
        raise ContentError(problems)
    result = {base.language: base}
    fallback = texts.get(FALLBACK_LANGUAGE)
    for language, own in sorted(texts.items(), key=lambda item: item[0] != FALLBACK_LANGUAGE):
        backup = result[FALLBACK_LANGUAGE] if language != FALLBACK_LANGUAGE and fallback is not None else None
        result[language] = translate(base, language, own, backup)
    return result


def translate(base: Content, language: str, own: _Texts, backup: Content | None = None) -> Content:
    """``base`` with ``own``'s texts laid over it (see the module docstring)."""
    prompts = {**base.prompts, **(backup.prompts if backup is not None else {}), **own.prompts}
    facts = {**base.facts, **(dict(backup.facts) if backup is not None else {}), **own.facts}
    topics: list[Topic] = []
    for topic in base.topics:
        title, keywords, phrasings, answer, line = own.topics.get(topic.id, (topic.title, (), (), "", topic.line))
        translated = replace(topic, title=title, keywords=keywords, phrasings=phrasings, line=line, phrasing_lines=())
        if topic.kind == "answer" and not answer:
            department = SWITCHBOARD if topic.department == EXTERN else topic.department
            translated = replace(translated, kind="transfer", department=department, answer="", untranslated=True)
        else:
            translated = replace(translated, answer=answer if topic.kind == "answer" else "")
        topics.append(translated)
    departments: list[Department] = []
    for office in base.departments:
        name, synonyms, line = own.departments.get(office.id, (office.name, (), office.line))
        departments.append(replace(office, name=name, synonyms=synonyms, line=line))
    return Content(
        topics=tuple(topics),
        departments=tuple(departments),
        prompts=prompts,
        facts=facts,
        prompt_lines=own.prompt_lines,
        language=language,
        key=own.key,
    )


def translation_problems(settings: Settings, base: Content) -> list[Problem]:
    """Per further language, every prompt, topic answer and department name it has no text for (warnings),
    and ids its files name that the base content does not have (errors)."""
    problems: list[Problem] = []
    keys: dict[str, str] = {}
    for files in language_files(settings):
        own = _read(files, problems)
        name = LANGUAGE_NAMES.get(files.language, files.language)
        used = {*REQUIRED_PROMPTS, *OPTIONAL_PROMPTS}
        for prompt_id in base.prompts:
            if prompt_id in used and prompt_id not in own.prompts:
                problems.append(
                    Problem(
                        str(files.prompts),
                        None,
                        f"prompts.{prompt_id}",
                        f"{WARNING}no {name} text yet (the {name} call says the "
                        f"{'English' if files.language != FALLBACK_LANGUAGE else 'German'} one)",
                    )
                )
        facts = {**base.facts, **own.facts}
        for prompt_id, line in own.prompt_lines.items():
            if prompt_id not in used:
                problems.append(Problem(str(files.prompts), line, f"prompts.{prompt_id}", "unknown prompt id"))
                continue
            own_names = REQUIRED_PROMPTS.get(prompt_id, OPTIONAL_PROMPTS.get(prompt_id, frozenset()))
            problems += _unknown(own.prompts[prompt_id], {*facts, *own_names}, str(files.prompts), line, prompt_id)
        for topic_id, (_title, _keywords, _phrasings, answer, line) in own.topics.items():
            problems += _unknown(answer, set(facts), str(files.faq), line, f"{topic_id}.answer")
        topic_ids = {topic.id for topic in base.topics}
        if not files.faq.is_file():
            problems.append(
                Problem(str(files.faq), None, "", f"{WARNING}no {name} FAQ file: every {name} question is put through")
            )
        for topic in base.topics if files.faq.is_file() else ():
            entry = own.topics.get(topic.id)
            if topic.kind == "answer" and (entry is None or not entry[3]):
                problems.append(
                    Problem(
                        str(files.faq),
                        entry[4] if entry else None,
                        f"topics.{topic.id}.answer",
                        f"{WARNING}no {name} answer yet (a {name} caller asking this is put through)",
                    )
                )
            if entry is None or not entry[2]:
                problems.append(
                    Problem(
                        str(files.faq),
                        entry[4] if entry else None,
                        f"topics.{topic.id}.phrasings",
                        f"{WARNING}no {name} phrasings yet (the bot does not recognise this topic in {name})",
                    )
                )
        for topic_id, entry in own.topics.items():
            if topic_id not in topic_ids:
                problems.append(Problem(str(files.faq), entry[4], f"topics.{topic_id}", "unknown topic id"))
        department_ids = {department.id for department in base.departments}
        if not files.departments.is_file():
            problems.append(
                Problem(
                    str(files.departments), None, "", f"{WARNING}no {name} department names: the German ones are said"
                )
            )
        for department in base.departments if files.departments.is_file() else ():
            if department.id not in own.departments:
                problems.append(
                    Problem(
                        str(files.departments),
                        None,
                        f"departments.{department.id}.name",
                        f"{WARNING}no {name} name yet (the {name} call says {department.name!r})",
                    )
                )
        for department_id, (_name, _synonyms, line) in own.departments.items():
            if department_id not in department_ids:
                problems.append(
                    Problem(str(files.departments), line, f"departments.{department_id}", "unknown department id")
                )
        problems += _key_clashes(files, own.key, base, keys)
        keys.setdefault(own.key, files.language)
    return problems


def _key_clashes(files: LanguageFiles, key: str, base: Content, taken: Mapping[str, str]) -> list[Problem]:
    """Errors when a language's key is already a department's or topic's keypad digit or another language's."""
    if not key:
        return []
    users = [f"department {d.id}" for d in base.departments if d.dtmf == key]
    users += [f"topic {t.id}" for t in base.topics if t.dtmf == key]
    if key in taken:
        users.append(f"language {taken[key]}")
    if not users:
        return []
    return [
        Problem(
            str(files.prompts),
            None,
            "key",
            f"key {key!r} switches to {files.language} but is also the key of {', '.join(users)}: "
            "give one of them another key (grammars/departments.yaml dtmf) or remove it",
        )
    ]


def _unknown(text: str, allowed: set[str], file: str, line: int | None, field: str) -> list[Problem]:
    """A problem per ``{placeholder}`` of ``text`` that is neither a fact nor filled in by the bot."""
    return [
        Problem(file, line, field, f"unknown placeholder {{{name}}}; known: {', '.join(sorted(allowed))}")
        for name in PLACEHOLDER.findall(text)
        if name not in allowed
    ]


def _read(files: LanguageFiles, problems: list[Problem]) -> _Texts:
    prompts: dict[str, str] = {}
    prompt_lines: dict[str, int] = {}
    facts: dict[str, str] = {}
    found: list[Problem] = []
    root = _compose(files.prompts, "prompts", found) if files.prompts.is_file() else None
    problems += [problem for problem in found if problem.field not in ("facts", "key")]  # read by _top
    if root is not None and isinstance(root.node, MappingNode):
        for key, (key_node, value) in _mapping(root.file, root.node, "prompts", problems).items():
            text = _text(root.file, value, f"prompts.{key}", problems)
            if text:
                prompts[key] = text
                prompt_lines[key] = key_node.start_mark.line + 1
    facts = _facts(files.prompts, problems)
    key = _key(files.prompts, problems)
    topics: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str, int]] = {}
    for entry_id, fields, line in _entries(files.faq, "topics", problems):
        keywords, phrasings = fields.get("keywords", ()), fields.get("phrasings", ())
        title, answer = fields.get("title", ("",)), fields.get("answer", ("",))
        topics[entry_id] = (
            title[0] if title else "",
            tuple(keywords),
            tuple(phrasings),
            answer[0] if answer else "",
            line,
        )
    departments: dict[str, tuple[str, tuple[str, ...], int]] = {}
    for entry_id, fields, line in _entries(files.departments, "departments", problems):
        name = fields.get("name", ())
        if name and name[0]:
            departments[entry_id] = (name[0], tuple(fields.get("synonyms", ())), line)
    return _Texts(prompts, prompt_lines, facts, topics, departments, key)


def _top(path: Path, name: str) -> object:
    """A top-level section of a language's prompt file other than ``prompts:`` (None: missing or broken file)."""
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None  # reported by _compose
    return data.get(name) if isinstance(data, dict) else None


KEYS = "123456789*#"
"""Keys a language may take (0 is the switchboard's)."""


def _key(path: Path, problems: list[Problem]) -> str:
    """The ``key:`` of a language's prompt file ("" when it has none)."""
    raw = _top(path, "key")
    if raw is None:
        return ""
    key = str(raw).strip()
    if len(key) != 1 or key not in KEYS:
        problems.append(
            Problem(str(path), None, "key", f'must be one keypad key of {" ".join(KEYS)} in quotes, e.g. "9"')
        )
        return ""
    return key


def _facts(path: Path, problems: list[Problem]) -> dict[str, str]:
    """The ``facts:`` section of a language's prompt file (read apart: the base loader knows only ``prompts:``)."""
    raw = _top(path, "facts")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), None, "facts", 'must be a section of "name: text" lines'))
        return {}
    return {str(key): " ".join(str(value).split()) for key, value in raw.items() if value is not None}


_TEXT_FIELDS = ("id", "title", "answer", "name")
_LIST_FIELDS = ("keywords", "phrasings", "synonyms")


def _entries(path: Path, key: str, problems: list[Problem]) -> list[tuple[str, dict[str, tuple[str, ...]], int]]:
    """(id, field -> texts, line) of each entry of a language's list file (missing file: none)."""
    if not path.is_file():
        return []
    root = _compose_any(path, key, problems)
    if root is None:
        return []
    file, node = str(path), root
    if not isinstance(node, SequenceNode):
        problems.append(Problem(file, node.start_mark.line + 1, key, 'must be a list of entries, each "- id: ..."'))
        return []
    out: list[tuple[str, dict[str, tuple[str, ...]], int]] = []
    for index, item in enumerate(node.value):
        if not isinstance(item, MappingNode):
            problems.append(Problem(file, item.start_mark.line + 1, f"{key}[{index}]", 'must start with "- id: ..."'))
            continue
        fields: dict[str, tuple[str, ...]] = {}
        for name, (key_node, value) in _mapping(file, item, f"{key}[{index}]", problems).items():
            if name in _TEXT_FIELDS:
                fields[name] = (_text(file, value, f"{key}[{index}].{name}", problems) or "",)
            elif name in _LIST_FIELDS:
                fields[name] = tuple(
                    text for text, _line in _texts(file, value, f"{key}[{index}].{name}", problems) or ()
                )
            else:
                known = ", ".join(_TEXT_FIELDS + _LIST_FIELDS)
                problems.append(
                    Problem(
                        file, key_node.start_mark.line + 1, f"{key}[{index}].{name}", f"unknown field; known: {known}"
                    )
                )
        entry_id = fields.get("id", ("",))[0]
        if not entry_id:
            problems.append(
                Problem(file, item.start_mark.line + 1, f"{key}[{index}].id", "missing: every entry needs an id")
            )
            continue
        out.append((entry_id, fields, item.start_mark.line + 1))
    return out


def _compose_any(path: Path, key: str, problems: list[Problem]) -> Node | None:
    root = _compose(path, key, problems)
    return None if root is None else root.node


def languages_of(contents: Mapping[str, Content]) -> tuple[str, ...]:
    """The language codes, base first."""
    return tuple(sorted(contents, key=lambda code: (code != BASE_LANGUAGE, code)))


__all__ = [
    "BASE_LANGUAGE",
    "FALLBACK_LANGUAGE",
    "LANGUAGE_NAMES",
    "LanguageFiles",
    "language_files",
    "languages_of",
    "load_languages",
    "translate",
    "translation_problems",
]
