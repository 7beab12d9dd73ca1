"""Rules of ``voicebot check`` that look across the loaded content and at the configuration.

``check_content`` returns every problem found, each with file, line, field and the fix:

errors (the bot would misbehave; ``voicebot check`` exits 1):
  - a topic's department is neither configured in ``voicebot.toml`` nor ``extern``;
  - department ids differ between ``grammars/departments.yaml`` and ``[departments.*]`` in the config;
  - the same phrasing (compared in normalised form) under two topics, or one name for two departments;
  - a required prompt is missing; a ``{placeholder}`` is unknown or a brace is stray;
  - an answer takes longer than ``[content] max_answer_seconds`` to speak (placeholders filled in);
  - a spoken text (answer, title, prompt) holds markup (``<script>``, any ``<…>`` tag) or characters a voice
    cannot read (``content/speakable.py``);
  - a keypad digit is used twice (departments and topics share the digits 0-9), or "0" (always the
    switchboard) is used for something else;
  - a topic id of the client's list (``expected_topics``) is missing.

warnings (worth a look, the bot still works; ``voicebot check`` prints them and exits 0 unless ``--strict``):
  - a grammar word the speech model's vocabulary lacks (one warning per word, naming where it occurs);
  - a topic the client's list does not have; a prompt id the bot never uses (a typo?);
  - a greeting longer than ``MAX_GREETING_SECONDS`` to speak (callers should be asked for their question
    within seconds; examples and the keypad menu belong after a failed turn).

The same phrasing twice inside one topic is fine (spelling variants such as "Kfz-Zulassung" / "KFZ Zulassung").

A warning is a ``Problem`` whose message starts with ``WARNING`` (see ``is_warning``), so every consumer
that lists problems shows it with no extra type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from voicebot.config.settings import Settings
from voicebot.content.model import EXTERN, PLACEHOLDER, SWITCHBOARD, Content
from voicebot.content.speakable import (
    CHARS_PER_SECOND,
    MAX_ANSWER_SECONDS,
    MAX_GREETING_SECONDS,
    greeting_until_question,
    speakable_problems,
    speaking_seconds,
)
from voicebot.errors import Problem

WARNING = "warning: "
"""Prefix of the message of a warning-level problem."""

REQUIRED_PROMPTS: Mapping[str, frozenset[str]] = {
    "greeting": frozenset(),
    "confirm_topic": frozenset({"title"}),
    "confirm_department": frozenset({"department"}),
    "choose": frozenset({"first", "second"}),
    "reprompt": frozenset(),
    "reprompt_after_no": frozenset(),
    "anything_else": frozenset(),
    "transfer": frozenset({"department"}),
    "transfer_switchboard": frozenset(),
    "transfer_failed": frozenset({"department"}),
    "department_closed": frozenset({"department", "next_opening"}),
    "switchboard_closed": frozenset({"next_opening"}),
    "callback_offer": frozenset(),
    "callback_name": frozenset(),
    "callback_number": frozenset(),
    "callback_done": frozenset({"department"}),
    "no_input": frozenset(),
    "goodbye": frozenset(),
    "apology": frozenset(),
    "dtmf_menu": frozenset({"options"}),
    "dtmf_option": frozenset({"digit", "name"}),
    "overflow": frozenset(),
    "max_duration": frozenset(),
    "nothing_to_repeat": frozenset(),
}
"""Every prompt id the dialogue uses, with the placeholders it fills in besides the district facts."""

OPTIONAL_PROMPTS: Mapping[str, frozenset[str]] = {
    "ask_question": frozenset(),
    "language_switched": frozenset(),
    "confirm_language": frozenset(),
    "transfer_untranslated": frozenset({"department"}),
    "transfer_bridge": frozenset(),
    "offer_details": frozenset(),
}
"""Prompt ids the dialogue uses when present (with a standard fallback), with their placeholders."""

_WORD = re.compile(r"[a-zäöüß0-9]+")


def is_warning(problem: Problem) -> bool:
    """Whether a problem is only a warning (``voicebot check`` still succeeds)."""
    return problem.message.startswith(WARNING)


@dataclass(frozen=True)
class _Files:
    faq: str
    departments: str
    prompts: str
    config: str


def check_content(
    content: Content,
    settings: Settings,
    vocabulary: Collection[str] | None = None,
    *,
    expected_topics: Collection[str] | None = None,
) -> list[Problem]:
    """Every cross-entry problem of the content (see the module docstring), errors and warnings.

    ``vocabulary``: the speech model's words; when given, grammar words it lacks are reported as warnings.
    ``expected_topics``: topic ids that must be present (the client's list).
    """
    files = _Files(
        faq=str(settings.resolve(settings.content.faq)),
        departments=str(settings.resolve(settings.content.departments)),
        prompts=str(settings.resolve(settings.content.prompts)),
        config=str(settings.path),
    )
    problems: list[Problem] = []
    problems += _departments(content, settings, files)
    problems += _department_names(content, files)
    problems += _phrasings(content, files)
    problems += _prompts(content, files)
    problems += _answers(content, files, settings.content.max_answer_seconds)
    problems += speakable_problems(content, files.faq, files.prompts)
    problems += _dtmf(content, files)
    if expected_topics is not None:
        problems += _expected(content, expected_topics, files)
    if vocabulary is not None:
        problems += _vocabulary(content, set(vocabulary), files)
    return problems


def _departments(content: Content, settings: Settings, files: _Files) -> Iterator[Problem]:
    configured = set(settings.departments)
    named = {department.id for department in content.departments}
    for topic in content.topics:
        if topic.department != EXTERN and topic.department not in configured:
            known = ", ".join(sorted(configured))
            yield Problem(
                files.faq,
                topic.line,
                f"topics.{topic.id}.department",
                f'unknown department "{topic.department}"; use one of {known}, or "{EXTERN}" for other authorities',
            )
    for department in content.departments:
        if department.id not in configured:
            yield Problem(
                files.departments,
                department.line,
                f"departments.{department.id}",
                f"not configured: add [departments.{department.id}] with target and hours to {files.config}",
            )
    for department_id in sorted(configured - named):
        yield Problem(
            files.departments,
            None,
            f"departments.{department_id}",
            f"configured in {files.config} but missing here: add it with id, name and synonyms",
        )


def _department_names(content: Content, files: _Files) -> Iterator[Problem]:
    normalize = _normalizer()
    first: dict[str, str] = {}
    for department in content.departments:
        for index, text in enumerate((department.name, *department.synonyms)):
            key = normalize(text)
            owner = first.setdefault(key, department.id)
            if owner != department.id:
                field = f"departments.{department.id}." + ("name" if index == 0 else f"synonyms[{index - 1}]")
                yield Problem(
                    files.departments,
                    department.line,
                    field,
                    f'"{text}" also names department {owner}; a caller saying it cannot be put through, '
                    "keep it under one department only",
                )


def _normalizer() -> Callable[[str], str]:
    """``voicebot.language.text.normalize`` when available, else lowercase without punctuation."""
    try:
        from voicebot.language.text import normalize
    except ImportError:  # pragma: no cover - text.py is part of the package
        return lambda text: " ".join(_WORD.findall(text.lower()))
    return normalize


def _phrasings(content: Content, files: _Files) -> Iterator[Problem]:
    normalize = _normalizer()
    first: dict[str, tuple[str, int, int]] = {}
    for topic in content.topics:
        for index, phrasing in enumerate(topic.phrasings):
            line = _phrasing_line(topic.phrasing_lines, index, topic.line)
            key = normalize(phrasing)
            field = f"topics.{topic.id}.phrasings[{index}]"
            if not key:
                yield Problem(files.faq, line, field, f'"{phrasing}" has no words left after normalising; remove it')
                continue
            if key not in first:
                first[key] = (topic.id, index, line)
                continue
            other, _index, other_line = first[key]
            if other == topic.id:
                continue  # spelling variants of one topic ("Kfz-Zulassung", "KFZ Zulassung") are welcome
            yield Problem(
                files.faq,
                line,
                field,
                f'"{phrasing}" is also a phrasing of topic {other} (line {other_line}); a caller saying it '
                "cannot be routed; keep it under one topic only",
            )


def _phrasing_line(lines: tuple[int, ...], index: int, default: int) -> int:
    return lines[index] if index < len(lines) else default


def _placeholders(text: str, allowed: Collection[str], file: str, line: int | None, field: str) -> Iterator[Problem]:
    for name in PLACEHOLDER.findall(text):
        if name not in allowed:
            known = ", ".join("{" + key + "}" for key in sorted(allowed))
            yield Problem(file, line, field, f"unknown placeholder {{{name}}}; known here: {known}")
    rest = PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        yield Problem(
            file, line, field, "stray curly brace: placeholders are written {name} with letters only; remove the brace"
        )


def _prompts(content: Content, files: _Files) -> Iterator[Problem]:
    for prompt_id in REQUIRED_PROMPTS:
        if prompt_id not in content.prompts:
            yield Problem(
                files.prompts,
                None,
                f"prompts.{prompt_id}",
                f'missing: the bot needs this sentence; add "{prompt_id}: ..." under prompts:',
            )
    for prompt_id, text in content.prompts.items():
        own = REQUIRED_PROMPTS.get(prompt_id, OPTIONAL_PROMPTS.get(prompt_id, frozenset()))
        allowed = set(content.facts) | own
        line = content.prompt_lines.get(prompt_id)
        if prompt_id not in REQUIRED_PROMPTS and prompt_id not in OPTIONAL_PROMPTS:
            yield Problem(
                files.prompts,
                line,
                f"prompts.{prompt_id}",
                f"{WARNING}the bot never says this prompt; check the spelling of the id (known: "
                + ", ".join(sorted({*REQUIRED_PROMPTS, *OPTIONAL_PROMPTS}))
                + ")",
            )
        found = list(_placeholders(text, allowed, files.prompts, line, f"prompts.{prompt_id}"))
        yield from found
        if prompt_id == "greeting" and not found:
            yield from _greeting_length(text, content.facts, files.prompts, line)


def _greeting_length(text: str, facts: Mapping[str, str], file: str, line: int | None) -> Iterator[Problem]:
    spoken = greeting_until_question(PLACEHOLDER.sub(lambda match: facts[match.group(1)], text))
    seconds = speaking_seconds(spoken)
    if seconds > MAX_GREETING_SECONDS:
        yield Problem(
            file,
            line,
            "prompts.greeting",
            f"{WARNING}the greeting takes about {seconds:.1f} s to speak ({len(spoken)} characters with the "
            f"placeholders filled in); keep it under {MAX_GREETING_SECONDS} s (about "
            f"{MAX_GREETING_SECONDS * CHARS_PER_SECOND} characters): office, how to reach a person, the question; "
            "examples go into reprompt",
        )


def _answers(content: Content, files: _Files, max_seconds: float = MAX_ANSWER_SECONDS) -> Iterator[Problem]:
    facts = content.facts
    for topic in content.topics:
        field = f"topics.{topic.id}"
        if "{" in topic.title or "}" in topic.title:
            yield Problem(files.faq, topic.line, f"{field}.title", "a title cannot use placeholders; write it out")
        for name, text in (("answer", topic.answer), ("details", topic.details)):
            found = list(_placeholders(text, facts, files.faq, topic.line, f"{field}.{name}"))
            yield from found
            if found or not text:
                continue
            spoken = PLACEHOLDER.sub(lambda match: facts[match.group(1)], text)
            seconds = speaking_seconds(spoken)
            if seconds > max_seconds:
                limit = round(max_seconds * CHARS_PER_SECOND)
                yield Problem(
                    files.faq,
                    topic.line,
                    f"{field}.{name}",
                    f"too long to speak: about {seconds:.0f} s ({len(spoken)} characters with the placeholders filled"
                    f" in); keep it under {max_seconds:g} s (about {limit} characters; [content] max_answer_seconds):"
                    " key fact first, more under details:, the rest on the website",
                )


def _dtmf(content: Content, files: _Files) -> Iterator[Problem]:
    """Keypad digits: each once; "0" is the switchboard; departments are looked up before topics."""
    owners: dict[str, str] = {}
    for department in content.departments:
        if not department.dtmf:
            continue
        field = f"departments.{department.id}.dtmf"
        if department.dtmf == "0" and department.id != SWITCHBOARD:
            yield Problem(files.departments, department.line, field, '"0" is always the switchboard; use 1-9')
        elif department.dtmf in owners:
            yield Problem(
                files.departments,
                department.line,
                field,
                f'digit "{department.dtmf}" is already used by {owners[department.dtmf]}; use a free digit',
            )
        else:
            owners[department.dtmf] = f"department {department.id}"
    for topic in content.topics:
        if not topic.dtmf:
            continue
        field = f"topics.{topic.id}.dtmf"
        if topic.dtmf == "0":
            yield Problem(files.faq, topic.line, field, '"0" is always the switchboard; use a free digit 1-9')
        elif topic.dtmf in owners:
            yield Problem(
                files.faq,
                topic.line,
                field,
                f'digit "{topic.dtmf}" is already used by {owners[topic.dtmf]} (which wins); use a free digit',
            )
        else:
            owners[topic.dtmf] = f"topic {topic.id}"


def _expected(content: Content, expected: Collection[str], files: _Files) -> Iterator[Problem]:
    present = {topic.id for topic in content.topics}
    for topic_id in sorted(set(expected) - present):
        yield Problem(files.faq, None, f"topics.{topic_id}", "missing: this topic of the client's list needs an entry")
    for topic in content.topics:
        if topic.id not in expected:
            yield Problem(
                files.faq, topic.line, f"topics.{topic.id}", f"{WARNING}not in the client's topic list; check the id"
            )


def _spoken_words(text: str) -> list[str]:
    """Words as the recogniser writes them (``voicebot.listen.grammar.spoken`` when available)."""
    try:
        from voicebot.listen.grammar import spoken
    except ImportError:  # pragma: no cover - grammar.py is part of the package
        return _WORD.findall(text.lower())
    return spoken(text).split()


def _vocabulary(content: Content, known: set[str], files: _Files) -> Iterator[Problem]:
    places: dict[str, list[tuple[str, int | None, str]]] = {}

    def note(text: str, file: str, line: int | None, field: str) -> None:
        for word in _spoken_words(text):
            if word not in known:
                places.setdefault(word, []).append((file, line, field))

    for topic in content.topics:
        note(topic.title, files.faq, topic.line, f"topics.{topic.id}.title")
        for keyword in topic.keywords:
            note(keyword, files.faq, topic.line, f"topics.{topic.id}.keywords")
        for index, phrasing in enumerate(topic.phrasings):
            line = _phrasing_line(topic.phrasing_lines, index, topic.line)
            note(phrasing, files.faq, line, f"topics.{topic.id}.phrasings[{index}]")
    for department in content.departments:
        for text in (department.name, *department.synonyms):
            note(text, files.departments, department.line, f"departments.{department.id}")
    for word in sorted(places):
        where = places[word]
        fields = list(dict.fromkeys(field for _file, _line, field in where))
        shown = ", ".join(fields[:3]) + (f" and {len(fields) - 3} more" if len(fields) > 3 else "")
        file, first_line, field = where[0]
        yield Problem(
            file,
            first_line,
            field,
            f'{WARNING}"{word}" is not in the speech model\'s vocabulary (used in {shown}); the grammar '
            "recogniser cannot hear it: use a more common word or accept that only free recognition finds it",
        )


__all__ = [
    "CHARS_PER_SECOND",
    "MAX_ANSWER_SECONDS",
    "MAX_GREETING_SECONDS",
    "OPTIONAL_PROMPTS",
    "REQUIRED_PROMPTS",
    "WARNING",
    "check_content",
    "greeting_until_question",
    "is_warning",
    "speaking_seconds",
]
