"""``voicebot check``: validate the configuration, the FAQ base, the departments and the prompts.

Every problem is printed on its own line (standard output) as ``file:line [field] message``: errors
first, then warnings (lines whose message starts with ``warning:``); the verdict line ``OK: ...`` goes to
standard output, ``FAILED: ...`` to standard error. Errors make the command exit 1; warnings alone do not,
unless ``--strict``. When the configured vosk model is installed, the grammar words are compared with its
vocabulary (each missing word is a warning); otherwise one ``info:`` line says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.errors import ConfigError, ContentError, Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot check``."""
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument(
        "--vosk-model", type=Path, default=None, help="vosk model folder to check the words against (default: config)"
    )
    parser.add_argument(
        "--topics",
        type=Path,
        default=None,
        help="a topic list (TSV, ids in the first column, one header line) whose ids must all be present",
    )


def run(args: argparse.Namespace) -> int:
    """Check everything; 0 when there is no error (and no warning with ``--strict``)."""
    from voicebot.content.languages import language_files, translation_problems
    from voicebot.content.load import check_content, is_warning, load_content

    info: list[str] = []
    try:
        settings = load_settings(args.config)
        content = load_content(settings)
    except (ConfigError, ContentError) as error:
        return _report(args, list(error.problems), {}, info)
    vocabulary = _vocabulary(settings, args.vosk_model, info)
    expected = _topic_ids(args.topics) if args.topics is not None else None
    problems = check_content(content, settings, vocabulary, expected_topics=expected)
    problems += translation_problems(settings, content)
    problems += _schedule_problems(settings)
    counts = {
        "topics": len(content.topics),
        "departments": len(content.departments),
        "prompts": len(content.prompts),
        "phrasings": sum(len(topic.phrasings) for topic in content.topics),
        "languages": 1 + len(language_files(settings)),
    }
    failed = [p for p in problems if args.strict or not is_warning(p)]
    if failed:
        return _report(args, problems, counts, info)
    if args.json:
        print(json.dumps(_json(problems, counts, info, ok=True), ensure_ascii=False, indent=2))
        return 0
    for line in info:
        print(line)
    for problem in problems:
        print(format_problem(problem))
    warnings = f", {_count(len(problems), 'warning')}" if problems else ""
    print(
        f"OK: {counts['topics']} topics, {counts['departments']} departments, {counts['prompts']} prompts, "
        f"{counts['phrasings']} phrasings{warnings}"
    )
    return 0


def _schedule_problems(settings: Settings) -> list[Problem]:
    """Warnings: the closed days run out within a year, a department has no hours."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from voicebot.config.load import SectionLocator
    from voicebot.config.schedule import schedule_warnings
    from voicebot.content.check import WARNING

    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    where = SectionLocator.for_file(settings.path)
    return [where.at(field, WARNING + message) for field, message in schedule_warnings(settings, today)]


def _vocabulary(settings: Settings, override: Path | None, info: list[str]) -> set[str] | None:
    """The vosk model's words, or None with an info line when the model is absent."""
    from voicebot.engines.vosk_asr import model_vocabulary

    folder = override if override is not None else settings.resolve_data(settings.asr.vosk_model)
    if not folder.is_dir():
        info.append(
            f"info: the German vosk model is not installed ({folder}), so the grammar words were not checked "
            "against its vocabulary; get it with `voicebot models fetch vosk-model-small-de-0.15`"
        )
        return None
    words = model_vocabulary(folder)
    if words is None:
        info.append(f"info: {folder} has neither graph/words.txt nor graph/Gr.fst; vocabulary not checked")
    return words


def _topic_ids(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError([Problem(str(path), None, "--topics", f"cannot read: {error.strerror}")]) from error
    return [line.split("\t")[0].strip() for line in lines[1:] if line.strip()]


def display_path(file: str) -> str:
    """A problem's file relative to the working directory when it is below it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file


def format_problem(problem: Problem) -> str:
    """``file:line [field] message`` (line and field left out when unknown)."""
    where = display_path(problem.file) + (f":{problem.line}" if problem.line is not None else "")
    field = f" [{problem.field}]" if problem.field else ""
    return f"{where}{field} {problem.message}"


def _report(args: argparse.Namespace, problems: Sequence[Problem], counts: dict[str, int], info: list[str]) -> int:
    """Print every problem (errors first) and return 1."""
    from voicebot.content.check import is_warning

    ordered = sorted(problems, key=is_warning)
    if args.json:
        print(json.dumps(_json(ordered, counts, info, ok=False), ensure_ascii=False, indent=2))
        return 1
    for line in info:
        print(line)
    for problem in ordered:
        print(format_problem(problem))
    errors = sum(1 for p in ordered if not is_warning(p))
    print(f"FAILED: {_count(errors, 'error')}, {_count(len(ordered) - errors, 'warning')}", file=sys.stderr)
    return 1


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _json(problems: Sequence[Problem], counts: dict[str, int], info: list[str], *, ok: bool) -> dict[str, Any]:
    from voicebot.content.check import WARNING, is_warning

    return {
        "ok": ok,
        **counts,
        "info": info,
        "problems": [
            {
                "level": "warning" if is_warning(p) else "error",
                "file": display_path(p.file),
                "line": p.line,
                "field": p.field,
                "message": p.message.removeprefix(WARNING),
            }
            for p in problems
        ],
    }
