"""The project's exception tree, translated at the boundaries.

    VoicebotError               anything this package raises on purpose
    ├── ConfigError             voicebot.toml: one or more problems (all listed at once)
    ├── ContentError            FAQ base, prompts, departments: one or more problems (all listed at once)
    ├── AudioFormatError        a WAV or a frame in a format we cannot use
    ├── ModelError              a speech model is missing or cannot be loaded (says how to get it)
    ├── AsrError                a speech recogniser failed while running
    ├── TtsError                a speech synthesiser failed while running
    ├── TelephonyError          the SIP stack failed (registration, media, transfer)
    └── RecordsError            the call-record store failed

Adapters translate engine exceptions (``pj.Error``, vosk's bare ``Exception``, onnxruntime errors)
into these. A call session that meets one ends that call cleanly; the process keeps serving others.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: where it is and how to fix it."""

    file: str
    """Path of the file, as the user knows it."""

    line: int | None
    """1-based line number, when known."""

    field: str
    """Dotted field path inside the file (``topics.wohngeld.answer``), or ``""``."""

    message: str
    """What is wrong and, where possible, what to do about it."""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message}"


class VoicebotError(Exception):
    """Root of every error this package raises on purpose."""


class _ProblemsError(VoicebotError):
    """An error that carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class ConfigError(_ProblemsError):
    """The configuration file has one or more problems."""


class ContentError(_ProblemsError):
    """The FAQ base, the prompts or the departments have one or more problems."""


class AudioFormatError(VoicebotError):
    """Audio in a format that cannot be used (names the file and the fix)."""


class ModelError(VoicebotError):
    """A speech model is missing or cannot be loaded (says how to get it)."""


class AsrError(VoicebotError):
    """A speech recogniser failed while running."""


class TtsError(VoicebotError):
    """A speech synthesiser failed while running."""


class TelephonyError(VoicebotError):
    """The SIP stack failed: registration, media or transfer."""


class RecordsError(VoicebotError):
    """The call-record store failed."""
