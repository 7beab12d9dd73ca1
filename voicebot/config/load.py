"""Reading ``voicebot.toml``: the file found, parsed and validated into ``Settings`` with every problem at once.

Which file: ``-c FILE`` on the command line, else ``$VOICEBOT_CONFIG``, else ``voicebot.toml`` in the current
folder (a checkout), else ``/etc/voicebot/voicebot.toml`` (an installed server).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicebot.config.build import build_settings
from voicebot.config.settings import (
    AsrSettings,
    AudioSettings,
    CalendarSettings,
    ContentPaths,
    DialogueSettings,
    LogSettings,
    PathSettings,
    RecordsSettings,
    Settings,
    SipSettings,
    TtsSettings,
    VadSettings,
    WebSettings,
)
from voicebot.errors import ConfigError, Problem

SYSTEM_CONFIG = Path("/etc/voicebot/voicebot.toml")
"""Where an installed server keeps its configuration."""


def default_config(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None, system: Path = SYSTEM_CONFIG
) -> Path:
    """The configuration file used when none is named (see the module docstring for the order)."""
    named = (os.environ if environ is None else environ).get("VOICEBOT_CONFIG")
    if named:
        return Path(named)
    local = (Path.cwd() if cwd is None else cwd) / "voicebot.toml"
    if local.is_file() or not system.is_file():
        return local
    return system


_SECTIONS: dict[str, type] = {
    "sip": SipSettings,
    "audio": AudioSettings,
    "vad": VadSettings,
    "asr": AsrSettings,
    "tts": TtsSettings,
    "dialogue": DialogueSettings,
    "records": RecordsSettings,
    "web": WebSettings,
    "log": LogSettings,
    "content": ContentPaths,
    "calendar": CalendarSettings,
    "paths": PathSettings,
}


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate a configuration file; raises ConfigError listing every problem."""
    file = Path(path) if path is not None else default_config()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        hint = ""
        if path is None and not file.exists():
            hint = (
                f" (no -c FILE, no $VOICEBOT_CONFIG, no ./voicebot.toml, no {SYSTEM_CONFIG}: "
                "`voicebot deploy` lays out a server's configuration)"
            )
        raise ConfigError([Problem(str(file), None, "", f"cannot read the file: {error.strerror}{hint}")]) from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise ConfigError([Problem(str(file), line, "", f"not valid TOML: {error}")]) from error
    return settings_from_dict(data, file.resolve(), text)


def settings_from_dict(data: Mapping[str, Any], path: Path, text: str = "") -> Settings:
    """Build Settings from parsed TOML; ``text`` (the file's source) lets problems carry line numbers."""
    problems: list[Problem] = []
    settings = build_settings(data, path, SectionLocator(str(path), text), problems, _SECTIONS)
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


class SectionLocator:
    """Finds the line of ``[section]`` / ``key =`` in the TOML source, for problem reports."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self._lines = text.splitlines()

    @classmethod
    def for_file(cls, path: Path) -> SectionLocator:
        """A locator over a file on disk (no lines when it cannot be read)."""
        try:
            return cls(str(path), path.read_text(encoding="utf-8"))
        except OSError:
            return cls(str(path), "")

    def at(self, field: str, message: str) -> Problem:
        """A problem at a dotted field (``departments.bauamt.hours``: its section and key)."""
        section, _, key = field.rpartition(".") if "." in field else (field, "", "")
        return Problem(self.file, self.line(section, key), field, message)

    def problem(self, section: str, key: str, message: str) -> Problem:
        field_path = f"{section}.{key}" if key else section
        return Problem(self.file, self.line(section, key), field_path, message)

    def line(self, section: str, key: str = "") -> int | None:
        header = re.compile(r"^\s*\[\s*" + re.escape(section) + r"\s*\]\s*(#.*)?$")
        start = next((i for i, line in enumerate(self._lines) if header.match(line)), None)
        if start is None:
            return None
        if not key:
            return start + 1
        key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for index in range(start + 1, len(self._lines)):
            if self._lines[index].lstrip().startswith("["):
                break
            if key_re.match(self._lines[index]):
                return index + 1
        return start + 1


__all__ = ["SYSTEM_CONFIG", "SectionLocator", "default_config", "load_settings", "settings_from_dict"]
