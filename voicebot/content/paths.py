"""Where the content of further languages lies: files beside the base ones, found without configuration.

``prompts/en.yaml`` beside ``prompts/de.yaml`` makes English a language of the bot; its FAQ and department
files are ``grammars/faq.en.yaml`` and ``grammars/departments.en.yaml`` (each may be missing). Reading them is
``voicebot.content.languages``; this module only names them, so the engines can ask which languages there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicebot.config.settings import Settings

BASE_LANGUAGE = "de"
"""Language of the files named in ``[content]``."""


@dataclass(frozen=True)
class LanguageFiles:
    """The files of one further language (each may be missing)."""

    language: str
    prompts: Path
    faq: Path
    departments: Path


def _beside(path: Path, language: str) -> Path:
    return path.with_name(f"{path.stem}.{language}{path.suffix}")


def language_files(settings: Settings) -> list[LanguageFiles]:
    """Every further language whose prompt file lies beside the base one (``prompts/en.yaml``), sorted."""
    content = settings.content
    prompts = settings.resolve(content.prompts)
    found: list[LanguageFiles] = []
    for path in sorted(prompts.parent.glob("*.yaml")):
        code = path.stem
        if path == prompts or not (2 <= len(code) <= 3 and code.isalpha() and code.islower()):
            continue
        if code == BASE_LANGUAGE:
            continue
        faq = _beside(settings.resolve(content.faq), code)
        departments = _beside(settings.resolve(content.departments), code)
        found.append(LanguageFiles(code, path, faq, departments))
    return found


__all__ = ["BASE_LANGUAGE", "LanguageFiles", "language_files"]
